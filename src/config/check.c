/* check.c — what only a whole rule or the whole configuration can tell:
 * a rule's keys judged against each other once its section ends (scope,
 * target, grace, window, the budget of a budget-eta), the finished rule
 * put into the Config, and the intervals checked across files. */
#include "config/config.h"

#include <stdlib.h>
#include <string.h>

#include "config/parser.h"

bool rule_tracks_growth(const Rule *r)
{
        if (r->scope == SCOPE_SYSTEM && r->target == TARGET_FASTEST_GROWING &&
            r->action != ACTION_WARN)
                return true;
        for (size_t i = 0; i < r->n_conds; i++)
                if (metric_needs_history(r->conds[i].metric))
                        return true;
        return false;
}

Rule *config_find_rule(Config *c, const char *name)
{
        for (size_t i = 0; i < c->n_rules; i++)
                if (strcmp(c->rules[i].name, name) == 0)
                        return &c->rules[i];
        return NULL;
}

/* unit.budget-eta / proc.budget-eta count down to the rule's budget: its
 * one size condition on the same target with '<' ("unit.memory < 400M and
 * unit.budget-eta < 30m": still under 400M, and reaching it within 30m). */
static void rule_find_budget(Parser *p, Rule *r)
{
        const unsigned line = p->draft.key_line[RKEY_WHEN];
        int eta = -1, budget = -1, n_budgets = 0;

        /* a budget ETA is a target's time; its budget a size of the same
         * target that a budget may be set on (the metric table) */
        for (size_t i = 0; i < r->n_conds; i++) {
                Metric m = r->conds[i].metric;
                if (metric_kind(m) == METRIC_KIND_TIME && metric_scope(m) != SCOPE_SYSTEM)
                        eta = (int)i;
        }
        if (eta < 0)
                return;
        RuleScope scope = metric_scope(r->conds[eta].metric);
        bool unit = scope == SCOPE_UNIT;
        for (size_t i = 0; i < r->n_conds; i++) {
                Metric m = r->conds[i].metric;
                if (metric_is_budget(m) && metric_scope(m) == scope) {
                        n_budgets++;
                        if (r->conds[i].op == '<')
                                budget = (int)i;
                }
        }
        const char *example = unit ? "unit.memory < 400M and unit.budget-eta < 30m"
                                   : "proc.pss < 400M and proc.budget-eta < 30m";
        if (n_budgets > 1)
                parser_diag(p, line, "when: %s: more than one %s condition; the budget must be one",
                     metric_to_string(r->conds[eta].metric), unit ? "unit.memory" : "size");
        else if (budget < 0 && n_budgets == 1)
                parser_diag(p, line,
                     "when: %s counts down to a budget not yet reached: write it with '<', e.g. "
                     "'%s'",
                     metric_to_string(r->conds[eta].metric), example);
        else if (budget < 0)
                parser_diag(p, line, "when: %s counts down to a budget: write it in the same rule, e.g. '%s'",
                     metric_to_string(r->conds[eta].metric), example);
        else
                r->budget_cond = budget;
}

/* Checks what only the whole section can tell, then adds the rule to the
 * config. A rule of the same name from an earlier file (the main file or
 * an earlier drop-in) is replaced whole, in place. */
void rule_finish(Parser *p)
{
        RuleDraft *d = &p->draft;
        Rule *r = &d->rule;
        const unsigned *kl = d->key_line;
        const bool any_unit = kl[RKEY_UNIT] || kl[RKEY_USER_UNIT];
        bool conflict = any_unit && (kl[RKEY_PROCESS] || kl[RKEY_CMDLINE]);
        Rule *old;

        if (!kl[RKEY_WHEN])
                parser_diag(p, r->line, "when: missing (every rule needs a condition)");
        if (!kl[RKEY_ACTION])
                parser_diag(p, r->line, "action: missing (warn, term, kill or restart)");

        if (kl[RKEY_UNIT] && kl[RKEY_USER_UNIT]) {
                parser_diag(p, kl[RKEY_USER_UNIT], "user-unit: a rule has either unit or user-unit");
        }
        if (conflict) {
                unsigned pl = kl[RKEY_PROCESS] ? kl[RKEY_PROCESS] : kl[RKEY_CMDLINE];
                int uk = kl[RKEY_UNIT] ? RKEY_UNIT : RKEY_USER_UNIT;
                parser_diag(p, kl[uk],
                     "%s: cannot be combined with %s (line %u): a rule watches a unit or "
                     "processes, not both",
                     rule_key_names[uk], kl[RKEY_PROCESS] ? "process" : "cmdline", pl);
        }
        r->scope = any_unit                                 ? SCOPE_UNIT
                   : (kl[RKEY_PROCESS] || kl[RKEY_CMDLINE]) ? SCOPE_PROCESS
                                                            : SCOPE_SYSTEM;
        r->user_unit = kl[RKEY_USER_UNIT] != 0;
        /* RestartUnit goes to the system manager, which knows nothing of a
         * user manager's units (and a same-named system unit would be the
         * wrong one). */
        if (kl[RKEY_USER_UNIT] && d->key_ok[RKEY_ACTION] && r->action == ACTION_RESTART)
                parser_diag(p, kl[RKEY_ACTION],
                     "action: restart: memguard talks to the system manager, which cannot "
                     "restart a user's unit; use term or kill");

        if (!conflict && d->key_ok[RKEY_WHEN])
                for (size_t i = 0; i < r->n_conds; i++) {
                        Metric m = r->conds[i].metric;
                        RuleScope ms = metric_scope(m);
                        if (ms == SCOPE_PROCESS && r->scope != SCOPE_PROCESS)
                                parser_diag(p, kl[RKEY_WHEN],
                                     "when: %s is per process: it needs process= or cmdline=",
                                     metric_to_string(m));
                        else if (ms == SCOPE_UNIT && r->scope != SCOPE_UNIT)
                                parser_diag(p, kl[RKEY_WHEN], "when: %s is per unit: it needs unit= or user-unit=",
                                     metric_to_string(m));
                }

        if (d->key_ok[RKEY_TARGET] && !conflict) {
                if (r->scope != SCOPE_SYSTEM)
                        parser_diag(p, kl[RKEY_TARGET],
                             "target: only system rules choose a victim; this rule acts on the "
                             "%s it matches",
                             r->scope == SCOPE_UNIT ? "unit" : "processes");
                else if (d->key_ok[RKEY_ACTION] && r->action == ACTION_WARN)
                        parser_diag(p, kl[RKEY_TARGET], "target: a warn rule acts on nothing");
        }
        /* before and notify: a process's own steps, never a system rule's
         * (it stands between the box and the kernel OOM killer: it must
         * not wait, and it has no process of its own until it picks one). */
        if (kl[RKEY_BEFORE] && !conflict) {
                if (r->scope == SCOPE_SYSTEM)
                        parser_diag(p, kl[RKEY_BEFORE],
                                    "before: not on system rules: they guard against an imminent "
                                    "OOM and must not wait; use it on a process or unit rule");
                else if (d->key_ok[RKEY_ACTION] && r->action == ACTION_WARN)
                        parser_diag(p, kl[RKEY_BEFORE],
                                    "before: only for term, kill or restart; a warn rule signals "
                                    "its process with notify =");
        }
        if (kl[RKEY_BEFORE_WAIT] && !kl[RKEY_BEFORE])
                parser_diag(p, kl[RKEY_BEFORE_WAIT], "before-wait: only applies with before =");
        if (kl[RKEY_NOTIFY] && !conflict) {
                if (r->scope == SCOPE_SYSTEM)
                        parser_diag(p, kl[RKEY_NOTIFY],
                                    "notify: a system rule has no process of its own to notify; "
                                    "use it on a process or unit rule");
                else if (d->key_ok[RKEY_ACTION] && r->action != ACTION_WARN)
                        parser_diag(p, kl[RKEY_NOTIFY],
                                    "notify: only for action = warn; term, kill and restart take "
                                    "before = SIGNAL");
        }
        if (kl[RKEY_GRACE] && d->key_ok[RKEY_ACTION] && r->action != ACTION_TERM)
                parser_diag(p, kl[RKEY_GRACE], "grace: only applies to action = term");
        if (!conflict && d->key_ok[RKEY_WHEN])
                rule_find_budget(p, r);
        if (rule_tracks_growth(r)) {
                if (!kl[RKEY_WINDOW])
                        r->window_usec = DEFAULT_WINDOW_USEC;
        } else if (kl[RKEY_WINDOW] && d->key_ok[RKEY_WHEN] &&
                   (!kl[RKEY_TARGET] || d->key_ok[RKEY_TARGET])) {
                parser_diag(p, kl[RKEY_WINDOW],
                     "window: only applies to rules on growth, budget-eta or mem.exhaustion, or "
                     "with target = fastest-growing");
        }

        if (d->discard) {
                rule_done(r);
                return;
        }
        old = config_find_rule(p->config, r->name);
        if (old) {
                /* Same file: caught at the header and discarded. */
                rule_done(old);
                *old = *r;
        } else {
                Rule *l = reallocarray(p->config->rules, p->config->n_rules + 1, sizeof(Rule));
                if (!l) {
                        p->oom = true;
                        rule_done(r);
                        return;
                }
                l[p->config->n_rules++] = *r;
                p->config->rules = l;
        }
        *r = (Rule){0};
}

/* Checks across keys and files, once everything has been read. */
void parser_check(Parser *p)
{
        const Config *c = p->config;

        if (c->fast_interval_usec > c->interval_usec) {
                char fast[32], full[32];
                format_duration(c->fast_interval_usec, fast, sizeof(fast));
                format_duration(c->interval_usec, full, sizeof(full));
                /* Blame the setting read last: that is the edit that broke it
                 * (a drop-in lowering interval, say). */
                Where f = p->fast_interval_at, i = p->interval_at;
                bool fast_last = f.line && (!i.line || f.file_idx > i.file_idx ||
                                            (f.file_idx == i.file_idx && f.line > i.line));
                if (fast_last)
                        diag_where(p, p->fast_interval_at,
                                   "fast-interval: %s is longer than interval (%s)", fast, full);
                else
                        diag_where(p, p->interval_at,
                                   "interval: %s is shorter than fast-interval (%s)", full, fast);
        }
}
