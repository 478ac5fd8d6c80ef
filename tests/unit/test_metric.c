/* test_metric.c — the metric table (metric.c): every metric named, found by
 * its name in any case, with a scope that matches its prefix and a history
 * exactly when it is a rate or a time; the columns that callers consult
 * instead of naming metrics consistent; and every system value the table
 * paces evaluated by snapshot_system_value(), so that a metric added to
 * the table without its evaluation fails here. */
#include "testutil.h"

#include <string.h>
#include <strings.h>

#include "config/metric.h"
#include "read/snapshot.h"

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
                /* PSS is a process's; budgets are targets' sizes; only
                 * the system's instant values pace the fast tier */
                if (metric_needs_pss(m))
                        assert_int_equal(metric_scope(m), SCOPE_PROCESS);
                if (metric_is_budget(m))
                        assert_true(want != SCOPE_SYSTEM && k == METRIC_KIND_SIZE);
                bool paced = metric_pace(m) != METRIC_PACE_NONE;
                assert_int_equal(paced, want == SCOPE_SYSTEM && !metric_needs_history(m));
                assert_int_equal(metric_pace(m) == METRIC_PACE_ANY, k == METRIC_KIND_PERCENT);
                assert_true(strcmp(metric_verb(m), "uses") == 0 ||
                            strcmp(metric_verb(m), "has") == 0);
        }
        assert_true(metric_needs_pss(METRIC_PROC_PSS));
        assert_false(metric_needs_pss(METRIC_PROC_RSS));
        assert_true(metric_is_budget(METRIC_UNIT_MEMORY));
        assert_false(metric_is_budget(METRIC_PROC_SWAP));
}

/* Every paced (system) metric has a value in a sample that has everything,
 * and none in one that has nothing of it; nothing else has a system value. */
static void test_system_values(void **state)
{
        (void)state;
        SystemSample full = { 0 }, bare = { 0 };
        full.mem.total_kb = 2048 * 1024;
        full.mem.available_kb = 512 * 1024;
        full.mem.swap_total_kb = 1024 * 1024;
        full.mem.swap_free_kb = 256 * 1024;
        full.has_psi = true;
        full.psi.has_full = true;
        full.psi.some.avg10 = 12.5;
        full.psi.full.avg300 = 0.25;
        bare.mem.total_kb = 2048 * 1024;
        bare.mem.available_kb = 2048 * 1024;

        for (int i = 0; i < _METRIC_MAX; i++) {
                Metric m = (Metric)i;
                double v = -1;
                bool paced = metric_pace(m) != METRIC_PACE_NONE;
                assert_int_equal(snapshot_system_value(&full, m, &v), paced);
                if (paced)
                        assert_true(v >= 0);
                if (metric_pace(m) != METRIC_PACE_MEMORY)
                        assert_false(snapshot_system_value(&bare, m, &v));
        }
        double v;
        assert_true(snapshot_system_value(&full, METRIC_MEM_USED, &v));
        assert_true(v == 1536.0 * 1024);
        assert_true(snapshot_system_value(&full, METRIC_SWAP_USED, &v));
        assert_true(v == 768.0 * 1024);
        assert_true(snapshot_system_value(&full, METRIC_PSI_SOME_AVG10, &v));
        assert_true(v == 12.5);
        assert_true(snapshot_system_value(&full, METRIC_PSI_FULL_AVG300, &v));
        assert_true(v == 0.25);
        assert_false(snapshot_system_value(&full, _METRIC_MAX, &v));
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
                cmocka_unit_test(test_system_values),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
