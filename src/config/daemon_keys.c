/* daemon_keys.c — the keys of [daemon]: interval, fast-interval, cooldown,
 * dry-run, metrics-file, metrics-interval, and protect, whose entries are told apart by their form (a
 * program name, an executable, a unit). Also key_duration(), the bounded
 * duration that the rule keys for and grace use too. */
#include "config/parser.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

static const char *const daemon_keys[_DKEY_MAX] = {
        [DKEY_INTERVAL] = "interval", [DKEY_FAST_INTERVAL] = "fast-interval",
        [DKEY_DRY_RUN] = "dry-run",   [DKEY_PROTECT] = "protect",
        [DKEY_COOLDOWN] = "cooldown", [DKEY_METRICS_FILE] = "metrics-file",
        [DKEY_METRICS_INTERVAL] = "metrics-interval",
};

/* ---- protect ---------------------------------------------------------- */

static void protect_clear(Config *c)
{
        for (size_t i = 0; i < c->n_protect; i++)
                free(c->protect[i].glob);
        free(c->protect);
        c->protect = NULL;
        c->n_protect = 0;
}

/* Adds GLOB (taken over: freed on failure or when a duplicate). */
static int protect_add(Config *c, ProtectKind kind, char *glob)
{
        Protect *l;

        for (size_t i = 0; i < c->n_protect; i++)
                if (c->protect[i].kind == kind && strcmp(c->protect[i].glob, glob) == 0) {
                        free(glob);
                        return 0;
                }
        l = reallocarray(c->protect, c->n_protect + 1, sizeof(Protect));
        if (!l) {
                free(glob);
                return -ENOMEM;
        }
        l[c->n_protect++] = (Protect){kind, glob};
        c->protect = l;
        return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* An executable as /proc/PID/exe shows it: absolute, and no empty, "." or
 * ".." component (the kernel prints the path it resolved), so that a
 * pattern that could never match is refused rather than kept. */
static bool exe_path_normal(const char *s)
{
        if (s[0] != '/')
                return false;
        for (const char *c = s; *c;) {
                size_t n;
                c++; /* the '/' */
                n = strcspn(c, "/");
                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += n;
        }
        return true;
}

/* One whitespace-separated word of `protect =`: what it names is told by
 * its form (a '/' makes an executable, a unit suffix a unit, anything else
 * a program name; see ProtectKind). */
static void protect_entry(Parser *p, const char *key, const char *word, size_t len)
{
        static const char *const unit_suffixes[] = {".service", ".scope", ".socket", ".mount",
                                                    ".swap"};
        static const char *const empty_suffixes[] = {".target", ".timer", ".path", ".device",
                                                     ".automount"};
        _cleanup_free_ char *s = strndup(word, len);
        ProtectKind kind = PROTECT_NAME;

        if (!s) {
                p->oom = true;
                return;
        }
        if (strchr(s, ',')) {
                parser_diag(p, p->lineno, "%s: '%s': separate names with spaces, not commas", key, s);
                return;
        }
        if (strchr(s, '/')) {
                if (s[0] != '/') {
                        parser_diag(p, p->lineno, "%s: '%s': an executable is named by its absolute path",
                             key, s);
                        return;
                }
                if (!exe_path_normal(s)) {
                        parser_diag(p, p->lineno,
                             "%s: '%s': write the executable as /proc/PID/exe shows it, without "
                             "//, . or .. and with no '/' at the end",
                             key, s);
                        return;
                }
                kind = PROTECT_EXE;
        } else if (has_suffix(s, ".slice")) {
                parser_diag(p, p->lineno,
                     "%s: '%s': a slice cannot be protected (it would shield every process below "
                     "it); name its units",
                     key, s);
                return;
        } else {
                for (size_t i = 0; i < ELEMENTSOF(empty_suffixes); i++)
                        if (has_suffix(s, empty_suffixes[i])) {
                                parser_diag(p, p->lineno,
                                     "%s: '%s': a %s unit runs no processes; name the units "
                                     "that do (.service, .scope, .socket, .mount, .swap)",
                                     key, s, empty_suffixes[i]);
                                return;
                        }
                for (size_t i = 0; i < ELEMENTSOF(unit_suffixes); i++)
                        if (has_suffix(s, unit_suffixes[i]))
                                kind = PROTECT_UNIT;
        }
        if (kind == PROTECT_NAME)
                comm_truncate(s);
        if (protect_add(p->config, kind, TAKE_PTR(s)) < 0)
                p->oom = true;
}

/* ---- [daemon] --------------------------------------------------------- */

/* A duration key: MIN_USEC..MAX_USEC (see config.h for why a maximum).
 * EXAMPLES for the syntax error. Writes *RET only if valid. */
bool key_duration(Parser *p, const char *key, const char *value, uint64_t min_usec,
                  uint64_t max_usec, const char *examples, uint64_t *ret)
{
        char limit[32];
        uint64_t usec = 0;
        int r = config_parse_duration(value, &usec);

        if (r == -ENOMEM) {
                p->oom = true;
                return false;
        }
        if (r < 0 && r != -ERANGE) {
                parser_diag(p, p->lineno, "%s: '%s' is not a duration (use e.g. %s)", key, value,
                     examples);
                return false;
        }
        if (r == -ERANGE || usec > max_usec) {
                format_duration(max_usec, limit, sizeof(limit));
                parser_diag(p, p->lineno, "%s: '%s' is too long (at most %s)", key, value, limit);
                return false;
        }
        if (usec < min_usec) {
                format_duration(min_usec, limit, sizeof(limit));
                parser_diag(p, p->lineno, "%s: '%s' is too short (at least %s)", key, value, limit);
                return false;
        }
        *ret = usec;
        return true;
}

#define DAEMON_EXAMPLES "100ms, 1s, 2m"

/* metrics-file: an absolute path whose name ends in ".prom", the only
 * files node_exporter's textfile collector reads (a name that does not
 * would be written and never scraped: an error now, not a silent gap).
 * Empty: off, so that a drop-in can turn it off. */
static void metrics_file_key(Parser *p, const char *key, const char *value)
{
        Config *c = p->config;
        const char *name = strrchr(value, '/');

        if (!*value) {
                free(c->metrics_file);
                c->metrics_file = NULL;
                return;
        }
        if (value[0] != '/') {
                parser_diag(p, p->lineno, "%s: '%s': write an absolute path (e.g. %s)", key, value,
                            "/var/lib/prometheus/node-exporter/memguard.prom");
                return;
        }
        if (!has_suffix(name + 1, ".prom") || strcmp(name + 1, ".prom") == 0) {
                parser_diag(p, p->lineno,
                            "%s: '%s': the file name must end in .prom (node_exporter's textfile "
                            "collector reads no other)",
                            key, value);
                return;
        }
        char *s = strdup(value);
        if (!s) {
                p->oom = true;
                return;
        }
        free(c->metrics_file);
        c->metrics_file = s;
}

void daemon_key(Parser *p, const char *key, const char *value)
{
        Config *c = p->config;
        int k = name_lookup(daemon_keys, _DKEY_MAX, key);

        if (k < 0 || strcmp(daemon_keys[k], key) != 0) {
                parser_diag(p, p->lineno, "%s: unknown key in [daemon]", key);
                return;
        }
        /* protect is a list: each line adds to it, an empty one clears it. */
        if (k != DKEY_PROTECT && p->daemon_line[k]) {
                parser_diag(p, p->lineno, "%s: given twice in [daemon] (first at line %u)", key,
                     p->daemon_line[k]);
                return;
        }
        p->daemon_line[k] = p->lineno;

        switch (k) {
        case DKEY_INTERVAL:
                if (key_duration(p, key, value, CONFIG_MIN_INTERVAL_USEC, CONFIG_MAX_INTERVAL_USEC,
                                 DAEMON_EXAMPLES, &c->interval_usec))
                        p->interval_at = (Where){p->file_idx, p->lineno};
                break;
        case DKEY_FAST_INTERVAL:
                if (key_duration(p, key, value, CONFIG_MIN_INTERVAL_USEC, CONFIG_MAX_INTERVAL_USEC,
                                 DAEMON_EXAMPLES, &c->fast_interval_usec))
                        p->fast_interval_at = (Where){p->file_idx, p->lineno};
                break;
        case DKEY_COOLDOWN:
                (void)key_duration(p, key, value, 0, CONFIG_MAX_COOLDOWN_USEC, DAEMON_EXAMPLES,
                                   &c->cooldown_usec);
                break;
        case DKEY_DRY_RUN: {
                int b = parse_bool(value);
                if (b < 0)
                        parser_diag(p, p->lineno, "%s: expected yes or no, not '%s'", key, value);
                else
                        c->dry_run = b;
                break;
        }
        case DKEY_METRICS_FILE:
                metrics_file_key(p, key, value);
                break;
        case DKEY_METRICS_INTERVAL:
                (void)key_duration(p, key, value, 0, CONFIG_MAX_INTERVAL_USEC, DAEMON_EXAMPLES,
                                   &c->metrics_interval_usec);
                break;
        case DKEY_PROTECT: {
                const char *s = config_skip_ws(value);
                if (!*s) {
                        protect_clear(c);
                        break;
                }
                while (*s) {
                        size_t len = 0;
                        while (s[len] && !isspace((unsigned char)s[len]))
                                len++;
                        protect_entry(p, key, s, len);
                        s = config_skip_ws(s + len);
                }
                break;
        }
        }
}
