/* growth_sweep.h — sawtooth workloads sampled as memguard's unit tier
 * samples them, fed to the growth estimator (issue 21). Shared by the unit
 * test (tests/unit/test_sweep.c, a small sweep) and the benchmark
 * (bench/growth-sweep.c, the full table in bench/RESULTS.md).
 *
 * A workload is a garbage-collected heap: it climbs AMP over PERIOD and
 * drops back at once, at a random phase, on top of a live set that grows
 * LEAK kB/s (0: no leak). It is sampled at the unit tier's times: the mean
 * period schedule_unit_interval() gives for a rule with this window, a
 * quarter of it (schedule_dense()) for a window after an estimate that
 * suspected growth it could not vouch for (as history_dense() asks), each
 * sleep drawn by schedule_jittered(), plus up to 100 ms of timer slack.
 * Every estimate after the first valid one is judged:
 *   - a false flag: no leak, yet growth_low() above the threshold;
 *   - a flag: a leak, and growth_low() above the threshold; it is wrong
 *     when the rate it reports is more than 25% off the true rate. */
#ifndef MEMGUARD_GROWTH_SWEEP_H
#define MEMGUARD_GROWTH_SWEEP_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "sample/growth.h"
#include "sample/schedule.h"

typedef struct SweepCase {
        uint64_t window_usec;
        double threshold_kb_per_hour;
        double leak_kb_per_hour; /* 0: none */
        bool before;             /* judge as memguard did before issue 21:
                                  * the rate itself, fixed sampling periods */
} SweepCase;

typedef struct SweepResult {
        long estimates;     /* valid estimates judged */
        long false_flags;   /* no leak, growth vouched above the threshold */
        long flags;         /* a leak vouched above the threshold */
        long wrong_flags;   /* ... with a rate more than 25% off */
        long runs, runs_flagged; /* workloads, and those ever flagged */
        double worst_false_kb_per_hour; /* the highest growth_low() with no leak */
} SweepResult;

static inline double sweep_uniform(uint64_t *s)
{
        *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
        return (double)(*s >> 11) / 9007199254740992.0;
}

/* The unit tier's mean period for a growth rule with this window: what
 * schedule_unit_interval() says for "[rule] unit = x.service, when =
 * unit.growth > 1M/h, window = W" with the default interval. */
static inline uint64_t sweep_period(uint64_t window_usec)
{
        char text[256];
        Config *c = NULL;
        char *errors = NULL;
        uint64_t period = 0;
        snprintf(text, sizeof text,
                 "[rule r]\nunit = x.service\nwhen = unit.growth > 1M/h\nwindow = %llus\naction = warn\n",
                 (unsigned long long)(window_usec / 1000000));
        if (config_load_string(text, "sweep.conf", &c, &errors) == 0)
                period = schedule_unit_interval(c, UNIT_TIER_WATCHED);
        free(errors);
        config_free(c);
        return period;
}

/* One workload, watched for 2.5 windows. */
static inline void sweep_run(const SweepCase *k, double period_s, double amp_kb, uint64_t *seed,
                             uint64_t mean_usec, SweepResult *res)
{
        GrowthHistory h;
        double w = (double)k->window_usec / 1e6, phase = sweep_uniform(seed);
        double leak = k->leak_kb_per_hour / 3600.0;
        uint64_t jitter = (uint64_t)(sweep_uniform(seed) * 1e18) + 1;
        uint64_t t = 5000000000ULL + (uint64_t)(sweep_uniform(seed) * 1e9);
        const uint64_t end = t + (uint64_t)(2.5 * w * 1e6), t0 = t;
        bool flagged = false;
        uint64_t dense_until = 0;

        if (growth_init(&h, k->window_usec) < 0)
                return;
        res->runs++;
        while (t < end) {
                double s = (double)(t - t0) / 1e6;
                double x = fmod(s / period_s + phase, 1.0);
                double kb = 100.0 * 1024 + leak * s + amp_kb * x;
                GrowthEstimate e;
                (void)growth_add(&h, t, (uint64_t)kb);
                growth_estimate(&h, &e);
                if (growth_suspect(&e))
                        dense_until = t + k->window_usec;
                if (e.valid) {
                        double low = k->before ? e.kb_per_hour : growth_low(&e);
                        res->estimates++;
                        if (k->leak_kb_per_hour <= 0) {
                                if (low > res->worst_false_kb_per_hour)
                                        res->worst_false_kb_per_hour = low;
                                if (low > k->threshold_kb_per_hour)
                                        res->false_flags++;
                        } else if (low > k->threshold_kb_per_hour) {
                                res->flags++;
                                flagged = true;
                                if (fabs(e.kb_per_hour - k->leak_kb_per_hour) >
                                    0.25 * k->leak_kb_per_hour)
                                        res->wrong_flags++;
                        }
                }
                uint64_t mean = t < dense_until ? schedule_dense(mean_usec) : mean_usec;
                t += (k->before ? mean_usec : schedule_jittered(mean, &jitter)) +
                     (uint64_t)(sweep_uniform(seed) * 100000);
        }
        res->runs_flagged += flagged;
}

/* The sweep: cycles from window/50 to window/3 (N_PERIODS of them,
 * geometric), amplitudes from AMP_MIN_KB doubling to AMP_MAX_KB, N_PHASES
 * random phases each. */
static inline void sweep(const SweepCase *k, int n_periods, double amp_min_kb, double amp_max_kb,
                         int n_phases, uint64_t seed, SweepResult *res)
{
        double w = (double)k->window_usec / 1e6;
        uint64_t mean = sweep_period(k->window_usec);

        *res = (SweepResult){ 0 };
        for (int i = 0; i < n_periods; i++) {
                double f = n_periods > 1 ? (double)i / (n_periods - 1) : 0;
                double period = w / 50.0 * pow(50.0 / 3.0, f);
                for (double amp = amp_min_kb; amp <= amp_max_kb * 1.0001; amp *= 2)
                        for (int ph = 0; ph < n_phases; ph++)
                                sweep_run(k, period, amp, &seed, mean, res);
        }
}

#endif
