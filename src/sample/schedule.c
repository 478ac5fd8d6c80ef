/* schedule.c — sleep lengths from the distance to thresholds; see schedule.h. */
#include "sample/schedule.h"

#include "sample/growth.h"

#include <math.h>

/* The least time in which condition C, which does not hold now, could come
 * to hold; 0 if it holds. A value moves toward its threshold at most at its
 * metric's pace (metric.h); PSI may cross at any moment, and its kernel
 * trigger wakes memguard, so it bounds the sleep only once it holds. A
 * value SYS does not have (no swap, no PSI) and a condition that is not
 * the fast tier's (growth, a target's size) bound nothing. */
/* Condition C's value in SYS (*V) and its threshold there (*T); false
 * when SYS has no such value (no swap, no PSI). */
static bool condition_value(const Condition *c, const SystemSample *sys, double *v, double *t)
{
        if (!snapshot_system_value(sys, c->metric, v))
                return false;
        *t = metric_kind(c->metric) == METRIC_KIND_PERCENT
                     ? c->percent
                     : (double)condition_threshold_kb(c, sys->mem.total_kb);
        return true;
}

static uint64_t condition_eta_usec(const Condition *c, const SystemSample *sys)
{
        MetricPace pace = metric_pace(c->metric);
        uint64_t rate = pace == METRIC_PACE_MEMORY ? SCHEDULE_MEM_RATE_KB_PER_SEC
                        : pace == METRIC_PACE_SWAP ? SCHEDULE_SWAP_RATE_KB_PER_SEC
                                                   : 0;
        double v, t;

        if (pace == METRIC_PACE_NONE || !condition_value(c, sys, &v, &t))
                return SCHEDULE_MAX_SLEEP_USEC;
        if (c->op == '<' ? v < t : v > t)
                return 0;
        if (rate == 0)
                return SCHEDULE_MAX_SLEEP_USEC;
        double gap = fabs(v - t);
        if (gap > (double)(UINT64_MAX / 1000000))
                return UINT64_MAX;
        return (uint64_t)gap * 1000000 / rate;
}

uint64_t schedule_fast_sleep(const Config *config, const SystemSample *sys, bool busy)
{
        uint64_t fast = config->fast_interval_usec;
        uint64_t cap = fast > SCHEDULE_MAX_SLEEP_USEC ? fast : SCHEDULE_MAX_SLEEP_USEC;
        if (busy)
                return fast;
        uint64_t sleep = cap;
        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *r = &config->rules[i];
                /* A warning protects nothing: it may come one capped
                 * sleep late, and on a small box the warnings' higher
                 * thresholds would otherwise set the pace (schedule.h). */
                if (r->scope != SCOPE_SYSTEM || r->action == ACTION_WARN)
                        continue;
                /* All conditions must hold: the rule cannot fire before the
                 * slowest of them could. */
                uint64_t rule_eta = 0;
                for (size_t j = 0; j < r->n_conds; j++) {
                        uint64_t eta = condition_eta_usec(&r->conds[j], sys);
                        if (eta > rule_eta)
                                rule_eta = eta;
                }
                if (rule_eta < sleep)
                        sleep = rule_eta;
        }
        return sleep < fast ? fast : sleep;
}

/* The time until condition C holds at the pace its value moved from PREV
 * to SYS: 0 if it holds, UINT64_MAX if its value is not moving toward the
 * threshold, has no trend, or PREV is missing or too recent to tell. */
static uint64_t condition_trend_usec(const Condition *c, const SystemSample *prev,
                                     const SystemSample *sys)
{
        MetricPace pace = metric_pace(c->metric);
        double v0, v, t;

        if (!condition_value(c, sys, &v, &t))
                return UINT64_MAX;
        if (c->op == '<' ? v < t : v > t)
                return 0;
        if (pace == METRIC_PACE_NONE || !prev || prev->usec == 0 ||
            sys->usec < prev->usec + SCHEDULE_TREND_MIN_USEC ||
            !snapshot_system_value(prev, c->metric, &v0))
                return UINT64_MAX;
        double toward = c->op == '<' ? v0 - v : v - v0; /* moved toward T */
        if (!(toward > 0))
                return UINT64_MAX;
        double eta = fabs(v - t) / toward * (double)(sys->usec - prev->usec);
        return eta < (double)UINT64_MAX / 2 ? (uint64_t)eta : UINT64_MAX;
}

uint64_t schedule_trend_sleep(const Config *config, const SystemSample *prev,
                              const SystemSample *base, const SystemSample *sys, uint64_t sleep)
{
        /* Longer than the fast-interval, SLEEP is the time the nearest
         * threshold takes at the metrics' fastest pace, which no trend
         * beats: only a sleep at the fast-interval can be cut short (and
         * an idle tick is spared the arithmetic). */
        if (sleep > config->fast_interval_usec)
                return sleep;
        uint64_t soonest = UINT64_MAX;
        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *r = &config->rules[i];
                if (r->scope != SCOPE_SYSTEM || r->action == ACTION_WARN)
                        continue;
                uint64_t rule_eta = 0;
                for (size_t j = 0; j < r->n_conds && rule_eta != UINT64_MAX; j++) {
                        uint64_t eta = condition_trend_usec(&r->conds[j], prev, sys);
                        uint64_t from_base = condition_trend_usec(&r->conds[j], base, sys);
                        if (from_base < eta)
                                eta = from_base;
                        if (eta > rule_eta)
                                rule_eta = eta;
                }
                /* a rule that holds now fires in this evaluation, or waits
                 * out its `for` at the fast-interval: nothing to foresee */
                if (rule_eta > 0 && rule_eta < soonest)
                        soonest = rule_eta;
        }
        if (soonest == UINT64_MAX || soonest >= sleep)
                return sleep;
        uint64_t at = soonest + SCHEDULE_TREND_LATE_USEC;
        if (at < SCHEDULE_TREND_MIN_USEC)
                at = SCHEDULE_TREND_MIN_USEC;
        return at < sleep ? at : sleep;
}

bool schedule_psi_every_tick(const Config *config)
{
        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *r = &config->rules[i];
                if (r->scope != SCOPE_SYSTEM || r->action == ACTION_WARN)
                        continue;
                for (size_t j = 0; j < r->n_conds; j++)
                        if (metric_kind(r->conds[j].metric) == METRIC_KIND_PERCENT)
                                return true;
        }
        return false;
}

/* A rule that only watches growth (its other target condition, if any,
 * being the budget of its budget-eta) needs two samples per bucket of its
 * window, not one per interval. Returns that period, or 0 for a rule that
 * needs fresh sizes every interval (or nothing, a plain system rule). */
static uint64_t growth_period(const Config *config, const Rule *r)
{
        if (!rule_tracks_growth(r))
                return 0;
        for (size_t j = 0; j < r->n_conds; j++)
                if (metric_scope(r->conds[j].metric) != SCOPE_SYSTEM &&
                    !metric_needs_history(r->conds[j].metric) && (int)j != r->budget_cond)
                        return 0;
        uint64_t period = r->window_usec / GROWTH_BUCKETS / 2;
        return period > config->interval_usec ? period : config->interval_usec;
}

/* The full-tier period rule R asks for; 0 for none. A unit rule on sizes
 * needs fresh sizes every interval: with the watched unit tier the unit
 * tier reads them, and a walk follows only when a unit rule would change
 * state (rules_units_need_full()) or units change (cgwatch.h). Growth
 * series of units are fed by the unit tier; without a watch the walk that
 * finds new units runs every third of the window: soon enough, the
 * estimator's own verdict takes half of it. Where no unit can be (no
 * systemd), unit rules and units' growth have nothing to ask a walk for:
 * system rules act on processes from a walk of their own (need_full). */
static uint64_t rule_full_period(const Config *config, const Rule *r, UnitTier tier)
{
        bool watched = (tier == UNIT_TIER_WATCHED || tier == UNIT_TIER_ABSENT) &&
                       r->scope != SCOPE_PROCESS;
        if (!rule_tracks_growth(r))
                return r->scope == SCOPE_SYSTEM || watched ? 0 : config->interval_usec;
        if (watched)
                return 0;
        uint64_t g = growth_period(config, r);
        if (!g)
                return config->interval_usec;
        if (tier == UNIT_TIER_NONE || r->scope == SCOPE_PROCESS)
                return g;
        uint64_t third = r->window_usec / 3;
        return third > config->interval_usec ? third : config->interval_usec;
}

bool schedule_needs_periodic_full(const Config *config, UnitTier tier)
{
        for (size_t i = 0; i < config->n_rules; i++)
                if (rule_full_period(config, &config->rules[i], tier))
                        return true;
        return false;
}

uint64_t schedule_unit_interval(const Config *config, UnitTier tier)
{
        uint64_t period = 0;
        bool unit_tier = tier != UNIT_TIER_NONE && tier != UNIT_TIER_ABSENT;
        for (size_t i = 0; i < config->n_rules && unit_tier; i++) {
                const Rule *r = &config->rules[i];
                if (r->scope == SCOPE_PROCESS)
                        continue;
                uint64_t p = growth_period(config, r);
                /* sizes of units, for unit rules evaluated without a walk */
                if (!p && tier == UNIT_TIER_WATCHED && r->scope == SCOPE_UNIT)
                        p = config->interval_usec;
                if (p && (!period || p < period))
                        period = p;
        }
        return period;
}

uint64_t schedule_jittered(uint64_t period, uint64_t *state)
{
        /* xorshift64*: statistically plenty for a sleep, no syscall */
        uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        double u = (double)((x * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
        return (uint64_t)((double)period * (0.5 + u));
}

uint64_t schedule_dense(uint64_t period)
{
        uint64_t d = period / 4;

        if (d < SCHEDULE_DENSE_MIN_USEC)
                d = period < SCHEDULE_DENSE_MIN_USEC ? period : SCHEDULE_DENSE_MIN_USEC;
        return d;
}

uint64_t schedule_full_interval(const Config *config, UnitTier tier)
{
        uint64_t period = 0;
        for (size_t i = 0; i < config->n_rules; i++) {
                uint64_t p = rule_full_period(config, &config->rules[i], tier);
                if (p && (!period || p < period))
                        period = p;
        }
        if (period)
                return period;
        uint64_t idle = tier == UNIT_TIER_WATCHED || tier == UNIT_TIER_ABSENT
                                ? SCHEDULE_IDLE_FULL_WATCHED_USEC
                                : SCHEDULE_IDLE_FULL_USEC;
        return config->interval_usec > idle ? config->interval_usec : idle;
}
