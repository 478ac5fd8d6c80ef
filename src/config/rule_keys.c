/* rule_keys.c — the keys of a [rule NAME] section: each value parsed into
 * the rule being drafted, `when` split into its comparisons, every bad
 * value reported at its line. How the keys fit together is check.c's. */
#include "config/parser.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/before.h"
#include "util/cleanup.h"
#include "util/signame.h"

#define RULE_EXAMPLES "500ms, 10s, 2m"

const char *const rule_key_names[_RKEY_MAX] = {
        [RKEY_WHEN] = "when",     [RKEY_FOR] = "for",         [RKEY_ACTION] = "action",
        [RKEY_UNIT] = "unit",     [RKEY_PROCESS] = "process", [RKEY_CMDLINE] = "cmdline",
        [RKEY_TARGET] = "target", [RKEY_GRACE] = "grace",     [RKEY_WINDOW] = "window",
        [RKEY_USER_UNIT] = "user-unit", [RKEY_BEFORE] = "before", [RKEY_BEFORE_WAIT] = "before-wait",
        [RKEY_NOTIFY] = "notify",
};

/* A signal for `before` or `notify`: one the process can catch and act
 * on. SIGKILL and SIGSTOP cannot be caught; SIGTSTP, SIGTTIN and SIGTTOU
 * stop a process that does not catch them, and a stopped process would
 * neither write its evidence nor shed memory; SIGTERM is what
 * action = term sends (with grace = for the time to act on it). */
static bool rule_signal(Parser *p, const char *key, const char *value, int *ret)
{
        char name[32];
        int sig = signame_parse(value);
        if (sig < 0) {
                parser_diag(p, p->lineno,
                            "%s: '%s' is not a signal name (e.g. SIGUSR1, SIGUSR2, SIGQUIT, SIGRTMIN+3)%s",
                            key, value,
                            strcmp(key, "before") == 0 ? ", nor exec COMMAND" : "");
                return false;
        }
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
                parser_diag(p, p->lineno, "%s: %s %s the process before it can act on it", key,
                            signame_format(sig, name, sizeof name),
                            sig == SIGKILL ? "ends" : "stops");
                return false;
        }
        if (sig == SIGTERM) {
                parser_diag(p, p->lineno,
                            "%s: SIGTERM is what action = term sends (grace = gives the process its time)",
                            key);
                return false;
        }
        *ret = sig;
        return true;
}

/* before = SIGNAL, or before = exec COMMAND ARGS... */
static bool rule_before(Parser *p, const char *value, Rule *r)
{
        if (strncmp(value, "exec", 4) == 0 && (value[4] == '\0' || value[4] == ' ' || value[4] == '\t')) {
                const char *problem = NULL;
                int e = before_exec_split(value + 4, &r->before_argv, &problem);
                if (e == -ENOMEM)
                        p->oom = true;
                else if (e < 0)
                        parser_diag(p, p->lineno, "before: %s", problem);
                return e >= 0;
        }
        return rule_signal(p, "before", value, &r->before_signal);
}

static bool parse_condition(Parser *p, const char *text, size_t len, Condition *ret)
{
        _cleanup_free_ char *buf = strndup(text, len);
        Condition c = {0};
        const char *s, *value;
        size_t mlen;
        char saved;
        int m, r;

        if (!buf) {
                p->oom = true;
                return false;
        }
        mlen = strcspn(buf, " \t<>=!");
        if (mlen == 0) {
                parser_diag(p, p->lineno, "when: '%s' does not start with a metric", buf);
                return false;
        }
        saved = buf[mlen];
        buf[mlen] = '\0';
        m = metric_from_string(buf);
        if (m < 0) {
                parser_diag(p, p->lineno, "when: unknown metric '%s'", buf);
                return false;
        }
        buf[mlen] = saved;
        c.metric = (Metric)m;

        s = config_skip_ws(buf + mlen);
        if ((*s == '<' || *s == '>') && s[1] == '=') {
                parser_diag(p, p->lineno, "when: '%.2s' is not supported, use < or >", s);
                return false;
        }
        if (*s != '<' && *s != '>') {
                parser_diag(p, p->lineno, "when: expected < or > after %s", metric_to_string((Metric)m));
                return false;
        }
        c.op = *s;
        value = config_skip_ws(s + 1);
        if (!*value) {
                parser_diag(p, p->lineno, "when: %s %c needs a value", metric_to_string((Metric)m), c.op);
                return false;
        }

        if (metric_kind(c.metric) == METRIC_KIND_PERCENT) {
                r = parse_psi_percent(value, &c.percent);
                if (r == -ERANGE) {
                        parser_diag(p, p->lineno, "when: %s: '%s' is more than 100%%", metric_to_string((Metric)m),
                             value);
                        return false;
                }
                if (r < 0) {
                        parser_diag(p, p->lineno, "when: %s takes a percentage 0..100, not '%s'",
                             metric_to_string((Metric)m), value);
                        return false;
                }
                *ret = c;
                return true;
        }
        if (metric_kind(c.metric) == METRIC_KIND_RATE || metric_kind(c.metric) == METRIC_KIND_TIME) {
                bool rate = metric_kind(c.metric) == METRIC_KIND_RATE;
                r = rate ? config_parse_rate(value, &c.kb) : config_parse_duration(value, &c.usec);
                if (r == -ENOMEM) {
                        p->oom = true;
                        return false;
                }
                if (r < 0) {
                        parser_diag(p, p->lineno, "when: %s: '%s' is not a %s", metric_to_string((Metric)m), value,
                             rate ? "rate (use e.g. 50M/h or 1G/d)"
                                  : "duration (use e.g. 15m or 2h)");
                        return false;
                }
                *ret = c;
                return true;
        }

        r = config_parse_size(value, &c.kb, &c.is_percent, &c.percent);
        if (r == -ENOMEM) {
                p->oom = true;
                return false;
        }
        if (r == -ERANGE) {
                if (strchr(value, '%'))
                        parser_diag(p, p->lineno, "when: %s: '%s' is more than 100%%", metric_to_string((Metric)m),
                             value);
                else
                        parser_diag(p, p->lineno, "when: %s: '%s' is too large", metric_to_string((Metric)m), value);
                return false;
        }
        if (r < 0) {
                parser_diag(p, p->lineno, "when: %s: '%s' is not a size (use e.g. 500M, 2G or 15%%)",
                     metric_to_string((Metric)m), value);
                return false;
        }
        /* A percentage is of MemTotal; of swap that would be a trap. */
        if (c.is_percent && (c.metric == METRIC_SWAP_FREE || c.metric == METRIC_SWAP_USED)) {
                parser_diag(p, p->lineno,
                     "when: %s: percentages are of MemTotal, give swap as a size (e.g. 1G)",
                     metric_to_string((Metric)m));
                return false;
        }
        *ret = c;
        return true;
}

/* `when`: comparisons joined by the word "and" (any case). A comparison
 * may contain spaces ("mem.available < 10 M"), so conditions are the runs
 * of words between "and"s. Reports every bad comparison. */
static bool parse_when(Parser *p, const char *value, Rule *rule)
{
        Condition conds[CONFIG_MAX_CONDITIONS];
        const char *s = value;
        size_t n = 0, total = 0;
        bool ok = true, and_seen = false, and_reported = false;

        for (;;) {
                const char *first = NULL, *end = NULL;
                bool saw_and = false;

                for (;;) {
                        const char *w;
                        s = config_skip_ws(s);
                        if (!*s)
                                break;
                        w = s;
                        while (*s && !isspace((unsigned char)*s))
                                s++;
                        if (s - w == 3 && strncasecmp(w, "and", 3) == 0) {
                                saw_and = true;
                                break;
                        }
                        if (!first)
                                first = w;
                        end = s;
                }

                if (!first) {
                        /* once per line: "a and and b", "and" */
                        if (saw_and || and_seen) {
                                if (!and_reported)
                                        parser_diag(p, p->lineno,
                                             "when: 'and' needs a comparison on each side");
                                and_reported = true;
                        } else
                                parser_diag(p, p->lineno,
                                     "when: empty (expected e.g. mem.available < 10%%)");
                        ok = false;
                } else {
                        total++;
                        if (n < CONFIG_MAX_CONDITIONS) {
                                if (parse_condition(p, first, (size_t)(end - first), &conds[n]))
                                        n++;
                                else
                                        ok = false;
                        }
                }
                if (!saw_and)
                        break;
                and_seen = true;
        }
        if (total > CONFIG_MAX_CONDITIONS) {
                parser_diag(p, p->lineno, "when: %zu comparisons, at most %d are allowed", total,
                     CONFIG_MAX_CONDITIONS);
                ok = false;
        }
        if (!ok)
                return false;
        memcpy(rule->conds, conds, n * sizeof(Condition));
        rule->n_conds = n;
        return true;
}

static bool rule_string(Parser *p, const char *key, const char *value, char **ret)
{
        if (!*value) {
                parser_diag(p, p->lineno, "%s: empty", key);
                return false;
        }
        *ret = strdup(value);
        if (!*ret) {
                p->oom = true;
                return false;
        }
        return true;
}

/* unit= and user-unit=: a glob; "api" means api.service, as it does to
 * systemctl. Both keys fill unit_glob: the second of the two is parsed for
 * errors and dropped (rule_finish() reports the pair). */
static bool rule_unit(Parser *p, const char *key, const char *value, Rule *r)
{
        char *u = NULL;

        if (!rule_string(p, key, value, &u))
                return false;
        if (!glob_has_magic(u) && !strchr(u, '.')) {
                char *full;
                if (asprintf(&full, "%s.service", u) < 0) {
                        free(u);
                        p->oom = true;
                        return false;
                }
                free(u);
                u = full;
        }
        if (r->unit_glob)
                free(u);
        else
                r->unit_glob = u;
        return true;
}

void rule_key(Parser *p, const char *key, const char *value)
{
        RuleDraft *d = &p->draft;
        Rule *r = &d->rule;
        int k = name_lookup(rule_key_names, _RKEY_MAX, key), v;
        bool ok = false;

        if (k < 0 || strcmp(rule_key_names[k], key) != 0) {
                parser_diag(p, p->lineno, "%s: unknown key in [rule %s]", key, r->name);
                return;
        }
        if (d->key_line[k]) {
                parser_diag(p, p->lineno, "%s: given twice in [rule %s] (first at line %u)", key, r->name,
                     d->key_line[k]);
                return;
        }
        d->key_line[k] = p->lineno;

        switch (k) {
        case RKEY_WHEN:
                ok = parse_when(p, value, r);
                break;
        case RKEY_FOR:
                ok = key_duration(p, key, value, 0, CONFIG_MAX_FOR_USEC, RULE_EXAMPLES,
                                  &r->for_usec);
                break;
        case RKEY_GRACE:
                ok = key_duration(p, key, value, 0, CONFIG_MAX_GRACE_USEC, RULE_EXAMPLES,
                                  &r->grace_usec);
                break;
        case RKEY_WINDOW: {
                uint64_t usec = 0;
                int e = config_parse_duration(value, &usec);
                if (e == -ENOMEM)
                        p->oom = true;
                else if (e < 0 && e != -ERANGE)
                        parser_diag(p, p->lineno, "%s: '%s' is not a duration (use e.g. %s)", key, value,
                             RULE_EXAMPLES);
                else if (e == -ERANGE || usec < CONFIG_MIN_WINDOW_USEC ||
                         usec > CONFIG_MAX_WINDOW_USEC)
                        parser_diag(p, p->lineno, "window: '%s' is outside 1m..24h", value);
                else {
                        r->window_usec = usec;
                        ok = true;
                }
                break;
        }
        case RKEY_ACTION:
                v = action_from_string(value);
                if (v < 0)
                        parser_diag(p, p->lineno, "action: '%s' is not warn, term, kill or restart",
                             value);
                else
                        r->action = (Action)v;
                ok = v >= 0;
                break;
        case RKEY_TARGET:
                v = target_from_string(value);
                if (v < 0)
                        parser_diag(p, p->lineno, "target: '%s' is not oom-score, pss or fastest-growing",
                             value);
                else
                        r->target = (Target)v;
                ok = v >= 0;
                break;
        case RKEY_UNIT:
        case RKEY_USER_UNIT:
                ok = rule_unit(p, key, value, r);
                break;
        case RKEY_PROCESS:
                ok = rule_string(p, key, value, &r->comm_glob);
                if (ok)
                        comm_truncate(r->comm_glob);
                break;
        case RKEY_CMDLINE:
                ok = rule_string(p, key, value, &r->cmdline_glob);
                break;
        case RKEY_BEFORE:
                ok = rule_before(p, value, r);
                break;
        case RKEY_BEFORE_WAIT:
                ok = key_duration(p, key, value, CONFIG_MIN_BEFORE_WAIT_USEC,
                                  CONFIG_MAX_BEFORE_WAIT_USEC, "10s, 30s, 2m", &r->before_wait_usec);
                break;
        case RKEY_NOTIFY:
                ok = rule_signal(p, key, value, &r->notify_signal);
                break;
        }
        d->key_ok[k] = ok;
}
