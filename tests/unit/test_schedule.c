/* test_schedule.c — sleep lengths from the distance to thresholds, against
 * the shipped configuration and small configs written for one point each. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "read/snapshot.h"
#include "sample/schedule.h"

#define MS UINT64_C(1000)
#define SEC UINT64_C(1000000)
#define MIB UINT64_C(1024) /* in kB */
#define GIB (MIB * 1024)
/* an acting system rule's action: warnings do not bound the sleep */
#define ACT "action = term\ntarget = oom-score\n"

static Config *load(const char *text)
{
        Config *c = NULL;
        char *errors = NULL;
        int r = config_load_string(text, "test.conf", &c, &errors);
        if (r < 0)
                fail_msg("%s", errors ? errors : "config_load_string failed");
        free(errors);
        return c;
}

static Config *shipped(void)
{
        Config *c = NULL;
        char *errors = NULL;
        if (config_load(TOP_SRCDIR "/conf/memguard.conf", &c, &errors) < 0)
                fail_msg("%s", errors ? errors : "conf/memguard.conf");
        free(errors);
        return c;
}

static SystemSample sys_of(uint64_t total_kb, uint64_t available_kb)
{
        SystemSample s = { .usec = 1 };
        s.mem.total_kb = total_kb;
        s.mem.free_kb = available_kb;
        s.mem.available_kb = available_kb;
        s.has_psi = true;
        s.psi.has_full = true;
        return s;
}

/* The time the shipped rules give a box of TOTAL with AVAILABLE: the
 * nearest acting threshold is near-oom's 7% (low-memory's 15% only warns),
 * at 6000 MiB/s. */
static uint64_t expect_shipped(uint64_t total_kb, uint64_t available_kb)
{
        uint64_t threshold = (total_kb * 7 + 50) / 100;
        return (available_kb - threshold) * SEC / SCHEDULE_MEM_RATE_KB_PER_SEC;
}

static void test_shipped_small_server(void **state)
{
        (void)state;
        Config *c = shipped();
        /* A 2 GiB server with 1.6 GiB available sleeps ~249 ms, not the
         * 100 ms fast-interval: 1.46 GiB would have to go before near-oom
         * (7%) could fire. low-memory's 15% would give 222 ms: a warning
         * does not set the pace. */
        SystemSample s = sys_of(2 * GIB, 1638 * MIB);
        uint64_t t = schedule_fast_sleep(c, &s, false);
        assert_int_equal(t, expect_shipped(2 * GIB, 1638 * MIB));
        assert_true(t > 240 * MS && t < 260 * MS);
        /* Closer to the threshold, shorter; never below fast-interval. */
        s = sys_of(2 * GIB, 1000 * MIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), expect_shipped(2 * GIB, 1000 * MIB));
        s = sys_of(2 * GIB, 400 * MIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), 100 * MS);
        /* Below near-oom (it holds; an action is decided): fast-interval. */
        s = sys_of(2 * GIB, 100 * MIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), 100 * MS);
        /* An action in flight: fast-interval whatever the headroom. */
        s = sys_of(2 * GIB, 1638 * MIB);
        assert_int_equal(schedule_fast_sleep(c, &s, true), 100 * MS);
        config_free(c);
}

/* Memory seen falling toward an acting threshold: the tick lands just
 * after the crossing the trend foretells, never later than the sleep it
 * would have had, never sooner than SCHEDULE_TREND_MIN_USEC. */
static void test_trend(void **state)
{
        (void)state;
        Config *c = shipped();
        const uint64_t thr = (2 * GIB * 7 + 50) / 100; /* near-oom's 7%, in kB */
        SystemSample prev = sys_of(2 * GIB, thr + 160 * MIB), now = prev;
        now.usec = prev.usec + 100 * MS;
        /* 1000 MiB/s: 60 MiB above 7% is 60 ms away */
        now.mem.available_kb = thr + 60 * MIB;
        uint64_t sleep = schedule_fast_sleep(c, &now, false);
        assert_int_equal(sleep, 100 * MS);
        uint64_t t = schedule_trend_sleep(c, &prev, NULL, &now, sleep);
        assert_true(t >= 60 * MS + SCHEDULE_TREND_LATE_USEC - MS &&
                    t <= 60 * MS + SCHEDULE_TREND_LATE_USEC + MS);
        /* 200 MiB/s: 20 MiB above is 100 ms away, the sleep it has */
        prev.mem.available_kb = thr + 40 * MIB;
        now.mem.available_kb = thr + 20 * MIB;
        assert_int_equal(schedule_trend_sleep(c, &prev, NULL, &now, sleep), sleep);
        /* a crossing 1 ms away: SCHEDULE_TREND_MIN_USEC */
        prev.mem.available_kb = thr + 1001 * MIB;
        now.mem.available_kb = thr + 1 * MIB;
        assert_int_equal(schedule_trend_sleep(c, &prev, NULL, &now, sleep), SCHEDULE_TREND_MIN_USEC);
        /* not falling, or rising: the sleep as it was */
        prev.mem.available_kb = now.mem.available_kb;
        assert_int_equal(schedule_trend_sleep(c, &prev, NULL, &now, sleep), sleep);
        prev.mem.available_kb = thr;
        assert_int_equal(schedule_trend_sleep(c, &prev, NULL, &now, sleep), sleep);
        /* below 7% already (near-oom holds: it fires now); the next
         * threshold, oom-imminent's 3%, is foreseen on the same trend */
        const uint64_t kill = (2 * GIB * 3 + 50) / 100;
        prev.mem.available_kb = kill + 150 * MIB;
        now.mem.available_kb = kill + 50 * MIB; /* 1000 MiB/s, 50 ms from 3% */
        t = schedule_trend_sleep(c, &prev, NULL, &now, 100 * MS);
        assert_true(t >= 50 * MS + SCHEDULE_TREND_LATE_USEC - MS &&
                    t <= 50 * MS + SCHEDULE_TREND_LATE_USEC + MS);
        /* samples too close to tell a trend, or no sample before */
        prev.usec = now.usec - 5 * MS;
        assert_int_equal(schedule_trend_sleep(c, &prev, NULL, &now, sleep), sleep);
        assert_int_equal(schedule_trend_sleep(c, NULL, NULL, &now, sleep), sleep);
        SystemSample none = { .usec = 0 };
        assert_int_equal(schedule_trend_sleep(c, &none, NULL, &now, sleep), sleep);

        /* a leak pausing just above 7% (reclaim evens MemAvailable out):
         * the last interval shows nothing, the second before shows its
         * pace, 200 MiB/s, and 2 MiB is 10 ms at that pace */
        SystemSample base = sys_of(2 * GIB, thr + 202 * MIB);
        prev = sys_of(2 * GIB, thr + 2 * MIB);
        now = sys_of(2 * GIB, thr + 2 * MIB);
        prev.usec = base.usec + 900 * MS;
        now.usec = base.usec + SEC;
        assert_int_equal(schedule_trend_sleep(c, &prev, NULL, &now, sleep), sleep);
        t = schedule_trend_sleep(c, &prev, &base, &now, sleep);
        assert_true(t >= 10 * MS + SCHEDULE_TREND_LATE_USEC - MS &&
                    t <= 10 * MS + SCHEDULE_TREND_LATE_USEC + MS);
        /* the steeper of the two is taken: the last interval's here */
        prev.mem.available_kb = thr + 22 * MIB; /* 200 MiB/s over 100 ms ... */
        base.mem.available_kb = thr + 52 * MIB; /* ... 50 MiB/s over the second */
        t = schedule_trend_sleep(c, &prev, &base, &now, sleep);
        assert_true(t >= 10 * MS + SCHEDULE_TREND_LATE_USEC - MS &&
                    t <= 10 * MS + SCHEDULE_TREND_LATE_USEC + MS);
        config_free(c);

        /* A warning is never foreseen; a rule whose other condition (PSI)
         * does not hold is not either, and one whose does is. */
        c = load("[rule w]\nwhen = mem.available < 50%\naction = warn\n"
                 "[rule p]\nwhen = mem.available < 50% and psi.some.avg10 > 20\n" ACT);
        prev = sys_of(2 * GIB, GIB + 140 * MIB);
        now = sys_of(2 * GIB, GIB + 40 * MIB);
        now.usec = prev.usec + 100 * MS; /* 1000 MiB/s, 40 ms from 50% */
        assert_int_equal(schedule_trend_sleep(c, &prev, NULL, &now, 100 * MS), 100 * MS);
        now.psi.some.avg10 = 30;
        t = schedule_trend_sleep(c, &prev, NULL, &now, 100 * MS);
        assert_true(t >= 40 * MS + SCHEDULE_TREND_LATE_USEC - MS &&
                    t <= 40 * MS + SCHEDULE_TREND_LATE_USEC + MS);
        /* a sleep longer than the fast-interval is the nearest threshold
         * at 6000 MiB/s: no trend beats it, none is computed */
        assert_int_equal(schedule_trend_sleep(c, &prev, NULL, &now, 2 * SEC), 2 * SEC);
        config_free(c);
}

static void test_shipped_big_host(void **state)
{
        (void)state;
        Config *c = shipped();
        /* 24 GiB with 20 GiB available: 16 GiB of headroom is 2.7 s at
         * 6000 MiB/s; the cap (2 s: PSI avg10 is updated that often) holds it. */
        SystemSample s = sys_of(24 * GIB, 20 * GIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), SCHEDULE_MAX_SLEEP_USEC);
        /* The shipped thrashing rule (psi.full.avg10 > 10) holding: it only
         * warns, at the next capped sample (its `for` is 30 s). */
        s.psi.full.avg10 = 12.5;
        assert_int_equal(schedule_fast_sleep(c, &s, false), SCHEDULE_MAX_SLEEP_USEC);
        /* 1.5 GiB left: near-oom (7%, 1.68 GiB) holds: fast. */
        s = sys_of(24 * GIB, 1536 * MIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), 100 * MS);
        config_free(c);
}

static void test_psi_rules(void **state)
{
        (void)state;
        Config *c = load("[rule p]\nwhen = psi.some.avg10 > 20\n" ACT);
        SystemSample s = sys_of(2 * GIB, 1 * GIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), SCHEDULE_MAX_SLEEP_USEC);
        s.psi.some.avg10 = 25;
        assert_int_equal(schedule_fast_sleep(c, &s, false), 100 * MS);
        /* No PSI on this kernel: the condition cannot hold; the cap. */
        s.has_psi = false;
        assert_int_equal(schedule_fast_sleep(c, &s, false), SCHEDULE_MAX_SLEEP_USEC);
        config_free(c);

        /* Memory low but the rule also needs PSI, which does not hold: the
         * rule cannot fire before the PSI condition could (the cap); once
         * it holds too, fast. */
        c = load("[rule both]\nwhen = mem.available < 50% and psi.full.avg10 > 5\n" ACT);
        s = sys_of(2 * GIB, 512 * MIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), SCHEDULE_MAX_SLEEP_USEC);
        s.psi.full.avg10 = 6;
        assert_int_equal(schedule_fast_sleep(c, &s, false), 100 * MS);
        /* PSI holds, memory far: memory's time rules. */
        s = sys_of(2 * GIB, 1800 * MIB);
        s.psi.full.avg10 = 6;
        assert_int_equal(schedule_fast_sleep(c, &s, false),
                         (1800 * MIB - 1024 * MIB) * SEC / SCHEDULE_MEM_RATE_KB_PER_SEC);
        config_free(c);
}

static void test_other_metrics(void **state)
{
        (void)state;
        /* mem.used > X: the gap is X - used. 1 GiB used of 4, rule at 3 GiB:
         * 2 GiB at 6000 MiB/s, 341 ms. 2.5 GiB used: 512 MiB, 85 ms, above
         * this config's 50 ms fast-interval. */
        Config *c = load("[daemon]\nfast-interval = 50ms\n"
                         "[rule u]\nwhen = mem.used > 3G\n" ACT);
        SystemSample s = sys_of(4 * GIB, 3 * GIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false),
                         2048 * MIB * SEC / SCHEDULE_MEM_RATE_KB_PER_SEC);
        s = sys_of(4 * GIB, 1536 * MIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false),
                         512 * MIB * SEC / SCHEDULE_MEM_RATE_KB_PER_SEC);
        config_free(c);

        /* swap.free < X goes at the swap rate: 400 MiB of gap at 800 MiB/s. */
        c = load("[rule s]\nwhen = swap.free < 100M\n" ACT);
        s = sys_of(4 * GIB, 3 * GIB);
        s.mem.swap_total_kb = 1 * GIB;
        s.mem.swap_free_kb = 500 * MIB;
        assert_int_equal(schedule_fast_sleep(c, &s, false), 500 * MS);
        /* Without swap the condition can never hold (rules.h): it paces
         * nothing, where it once kept the fast tier at its fastest. */
        s.mem.swap_total_kb = 0;
        s.mem.swap_free_kb = 0;
        assert_int_equal(schedule_fast_sleep(c, &s, false), SCHEDULE_MAX_SLEEP_USEC);
        config_free(c);

        /* Several rules: the nearest one sets the sleep. */
        c = load("[rule far]\nwhen = mem.available < 1G\n" ACT
                 "[rule near]\nwhen = mem.available < 3G\n" ACT);
        s = sys_of(8 * GIB, 3 * GIB + 600 * MIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), 100 * MS);
        config_free(c);
}

static void test_warnings_do_not_bound(void **state)
{
        (void)state;
        /* Warnings alone: the cap, whether far from their thresholds or past
         * them (a warning comes at most one capped sleep late). */
        Config *c = load("[rule w]\nwhen = mem.available < 50%\naction = warn\n"
                         "[rule p]\nwhen = psi.some.avg10 > 20\naction = warn\n");
        SystemSample s = sys_of(2 * GIB, 1100 * MIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), SCHEDULE_MAX_SLEEP_USEC);
        s = sys_of(2 * GIB, 600 * MIB);
        s.psi.some.avg10 = 30;
        assert_int_equal(schedule_fast_sleep(c, &s, false), SCHEDULE_MAX_SLEEP_USEC);
        /* ... unless an action is in flight */
        assert_int_equal(schedule_fast_sleep(c, &s, true), 100 * MS);
        config_free(c);

        /* Beside an acting rule, the acting rule's distance alone: 1.5 GiB
         * of 8 GiB to go before 5% at 6000 MiB/s, 256 ms, although the
         * 3 GiB warning is 100 MiB away. */
        c = load("[rule w]\nwhen = mem.available < 3G\naction = warn\n"
                 "[rule t]\nwhen = mem.available < 5%\n" ACT);
        uint64_t five = (8 * GIB * 5 + 50) / 100;
        s = sys_of(8 * GIB, 3 * GIB + 100 * MIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), (3 * GIB + 100 * MIB - five) * SEC /
                                                                    SCHEDULE_MEM_RATE_KB_PER_SEC);
        /* each action other than warn bounds it */
        config_free(c);
        const char *acts[] = { "action = term\ntarget = oom-score\n", "action = kill\ntarget = oom-score\n",
                               "action = restart\ntarget = fastest-growing\n" };
        for (size_t i = 0; i < sizeof acts / sizeof *acts; i++) {
                char text[256];
                snprintf(text, sizeof text, "[rule a]\nwhen = mem.available < 1G\n%s", acts[i]);
                c = load(text);
                s = sys_of(4 * GIB, 2 * GIB);
                assert_int_equal(schedule_fast_sleep(c, &s, false),
                                 1 * GIB * SEC / SCHEDULE_MEM_RATE_KB_PER_SEC);
                config_free(c);
        }
}

static void test_slow_fast_interval_and_no_rules(void **state)
{
        (void)state;
        /* A fast-interval above the cap is kept as configured. */
        Config *c = load("[daemon]\ninterval = 5s\nfast-interval = 3s\n[rule a]\nwhen = mem.available < 10%\n" ACT);
        SystemSample s = sys_of(2 * GIB, 1 * GIB);
        assert_int_equal(schedule_fast_sleep(c, &s, false), 3 * SEC);
        config_free(c);
        /* Nothing to watch on the fast tier: the cap. */
        c = load("[rule api]\nunit = api.service\nwhen = unit.memory > 400M\naction = restart\n");
        assert_int_equal(schedule_fast_sleep(c, &s, false), SCHEDULE_MAX_SLEEP_USEC);
        config_free(c);
}

static void test_full_interval(void **state)
{
        (void)state;
        /* The shipped rules on growth: the exhaustion rule's 10 min window
         * asks for a sample of the units every 10 s (two per 20 s bucket).
         * With the unit tier (cgroup v2) that is a memory.current read per
         * unit, and /proc is walked every third of a window (200 s) to find
         * new units and evaluate unit rules; without it, every 10 s. With
         * the cgroup tree watched, never on a timer but the hourly safety
         * net: a walk follows a change of units or a unit rule's need. */
        Config *c = shipped();
        assert_false(schedule_needs_periodic_full(c, UNIT_TIER_WATCHED));
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_WATCHED), SCHEDULE_IDLE_FULL_WATCHED_USEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_WATCHED), 10 * SEC);
        assert_true(schedule_needs_periodic_full(c, UNIT_TIER_POLLED));
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_POLLED), 200 * SEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_POLLED), 10 * SEC);
        assert_true(schedule_needs_periodic_full(c, UNIT_TIER_NONE));
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_NONE), 10 * SEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_NONE), 0);
        /* No systemd (a bare host, a container): no unit to find or to
         * sample, so no walk on a timer but the hourly one (issue 20: the
         * walk every 200 s on the build host was 1.8-2.5x earlyoom's CPU
         * over the window that held it). */
        assert_false(schedule_needs_periodic_full(c, UNIT_TIER_ABSENT));
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_ABSENT), SCHEDULE_IDLE_FULL_WATCHED_USEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_ABSENT), 0);
        config_free(c);
        c = load("[rule a]\nwhen = mem.available < 10%\naction = warn\n");
        for (UnitTier tier = UNIT_TIER_NONE; tier <= UNIT_TIER_ABSENT; tier++) {
                assert_false(schedule_needs_periodic_full(c, tier));
                assert_int_equal(schedule_full_interval(c, tier),
                                 tier >= UNIT_TIER_WATCHED ? SCHEDULE_IDLE_FULL_WATCHED_USEC
                                                           : SCHEDULE_IDLE_FULL_USEC);
                assert_int_equal(schedule_unit_interval(c, tier), 0);
        }
        config_free(c);
        /* growth alone, 30 min window: every 30 s; with a size condition on
         * the target too: every interval, unit tier or not */
        c = load("[rule g]\nunit = *.service\nwhen = unit.growth > 20M/h\nwindow = 30m\n"
                 "action = warn\n");
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_NONE), 30 * SEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_POLLED), 30 * SEC);
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_POLLED), 600 * SEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_WATCHED), 30 * SEC);
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_WATCHED), SCHEDULE_IDLE_FULL_WATCHED_USEC);
        config_free(c);
        c = load("[rule g]\nunit = *.service\nwhen = unit.growth > 20M/h and unit.memory > 1G\n"
                 "action = warn\n");
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_POLLED), 1 * SEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_POLLED), 0);
        /* watched: the sizes from memory.current every interval, no walk */
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_WATCHED), 1 * SEC);
        assert_false(schedule_needs_periodic_full(c, UNIT_TIER_WATCHED));
        config_free(c);
        /* the budget of a budget-eta is not a size the rule needs fresh */
        c = load("[rule g]\nunit = api\nwhen = unit.memory < 1G and unit.budget-eta < 1h\n"
                 "action = warn\n");
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_NONE), 10 * SEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_POLLED), 10 * SEC);
        config_free(c);
        /* process growth needs the walk: the unit tier does not feed it */
        c = load("[rule p]\nprocess = node\nwhen = proc.growth > 50M/h\naction = warn\n");
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_POLLED), 10 * SEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_POLLED), 0);
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_WATCHED), 10 * SEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_WATCHED), 0);
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_ABSENT), 10 * SEC);
        config_free(c);

        c = load("[daemon]\ninterval = 2s\n"
                 "[rule api]\nunit = api.service\nwhen = unit.memory > 400M\naction = restart\n");
        assert_true(schedule_needs_periodic_full(c, UNIT_TIER_POLLED));
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_POLLED), 2 * SEC);
        assert_false(schedule_needs_periodic_full(c, UNIT_TIER_WATCHED));
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_WATCHED), 2 * SEC);
        assert_int_equal(schedule_unit_interval(c, UNIT_TIER_NONE), 0);
        config_free(c);
        c = load("[rule w]\nprocess = node\nwhen = proc.pss > 300M\naction = term\n");
        for (UnitTier tier = UNIT_TIER_NONE; tier <= UNIT_TIER_ABSENT; tier++) {
                assert_true(schedule_needs_periodic_full(c, tier));
                assert_int_equal(schedule_full_interval(c, tier), 1 * SEC);
                assert_int_equal(schedule_unit_interval(c, tier), 0);
        }
        config_free(c);
        /* An interval longer than the idle period is honoured. */
        c = load("[daemon]\ninterval = 10m\n[rule a]\nwhen = mem.available < 10%\naction = warn\n");
        assert_int_equal(schedule_full_interval(c, UNIT_TIER_NONE), 600 * SEC);
        config_free(c);
}

/* PSI is read every tick only for a rule that acts on it. */
static void test_psi_every_tick(void **state)
{
        (void)state;
        Config *c = shipped(); /* thrashing (PSI) only warns */
        assert_false(schedule_psi_every_tick(c));
        config_free(c);
        c = load("[rule a]\nwhen = psi.full.avg10 > 40\nfor = 10s\n" ACT);
        assert_true(schedule_psi_every_tick(c));
        config_free(c);
        c = load("[rule a]\nwhen = mem.available < 10% and psi.some.avg60 > 20\n" ACT);
        assert_true(schedule_psi_every_tick(c));
        config_free(c);
        c = load("[rule a]\nwhen = mem.available < 10%\n" ACT
                 "[rule b]\nwhen = psi.some.avg10 > 5\naction = warn\n");
        assert_false(schedule_psi_every_tick(c));
        config_free(c);
}

/* The unit tier's sleeps: within [0.5, 1.5) of the period, their mean the
 * period, and never a fixed stride (issue 21: regular samples alias a GC
 * cycle into a slope). */
static void test_jittered(void **state)
{
        (void)state;
        uint64_t st = 42, sum = 0, lo = UINT64_MAX, hi = 0;
        const uint64_t period = 10 * 1000000ULL;
        const int n = 10000;
        for (int i = 0; i < n; i++) {
                uint64_t d = schedule_jittered(period, &st);
                assert_true(d >= period / 2 && d < period * 3 / 2);
                sum += d;
                lo = d < lo ? d : lo;
                hi = d > hi ? d : hi;
        }
        uint64_t mean = sum / (uint64_t)n;
        assert_true(mean > period * 98 / 100 && mean < period * 102 / 100);
        assert_true(lo < period * 55 / 100 && hi > period * 145 / 100);
        uint64_t zero = 0;
        assert_true(schedule_jittered(period, &zero) >= period / 2);
        assert_true(zero != 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_jittered),
                cmocka_unit_test(test_shipped_small_server),
                cmocka_unit_test(test_trend),
                cmocka_unit_test(test_shipped_big_host),
                cmocka_unit_test(test_psi_rules),
                cmocka_unit_test(test_other_metrics),
                cmocka_unit_test(test_warnings_do_not_bound),
                cmocka_unit_test(test_psi_every_tick),
                cmocka_unit_test(test_slow_fast_interval_and_no_rules),
                cmocka_unit_test(test_full_interval),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
