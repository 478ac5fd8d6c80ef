/* growth-sweep.c — the leak estimator against garbage-collector sawtooth,
 * sampled as memguard's unit tier samples (tests/unit/growth_sweep.h), for
 * the table in bench/RESULTS.md (issue 21). Each case twice: "before", as
 * memguard judged before issue 21 (the rate itself against the threshold,
 * samples at a fixed period), and "now" (growth_low(), jittered periods). `make bench-growth`; prints
 * one line per case: estimates judged, false flags (growth vouched above
 * the threshold with no leak), flags and how many were more than 25% off
 * the true rate, workloads ever flagged. Timings are not measured. */
#include <stdio.h>

#include "growth_sweep.h"

#define MIB 1024.0
#define SEC 1000000ULL

int main(void)
{
        static const struct {
                uint64_t window_s;
                double threshold_mib_h;
                double leaks_mib_h[4];
        } cases[] = {
                { 120, 1024, { 0, 2048, 3600, 7200 } },
                { 600, 20, { 0, 40, 80, 360 } },
                { 1800, 20, { 0, 40, 80, 360 } },
        };
        printf("# growth sweep: cycles window/50..window/3 (12), amplitudes 10..400 MiB (6), 10 phases,\n"
               "# sampled at the unit tier's times (\"now\": drawn periods, a quarter of them while the\n"
               "# estimate suspects growth it cannot vouch for) for 2.5 windows; every valid estimate judged\n");
        printf("estimator\twindow\tthreshold_MiB_h\tleak_MiB_h\testimates\tfalse_flags\tworst_vouched_MiB_h\t"
               "flags\tflags_over_25pct_off\tworkloads_flagged\tworkloads\n");
        for (int before = 1; before >= 0; before--)
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
                for (size_t j = 0; j < 4; j++) {
                        SweepCase k = { cases[i].window_s * SEC, cases[i].threshold_mib_h * MIB,
                                        cases[i].leaks_mib_h[j] * MIB, before };
                        SweepResult r;
                        sweep(&k, 12, 10 * MIB, 400 * MIB, 10, 2026 + i * 7 + j, &r);
                        printf("%s\t%llus\t%.0f\t%.0f\t%ld\t%ld\t%.0f\t%ld\t%ld\t%ld\t%ld\n",
                               before ? "before" : "now", (unsigned long long)cases[i].window_s, cases[i].threshold_mib_h,
                               cases[i].leaks_mib_h[j], r.estimates, r.false_flags,
                               r.worst_false_kb_per_hour / MIB, r.flags, r.wrong_flags,
                               r.runs_flagged, r.runs);
                        fflush(stdout);
                }
        return 0;
}
