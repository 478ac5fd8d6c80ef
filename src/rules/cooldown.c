/* cooldown.c — targets acted on recently: no rule acts on them again
 * within the config's cooldown (rules.h); an action that could not be
 * carried out leaves none, a failed restart holds back only restarts. */
#include "rules/engine.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* A unit is in cooldown if it was acted on (restarted, or a process of it
 * signalled by a unit rule) in the last cooldown; FOR_RESTART also counts
 * a restart of it that failed. */
bool cooldown_unit(const RulesState *st, const char *cgroup, uint64_t now, bool for_restart)
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
bool cooldown_proc(const Eval *x, const ProcSample *p, bool unit_too)
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

bool plan_in_cooldown(const Eval *x, const Plan *plan)
{
        if (plan->victim && cooldown_proc(x, plan->victim, true))
                return true;
        return plan->restart && cooldown_unit(x->st, plan->restart->cgroup, x->now, true);
}

/* Keeps room for the two cooldowns a destructive decision may add. Called
 * after an evaluation, not before a decision: between a decision and its
 * signal nothing allocates. If it fails, a later decision still goes out
 * and only its cooldown is not recorded (cooldown_add()). */
void cooldown_reserve(RulesState *st)
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
void cooldown_prune(const Eval *x, bool procs_fresh)
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
void cooldown_record(Eval *x, const Plan *plan)
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
