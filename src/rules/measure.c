/* measure.c — the value of each metric for a rule's target, and whether a
 * rule holds: the one place a metric is evaluated (its name, kind and
 * scope are config/metric.c's table). Growth metrics read the end of their
 * band that the condition calls for (rate_for()). */
#include "rules/engine.h"

#include <math.h>

/* The growth estimate of rule R's target (P, or U, or the system when
 * both are NULL) over R's window; false when there is none yet. */
bool target_growth(const Eval *x, const Rule *r, const ProcSample *p, const UnitSample *u,
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

double eta_value(uint64_t usec)
{
        return usec == GROWTH_ETA_NEVER ? INFINITY : (double)usec;
}

/* The value of metric M for a condition with OP (growth metrics read the
 * end of their band that OP calls for, or with HELD the other end:
 * rate_for()). */
bool metric_value(const Eval *x, const Rule *r, Metric m, char op, bool held,
                  const ProcSample *p, const UnitSample *u, double *ret)
{
        const Snapshot *s = x->s;
        const MemInfo *mi = &s->sys.mem;
        GrowthEstimate e;
        uint64_t usec;

        switch (m) {
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
                return false;
        default:
                return snapshot_system_value(&s->sys, m, ret);
        }
}

double cond_threshold(const Snapshot *s, const Condition *c)
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
bool cond_holds(const Eval *x, const Rule *r, const Condition *c, bool held,
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
bool rule_episode(const Eval *x, const Rule *r, bool held, const ProcSample *p,
                  const UnitSample *u, bool *ret_vouched)
{
        bool vouched = rule_holds(x, r, false, p, u);

        *ret_vouched = vouched;
        return vouched || (held && rule_tracks_growth(r) && rule_holds(x, r, true, p, u));
}

bool rules_budget(const Config *config, const ProcSample *p, const UnitSample *u,
                  uint64_t mem_total_kb, uint64_t *ret_kb)
{
        uint64_t best = UINT64_MAX;

        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *o = &config->rules[i];
                if (p ? o->scope != SCOPE_PROCESS || !match_process(o, p)
                      : !match_unit(o, u))
                        continue;
                for (size_t j = 0; j < o->n_conds; j++) {
                        const Condition *c = &o->conds[j];
                        bool size = metric_is_budget(c->metric) &&
                                    metric_scope(c->metric) == (p ? SCOPE_PROCESS : SCOPE_UNIT);
                        uint64_t kb = condition_threshold_kb(c, mem_total_kb);
                        if (size && c->op == '>' && kb < best)
                                best = kb;
                }
        }
        *ret_kb = best;
        return best != UINT64_MAX;
}

/* The budget of a target for leak messages: rule R's own (budget-eta),
 * else rules_budget(). */
bool target_budget(const Eval *x, const Rule *r, const ProcSample *p, const UnitSample *u,
                   uint64_t *ret_kb)
{
        uint64_t total = x->s->sys.mem.total_kb;

        if (r->budget_cond >= 0) {
                *ret_kb = condition_threshold_kb(&r->conds[r->budget_cond], total);
                return true;
        }
        return rules_budget(x->config, p, u, total, ret_kb);
}
