/* test_metric.c — the metric table (metric.c): every metric named, found by
 * its name in any case, with a scope that matches its prefix and a history
 * exactly when it is a rate or a time. */
#include "testutil.h"

#include <string.h>
#include <strings.h>

#include "config/metric.h"

static void test_table(void **state)
{
        (void)state;
        for (int i = 0; i < _METRIC_MAX; i++) {
                Metric m = (Metric)i;
                const char *name = metric_to_string(m);
                char upper[64];
                size_t n = strlen(name);

                assert_true(n > 0 && n < sizeof upper);
                assert_int_equal(metric_from_string(name), i);
                for (size_t k = 0; k <= n; k++)
                        upper[k] = (char)(name[k] >= 'a' && name[k] <= 'z' ? name[k] - 32 : name[k]);
                assert_int_equal(metric_from_string(upper), i);
                assert_true(strlen(metric_label(m)) > 0);
                assert_non_null(metric_suffix(m));
                RuleScope want = strncmp(name, "proc.", 5) == 0   ? SCOPE_PROCESS
                                 : strncmp(name, "unit.", 5) == 0 ? SCOPE_UNIT
                                                                  : SCOPE_SYSTEM;
                assert_int_equal(metric_scope(m), want);
                MetricKind k = metric_kind(m);
                assert_int_equal(metric_needs_history(m),
                                 k == METRIC_KIND_RATE || k == METRIC_KIND_TIME);
                assert_int_equal(k == METRIC_KIND_PERCENT, strncmp(name, "psi.", 4) == 0);
        }
}

static void test_out_of_range(void **state)
{
        (void)state;
        assert_string_equal(metric_to_string(_METRIC_MAX), "?");
        assert_string_equal(metric_label(_METRIC_MAX), "?");
        assert_false(metric_needs_history(_METRIC_MAX));
        assert_int_equal(metric_from_string("mem.avail"), -1);
        assert_int_equal(metric_from_string(""), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_out_of_range),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
