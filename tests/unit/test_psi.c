/* test_psi.c — psi_parse() on literal text, psi_read_fd() live. The trigger
 * (psi_trigger_open) is tested in test_readers.c with the proc roots. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"

#include "read/psi.h"

static PsiInfo sentinel(void)
{
        PsiInfo p;

        memset(&p, 0xa5, sizeof(p));
        return p;
}

static void assert_untouched(const PsiInfo *p)
{
        PsiInfo s = sentinel();

        assert_memory_equal(p, &s, sizeof(*p));
}

/* Parses an exact-size heap copy so ASan sees any read past LEN. */
static int parse_exact(const char *text, size_t len, PsiInfo *ret)
{
        char *copy = malloc(len ? len : 1);
        int r;

        assert_non_null(copy);
        memcpy(copy, text, len);
        r = psi_parse(copy, len, ret);
        free(copy);
        return r;
}

static void test_some_and_full(void **state)
{
        (void)state;
        PsiInfo p = sentinel();

        assert_int_equal(psi_parse(LIT("some avg10=12.34 avg60=5.06 avg300=0.70 total=123456789\n"
                                       "full avg10=100.00 avg60=0.01 avg300=0.00 "
                                       "total=18446744073709551615\n"),
                                   &p),
                         0);
        /* One correctly rounded division: equal to the literal, no epsilon. */
        assert_true(p.some.avg10 == 12.34);
        assert_true(p.some.avg60 == 5.06);
        assert_true(p.some.avg300 == 0.70);
        assert_true(p.some.total_usec == 123456789);
        assert_true(p.has_full);
        assert_true(p.full.avg10 == 100.0);
        assert_true(p.full.avg60 == 0.01);
        assert_true(p.full.avg300 == 0.0);
        assert_true(p.full.total_usec == UINT64_MAX);
}

static void test_host_idle(void **state)
{
        (void)state;
        PsiInfo p = sentinel();

        /* This host's /proc/pressure/memory, verbatim. */
        assert_int_equal(psi_parse(LIT("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                                       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
                                   &p),
                         0);
        assert_true(p.some.avg10 == 0.0 && p.some.total_usec == 0);
        assert_true(p.has_full);
}

static void test_without_full(void **state)
{
        (void)state;
        PsiInfo p = sentinel();

        /* Before 5.13 the system-wide cpu file had only "some"; a memory
         * file may be read the same way. */
        assert_int_equal(psi_parse(LIT("some avg10=1.50 avg60=0.25 avg300=0.05 total=42\n"), &p),
                         0);
        assert_false(p.has_full);
        assert_true(p.some.avg10 == 1.5);
        assert_true(p.full.avg10 == 0.0 && p.full.total_usec == 0);
}

static void test_without_newline(void **state)
{
        (void)state;
        PsiInfo p = sentinel();

        /* The kernel ends each line with '\n': without it, cut. */
        assert_int_equal(parse_exact(LIT("some avg10=1.00 avg60=2.00 avg300=3.00 total=4"), &p),
                         -EBADMSG);
        assert_untouched(&p);
}

static void test_missing_some(void **state)
{
        (void)state;
        PsiInfo p = sentinel();

        assert_int_equal(psi_parse(LIT("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"), &p),
                         -EBADMSG);
        assert_int_equal(psi_parse("", 0, &p), -EBADMSG);
        assert_int_equal(psi_parse(LIT("\n"), &p), -EBADMSG);
        assert_int_equal(psi_parse(LIT("some\n"), &p), -EBADMSG);
        assert_untouched(&p);
}

static void test_truncated(void **state)
{
        (void)state;
        static const char text[] = "some avg10=12.34 avg60=5.06 avg300=0.70 total=123456789\n";
        PsiInfo p = sentinel();

        /* Cut anywhere, even inside total's digits, the line is malformed. */
        for (size_t len = 0; len < sizeof(text) - 1; len++)
                assert_int_equal(parse_exact(text, len, &p), -EBADMSG);
        assert_untouched(&p);
        assert_int_equal(parse_exact(text, sizeof(text) - 1, &p), 0);
        assert_true(p.some.total_usec == 123456789);
}

static void test_truncated_full(void **state)
{
        (void)state;
        static const char text[] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                                   "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        PsiInfo p = sentinel();

        /* A "full" line cut before its total is malformed, not absent. */
        assert_int_equal(parse_exact(text, sizeof(text) - 1 - 8, &p), -EBADMSG);
        assert_int_equal(parse_exact(text, sizeof(text) - 1 - 40, &p), -EBADMSG);
        assert_untouched(&p);
}

static void test_out_of_range(void **state)
{
        (void)state;
        PsiInfo p = sentinel();

        assert_int_equal(psi_parse(LIT("some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n"), &p),
                         -EBADMSG);
        assert_int_equal(psi_parse(LIT("some avg10=101.00 avg60=0.00 avg300=0.00 total=0\n"), &p),
                         -EBADMSG);
        assert_int_equal(
                psi_parse(LIT("some avg10=18446744073709551616.00 avg60=0 avg300=0 total=0\n"), &p),
                -EBADMSG);
        assert_int_equal(
                psi_parse(
                        LIT("some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n"),
                        &p),
                -EBADMSG);
        assert_untouched(&p);
}

static void test_malformed(void **state)
{
        (void)state;
        PsiInfo p = sentinel();
        static const char *const bad[] = {
                "some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=1. avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=.5 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=1e2 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.0000001 avg60=0.00 avg300=0.00 total=0\n",
                "some avg60=0.00 avg10=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=-5\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=5 extra=1\n",
                "some avg10=0.00  avg60=0.00 avg300=0.00 total=0\n",
                "some  avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\r\n",
                /* a repeated line */
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nsome avg10=0.00 avg60=0.00 "
                "avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 "
                "avg300=0.00 total=0\n"
                "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (psi_parse(bad[i], strlen(bad[i]), &p) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
        }
        assert_untouched(&p);
}

static void test_unknown_lines(void **state)
{
        (void)state;
        PsiInfo p = sentinel();

        /* Lines with another first word are left for future kernels. */
        assert_int_equal(psi_parse(LIT("total 5\nsomething else\n"
                                       "some avg10=0.50 avg60=0.00 avg300=0.00 total=7\n"
                                       "fuller avg10=x\n"),
                                   &p),
                         0);
        assert_true(p.some.avg10 == 0.5 && p.some.total_usec == 7);
        assert_false(p.has_full);
}

static void test_read_fd_live(void **state)
{
        (void)state;
        char buf[256];
        PsiInfo a = sentinel(), b = sentinel();
        int fd = open("/proc/pressure/memory", O_RDONLY | O_CLOEXEC);

        if (fd < 0 && errno == ENOENT)
                SKIP("no /proc/pressure/memory (CONFIG_PSI=n or psi=0)");
        assert_true(fd >= 0);
        assert_int_equal(psi_read_fd(fd, buf, sizeof(buf), &a), 0);
        assert_int_equal(psi_read_fd(fd, buf, sizeof(buf), &b), 0);
        assert_true(b.some.total_usec >= a.some.total_usec);
        assert_true(a.some.avg10 >= 0.0 && a.some.avg10 <= 100.0);
        /* Every kernel with memory PSI (4.20+) prints "full" for memory. */
        assert_true(a.has_full);
        assert_true(b.full.total_usec >= a.full.total_usec);
        assert_int_equal(psi_read_fd(fd, buf, 16, &b), -EBADMSG);
        assert_int_equal(close(fd), 0);
        assert_int_equal(psi_read_fd(fd, buf, sizeof(buf), &b), -EBADF);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_some_and_full),  cmocka_unit_test(test_host_idle),
                cmocka_unit_test(test_without_full),   cmocka_unit_test(test_without_newline),
                cmocka_unit_test(test_missing_some),   cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_truncated_full), cmocka_unit_test(test_out_of_range),
                cmocka_unit_test(test_malformed),      cmocka_unit_test(test_unknown_lines),
                cmocka_unit_test(test_read_fd_live),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
