/* test_meminfo.c — meminfo_parse() on literal text, meminfo_read_fd() live. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"

#include "read/meminfo.h"

/* The head of this host's /proc/meminfo (kernel 6.18, no swap). */
#define HOST_HEAD                                                                                  \
        "MemTotal:       24683620 kB\n"                                                            \
        "MemFree:        24351656 kB\n"                                                            \
        "MemAvailable:   24358060 kB\n"                                                            \
        "Buffers:            1652 kB\n"                                                            \
        "Cached:           192344 kB\n"                                                            \
        "SwapCached:            0 kB\n"                                                            \
        "Active:            35276 kB\n"                                                            \
        "Inactive:         156256 kB\n"                                                            \
        "Active(anon):       1528 kB\n"                                                            \
        "Inactive(anon):     4892 kB\n"                                                            \
        "Active(file):      33748 kB\n"                                                            \
        "Inactive(file):   151364 kB\n"                                                            \
        "Unevictable:       13400 kB\n"                                                            \
        "Mlocked:           12376 kB\n"

/* A sentinel that must survive every failed parse. */
static const MemInfo SENTINEL = {1, 2, 3, 4, 5};

static void assert_untouched(const MemInfo *m)
{
        assert_memory_equal(m, &SENTINEL, sizeof(*m));
}

static void test_host(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse(LIT(HOST_HEAD "SwapTotal:             0 kB\n"
                                                     "SwapFree:              0 kB\n"
                                                     "Zswap:                 0 kB\n"
                                                     "HugePages_Total:       0\n"
                                                     "Hugepagesize:       2048 kB\n"),
                                       &m),
                         0);
        assert_int_equal(m.total_kb, 24683620);
        assert_int_equal(m.free_kb, 24351656);
        assert_int_equal(m.available_kb, 24358060);
        assert_int_equal(m.swap_total_kb, 0);
        assert_int_equal(m.swap_free_kb, 0);
}

static void test_swap(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse(LIT("MemTotal:        2014256 kB\n"
                                           "MemFree:           80000 kB\n"
                                           "MemAvailable:     150000 kB\n"
                                           "SwapCached:         1234 kB\n"
                                           "SwapTotal:       1048572 kB\n"
                                           "SwapFree:         524288 kB\n"),
                                       &m),
                         0);
        assert_int_equal(m.swap_total_kb, 1048572);
        assert_int_equal(m.swap_free_kb, 524288);
}

static void test_no_swap_lines(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(
                meminfo_parse(LIT("MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 50 kB\n"), &m),
                0);
        assert_int_equal(m.total_kb, 100);
        assert_int_equal(m.free_kb, 10);
        assert_int_equal(m.available_kb, 50);
        assert_int_equal(m.swap_total_kb, 0);
        assert_int_equal(m.swap_free_kb, 0);
}

static void test_missing_available(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        /* What a pre-3.14 kernel prints. */
        assert_int_equal(meminfo_parse(LIT("MemTotal:        2014256 kB\n"
                                           "MemFree:           80000 kB\n"
                                           "Buffers:            1652 kB\n"
                                           "SwapTotal:             0 kB\n"
                                           "SwapFree:              0 kB\n"),
                                       &m),
                         -EBADMSG);
        assert_untouched(&m);
}

static void test_missing_total_or_free(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse(LIT("MemFree: 1 kB\nMemAvailable: 2 kB\n"), &m), -EBADMSG);
        assert_int_equal(meminfo_parse(LIT("MemTotal: 1 kB\nMemAvailable: 2 kB\n"), &m), -EBADMSG);
        assert_untouched(&m);
}

static void test_empty(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse("", 0, &m), -EBADMSG);
        assert_int_equal(meminfo_parse(LIT("\n\n\n"), &m), -EBADMSG);
        assert_untouched(&m);
}

static void test_truncated(void **state)
{
        (void)state;
        static const char text[] = HOST_HEAD;
        MemInfo m = SENTINEL;
        /* "MemAvailable:   24358060 kB": cut at every byte of that line. */
        const char *line = strstr(text, "MemAvailable");
        size_t start = (size_t)(line - text);

        for (size_t len = 0; len < start + 27; len++) {
                /* An exact-size heap copy: ASan catches any read past LEN. */
                char *cut = malloc(len ? len : 1);

                assert_non_null(cut);
                memcpy(cut, text, len);
                assert_int_equal(meminfo_parse(cut, len, &m), -EBADMSG);
                free(cut);
        }
        assert_untouched(&m);
        /* The whole line without its '\n' is complete. */
        assert_int_equal(meminfo_parse(text, start + 27, &m), 0);
        assert_int_equal(m.available_kb, 24358060);
}

static void test_not_nul_terminated(void **state)
{
        (void)state;
        /* LEN ends mid-buffer: digits past it must not be read. */
        static const char text[] =
                "MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 50 kB\nSwapFree: 1234 kB\n";
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse(text, sizeof(text) - 1 - 6, &m), -EBADMSG);
        assert_int_equal(meminfo_parse(text, sizeof(text) - 1 - 18, &m), 0);
        assert_int_equal(m.swap_free_kb, 0);
}

static void test_overflow(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(meminfo_parse(LIT("MemTotal: 18446744073709551616 kB\nMemFree: 1 "
                                           "kB\nMemAvailable: 1 kB\n"),
                                       &m),
                         -EBADMSG);
        assert_int_equal(meminfo_parse(LIT("MemTotal: 99999999999999999999999 kB\nMemFree: 1 "
                                           "kB\nMemAvailable: 1 kB\n"),
                                       &m),
                         -EBADMSG);
        assert_untouched(&m);
        assert_int_equal(meminfo_parse(LIT("MemTotal: 18446744073709551615 kB\nMemFree: 1 "
                                           "kB\nMemAvailable: 1 kB\n"),
                                       &m),
                         0);
        assert_true(m.total_kb == UINT64_MAX);
}

static void test_malformed_values(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        assert_int_equal(
                meminfo_parse(LIT("MemTotal: 100\nMemFree: 1 kB\nMemAvailable: 1 kB\n"), &m),
                -EBADMSG);
        assert_int_equal(
                meminfo_parse(LIT("MemTotal: 100 MB\nMemFree: 1 kB\nMemAvailable: 1 kB\n"), &m),
                -EBADMSG);
        assert_int_equal(
                meminfo_parse(LIT("MemTotal: -100 kB\nMemFree: 1 kB\nMemAvailable: 1 kB\n"), &m),
                -EBADMSG);
        assert_int_equal(
                meminfo_parse(LIT("MemTotal:  kB\nMemFree: 1 kB\nMemAvailable: 1 kB\n"), &m),
                -EBADMSG);
        assert_int_equal(
                meminfo_parse(LIT("MemTotal: 1 kB junk\nMemFree: 1 kB\nMemAvailable: 1 kB\n"), &m),
                -EBADMSG);
        assert_int_equal(
                meminfo_parse(LIT("MemTotal: 1 kB\nMemFree: 1 kB\nMemAvailable: 0x10 kB\n"), &m),
                -EBADMSG);
        /* A repeated key is not the kernel's text. */
        assert_int_equal(
                meminfo_parse(
                        LIT("MemTotal: 1 kB\nMemTotal: 2 kB\nMemFree: 1 kB\nMemAvailable: 1 kB\n"),
                        &m),
                -EBADMSG);
        assert_untouched(&m);
}

static void test_similar_keys(void **state)
{
        (void)state;
        MemInfo m = SENTINEL;

        /* Keys are matched whole: prefixes and look-alikes are other lines. */
        assert_int_equal(meminfo_parse(LIT("MemTotalX: 7 kB\nMem: 8 kB\nSwapTotalish: bogus\n"
                                           "MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 50 kB\n"
                                           "no colon here\nSwapFree 99 kB\n"),
                                       &m),
                         0);
        assert_int_equal(m.total_kb, 100);
        assert_int_equal(m.swap_free_kb, 0);
}

static void test_read_fd_live(void **state)
{
        (void)state;
        char buf[4096];
        MemInfo a = SENTINEL, b = SENTINEL;
        int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        /* The fast tier keeps the fd and re-reads it from offset 0. */
        assert_int_equal(meminfo_read_fd(fd, buf, sizeof(buf), &a), 0);
        assert_int_equal(meminfo_read_fd(fd, buf, sizeof(buf), &b), 0);
        assert_true(a.total_kb > 0);
        assert_true(a.total_kb == b.total_kb);
        assert_true(a.available_kb <= a.total_kb);
        assert_true(a.free_kb <= a.total_kb);
        assert_true(a.swap_free_kb <= a.swap_total_kb);

        /* A buffer too small for MemAvailable: truncated, so malformed. */
        b = SENTINEL;
        assert_int_equal(meminfo_read_fd(fd, buf, 64, &b), -EBADMSG);
        assert_untouched(&b);
        assert_int_equal(close(fd), 0);
        assert_int_equal(meminfo_read_fd(fd, buf, sizeof(buf), &b), -EBADF);
        assert_int_equal(meminfo_read_fd(-1, buf, 0, &b), -EINVAL);
        assert_untouched(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_host),
                cmocka_unit_test(test_swap),
                cmocka_unit_test(test_no_swap_lines),
                cmocka_unit_test(test_missing_available),
                cmocka_unit_test(test_missing_total_or_free),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_not_nul_terminated),
                cmocka_unit_test(test_overflow),
                cmocka_unit_test(test_malformed_values),
                cmocka_unit_test(test_similar_keys),
                cmocka_unit_test(test_read_fd_live),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
