/* episode.c — the episodes: a system rule's one, and one per (process or
 * unit rule, target) pair; when each starts, waits, fires and recovers
 * (pair_step(), the one decision table), and the choice of the one
 * destructive decision an evaluation may emit. */
#include "rules/engine.h"

#include <stdio.h>
#include <string.h>

/* Emits a RECOVER decision, describing the first condition that no longer
 * holds. Returns false if RET is full. */
static bool emit_recover(Eval *x, size_t rule, const ProcSample *p, const UnitSample *u,
                         uint64_t since)
{
        const Rule *r = &x->config->rules[rule];
        Decision *d = emit_decision(x, DECISION_RECOVER, rule, r->action);

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
                /* A walk memguard could not finish (short of memory or
                 * descriptors; the daemon says so) may have missed every
                 * candidate: that is no "nothing may be killed", and the
                 * next evaluation asks for a walk again instead of waiting
                 * for the regular one, 5 min away where only system rules
                 * walk. */
                if (x->partial)
                        return;
                slot->no_victim = true;
                if (slot->noted_stuck)
                        return;
                reason_no_victim(&b, r);
                d = emit_decision(x, DECISION_FIRE, i, ACTION_WARN);
                if (!d)
                        return;
                decision_fire_reason(x, d, NULL, NULL, NULL, slot->since_usec, suffix);
                slot->noted_stuck = true;
                slot->fired = true;
                return;
        }
        slot->no_victim = false;
        reason_victim(x, &b, r, &plan, fastest ? &grow : NULL);
        d = emit_decision(x, DECISION_FIRE, i, r->action);
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

void eval_system_rules(Eval *x, bool procs_fresh, bool *need_full)
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
                Decision *d = emit_decision(x, DECISION_FIRE, i, ACTION_WARN);
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
                d = emit_decision(x, DECISION_FIRE, i, ACTION_WARN);
                if (!d)
                        return;
                if (p)
                        decision_set_proc(x, d, p);
                else
                        decision_set_unit(d, u);
                if (r->action == ACTION_WARN && r->notify_signal)
                        decision_set_notify(x, d, p, u);
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
        d = emit_decision(x, DECISION_FIRE, k->key.rule, r->action);
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

void eval_target_rules(Eval *x)
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
