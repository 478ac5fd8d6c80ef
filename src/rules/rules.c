/* rules.c — the rule engine; see rules.h for the contract and semantics.
 *
 * State layout, chosen so the fast tier (system rules every ~100 ms) never
 * allocates and never walks processes:
 *  - one RuleSlot per configured rule, parallel to config->rules, holding the
 *    rule's name by value (so nothing points into a config that a reload
 *    frees) and, for system rules, their single episode;
 *  - a sorted array of TargetEntry, one per (process/unit rule, target) pair
 *    whose condition held at the last full evaluation: a pair whose
 *    condition is false needs no memory, so the array is bounded by the
 *    number of pairs currently true, whatever the process churn;
 *  - a short array of Cooldown, one per target acted on in the last
 *    cooldown period.
 * Process and unit rules are only evaluated on full samples (PROCS_FRESH);
 * their entries are swept at the end of each such evaluation. */
#include "rules/rules.h"

#include "util/cleanup.h"
#include "sample/history.h"
#include "select/match.h"
#include "util/format.h"
#include "select/protect.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct RuleSlot {
        char *name;
        RuleScope scope;
        size_t remap;       /* scratch for state_bind() */
        /* The episode of a system rule. */
        bool active;        /* the condition held at the last evaluation */
        bool fired;         /* fired (or noted it could not act) this episode */
        bool no_victim;     /* last full evaluation found no candidate */
        bool noted_stuck;   /* "nothing may be acted on" said this episode */
        bool vouched;       /* ... and on its bands' vouched ends (rule_episode()) */
        uint64_t since_usec;
        uint64_t tried_eval; /* evaluation that last looked for a victim */
} RuleSlot;

typedef struct TargetEntry {
        size_t rule;              /* index into slots / config->rules */
        pid_t pid;                /* a process target; 0 for a unit */
        uint64_t start_time;
        char cgroup[PROC_CGROUP_MAX]; /* a unit target's cgroup; "" for a process */
        uint64_t since_usec;
        uint64_t seen_gen;        /* == RulesState.gen: keep at the sweep */
        bool fired;
} TargetEntry;

/* A target acted on recently. A unit is named by its cgroup. FAILED: a
 * restart of the unit was tried and could not be carried out; that holds
 * back only further restarts of it (a retry every tick would flood the
 * journal), nothing else: it was not acted on. */
typedef struct Cooldown {
        pid_t pid;                    /* a process, or 0 */
        uint64_t start_time;
        char cgroup[PROC_CGROUP_MAX]; /* a unit, or "" */
        uint64_t until_usec;
        bool failed;
} Cooldown;

struct RulesState {
        RuleSlot *slots;
        size_t n_slots;
        bool bound;
        TargetEntry *entries;
        size_t n_entries, cap_entries;
        Cooldown *cooldowns;
        size_t n_cooldowns, cap_cooldowns;
        uint64_t gen;   /* full evaluations, for the entry sweep */
        uint64_t evals; /* all evaluations */
        History *hist;  /* borrowed; NULL: growth metrics unavailable */
};

typedef struct TargetKey {
        size_t rule;
        pid_t pid;
        uint64_t start_time;
        const char *cgroup; /* a unit's; "" for a process */
} TargetKey;

/* What a destructive decision would act on. */
typedef struct Plan {
        const ProcSample *victim;  /* term/kill: the process to signal */
        const UnitSample *restart; /* restart: the unit */
} Plan;

/* The largest pending process/unit target of this evaluation. */
typedef struct Pick {
        bool set;
        TargetKey key;
        const ProcSample *p;
        const UnitSample *u;
        Plan plan;
        uint64_t size_kb;
        uint64_t since_usec;
} Pick;

typedef struct Eval {
        const Config *config;
        const Snapshot *s;
        RulesState *st;
        uint64_t now;
        Decision *ret;
        size_t cap, n;
        unsigned busy;   /* RULES_BUSY_*: lanes with an action in flight */
        bool partial;    /* the process table is a partial walk's */
        bool emitted;    /* a destructive decision was emitted: no second one */
        Shield shield;   /* who may never be acted on (protect.h) */
        Pick pick;
} Eval;

/* Whether a destructive decision of rule R may be emitted now: none was
 * this evaluation, and its lane is free. A restart job in flight (which
 * may wait a unit's TimeoutStopSec, 90 s by default) never holds back a
 * term or kill, and a process or unit rule's SIGTERM in its grace (up to
 * an hour) never holds back a system rule's: the rules that stand between
 * the box and the kernel OOM killer act within their tick whatever else
 * is going on. No restart is decided on a partial walk: a unit whose
 * protected process could not be read would look restartable. */
static bool lane_free(const Eval *x, const Rule *r)
{
        if (x->emitted)
                return false;
        if (r->action == ACTION_RESTART)
                return !(x->busy & RULES_BUSY_RESTART) && !x->partial;
        return !(x->busy & (r->scope == SCOPE_SYSTEM ? RULES_BUSY_SYSTEM : RULES_BUSY_SIGNAL));
}

/* ---- small helpers ---------------------------------------------------- */

static uint64_t held_usec(uint64_t now, uint64_t since)
{
        return now > since ? now - since : 0;
}

/* RestartUnit only applies to services (scopes have no start command), and
 * memguard asks the system manager only: a unit of a user's service
 * manager (below user@UID.service) or of another delegated manager (a
 * container's) is not the system's unit of that name. */
static const char *unit_restart_why_not(const UnitSample *u)
{
        size_t n = strlen(u->name), sl = strlen(".service");
        if (!unit_is_system(u))
                return unit_owner_is_user(u->owner, NULL)
                               ? "it belongs to a user's service manager; memguard talks to the system manager only"
                               : "it belongs to another service manager; memguard talks to the system manager only";
        if (n <= sl || strcmp(u->name + n - sl, ".service") != 0)
                return "only services can be restarted";
        return NULL;
}

/* ---- metrics ---------------------------------------------------------- */

/* The growth estimate of rule R's target (P, or U, or the system when
 * both are NULL) over R's window; false when there is none yet. */
static bool target_growth(const Eval *x, const Rule *r, const ProcSample *p, const UnitSample *u,
                          GrowthEstimate *ret)
{
        bool ok;
        if (p)
                ok = history_proc(x->st->hist, r->window_usec, p->pid, p->start_time, ret);
        else if (u)
                ok = history_unit(x->st->hist, r->window_usec, u->cgroup, ret);
        else
                ok = history_system(x->st->hist, r->window_usec, ret);
        return ok && ret->valid;
}

/* The rate of E that a condition with OP may start or act on (issue 21):
 * "> X" holds only on the growth the estimate vouches for (growth_low()),
 * "< X" only on all the growth it allows (growth_high()). An ETA is short
 * when growth is fast, so "eta < T" takes the slow end of the band,
 * "eta > T" the fast. HELD: the condition's episode is under way, and it
 * lasts while the other end of the band still allows it: it ends when the
 * estimate vouches that it is over, not when the band widens for a moment
 * (a rate of 750 MiB/h (±3012) does not say a 3.5 GiB/h leak went "back
 * under 1 GiB/h"). Firing and acting always take the vouched end. */
static double rate_for(const GrowthEstimate *e, char op, bool eta, bool held)
{
        double low = e->kb_per_hour - e->band_kb_per_hour;

        if (held)
                /* growth ">", ETA "<": fast growth keeps them; the others
                 * are kept by slow growth */
                return (op == '>') != eta ? growth_high(e) : low;
        if (eta)
                /* The slow end bounds how soon, however loose: a rate of
                 * 15 GiB/h (±10) still says memory runs out within the
                 * hour. (growth_low()'s quarter rule is for vouching for
                 * growth itself.) */
                return op == '<' ? low : growth_high(e);
        return op == '>' ? growth_low(e) : growth_high(e);
}

/* Time until MemAvailable reaches 0 at the trend over R's window, at the
 * end of its band that OP calls for. */
static bool exhaustion_eta(const Eval *x, const Rule *r, char op, bool held, uint64_t *ret_usec)
{
        GrowthEstimate e;
        if (!target_growth(x, r, NULL, NULL, &e))
                return false;
        *ret_usec = growth_eta_at(&e, rate_for(&e, op, true, held), x->s->sys.mem.total_kb);
        return true;
}

static double eta_value(uint64_t usec)
{
        return usec == GROWTH_ETA_NEVER ? INFINITY : (double)usec;
}

/* The value of metric M for a condition with OP (growth metrics read the
 * end of their band that OP calls for, or with HELD the other end:
 * rate_for()). */
static bool metric_value(const Eval *x, const Rule *r, Metric m, char op, bool held,
                         const ProcSample *p, const UnitSample *u, double *ret)
{
        const Snapshot *s = x->s;
        const MemInfo *mi = &s->sys.mem;
        const PsiInfo *psi = &s->sys.psi;
        GrowthEstimate e;
        uint64_t usec;

        switch (m) {
        case METRIC_MEM_AVAILABLE:
                *ret = (double)mi->available_kb;
                return true;
        case METRIC_MEM_USED:
                *ret = mi->total_kb > mi->available_kb ? (double)(mi->total_kb - mi->available_kb)
                                                       : 0.0;
                return true;
        /* Without swap, "swap.free < X" would always hold: a swap-less box
         * has no swap to run out of, so swap conditions are false there. */
        case METRIC_SWAP_FREE:
                if (mi->swap_total_kb == 0)
                        return false;
                *ret = (double)mi->swap_free_kb;
                return true;
        case METRIC_SWAP_USED:
                if (mi->swap_total_kb == 0)
                        return false;
                *ret = mi->swap_total_kb > mi->swap_free_kb
                               ? (double)(mi->swap_total_kb - mi->swap_free_kb)
                               : 0.0;
                return true;
        case METRIC_PSI_SOME_AVG10:
        case METRIC_PSI_SOME_AVG60:
        case METRIC_PSI_SOME_AVG300:
                if (!s->sys.has_psi)
                        return false;
                *ret = m == METRIC_PSI_SOME_AVG10   ? psi->some.avg10
                       : m == METRIC_PSI_SOME_AVG60 ? psi->some.avg60
                                                    : psi->some.avg300;
                return true;
        case METRIC_PSI_FULL_AVG10:
        case METRIC_PSI_FULL_AVG60:
        case METRIC_PSI_FULL_AVG300:
                if (!s->sys.has_psi || !psi->has_full)
                        return false;
                *ret = m == METRIC_PSI_FULL_AVG10   ? psi->full.avg10
                       : m == METRIC_PSI_FULL_AVG60 ? psi->full.avg60
                                                    : psi->full.avg300;
                return true;
        /* PSS where smaps_rollup was read for the process, else RSS (an
         * upper bound of PSS): a budget is never missed for want of PSS. */
        case METRIC_PROC_PSS:
                if (!p)
                        return false;
                *ret = (double)proc_size_kb(p);
                return true;
        case METRIC_PROC_RSS:
                if (!p)
                        return false;
                *ret = (double)p->rss_kb;
                return true;
        case METRIC_PROC_SWAP:
                if (!p)
                        return false;
                *ret = (double)p->swap_kb;
                return true;
        case METRIC_UNIT_MEMORY:
                if (!u)
                        return false;
                *ret = (double)u->memory_kb;
                return true;
        case METRIC_MEM_EXHAUSTION:
                if (!exhaustion_eta(x, r, op, held, &usec))
                        return false;
                *ret = eta_value(usec);
                return true;
        case METRIC_PROC_GROWTH:
        case METRIC_UNIT_GROWTH:
                if ((m == METRIC_PROC_GROWTH ? !p : !u) ||
                    !target_growth(x, r, m == METRIC_PROC_GROWTH ? p : NULL, u, &e))
                        return false;
                *ret = rate_for(&e, op, false, held);
                return true;
        case METRIC_PROC_BUDGET_ETA:
        case METRIC_UNIT_BUDGET_ETA:
                if ((m == METRIC_PROC_BUDGET_ETA ? !p : !u) || r->budget_cond < 0 ||
                    !target_growth(x, r, m == METRIC_PROC_BUDGET_ETA ? p : NULL, u, &e))
                        return false;
                *ret = eta_value(growth_eta_at(
                        &e, rate_for(&e, op, true, held),
                        condition_threshold_kb(&r->conds[r->budget_cond], mi->total_kb)));
                return true;
        case _METRIC_MAX:
        default:
                return false;
        }
}

static double cond_threshold(const Snapshot *s, const Condition *c)
{
        if (metric_kind(c->metric) == METRIC_KIND_PERCENT)
                return c->percent;
        if (metric_kind(c->metric) == METRIC_KIND_RATE)
                return (double)c->kb;
        if (metric_kind(c->metric) == METRIC_KIND_TIME)
                return (double)c->usec;
        return (double)condition_threshold_kb(c, s->sys.mem.total_kb);
}

/* Evaluates condition C (HELD: metric_value()); false when its metric is
 * unavailable. */
static bool cond_holds(const Eval *x, const Rule *r, const Condition *c, bool held,
                       const ProcSample *p, const UnitSample *u, double *ret_value,
                       double *ret_threshold)
{
        double v, t;

        if (!metric_value(x, r, c->metric, c->op, held, p, u, &v))
                return false;
        t = cond_threshold(x->s, c);
        if (ret_value)
                *ret_value = v;
        if (ret_threshold)
                *ret_threshold = t;
        return c->op == '<' ? v < t : c->op == '>' ? v > t : false;
}

/* All of R's conditions hold. Those on a growth estimate are evaluated
 * last: the estimate costs more than the rest of a fast tick, and the
 * shipped exhaustion rule's "mem.available < 20%" is false on a healthy
 * box. */
static bool rule_holds(const Eval *x, const Rule *r, bool held, const ProcSample *p,
                       const UnitSample *u)
{
        if (r->n_conds == 0)
                return false;
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < r->n_conds; i++)
                        if (metric_needs_history(r->conds[i].metric) == (pass == 1) &&
                            !cond_holds(x, r, &r->conds[i], held, p, u, NULL, NULL))
                                return false;
        return true;
}

/* Whether R's episode for a target (P, U; both NULL: the system) goes on:
 * it starts only when R holds on the vouched ends of its growth bands, and
 * once under way (HELD) it lasts while R holds on their other ends
 * (rate_for()). *RET_VOUCHED: R holds on the vouched ends now, which
 * firing and acting always need. */
static bool rule_episode(const Eval *x, const Rule *r, bool held, const ProcSample *p,
                         const UnitSample *u, bool *ret_vouched)
{
        bool vouched = rule_holds(x, r, false, p, u);

        *ret_vouched = vouched;
        return vouched || (held && rule_tracks_growth(r) && rule_holds(x, r, true, p, u));
}

/* ---- messages --------------------------------------------------------- */

static void put_value(Buf *b, const Snapshot *s, const Condition *c, double v)
{
        if (metric_kind(c->metric) == METRIC_KIND_PERCENT) {
                bprintf(b, "%.2f%%", v);
                return;
        }
        if (metric_kind(c->metric) == METRIC_KIND_RATE) {
                fmt_rate(b, v);
                return;
        }
        if (metric_kind(c->metric) == METRIC_KIND_TIME) {
                fmt_span(b, v);
                return;
        }
        if (c->is_percent && s->sys.mem.total_kb > 0) {
                bprintf(b, "%.1f%% (", v * 100.0 / (double)s->sys.mem.total_kb);
                fmt_size(b, v);
                bprintf(b, ")");
                return;
        }
        fmt_size(b, v);
}

static void put_threshold(Buf *b, const Condition *c, double t)
{
        if (metric_kind(c->metric) == METRIC_KIND_RATE)
                fmt_rate(b, t);
        else if (metric_kind(c->metric) == METRIC_KIND_TIME)
                fmt_span(b, t);
        else if (metric_kind(c->metric) == METRIC_KIND_PERCENT || c->is_percent)
                bprintf(b, "%g%%", c->percent);
        else
                fmt_size(b, t);
}

static bool metric_is_target(Metric m)
{
        return metric_scope(m) != SCOPE_SYSTEM;
}

/* "api.service uses 412 MiB (budget 400 MiB)",
 * "node (pid 4242): available memory 7.5% (120 MiB) below 8%". */
static void put_condition(Buf *b, const Snapshot *s, const Condition *c, double v, double t,
                          const char *subject)
{
        if (metric_is_target(c->metric) && metric_kind(c->metric) != METRIC_KIND_SIZE) {
                bprintf(b, "%s: %s ", subject ? subject : "target", metric_label(c->metric));
                put_value(b, s, c, v);
                bprintf(b, " (%s ", c->op == '>' ? "limit" : "under");
                put_threshold(b, c, t);
                bprintf(b, ")");
                return;
        }
        if (metric_is_target(c->metric)) {
                bprintf(b, "%s %s ", subject ? subject : "target",
                        c->metric == METRIC_PROC_PSS || c->metric == METRIC_UNIT_MEMORY ? "uses"
                                                                                        : "has");
                put_value(b, s, c, v);
                bprintf(b, "%s (%s ", metric_suffix(c->metric), c->op == '>' ? "budget" : "under");
                put_threshold(b, c, t);
                bprintf(b, ")");
                return;
        }
        if (subject)
                bprintf(b, "%s: ", subject);
        bprintf(b, "%s ", metric_label(c->metric));
        put_value(b, s, c, v);
        bprintf(b, " %s ", c->op == '<' ? "below" : "above");
        put_threshold(b, c, t);
}

/* "api.service back under budget: 210 MiB (budget 400 MiB)",
 * "available memory back above 8%: 12.0% (240 MiB)". */
static void put_recovery(Buf *b, const Snapshot *s, const Condition *c, double v, double t,
                         const char *subject)
{
        if (metric_is_target(c->metric) && metric_kind(c->metric) != METRIC_KIND_SIZE) {
                bprintf(b, "%s: %s back %s ", subject ? subject : "target", metric_label(c->metric),
                        c->op == '<' ? "above" : "under");
                put_threshold(b, c, t);
                bprintf(b, ": ");
                put_value(b, s, c, v);
                return;
        }
        if (metric_is_target(c->metric)) {
                if (c->op == '>') {
                        bprintf(b, "%s back under budget: ", subject ? subject : "target");
                        put_value(b, s, c, v);
                        bprintf(b, "%s (budget ", metric_suffix(c->metric));
                        put_threshold(b, c, t);
                        bprintf(b, ")");
                } else {
                        bprintf(b, "%s back above ", subject ? subject : "target");
                        put_threshold(b, c, t);
                        bprintf(b, ": ");
                        put_value(b, s, c, v);
                        bprintf(b, "%s", metric_suffix(c->metric));
                }
                return;
        }
        if (subject)
                bprintf(b, "%s: ", subject);
        bprintf(b, "%s back %s ", metric_label(c->metric), c->op == '<' ? "above" : "under");
        put_threshold(b, c, t);
        bprintf(b, ": ");
        put_value(b, s, c, v);
}

static void subject_of(char *buf, size_t size, const ProcSample *p, const UnitSample *u)
{
        if (p)
                snprintf(buf, size, "%s (pid %d)", p->comm, (int)p->pid);
        else if (u)
                unit_label(u->name, u->owner, buf, size);
        else
                buf[0] = '\0';
}

/* "api.service", "api.service (user 1000)": a unit in a sentence. */
static const char *label(const UnitSample *u, char *buf, size_t size)
{
        return unit_label(u->name, u->owner, buf, size);
}

static const char *action_verb(Action a)
{
        return a == ACTION_TERM ? "terminating" : a == ACTION_KILL ? "killing" : "restarting";
}

static const char *action_passive(Action a)
{
        return a == ACTION_TERM ? "terminated" : a == ACTION_KILL ? "killed" : "restarted";
}

/* ---- decisions -------------------------------------------------------- */

static Decision *emit(Eval *x, DecisionKind kind, size_t rule, Action action)
{
        Decision *d;

        if (x->n >= x->cap)
                return NULL;
        d = &x->ret[x->n++];
        memset(d, 0, sizeof(*d));
        d->kind = kind;
        d->rule = &x->config->rules[rule];
        d->action = action;
        return d;
}

static void decision_name_unit(Decision *d, const UnitSample *u)
{
        snprintf(d->unit, sizeof(d->unit), "%s", u->name);
        snprintf(d->unit_owner, sizeof(d->unit_owner), "%s", u->owner);
        snprintf(d->unit_cgroup, sizeof(d->unit_cgroup), "%s", u->cgroup);
}

static void decision_set_proc(const Eval *x, Decision *d, const ProcSample *p)
{
        const UnitSample *u = snapshot_proc_unit(x->s, p);

        d->pid = p->pid;
        d->start_time = p->start_time;
        snprintf(d->comm, sizeof(d->comm), "%s", p->comm);
        /* The process's unit, for the journal; d->action says what is acted on. */
        if (u)
                decision_name_unit(d, u);
        d->pss_kb = proc_size_kb(p);
}

static void decision_set_unit(Decision *d, const UnitSample *u)
{
        decision_name_unit(d, u);
        d->pss_kb = u->memory_kb;
}

/* The budget of a target for leak messages: rule R's own (budget-eta),
 * else the lowest "unit.memory >" (units) or "proc.pss/proc.rss >"
 * (processes) threshold of the rules that watch the same target. */
static bool target_budget(const Eval *x, const Rule *r, const ProcSample *p, const UnitSample *u,
                          uint64_t *ret_kb)
{
        uint64_t total = x->s->sys.mem.total_kb, best = UINT64_MAX;

        if (r->budget_cond >= 0) {
                *ret_kb = condition_threshold_kb(&r->conds[r->budget_cond], total);
                return true;
        }
        for (size_t i = 0; i < x->config->n_rules; i++) {
                const Rule *o = &x->config->rules[i];
                if (p ? o->scope != SCOPE_PROCESS || !match_process(o, p)
                      : !match_unit(o, u))
                        continue;
                for (size_t j = 0; j < o->n_conds; j++) {
                        const Condition *c = &o->conds[j];
                        bool size = p ? c->metric == METRIC_PROC_PSS || c->metric == METRIC_PROC_RSS
                                      : c->metric == METRIC_UNIT_MEMORY;
                        uint64_t kb = condition_threshold_kb(c, total);
                        if (size && c->op == '>' && kb < best)
                                best = kb;
                }
        }
        *ret_kb = best;
        return best != UINT64_MAX;
}

/* "over the last 30 min (now 310 MiB)" */
static void put_span_now(Buf *b, const GrowthEstimate *e)
{
        bprintf(b, " over the last ");
        fmt_span(b, (double)e->span_usec);
        bprintf(b, " (now ");
        fmt_size(b, (double)e->current_kb);
        bprintf(b, ")");
}

/* The leak sentence of a rule that tracks growth, in an operator's words:
 * "api.service grows 38 MiB/h over the last 30 min (now 310 MiB); at this
 * rate it reaches its 400 MiB budget in 2 h 20 min; memory is exhausted in
 * ~5 h", or for a system rule "memory is exhausted in ~8 min at the current
 * trend: 310 MiB available, falling 2.1 GiB/h over the last 10 min". Fills
 * D's growth and ETA. Returns false (nothing written) without an estimate. */
static bool put_leak(const Eval *x, Buf *b, Decision *d, const char *subject,
                     const ProcSample *p, const UnitSample *u)
{
        const Rule *r = d->rule;
        GrowthEstimate sys, e;
        bool has_sys = target_growth(x, r, NULL, NULL, &sys);
        uint64_t sys_eta = has_sys ? growth_eta_usec(&sys, x->s->sys.mem.total_kb) : GROWTH_ETA_NEVER;
        uint64_t budget;

        if (!p && !u) {
                if (!has_sys)
                        return false;
                d->has_growth = true;
                d->growth_kb_per_hour = sys.kb_per_hour;
                d->growth_band_kb_per_hour = sys.band_kb_per_hour;
                d->has_eta = sys_eta != GROWTH_ETA_NEVER;
                d->eta_usec = sys_eta;
                bprintf(b, "memory is exhausted in ~");
                fmt_span(b, eta_value(sys_eta));
                bprintf(b, " at the current trend: ");
                fmt_size(b, (double)x->s->sys.mem.available_kb);
                bprintf(b, " available, falling ");
                fmt_rate(b, sys.kb_per_hour);
                fmt_band(b, sys.kb_per_hour, sys.band_kb_per_hour);
                bprintf(b, " over the last ");
                fmt_span(b, (double)sys.span_usec);
                return true;
        }
        if (!target_growth(x, r, p, u, &e))
                return false;
        d->has_growth = true;
        d->growth_kb_per_hour = e.kb_per_hour;
        d->growth_band_kb_per_hour = e.band_kb_per_hour;
        bprintf(b, "%s %s ", subject, e.kb_per_hour >= 0 ? "grows" : "shrinks");
        fmt_rate(b, fabs(e.kb_per_hour));
        fmt_band(b, e.kb_per_hour, e.band_kb_per_hour);
        put_span_now(b, &e);
        if (target_budget(x, r, p, u, &budget) && e.kb_per_hour > 0) {
                uint64_t eta = growth_eta_usec(&e, budget);
                d->has_eta = eta != GROWTH_ETA_NEVER;
                d->eta_usec = eta;
                if (e.current_kb >= budget) {
                        bprintf(b, "; it is over its ");
                        fmt_size(b, (double)budget);
                        bprintf(b, " budget");
                } else if (d->has_eta) {
                        bprintf(b, "; at this rate it reaches its ");
                        fmt_size(b, (double)budget);
                        bprintf(b, " budget in ");
                        fmt_span(b, (double)eta);
                }
        }
        if (sys_eta != GROWTH_ETA_NEVER) {
                bprintf(b, "; memory is exhausted in ~");
                fmt_span(b, (double)sys_eta);
                if (!d->has_eta) {
                        d->has_eta = true;
                        d->eta_usec = sys_eta;
                }
        }
        return true;
}

/* Writes the firing message: the first condition (for a rule that tracks
 * growth, the leak sentence), how long it held, and SUFFIX (": terminating
 * it", "" for a warning). */
static void decision_fire_reason(const Eval *x, Decision *d, const char *subject,
                                 const ProcSample *p, const UnitSample *u, uint64_t since,
                                 const char *suffix)
{
        const Rule *r = d->rule;
        Buf b = { d->reason, sizeof(d->reason), 0 };
        double v = 0, t = 0;

        d->held_usec = held_usec(x->now, since);
        (void)cond_holds(x, r, &r->conds[0], false, p, u, &v, &t);
        d->value = v;
        d->threshold = t;
        if (!rule_tracks_growth(r) || !put_leak(x, &b, d, subject, p, u))
                put_condition(&b, x->s, &r->conds[0], v, t, subject);
        /* "for 30 s" tells why the rule waited; with for = 0 it is noise */
        if (r->for_usec > 0) {
                bprintf(&b, " for ");
                fmt_held(&b, d->held_usec);
        }
        bprintf(&b, "%s", suffix);
}

/* Writes the reason of RECOVER decision D of rule R for target P or U
 * (both NULL: the system): the first condition that no longer holds, and
 * its measured value and threshold into D. */
static void reason_recover(const Eval *x, Decision *d, const ProcSample *p, const UnitSample *u)
{
        const Rule *r = d->rule;
        char subject[PROC_UNIT_MAX + 32];
        Buf b = { d->reason, sizeof(d->reason), 0 };

        subject_of(subject, sizeof(subject), p, u);
        /* the episode ended on the rates themselves (rule_episode()) */
        for (size_t i = 0; i < r->n_conds; i++) {
                const Condition *c = &r->conds[i];
                double v, t;
                GrowthEstimate e;

                if (!metric_value(x, r, c->metric, c->op, true, p, u, &v))
                        continue;
                if (cond_holds(x, r, c, true, p, u, NULL, NULL))
                        continue;
                t = cond_threshold(x->s, c);
                /* a rate is said as the rate itself and its band, not the
                 * end of the band that ended the episode */
                bool rate = metric_kind(c->metric) == METRIC_KIND_RATE &&
                            target_growth(x, r, p, u, &e);
                if (rate)
                        v = e.kb_per_hour;
                d->value = v;
                d->threshold = t;
                put_recovery(&b, x->s, c, v, t, subject[0] ? subject : NULL);
                if (rate)
                        fmt_band(&b, e.kb_per_hour, e.band_kb_per_hour);
                return;
        }
        /* Every false condition lost its metric (PSI went away). */
        if (subject[0])
                bprintf(&b, "%s: ", subject);
        bprintf(&b, "%s no longer measured: condition cleared",
                metric_label(r->conds[0].metric));
}

/* Emits a RECOVER decision, describing the first condition that no longer
 * holds. Returns false if RET is full. */
static bool emit_recover(Eval *x, size_t rule, const ProcSample *p, const UnitSample *u,
                         uint64_t since)
{
        const Rule *r = &x->config->rules[rule];
        Decision *d = emit(x, DECISION_RECOVER, rule, r->action);

        if (!d)
                return false;
        if (p)
                decision_set_proc(x, d, p);
        else if (u)
                decision_set_unit(d, u);
        d->held_usec = held_usec(x->now, since);
        reason_recover(x, d, p, u);
        return true;
}

/* ---- cooldowns -------------------------------------------------------- */

/* A unit is in cooldown if it was acted on (restarted, or a process of it
 * signalled by a unit rule) in the last cooldown; FOR_RESTART also counts
 * a restart of it that failed. */
static bool cooldown_unit(const RulesState *st, const char *cgroup, uint64_t now, bool for_restart)
{
        for (size_t i = 0; i < st->n_cooldowns; i++) {
                const Cooldown *c = &st->cooldowns[i];
                if (c->cgroup[0] && strcmp(c->cgroup, cgroup) == 0 && now < c->until_usec &&
                    (for_restart || !c->failed))
                        return true;
        }
        return false;
}

/* A process is in cooldown if it was acted on, or (UNIT_TOO) its unit was.
 * A system rule's victim choice asks without UNIT_TOO: a unit restarted a
 * moment ago may still hold the process that is eating the box (a stop
 * waits for TimeoutStopSec), and near-oom must be able to take it. */
static bool cooldown_proc(const Eval *x, const ProcSample *p, bool unit_too)
{
        const RulesState *st = x->st;
        const UnitSample *u = snapshot_proc_unit(x->s, p);

        for (size_t i = 0; i < st->n_cooldowns; i++)
                if (st->cooldowns[i].pid == p->pid &&
                    st->cooldowns[i].start_time == p->start_time &&
                    x->now < st->cooldowns[i].until_usec)
                        return true;
        return unit_too && u && cooldown_unit(st, u->cgroup, x->now, false);
}

static bool plan_in_cooldown(const Eval *x, const Plan *plan)
{
        if (plan->victim && cooldown_proc(x, plan->victim, true))
                return true;
        return plan->restart && cooldown_unit(x->st, plan->restart->cgroup, x->now, true);
}

/* Keeps room for the two cooldowns a destructive decision may add. Called
 * after an evaluation, not before a decision: between a decision and its
 * signal nothing allocates. If it fails, a later decision still goes out
 * and only its cooldown is not recorded (cooldown_add()). */
static void cooldown_reserve(RulesState *st)
{
        if (st->n_cooldowns + 2 <= st->cap_cooldowns)
                return;
        size_t cap = st->cap_cooldowns ? st->cap_cooldowns * 2 : 8;
        Cooldown *c = realloc(st->cooldowns, cap * sizeof(*c));
        if (!c)
                return;
        st->cooldowns = c;
        st->cap_cooldowns = cap;
}

static void cooldown_add(RulesState *st, pid_t pid, uint64_t start_time, const char *cgroup,
                         uint64_t until)
{
        Cooldown *c = NULL;

        for (size_t i = 0; i < st->n_cooldowns && !c; i++) {
                Cooldown *e = &st->cooldowns[i];
                if (cgroup ? strcmp(e->cgroup, cgroup) == 0
                           : (e->pid == pid && e->start_time == start_time && !e->cgroup[0]))
                        c = e;
        }
        if (!c) {
                if (st->n_cooldowns >= st->cap_cooldowns)
                        return; /* out of memory earlier: act without a cooldown */
                c = &st->cooldowns[st->n_cooldowns++];
        }
        memset(c, 0, sizeof(*c));
        if (cgroup) {
                snprintf(c->cgroup, sizeof(c->cgroup), "%s", cgroup);
        } else {
                c->pid = pid;
                c->start_time = start_time;
        }
        c->until_usec = until;
}

/* Drops expired cooldowns, and those of processes that are gone (only
 * known on a full sample). Units keep theirs until expiry: a unit's cgroup
 * may vanish for a moment while it restarts. */
static void cooldown_prune(const Eval *x, bool procs_fresh)
{
        RulesState *st = x->st;
        size_t j = 0;

        for (size_t i = 0; i < st->n_cooldowns; i++) {
                const Cooldown *c = &st->cooldowns[i];

                if (x->now >= c->until_usec)
                        continue;
                if (procs_fresh && !c->cgroup[0] &&
                    !snapshot_find_proc(x->s, c->pid, c->start_time))
                        continue;
                if (j != i)
                        st->cooldowns[j] = *c;
                j++;
        }
        st->n_cooldowns = j;
}

/* A restart puts its unit in cooldown, not the process a system rule
 * chose it by (that one only names it in the journal): the process may be
 * the one that keeps eating the box while its unit's stop hangs, and
 * near-oom must still be able to take it. */
static void cooldown_record(Eval *x, const Plan *plan)
{
        uint64_t until = usec_add(x->now, x->config->cooldown_usec);

        if (plan->restart)
                cooldown_add(x->st, 0, 0, plan->restart->cgroup, until);
        else if (plan->victim)
                cooldown_add(x->st, plan->victim->pid, plan->victim->start_time, NULL, until);
}

void rules_action_failed(RulesState *st, const Decision *d)
{
        size_t j = 0;

        if (!st || !d || d->kind != DECISION_FIRE || d->action == ACTION_WARN)
                return;
        for (size_t i = 0; i < st->n_cooldowns; i++) {
                Cooldown *c = &st->cooldowns[i];
                bool proc = !c->cgroup[0] && d->pid > 0 && c->pid == d->pid &&
                            c->start_time == d->start_time;
                /* a restart's cooldown is its unit's; a signal's its
                 * process's (the unit's, if any, is an earlier action's) */
                bool unit = d->action == ACTION_RESTART && c->cgroup[0] && d->unit_cgroup[0] &&
                            strcmp(c->cgroup, d->unit_cgroup) == 0;
                if (proc && d->action != ACTION_RESTART)
                        continue; /* not acted on after all */
                if (unit)
                        c->failed = true;
                if (j != i)
                        st->cooldowns[j] = *c;
                j++;
        }
        st->n_cooldowns = j;
}

/* ---- target entries --------------------------------------------------- */

static int key_cmp(const TargetKey *k, const TargetEntry *e)
{
        if (k->rule != e->rule)
                return k->rule < e->rule ? -1 : 1;
        if (k->pid != e->pid)
                return k->pid < e->pid ? -1 : 1;
        if (k->start_time != e->start_time)
                return k->start_time < e->start_time ? -1 : 1;
        return strcmp(k->cgroup, e->cgroup);
}

static int entry_cmp(const void *a, const void *b)
{
        const TargetEntry *ea = a, *eb = b;
        TargetKey k = { ea->rule, ea->pid, ea->start_time, ea->cgroup };
        return key_cmp(&k, eb);
}

/* Index of the first entry >= K. */
static size_t entry_lower_bound(const RulesState *st, const TargetKey *k)
{
        size_t lo = 0, hi = st->n_entries;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (key_cmp(k, &st->entries[mid]) > 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static TargetEntry *entry_find(RulesState *st, const TargetKey *k)
{
        size_t i = entry_lower_bound(st, k);
        return i < st->n_entries && key_cmp(k, &st->entries[i]) == 0 ? &st->entries[i] : NULL;
}

static TargetEntry *entry_insert(RulesState *st, const TargetKey *k, uint64_t now)
{
        size_t i = entry_lower_bound(st, k);
        TargetEntry *e;

        if (st->n_entries == st->cap_entries) {
                size_t cap = st->cap_entries ? st->cap_entries * 2 : 16;
                TargetEntry *n = realloc(st->entries, cap * sizeof(*n));
                if (!n)
                        return NULL;
                st->entries = n;
                st->cap_entries = cap;
        }
        memmove(&st->entries[i + 1], &st->entries[i], (st->n_entries - i) * sizeof(*e));
        st->n_entries++;
        e = &st->entries[i];
        memset(e, 0, sizeof(*e));
        e->rule = k->rule;
        e->pid = k->pid;
        e->start_time = k->start_time;
        snprintf(e->cgroup, sizeof(e->cgroup), "%s", k->cgroup);
        e->since_usec = now;
        return e;
}

/* Keeps the entries touched in this evaluation (seen_gen == gen): the
 * others' targets vanished, stopped matching, or recovered. */
static void entries_sweep(RulesState *st)
{
        size_t j = 0;

        for (size_t i = 0; i < st->n_entries; i++) {
                if (st->entries[i].seen_gen != st->gen)
                        continue;
                if (j != i)
                        st->entries[j] = st->entries[i];
                j++;
        }
        st->n_entries = j;
        /* Give back memory after a burst of matches (bounded high-water). */
        if (st->cap_entries > 64 && st->n_entries < st->cap_entries / 4) {
                size_t cap = st->cap_entries / 2;
                TargetEntry *n = realloc(st->entries, cap * sizeof(*n));
                if (n) {
                        st->entries = n;
                        st->cap_entries = cap;
                }
        }
}

/* ---- state ------------------------------------------------------------ */

RulesState *rules_state_new(void)
{
        return calloc(1, sizeof(RulesState));
}

static void slots_free(RuleSlot *slots, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(slots[i].name);
        free(slots);
}

void rules_state_free(RulesState *st)
{
        if (!st)
                return;
        slots_free(st->slots, st->n_slots);
        free(st->entries);
        free(st->cooldowns);
        free(st);
}

size_t rules_state_size(const RulesState *st)
{
        size_t n = 0;

        if (!st)
                return 0;
        for (size_t i = 0; i < st->n_slots; i++)
                if (st->slots[i].active || st->slots[i].fired)
                        n++;
        return n + st->n_entries + st->n_cooldowns;
}

static bool state_matches(const RulesState *st, const Config *c)
{
        if (!st->bound || st->n_slots != c->n_rules)
                return false;
        for (size_t i = 0; i < c->n_rules; i++)
                if (st->slots[i].scope != c->rules[i].scope ||
                    strcmp(st->slots[i].name, c->rules[i].name) != 0)
                        return false;
        return true;
}

/* Binds ST to C: one slot per rule of C, episodes carried over by rule name
 * (and scope). Cooldowns belong to targets, not rules, and are kept.
 * Returns 0 or -ENOMEM (ST unchanged). */
static int state_bind(RulesState *st, const Config *c)
{
        RuleSlot *slots;
        size_t j = 0;

        if (state_matches(st, c))
                return 0;
        slots = calloc(c->n_rules ? c->n_rules : 1, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_rules; i++) {
                slots[i].name = strdup(c->rules[i].name ? c->rules[i].name : "");
                if (!slots[i].name) {
                        slots_free(slots, i);
                        return -ENOMEM;
                }
                slots[i].scope = c->rules[i].scope;
        }
        for (size_t o = 0; o < st->n_slots; o++) {
                RuleSlot *old = &st->slots[o];

                old->remap = SIZE_MAX;
                for (size_t i = 0; i < c->n_rules; i++) {
                        if (slots[i].scope != old->scope || strcmp(slots[i].name, old->name) != 0)
                                continue;
                        slots[i].active = old->active;
                        slots[i].fired = old->fired;
                        slots[i].no_victim = old->no_victim;
                        slots[i].noted_stuck = old->noted_stuck;
                        slots[i].vouched = old->vouched;
                        slots[i].since_usec = old->since_usec;
                        old->remap = i;
                        break;
                }
        }
        for (size_t i = 0; i < st->n_entries; i++) {
                TargetEntry *e = &st->entries[i];
                size_t to = e->rule < st->n_slots ? st->slots[e->rule].remap : SIZE_MAX;

                if (to == SIZE_MAX)
                        continue;
                e->rule = to;
                if (j != i)
                        st->entries[j] = *e;
                j++;
        }
        st->n_entries = j;
        if (j > 1)
                qsort(st->entries, j, sizeof(*st->entries), entry_cmp);
        slots_free(st->slots, st->n_slots);
        st->slots = slots;
        st->n_slots = c->n_rules;
        st->bound = true;
        return 0;
}

void rules_state_rebind(RulesState *st, const Config *new_config)
{
        if (!st || !new_config)
                return;
        if (state_bind(st, new_config) < 0) {
                /* Out of memory: forget every episode rather than keep names
                 * that no longer match; rules_evaluate() binds again. */
                slots_free(st->slots, st->n_slots);
                st->slots = NULL;
                st->n_slots = 0;
                st->n_entries = 0;
                st->bound = false;
        }
}

/* ---- system rules ----------------------------------------------------- */

static bool victim_better(Target target, const ProcSample *p, const ProcSample *best)
{
        if (!best)
                return true;
        if (target == TARGET_OOM_SCORE && p->oom_score != best->oom_score)
                return p->oom_score > best->oom_score;
        return proc_size_kb(p) > proc_size_kb(best);
}

/* target = fastest-growing: the unit whose memory grows fastest over the
 * rule's window, among units that may be acted on; for term/kill, its
 * largest process. Only a unit that really grows (a valid, positive
 * estimate) is a candidate, and only one whose growth explains at least
 * FASTEST_SHARE of the decline of MemAvailable when that is measured: a
 * unit growing 1 MiB/h is not why a box loses 2 GiB/h. */
#define FASTEST_SHARE 0.25
static bool pick_fastest(const Eval *x, const Rule *r, Plan *ret, GrowthEstimate *ret_est)
{
        const UnitSample *best = NULL;
        const ProcSample *best_p = NULL;
        GrowthEstimate sys, best_e = { 0 };
        double floor = 0;

        /* The decline a unit must explain: what the system estimate allows
         * at most; a unit's growth: what its estimate vouches for at least
         * (growth_low()). A unit whose estimate is too loose to vouch for
         * growth is no candidate. */
        if (target_growth(x, r, NULL, NULL, &sys) && sys.kb_per_hour > 0)
                floor = sys.kb_per_hour * FASTEST_SHARE;
        for (size_t i = 0; i < x->s->n_units; i++) {
                const UnitSample *u = &x->s->units[i];
                const ProcSample *v = NULL;
                GrowthEstimate e;

                if (!target_growth(x, r, NULL, u, &e) || growth_low(&e) <= floor ||
                    growth_low(&e) <= 0 || (best && growth_low(&e) <= growth_low(&best_e)))
                        continue;
                char why[PROC_UNIT_MAX + 96];
                if (shield_unit_hidden(&x->shield, u) ||
                    (r->action == ACTION_RESTART && cooldown_unit(x->st, u->cgroup, x->now, true)))
                        continue;
                if (r->action == ACTION_RESTART) {
                        if (unit_restart_why_not(u) || shield_unit(&x->shield, u, why, sizeof why))
                                continue;
                } else {
                        v = u->main_pid > 0 ? snapshot_find_pid(x->s, u->main_pid) : NULL;
                        if (!v || v->rss_kb == 0 || shield_proc_protected(&x->shield, v, true) ||
                            cooldown_proc(x, v, false))
                                continue;
                }
                best = u;
                best_p = v;
                best_e = e;
        }
        if (!best)
                return false;
        ret->victim = best_p;
        ret->restart = r->action == ACTION_RESTART ? best : NULL;
        if (!best_p) /* restart: name the unit's largest process in the journal */
                ret->victim = best->main_pid > 0 ? snapshot_find_pid(x->s, best->main_pid) : NULL;
        *ret_est = best_e;
        return true;
}

/* The process a system rule acts on: by oom_score (ties: the larger) or by
 * size, among processes that are not protected, not in cooldown and hold
 * memory. For restart, only processes in a unit that may be restarted. */
/* A unit that pick_victim() found it may not restart, for the rest of
 * one choice. Fixed: the choice runs when the box is short of memory. */
#define PICK_SKIP_UNITS 32

static bool pick_victim(const Eval *x, const Rule *r, Plan *ret)
{
        const UnitSample *skip[PICK_SKIP_UNITS];
        size_t n_skip = 0;
        bool skip_full = false;

        /* Whether a unit holds a protected process is a walk of every
         * process: judged only for the best candidate, and its unit
         * skipped when it may not be restarted, until one may. */
        for (;;) {
                const ProcSample *best = NULL;
                for (size_t i = 0; i < x->s->n_procs; i++) {
                        const ProcSample *p = &x->s->procs[i];
                        const UnitSample *u = snapshot_proc_unit(x->s, p);
                        bool skipped = false;

                        if (p->rss_kb == 0 || shield_proc_protected(&x->shield, p, true) || cooldown_proc(x, p, false))
                                continue;
                        if (r->action == ACTION_RESTART) {
                                if (!u || unit_restart_why_not(u) ||
                                    cooldown_unit(x->st, u->cgroup, x->now, true))
                                        continue;
                                for (size_t k = 0; k < n_skip && !skipped; k++)
                                        skipped = skip[k] == u;
                                char why[PROC_UNIT_MAX + 96];
                                if (skipped || (skip_full && shield_unit(&x->shield, u, why, sizeof why)))
                                        continue;
                        }
                        if (victim_better(r->target, p, best))
                                best = p;
                }
                if (!best)
                        return false;
                const UnitSample *bu = snapshot_proc_unit(x->s, best);
                char why[PROC_UNIT_MAX + 96];
                if (r->action == ACTION_RESTART && !skip_full &&
                    shield_unit(&x->shield, bu, why, sizeof why)) {
                        if (n_skip < PICK_SKIP_UNITS)
                                skip[n_skip++] = bu;
                        else
                                skip_full = true; /* from now judge every unit */
                        continue;
                }
                ret->victim = best;
                ret->restart = r->action == ACTION_RESTART ? bu : NULL;
                return true;
        }
}

static const char *d_unit_name(const Eval *x, const ProcSample *p, char *buf, size_t size)
{
        const UnitSample *u = snapshot_proc_unit(x->s, p);
        return u ? label(u, buf, size) : "no unit";
}

static void put_victim(Buf *b, const Rule *r, const ProcSample *p)
{
        bprintf(b, "%s (pid %d, ", p->comm, (int)p->pid);
        if (r->target == TARGET_OOM_SCORE)
                bprintf(b, "oom_score %d, ", p->oom_score);
        fmt_size(b, (double)proc_size_kb(p));
        bprintf(b, ")");
}

/* ": no process may be terminated: every candidate is protected, ...":
 * why system rule R found nothing to act on. */
static void reason_no_victim(Buf *b, const Rule *r)
{
        if (r->target == TARGET_FASTEST_GROWING)
                bprintf(b, ": no unit may be %s: none grows enough to explain the "
                           "decline, or every one that does is protected, was acted on "
                           "in the last cooldown%s",
                        action_passive(r->action),
                        r->action == ACTION_RESTART ? " or cannot be restarted"
                                                    : " or has no process to signal");
        else
                bprintf(b, ": no process may be %s: every candidate is protected, was "
                           "acted on in the last cooldown, holds no memory%s",
                        action_passive(r->action),
                        r->action == ACTION_RESTART ? " or runs in no restartable service"
                                                    : "");
}

/* ": restarting api.service, which holds node (pid 42, 812 MiB)": what
 * system rule R acts on (PLAN), with GROW the growth it was chosen by
 * (target = fastest-growing), else NULL. */
static void reason_victim(const Eval *x, Buf *b, const Rule *r, const Plan *plan,
                          const GrowthEstimate *grow)
{
        char name[PROC_UNIT_MAX + 32];

        if (grow && plan->restart) {
                bprintf(b, ": restarting %s, which grows ", label(plan->restart, name, sizeof name));
                fmt_rate(b, grow->kb_per_hour);
                fmt_band(b, grow->kb_per_hour, grow->band_kb_per_hour);
                put_span_now(b, grow);
        } else if (grow) {
                bprintf(b, ": %s %s (pid %d) of %s, which grows ", action_verb(r->action),
                        plan->victim->comm, (int)plan->victim->pid,
                        d_unit_name(x, plan->victim, name, sizeof name));
                fmt_rate(b, grow->kb_per_hour);
                fmt_band(b, grow->kb_per_hour, grow->band_kb_per_hour);
                put_span_now(b, grow);
        } else if (plan->restart) {
                bprintf(b, ": restarting %s, which holds ", label(plan->restart, name, sizeof name));
                put_victim(b, r, plan->victim);
        } else {
                bprintf(b, ": %s ", action_verb(r->action));
                put_victim(b, r, plan->victim);
        }
}

/* Fires system rule I on a victim; when there is none, says so once per
 * episode. Leaves the rule pending if RET is full. */
static void system_fire_destructive(Eval *x, size_t i)
{
        const Rule *r = &x->config->rules[i];
        RuleSlot *slot = &x->st->slots[i];
        char suffix[PROC_UNIT_MAX + 96];
        Buf b = { suffix, sizeof(suffix), 0 };
        Plan plan = { 0 };
        GrowthEstimate grow = { 0 };
        bool fastest = r->target == TARGET_FASTEST_GROWING;
        Decision *d;

        slot->tried_eval = x->st->evals;
        if (fastest ? !pick_fastest(x, r, &plan, &grow) : !pick_victim(x, r, &plan)) {
                slot->no_victim = true;
                if (slot->noted_stuck)
                        return;
                reason_no_victim(&b, r);
                d = emit(x, DECISION_FIRE, i, ACTION_WARN);
                if (!d)
                        return;
                decision_fire_reason(x, d, NULL, NULL, NULL, slot->since_usec, suffix);
                slot->noted_stuck = true;
                slot->fired = true;
                return;
        }
        slot->no_victim = false;
        reason_victim(x, &b, r, &plan, fastest ? &grow : NULL);
        d = emit(x, DECISION_FIRE, i, r->action);
        if (!d)
                return;
        if (plan.victim)
                decision_set_proc(x, d, plan.victim);
        else
                decision_set_unit(d, plan.restart);
        decision_fire_reason(x, d, NULL, NULL, NULL, slot->since_usec, suffix);
        if (fastest) {
                /* the journal's growth is the victim's; the ETA stays memory's */
                d->has_growth = true;
                d->growth_kb_per_hour = grow.kb_per_hour;
                d->growth_band_kb_per_hour = grow.band_kb_per_hour;
        }
        cooldown_record(x, &plan);
        slot->fired = true;
        x->emitted = true;
}

static void eval_system_rules(Eval *x, bool procs_fresh, bool *need_full)
{
        const Config *c = x->config;

        for (size_t i = 0; i < c->n_rules; i++) {
                const Rule *r = &c->rules[i];
                RuleSlot *slot = &x->st->slots[i];

                if (r->scope != SCOPE_SYSTEM)
                        continue;
                if (!rule_episode(x, r, slot->active, NULL, NULL, &slot->vouched)) {
                        if (slot->active && slot->fired &&
                            !emit_recover(x, i, NULL, NULL, slot->since_usec))
                                continue; /* RET full: say it next time */
                        slot->active = slot->fired = slot->no_victim = slot->noted_stuck = false;
                        continue;
                }
                if (!slot->active) {
                        slot->active = true;
                        slot->fired = slot->no_victim = slot->noted_stuck = false;
                        slot->since_usec = x->now;
                }
                if (r->action != ACTION_WARN || slot->fired || !slot->vouched ||
                    held_usec(x->now, slot->since_usec) < r->for_usec)
                        continue;
                Decision *d = emit(x, DECISION_FIRE, i, ACTION_WARN);
                if (d) {
                        decision_fire_reason(x, d, NULL, NULL, NULL, slot->since_usec, "");
                        slot->fired = true;
                }
        }

        /* At most one destructive firing: rules that have not acted in this
         * episode first, then the re-firing ones, each in config order. */
        for (int pass = 0; pass < 2 && !x->emitted; pass++) {
                for (size_t i = 0; i < c->n_rules && !x->emitted; i++) {
                        const Rule *r = &c->rules[i];
                        const RuleSlot *slot = &x->st->slots[i];

                        if (r->scope != SCOPE_SYSTEM || r->action == ACTION_WARN ||
                            !lane_free(x, r) || !slot->active || !slot->vouched ||
                            held_usec(x->now, slot->since_usec) < r->for_usec ||
                            slot->fired != (pass == 1) || slot->tried_eval == x->st->evals)
                                continue;
                        if (!procs_fresh) {
                                /* Ask for a full sample, unless the last one
                                 * found nothing to act on: then the regular
                                 * full tick looks again, instead of a /proc
                                 * walk every fast tick. */
                                if (!slot->no_victim && need_full)
                                        *need_full = true;
                                continue;
                        }
                        system_fire_destructive(x, i);
                }
        }
}

/* ---- process and unit rules ------------------------------------------ */

/* Resolves what a destructive process/unit rule would act on. Returns false
 * and a reason in WHY when it cannot act on this target at all. */
static bool plan_target(const Eval *x, const Rule *r, const ProcSample *p, const UnitSample *u,
                        Plan *ret, char *why, size_t why_size)
{
        const char *no;
        char name[PROC_UNIT_MAX + 32], prot[PROC_UNIT_MAX + 64];

        *ret = (Plan){ 0 };
        if (r->action == ACTION_RESTART) {
                if (!u) {
                        snprintf(why, why_size, ": cannot restart it, it runs in no systemd unit");
                        return false;
                }
                label(u, name, sizeof name);
                if ((no = unit_restart_why_not(u))) {
                        snprintf(why, why_size, ": cannot restart %s, %s", name, no);
                        return false;
                }
                if (shield_unit(&x->shield, u, prot, sizeof prot)) {
                        snprintf(why, why_size, ": will not restart %s, %s", name, prot);
                        return false;
                }
                if (p)
                        snprintf(why, why_size, ": restarting its unit %s", name);
                else
                        snprintf(why, why_size, ": restarting it");
                ret->restart = u;
                return true;
        }
        if (p) {
                snprintf(why, why_size, ": %s it", action_verb(r->action));
                ret->victim = p;
                return true;
        }
        /* term/kill on a unit rule: its largest process, as sampled; not in
         * a unit that is protected as a whole. */
        if (shield_unit(&x->shield, u, prot, sizeof prot)) {
                snprintf(why, why_size, ": will not act on %s, %s", label(u, name, sizeof name),
                         prot);
                return false;
        }
        const ProcSample *v = u->main_pid > 0 ? snapshot_find_pid(x->s, u->main_pid) : NULL;
        if (!v || shield_proc_protected(&x->shield, v, false)) {
                snprintf(why, why_size, ": its largest process may not be %s",
                         action_passive(r->action));
                return false;
        }
        Buf b = { why, why_size, 0 };
        bprintf(&b, ": %s its largest process %s (pid %d, ", action_verb(r->action), v->comm,
                (int)v->pid);
        fmt_size(&b, (double)proc_size_kb(v));
        bprintf(&b, ")");
        ret->victim = v;
        return true;
}

/* Where a (rule, target) pair stands at this evaluation: the one decision
 * table of a pair's episode, which eval_target() acts on and
 * rules_units_need_full() asks about without acting. */
typedef enum PairStep {
        PAIR_QUIET, /* R does not hold, and no episode is under way */
        PAIR_ENDS,  /* the episode under way ends: a RECOVER if it fired */
        PAIR_STARTS, /* an episode starts (its clock starts now) */
        PAIR_WAITS, /* under way, not due: held less than `for`, held only
                     * on the far ends of its bands, or fired already */
        PAIR_DUE,   /* due to fire (E may be NULL: for = 0 starts and fires) */
} PairStep;

/* The step of rule R's pair with target P or U, whose entry is E (NULL: no
 * episode under way). An episode starts on the vouched ends of R's growth
 * bands and lasts while their other ends allow it (rule_episode()); it
 * fires once, on the vouched ends, after `for`. */
static PairStep pair_step(const Eval *x, const Rule *r, const TargetEntry *e, const ProcSample *p,
                          const UnitSample *u)
{
        bool vouched;

        if (!rule_episode(x, r, e != NULL, p, u, &vouched))
                return e ? PAIR_ENDS : PAIR_QUIET;
        if (e && e->fired)
                return PAIR_WAITS;
        if (!vouched || held_usec(x->now, e ? e->since_usec : x->now) < r->for_usec)
                return e ? PAIR_WAITS : PAIR_STARTS;
        return PAIR_DUE;
}

/* One (rule, target) pair of a process rule (P set, U its unit or NULL) or
 * a unit rule (P NULL, U the unit). */
static void eval_target(Eval *x, size_t i, const ProcSample *p, const UnitSample *u)
{
        const Rule *r = &x->config->rules[i];
        TargetKey key = { i, p ? p->pid : 0, p ? p->start_time : 0, p ? "" : u->cgroup };
        TargetEntry *e = entry_find(x->st, &key);
        char subject[PROC_UNIT_MAX + 32], why[2 * PROC_UNIT_MAX + 160];
        PairStep step = pair_step(x, r, e, p, u);
        Plan plan;
        Decision *d;

        if (step == PAIR_QUIET)
                return;
        if (step == PAIR_ENDS) {
                if (e->fired && !emit_recover(x, i, p, p ? NULL : u, e->since_usec))
                        e->seen_gen = x->st->gen; /* RET full: keep, say it next time */
                return; /* not marked seen: the sweep drops it */
        }
        if (!e) {
                e = entry_insert(x->st, &key, x->now);
                /* Out of memory: this pair's episode starts at a later
                 * evaluation; nothing already decided is lost. */
                if (!e)
                        return;
        }
        e->seen_gen = x->st->gen;
        if (step != PAIR_DUE)
                return;

        subject_of(subject, sizeof(subject), p, p ? NULL : u);
        if (r->action == ACTION_WARN || !plan_target(x, r, p, u, &plan, why, sizeof(why))) {
                /* A warning, or a destructive rule that can never act on this
                 * target: say so once per episode, never deferred. */
                d = emit(x, DECISION_FIRE, i, ACTION_WARN);
                if (!d)
                        return;
                if (p)
                        decision_set_proc(x, d, p);
                else
                        decision_set_unit(d, u);
                decision_fire_reason(x, d, subject, p, u, e->since_usec,
                                     r->action == ACTION_WARN ? "" : why);
                e->fired = true;
                return;
        }
        if (!lane_free(x, r) || plan_in_cooldown(x, &plan))
                return; /* pending: fires on a later evaluation */
        uint64_t size = p ? proc_size_kb(p) : u->memory_kb;
        if (x->pick.set && size <= x->pick.size_kb)
                return;
        x->pick = (Pick){ .set = true, .key = key, .p = p, .u = u, .plan = plan,
                          .size_kb = size, .since_usec = e->since_usec };
}

/* Emits the pending destructive pair chosen by eval_target(). */
static void fire_pick(Eval *x)
{
        const Pick *k = &x->pick;
        const Rule *r = &x->config->rules[k->key.rule];
        char subject[PROC_UNIT_MAX + 32], why[2 * PROC_UNIT_MAX + 160];
        Plan plan;
        TargetEntry *e;
        Decision *d;

        if (!k->set || x->emitted)
                return;
        e = entry_find(x->st, &k->key);
        if (!e)
                return;
        /* Rebuild the suffix: eval_target() kept only the plan. */
        (void)plan_target(x, r, k->p, k->u, &plan, why, sizeof(why));
        d = emit(x, DECISION_FIRE, k->key.rule, r->action);
        if (!d)
                return;
        if (k->p) {
                decision_set_proc(x, d, k->p);
        } else {
                decision_set_unit(d, k->u);
                if (plan.victim) {
                        d->pid = plan.victim->pid;
                        d->start_time = plan.victim->start_time;
                        snprintf(d->comm, sizeof(d->comm), "%s", plan.victim->comm);
                        d->pss_kb = proc_size_kb(plan.victim);
                }
        }
        subject_of(subject, sizeof(subject), k->p, k->p ? NULL : k->u);
        decision_fire_reason(x, d, subject, k->p, k->u, k->since_usec, why);
        cooldown_record(x, &k->plan);
        e->fired = true;
        x->emitted = true;
}

static void eval_target_rules(Eval *x)
{
        const Config *c = x->config;
        const Snapshot *s = x->s;

        x->st->gen++;
        for (size_t i = 0; i < c->n_rules; i++) {
                const Rule *r = &c->rules[i];

                if (r->scope == SCOPE_PROCESS) {
                        for (size_t j = 0; j < s->n_procs; j++) {
                                const ProcSample *p = &s->procs[j];
                                if (!match_process(r, p) || shield_proc_protected(&x->shield, p, false))
                                        continue;
                                eval_target(x, i, p, snapshot_proc_unit(s, p));
                        }
                } else if (r->scope == SCOPE_UNIT) {
                        for (size_t j = 0; j < s->n_units; j++) {
                                const UnitSample *u = &s->units[j];
                                if (!match_unit(r, u) || shield_unit_hidden(&x->shield, u))
                                        continue;
                                eval_target(x, i, NULL, u);
                        }
                }
        }
        entries_sweep(x->st);
        fire_pick(x);
}

/* Whether a full evaluation would change anything for unit rules, judged
 * on SNAPSHOT's units as the unit tier last read them (rules.h). The same
 * pair_step() as eval_target(): where it would start, reset, fire or
 * recover a pair, say so; a pair that holds and waits for its `for`, has
 * fired, or whose destructive plan is in cooldown needs nothing. */
bool rules_units_need_full(const Config *config, const Snapshot *snapshot, RulesState *st,
                           uint64_t now_usec)
{
        if (!state_matches(st, config))
                return true; /* a reload not yet evaluated */
        Eval x = { .config = config, .s = snapshot, .st = st, .now = now_usec };
        shield_init(&x.shield, config, snapshot);
        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *r = &config->rules[i];
                if (r->scope != SCOPE_UNIT)
                        continue;
                for (size_t j = 0; j < snapshot->n_units; j++) {
                        const UnitSample *u = &snapshot->units[j];
                        if (!match_unit(r, u) || shield_unit_hidden(&x.shield, u))
                                continue;
                        TargetKey key = { i, 0, 0, u->cgroup };
                        const TargetEntry *e = entry_find(st, &key);
                        PairStep step = pair_step(&x, r, e, NULL, u);
                        if (step == PAIR_QUIET || step == PAIR_WAITS)
                                continue;
                        /* A pair that starts (its entry is made by a full
                         * evaluation), or ends: recovers, or its `for`
                         * restarts. */
                        if (step != PAIR_DUE || !e)
                                return true;
                        /* Due. Waiting for a unit's cooldown needs no walk;
                         * a process victim (term/kill) comes from the last
                         * walk, and may have exited since: walk. */
                        Plan plan;
                        char why[2 * PROC_UNIT_MAX + 160];
                        if (r->action != ACTION_WARN &&
                            plan_target(&x, r, NULL, u, &plan, why, sizeof why) &&
                            plan.restart && plan_in_cooldown(&x, &plan))
                                continue;
                        return true;
                }
        }
        return false;
}

/* ---- entry point ------------------------------------------------------ */

int rules_evaluate(const Config *config, const Snapshot *snapshot, RulesState *st, unsigned busy,
                   RulesProcs procs, Decision *ret, size_t cap, bool *ret_need_full)
{
        Eval x = {
                .config = config,
                .s = snapshot,
                .st = st,
                .now = snapshot->sys.usec,
                .ret = ret,
                .cap = ret ? cap : 0,
                .busy = busy,
                .partial = procs == RULES_PROCS_PARTIAL,
        };
        int r;

        if (ret_need_full)
                *ret_need_full = false;
        r = state_bind(st, config);
        if (r < 0)
                return r;
        st->evals++;
        /* Room for a decision's cooldowns before any decision is made. */
        cooldown_reserve(st);
        cooldown_prune(&x, procs == RULES_PROCS_FRESH);
        if (procs != RULES_PROCS_STALE)
                shield_init(&x.shield, config, snapshot);
        eval_system_rules(&x, procs != RULES_PROCS_STALE, ret_need_full);
        /* A partial walk would look as if processes had vanished: process
         * and unit episodes wait for a whole one. */
        if (procs == RULES_PROCS_FRESH)
                eval_target_rules(&x);
        return (int)x.n;
}

void rules_state_set_history(RulesState *st, History *hist)
{
        if (st)
                st->hist = hist;
}

bool rules_kill_due(const Config *config, const RulesState *st, uint64_t now_usec)
{
        if (!state_matches(st, config))
                return false;
        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *r = &config->rules[i];
                const RuleSlot *slot = &st->slots[i];
                if (r->scope == SCOPE_SYSTEM && r->action == ACTION_KILL && slot->active &&
                    slot->vouched && held_usec(now_usec, slot->since_usec) >= r->for_usec)
                        return true;
        }
        return false;
}
