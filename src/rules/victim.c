/* victim.c — what a destructive rule acts on: a system rule's victim
 * (by oom_score, size or fastest growth, among what may be acted on), and
 * the plan of a process or unit rule for its own target. */
#include "rules/engine.h"

#include <stdio.h>
#include <string.h>

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

bool pick_fastest(const Eval *x, const Rule *r, Plan *ret, GrowthEstimate *ret_est)
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

bool pick_victim(const Eval *x, const Rule *r, Plan *ret)
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

/* Resolves what a destructive process/unit rule would act on. Returns false
 * and a reason in WHY when it cannot act on this target at all. */
bool plan_target(const Eval *x, const Rule *r, const ProcSample *p, const UnitSample *u,
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
                unit_label_of(u, name, sizeof name);
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
                snprintf(why, why_size, ": will not act on %s, %s", unit_label_of(u, name, sizeof name),
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
