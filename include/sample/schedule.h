/* schedule.h — how long the daemon may sleep between samples.
 *
 * DESIGN §2: sample as rarely as safety allows. The configured
 * fast-interval is the period used near a threshold; far from every
 * threshold, the time in which any acting system rule's size condition
 * could be crossed at the fastest plausible rate bounds the next sleep (as
 * earlyoom sizes its sleep, at 6000 MiB/s for memory and 800 MiB/s for
 * swap), capped at SCHEDULE_MAX_SLEEP_USEC. A PSI condition that does not
 * hold bounds the sleep to that cap: the kernel refreshes avg10 every 2 s,
 * and the PSI trigger wakes the loop at once when stalls begin.
 *
 * Rules whose action is warn do not bound the sleep: a warning may come up
 * to one cap (2 s) late. On a small box the warnings sit above the acting
 * thresholds (the shipped low-memory at 15% against near-oom's 7%), and
 * polling for them would add wake-ups that protection does not need.
 *
 * The full tier (a walk of /proc) runs every `interval` only when a process
 * rule (or, without a watched unit tier, a unit rule) needs fresh process
 * data; otherwise it runs when a rule is about to act (rules_evaluate()'s
 * need_full, rules_units_need_full()), on a PSI event, after an action,
 * when units change (cgwatch.h), and every SCHEDULE_IDLE_FULL_USEC (or
 * SCHEDULE_IDLE_FULL_WATCHED_USEC) to keep the status current.
 * Pure functions: tests/unit/test_schedule.c. */
#ifndef MEMGUARD_SCHEDULE_H
#define MEMGUARD_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "read/snapshot.h"

#define SCHEDULE_MEM_RATE_KB_PER_SEC (6000ULL * 1024) /* 6000 MiB/s */
#define SCHEDULE_SWAP_RATE_KB_PER_SEC (800ULL * 1024) /* 800 MiB/s */
#define SCHEDULE_MAX_SLEEP_USEC (2000ULL * 1000)      /* 2 s */
#define SCHEDULE_IDLE_FULL_USEC (300ULL * 1000 * 1000) /* 5 min */
/* With the cgroup tree watched, or no unit possible, the walk has nothing
 * to find on a timer; this one is a safety net, and keeps the status
 * line's process count from going stale for longer. */
#define SCHEDULE_IDLE_FULL_WATCHED_USEC (3600ULL * 1000 * 1000) /* 1 h */

/* The time until the next system sample, given the last one (SYS). It is
 * CONFIG's fast-interval when BUSY (an action in flight) or when some acting
 * system rule's conditions could all hold within it; otherwise the shortest
 * time in which every condition of some acting system rule could come to
 * hold, never above max(fast-interval, SCHEDULE_MAX_SLEEP_USEC). */
uint64_t schedule_fast_sleep(const Config *config, const SystemSample *sys, bool busy);

/* SLEEP (schedule_fast_sleep()'s) shortened so that the tick lands just
 * after the moment at which the trend from PREV to SYS, or from BASE (an
 * older sample, or NULL) to SYS if that one is steeper, brings every
 * condition of some acting system rule to hold, when that comes sooner.
 * BASE keeps a leak's pace seen when the last interval alone shows it
 * pausing (reclaim evening out MemAvailable just above a threshold).
 * Near a threshold the fast-interval paces the tick, so a leak that
 * crosses it just after a tick would wait up to a whole interval before
 * it is seen; seen coming, it is seen SCHEDULE_TREND_LATE_USEC after its
 * crossing (issue 20: reaction within a tick). Only memory and swap
 * values have a trend (PSI has its kernel trigger); a condition on
 * anything else must hold already. Never longer than SLEEP, never under
 * SCHEDULE_TREND_MIN_USEC; SLEEP itself when nothing is seen coming, or
 * when SLEEP is longer than the fast-interval (then it is already the
 * time the nearest threshold takes at the fastest pace). A
 * sample less than SCHEDULE_TREND_MIN_USEC older than SYS gives no trend.
 * The caller keeps BASE between SCHEDULE_TREND_BASE_USEC and that plus a
 * tick old. */
#define SCHEDULE_TREND_LATE_USEC (5ULL * 1000)
#define SCHEDULE_TREND_MIN_USEC (10ULL * 1000)
#define SCHEDULE_TREND_BASE_USEC (1000ULL * 1000)
uint64_t schedule_trend_sleep(const Config *config, const SystemSample *prev,
                              const SystemSample *base, const SystemSample *sys, uint64_t sleep);

/* Whether the system tier must read PSI on every tick: an acting system
 * rule watches a PSI average. Otherwise it reads PSI once per kernel
 * averaging period (sample.h), which delays only warnings. */
bool schedule_psi_every_tick(const Config *config);

/* Where units' memory comes from between walks of /proc. */
typedef enum UnitTier {
        /* Nowhere: units' memory is their processes' PSS, summed by the
         * walk (no cgroup v2 memory controller, and units exist). */
        UNIT_TIER_NONE,
        /* The unit tier (sampler_units(): memory.current of the known
         * units) feeds growth series, or there is no unit to feed (no
         * systemd: a container, a bare host); new units are found by a walk
         * every third of a growth window. */
        UNIT_TIER_POLLED,
        /* The unit tier, and the cgroup tree watched (cgwatch.h): a walk
         * runs when units change or a unit rule would change state
         * (rules_units_need_full()), never on a timer for units. */
        UNIT_TIER_WATCHED,
        /* No unit exists and none can appear: systemd does not run (a
         * container, a bare host). Nothing to sample between walks and
         * nothing for a walk to find: unit and system rules ask for no
         * walk, as under UNIT_TIER_WATCHED, and there is no unit tier. */
        UNIT_TIER_ABSENT,
} UnitTier;

/* True if some rule needs the full tier periodically: a process rule; a
 * unit rule, or a rule that tracks growth (rule_tracks_growth()), unless
 * TIER is UNIT_TIER_WATCHED or UNIT_TIER_ABSENT; under UNIT_TIER_POLLED a rule on the growth
 * of units asks for a walk every third of its window only. */
bool schedule_needs_periodic_full(const Config *config, UnitTier tier);

/* The period of the unit tier: two samples per bucket of the shortest
 * window of a unit or system rule on growth alone (window /
 * GROWTH_BUCKETS / 2, at least `interval`), and under UNIT_TIER_WATCHED
 * `interval` for a unit rule on sizes; 0 when there is none or TIER is
 * UNIT_TIER_NONE or UNIT_TIER_ABSENT. */
uint64_t schedule_unit_interval(const Config *config, UnitTier tier);

/* One sleep of a sampling tier whose mean period is PERIOD: PERIOD times a
 * factor drawn uniformly from [0.5, 1.5) with *STATE (any value; updated).
 * Samples at a fixed period catch a periodic workload (a garbage
 * collector's cycle) at a phase that drifts slowly, and the drift reads as
 * growth with no scatter to betray it (issue 21); drawn periods make it
 * scatter, which the estimator's band sees (growth.h). The unit tier,
 * which feeds units' growth series, sleeps this way. */
uint64_t schedule_jittered(uint64_t period, uint64_t *state);

/* The unit tier's period while a growth series asks for dense samples
 * (history_dense()): a quarter of PERIOD, at least SCHEDULE_DENSE_MIN_USEC. */
#define SCHEDULE_DENSE_MIN_USEC (500 * 1000ULL)
uint64_t schedule_dense(uint64_t period);

/* The period of the full tier: the shortest any rule asks for. A process
 * rule on sizes asks for `interval`, on growth alone for two samples per
 * bucket of its window (window / GROWTH_BUCKETS / 2: 10 s for a 10 min
 * window). Unit and system rules ask for the same without a unit tier, for
 * a third of the window (growth) or `interval` (sizes) under
 * UNIT_TIER_POLLED, for nothing under UNIT_TIER_WATCHED or
 * UNIT_TIER_ABSENT. When no rule asks, SCHEDULE_IDLE_FULL_USEC
 * (SCHEDULE_IDLE_FULL_WATCHED_USEC when watched or absent), at least
 * `interval`. */
uint64_t schedule_full_interval(const Config *config, UnitTier tier);

#endif
