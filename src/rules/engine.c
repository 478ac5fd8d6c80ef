/* engine.c — the rule engine's entry point (rules.h): rules_evaluate()
 * binds the state, runs the system rules' episodes on every evaluation and
 * the process and unit rules' on a whole walk (episode.c); here too what
 * every decision shares: the lanes it may go in and how it names its
 * target. How the engine's files divide the work: engine.h. */
#include "rules/engine.h"

#include <string.h>
#include <stdio.h>

Decision *emit_decision(Eval *x, DecisionKind kind, size_t rule, Action action)
{
        Decision *d;

        if (x->n >= x->cap)
                return NULL;
        d = &x->ret[x->n++];
        memset(d, 0, sizeof(*d));
        d->kind = kind;
        d->rule = &x->config->rules[rule];
        d->action = action;
        if (kind == DECISION_FIRE) {
                x->st->slots[rule].fires++;
                x->st->slots[rule].fired_usec = x->now;
        }
        return d;
}

static void decision_name_unit(Decision *d, const UnitSample *u)
{
        snprintf(d->unit, sizeof(d->unit), "%s", u->name);
        snprintf(d->unit_owner, sizeof(d->unit_owner), "%s", u->owner);
        snprintf(d->unit_cgroup, sizeof(d->unit_cgroup), "%s", u->cgroup);
}

void decision_set_proc(const Eval *x, Decision *d, const ProcSample *p)
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

void decision_set_notify(const Eval *x, Decision *d, const ProcSample *p, const UnitSample *u)
{
        char why[64];
        /* A unit rule: its largest process, which holds the memory (every
         * process of the unit would include helpers that SIGUSR1's default
         * action ends), unless the unit or that process is protected. */
        if (!p && u && u->main_pid > 0 && !shield_unit(&x->shield, u, why, sizeof why)) {
                p = snapshot_find_pid(x->s, u->main_pid);
                if (p && shield_proc_protected(&x->shield, p, false))
                        p = NULL;
        }
        if (!p)
                return;
        d->notify_pid = p->pid;
        d->notify_start_time = p->start_time;
        snprintf(d->notify_comm, sizeof(d->notify_comm), "%s", p->comm);
}

void decision_set_unit(Decision *d, const UnitSample *u)
{
        decision_name_unit(d, u);
        d->pss_kb = u->memory_kb;
}

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
