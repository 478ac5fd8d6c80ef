/* test_sweep.c — the growth estimator against garbage-collector sawtooth,
 * sampled as the daemon samples (growth_sweep.h; issue 21). A smaller
 * sweep than bench/growth-sweep.c, with the same guarantees: no growth is
 * vouched for above the threshold where there is none, and every growth
 * vouched for is within 25% of the truth; a steady leak is still vouched
 * for. */
#include "testutil.h"

#include "growth_sweep.h"

#define MIB 1024.0
#define SEC 1000000ULL

static SweepResult check(const SweepCase *k, const char *what)
{
        SweepResult r;
        sweep(k, 7, 25 * MIB, 400 * MIB, 3, 12345, &r);
        print_message("%s: %ld estimates, %ld false flags (worst %.0f MiB/h), %ld flags, %ld over 25%% off, "
                      "%ld of %ld workloads flagged\n",
                      what, r.estimates, r.false_flags, r.worst_false_kb_per_hour / MIB, r.flags,
                      r.wrong_flags, r.runs_flagged, r.runs);
        assert_true(r.estimates > 0);
        assert_int_equal(r.false_flags, 0);
        assert_int_equal(r.wrong_flags, 0);
        return r;
}

/* The case: a 2 min window, 1 GiB/h threshold. */
static void test_sweep_short_window(void **state)
{
        (void)state;
        check(&(SweepCase){ 120 * SEC, 1024 * MIB, 0, false }, "2m, no leak");
        SweepResult r = check(&(SweepCase){ 120 * SEC, 1024 * MIB, 3600 * MIB, false }, "2m, 1 MiB/s leak");
        /* and it is not silent: the leak is vouched for under some saws */
        assert_true(r.runs_flagged > 0);
}

/* The shipped leak-warning rule: 30 min, 20 MiB/h. */
static void test_sweep_shipped_window(void **state)
{
        (void)state;
        check(&(SweepCase){ 1800 * SEC, 20 * MIB, 0, false }, "30m, no leak");
        check(&(SweepCase){ 1800 * SEC, 20 * MIB, 80 * MIB, false }, "30m, 80 MiB/h leak");
}

/* Without a sawtooth a leak is vouched for, at its rate, from the first
 * valid estimate on. */
static void test_steady_leak_vouched(void **state)
{
        (void)state;
        GrowthHistory h;
        uint64_t jitter = 7, t = 9000 * SEC;
        uint64_t mean = sweep_period(600 * SEC);
        bool first = true;
        assert_int_equal(growth_init(&h, 600 * SEC), 0);
        for (uint64_t s = 0; s < 1200 * SEC; s += schedule_jittered(mean, &jitter)) {
                GrowthEstimate e;
                (void)growth_add(&h, t + s, (uint64_t)(200 * MIB + 38 * MIB * (double)s / 3600e6));
                growth_estimate(&h, &e);
                if (!e.valid)
                        continue;
                if (first)
                        print_message("first verdict at %llu s: %.1f MiB/h (+-%.1f)\n",
                                      (unsigned long long)(s / SEC), e.kb_per_hour / MIB,
                                      e.band_kb_per_hour / MIB);
                first = false;
                assert_true(fabs(e.kb_per_hour - 38 * MIB) < 0.02 * 38 * MIB);
                assert_true(growth_low(&e) > 36 * MIB);
        }
        assert_false(first);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sweep_short_window),
                cmocka_unit_test(test_sweep_shipped_window),
                cmocka_unit_test(test_steady_leak_vouched),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
