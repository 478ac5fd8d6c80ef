/* test_format.c — the one style of sizes, rates and times (format.h). */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "util/format.h"

#define MiB 1024.0
#define GiB (1024.0 * 1024.0)
#define SEC 1e6

static const char *size(double kb)
{
        static char b[32];
        return format_size(kb, b, sizeof b);
}

static const char *span(double usec)
{
        static char b[32];
        return format_span(usec, b, sizeof b);
}

static void test_sizes(void **state)
{
        (void)state;
        assert_string_equal(size(0), "0.0 MiB");
        assert_string_equal(size(9 * MiB + 820), "9.8 MiB");
        assert_string_equal(size(9.96 * MiB), "10 MiB");
        assert_string_equal(size(412 * MiB), "412 MiB");
        /* never GiB: the journal's budgets and `free -m` speak MiB */
        assert_string_equal(size(1.5 * GiB), "1536 MiB");
}

static void test_rates(void **state)
{
        (void)state;
        char s[64];
        Buf b = buf_on(s, sizeof s);
        fmt_rate(&b, 38 * MiB);
        fmt_band(&b, 38 * MiB, 6 * MiB);
        assert_string_equal(s, "38 MiB/h (\u00b16)");
        b = buf_on(s, sizeof s);
        fmt_rate(&b, 2.5 * MiB);
        fmt_band(&b, 2.5 * MiB, 0.4 * MiB);
        assert_string_equal(s, "2.5 MiB/h (\u00b10.4)");
        b = buf_on(s, sizeof s);
        fmt_rate(&b, 1.9 * GiB);
        fmt_band(&b, 1.9 * GiB, 0.3 * GiB);
        assert_string_equal(s, "1.9 GiB/h (\u00b10.3)");
        /* a slow rate with a wide band: the band in whole MiB */
        b = buf_on(s, sizeof s);
        fmt_rate(&b, 0);
        fmt_band(&b, 0, 850 * MiB);
        assert_string_equal(s, "0.0 MiB/h (\u00b1850)");
        b = buf_on(s, sizeof s);
        fmt_rate(&b, -3 * GiB);
        fmt_band(&b, -3 * GiB, INFINITY);
        assert_string_equal(s, "-3.0 GiB/h (\u00b1?)");
}

static void test_times(void **state)
{
        (void)state;
        char s[32];
        Buf b = buf_on(s, sizeof s);
        fmt_held(&b, 90 * (uint64_t)SEC);
        assert_string_equal(s, "90 s");
        b = buf_on(s, sizeof s);
        fmt_held(&b, 150 * (uint64_t)SEC);
        assert_string_equal(s, "2 min 30 s");
        b = buf_on(s, sizeof s);
        fmt_held(&b, 600 * (uint64_t)SEC);
        assert_string_equal(s, "10 min");

        assert_string_equal(span(0), "0 s");
        assert_string_equal(span(59.9 * SEC), "59 s");
        assert_string_equal(span(119 * SEC), "119 s");
        assert_string_equal(span(120 * SEC), "2 min");
        assert_string_equal(span((2 * 3600 + 20 * 60 + 5) * SEC), "2 h 20 min");
        assert_string_equal(span(3 * 3600 * SEC), "3 h");
        assert_string_equal(span((2 * 86400 + 4 * 3600 + 59) * SEC), "2 d 4 h");
        assert_string_equal(span(3 * 86400 * SEC), "3 d");
        assert_string_equal(span(INFINITY), "never");
        assert_string_equal(span(-5 * SEC), "0 s");
        assert_string_equal(span(NAN), "0 s");
}

/* Cut, never overflowed: what fits is kept and NUL-terminated. */
static void test_truncation(void **state)
{
        (void)state;
        char s[8];
        memset(s, 'x', sizeof s);
        Buf b = buf_on(s, sizeof s);
        fmt_size(&b, 412 * MiB);
        bprintf(&b, " and more");
        assert_string_equal(s, "412 MiB");
        assert_int_equal(b.len, 7);
        bprintf(&b, "!");
        assert_string_equal(s, "412 MiB");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sizes),
                cmocka_unit_test(test_rates),
                cmocka_unit_test(test_times),
                cmocka_unit_test(test_truncation),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
