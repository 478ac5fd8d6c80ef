/* reason.c — the operator's sentences: why a decision fired or recovered
 * ("api.service uses 412 MiB (budget 400 MiB) for 30 s: restarting it"),
 * in the units of util/format.h. Decides nothing: the episode and victim
 * code decide, and call here to say it. */
#include "rules/engine.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
                bprintf(b, "%s %s ", subject ? subject : "target", metric_verb(c->metric));
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

void subject_of(char *buf, size_t size, const ProcSample *p, const UnitSample *u)
{
        if (p)
                snprintf(buf, size, "%s (pid %d)", p->comm, (int)p->pid);
        else if (u)
                unit_label(u->name, u->owner, buf, size);
        else
                buf[0] = '\0';
}

/* "api.service", "api.service (user 1000)": a unit in a sentence. */
const char *unit_label_of(const UnitSample *u, char *buf, size_t size)
{
        return unit_label(u->name, u->owner, buf, size);
}

const char *action_verb(Action a)
{
        return a == ACTION_TERM ? "terminating" : a == ACTION_KILL ? "killing" : "restarting";
}

const char *action_passive(Action a)
{
        return a == ACTION_TERM ? "terminated" : a == ACTION_KILL ? "killed" : "restarted";
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
void decision_fire_reason(const Eval *x, Decision *d, const char *subject,
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
void reason_recover(const Eval *x, Decision *d, const ProcSample *p, const UnitSample *u)
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

static const char *d_unit_name(const Eval *x, const ProcSample *p, char *buf, size_t size)
{
        const UnitSample *u = snapshot_proc_unit(x->s, p);
        return u ? unit_label_of(u, buf, size) : "no unit";
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
void reason_no_victim(Buf *b, const Rule *r)
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
void reason_victim(const Eval *x, Buf *b, const Rule *r, const Plan *plan,
                   const GrowthEstimate *grow)
{
        char name[PROC_UNIT_MAX + 32];

        if (grow && plan->restart) {
                bprintf(b, ": restarting %s, which grows ", unit_label_of(plan->restart, name, sizeof name));
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
                bprintf(b, ": restarting %s, which holds ", unit_label_of(plan->restart, name, sizeof name));
                put_victim(b, r, plan->victim);
        } else {
                bprintf(b, ": %s ", action_verb(r->action));
                put_victim(b, r, plan->victim);
        }
}
