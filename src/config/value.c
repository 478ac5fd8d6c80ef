/* value.c — the value syntax of memguard.conf(5): numbers, sizes,
 * durations, rates, percentages and booleans as written (and a duration
 * printed back the same way), and the names of actions, targets and protect
 * kinds. Pure functions of their arguments; no Parser. */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/parser.h"
#include "util/cleanup.h"

/* The kernel keeps 15 characters of a task name (TASK_COMM_LEN 16). */
#define COMM_CHARS 15
/* Sizes are kept in kB; stay where the byte count still fits in 64 bits. */
#define MAX_SIZE_KB (UINT64_MAX / 1024)

/* ---- names ------------------------------------------------------------ */

static const char *const action_names[] = {
        [ACTION_WARN] = "warn",
        [ACTION_TERM] = "term",
        [ACTION_KILL] = "kill",
        [ACTION_RESTART] = "restart",
};

static const char *const target_names[] = {
        [TARGET_OOM_SCORE] = "oom-score",
        [TARGET_PSS] = "pss",
        [TARGET_FASTEST_GROWING] = "fastest-growing",
};

static const char *const protect_kind_names[_PROTECT_KIND_MAX] = {
        [PROTECT_NAME] = "name",
        [PROTECT_EXE] = "executable",
        [PROTECT_UNIT] = "unit",
};

const char *action_to_string(Action a)
{
        if ((unsigned)a >= ELEMENTSOF(action_names))
                return "?";
        return action_names[a];
}

const char *target_to_string(Target t)
{
        if ((unsigned)t >= ELEMENTSOF(target_names))
                return "?";
        return target_names[t];
}

const char *protect_kind_to_string(ProtectKind k)
{
        if ((unsigned)k >= _PROTECT_KIND_MAX)
                return "?";
        return protect_kind_names[k];
}

int name_lookup(const char *const *names, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (names[i] && strcasecmp(names[i], s) == 0)
                        return (int)i;
        return -1;
}

/* The Action or Target named S (any case, as the config writes it), or -1. */
int action_from_string(const char *s)
{
        return name_lookup(action_names, ELEMENTSOF(action_names), s);
}

int target_from_string(const char *s)
{
        return name_lookup(target_names, ELEMENTSOF(target_names), s);
}

uint64_t condition_threshold_kb(const Condition *c, uint64_t mem_total_kb)
{
        if (metric_kind(c->metric) != METRIC_KIND_SIZE)
                return 0;
        if (!c->is_percent)
                return c->kb;
        /* Rounded to the nearest kB; exact enough for any MemTotal. */
        return (uint64_t)((double)mem_total_kb * c->percent / 100.0 + 0.5);
}

/* ---- value syntax ----------------------------------------------------- */

/* A decimal number as written: digits, optionally '.' and more digits. No
 * sign, no exponent, no hex: a config value is read by people. Fraction
 * digits beyond nine are validated and dropped (below a nanosecond or a
 * millionth of a kB). */
typedef struct Number {
        uint64_t ip;         /* integer part */
        uint64_t frac;       /* fraction digits as an integer ... */
        uint64_t frac_scale; /* ... over this power of ten (1 if none) */
        bool overflow;       /* integer part did not fit */
} Number;

const char *config_skip_ws(const char *s)
{
        while (*s && isspace((unsigned char)*s))
                s++;
        return s;
}

/* Parses a Number at *P and advances *P past it. Returns 0 or -EINVAL. */
static int parse_number(const char **p, Number *ret)
{
        const char *s = *p;
        Number n = {.frac_scale = 1};

        if (!isdigit((unsigned char)*s))
                return -EINVAL;
        for (; isdigit((unsigned char)*s); s++) {
                uint64_t d = (uint64_t)(*s - '0');
                if (__builtin_mul_overflow(n.ip, 10, &n.ip) ||
                    __builtin_add_overflow(n.ip, d, &n.ip))
                        n.overflow = true;
        }
        if (*s == '.') {
                s++;
                if (!isdigit((unsigned char)*s))
                        return -EINVAL;
                for (; isdigit((unsigned char)*s); s++)
                        if (n.frac_scale < UINT64_C(1000000000)) {
                                n.frac = n.frac * 10 + (uint64_t)(*s - '0');
                                n.frac_scale *= 10;
                        }
        }
        *p = s;
        *ret = n;
        return 0;
}

/* N * MULT, rounding a fraction up when ROUND_UP (sizes: never say less
 * than was written) and down otherwise. MULT <= 2^32 keeps the fraction
 * product below 2^62. Returns 0 or -ERANGE. */
static int number_scale(const Number *n, uint64_t mult, bool round_up, uint64_t *ret)
{
        uint64_t v, f;

        if (n->overflow || __builtin_mul_overflow(n->ip, mult, &v))
                return -ERANGE;
        f = n->frac * mult;
        f = round_up ? (f + n->frac_scale - 1) / n->frac_scale : f / n->frac_scale;
        if (__builtin_add_overflow(v, f, &v))
                return -ERANGE;
        *ret = v;
        return 0;
}

static double number_to_double(const Number *n)
{
        return (double)n->ip + (double)n->frac / (double)n->frac_scale;
}

/* Copies S without surrounding whitespace into a new string. */
static char *strdup_trimmed(const char *s)
{
        const char *b = config_skip_ws(s);
        size_t len = strlen(b);

        while (len > 0 && isspace((unsigned char)b[len - 1]))
                len--;
        return strndup(b, len);
}

int config_parse_size(const char *s, uint64_t *ret_kb, bool *ret_is_percent, double *ret_percent)
{
        static const struct {
                const char *suffix;
                unsigned shift; /* of 1024 */
        } units[] = {
                {"", 0},    {"b", 0}, {"k", 1},  {"kb", 1},  {"kib", 1}, {"m", 2},  {"mb", 2},
                {"mib", 2}, {"g", 3}, {"gb", 3}, {"gib", 3}, {"t", 4},   {"tb", 4}, {"tib", 4},
        };
        _cleanup_free_ char *t = NULL;
        const char *p;
        Number n;
        uint64_t kb;
        int r;

        if (!s)
                return -EINVAL;
        t = strdup_trimmed(s);
        if (!t)
                return -ENOMEM;
        p = t;
        if (parse_number(&p, &n) < 0)
                return -EINVAL;
        p = config_skip_ws(p); /* "10 M" reads as "10M" */

        if (strcmp(p, "%") == 0) {
                double pct = number_to_double(&n);
                if (n.overflow || pct > 100.0)
                        return -ERANGE;
                *ret_kb = 0;
                *ret_is_percent = true;
                *ret_percent = pct;
                return 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                if (strcasecmp(p, units[i].suffix) != 0)
                        continue;
                if (units[i].shift == 0) {
                        /* Bytes: a partial kB counts as a whole one. */
                        uint64_t bytes;
                        r = number_scale(&n, 1, true, &bytes);
                        if (r < 0)
                                return r;
                        kb = bytes / 1024 + (bytes % 1024 ? 1 : 0);
                } else {
                        r = number_scale(&n, UINT64_C(1) << (10 * (units[i].shift - 1)), true, &kb);
                        if (r < 0)
                                return r;
                }
                if (kb > MAX_SIZE_KB)
                        return -ERANGE;
                *ret_kb = kb;
                *ret_is_percent = false;
                *ret_percent = 0;
                return 0;
        }
        return -EINVAL;
}

int config_parse_duration(const char *s, uint64_t *ret_usec)
{
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                {"", USEC_PER_SEC},         {"us", 1},
                {"ms", USEC_PER_MSEC},      {"s", USEC_PER_SEC},
                {"m", 60 * USEC_PER_SEC},   {"min", 60 * USEC_PER_SEC},
                {"h", 3600 * USEC_PER_SEC},
        };
        _cleanup_free_ char *t = NULL;
        const char *p;
        Number n;

        if (!s)
                return -EINVAL;
        t = strdup_trimmed(s);
        if (!t)
                return -ENOMEM;
        p = t;
        if (parse_number(&p, &n) < 0)
                return -EINVAL;
        p = config_skip_ws(p);
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (strcasecmp(p, units[i].suffix) == 0)
                        return number_scale(&n, units[i].usec, false, ret_usec);
        return -EINVAL;
}

int config_parse_rate(const char *s, uint64_t *ret_kb_per_hour)
{
        static const struct {
                const char *suffix;
                uint64_t per_hour;
        } units[] = {
                {"s", 3600}, {"m", 60}, {"min", 60}, {"h", 1}, {"d", 0},
        };
        _cleanup_free_ char *t = NULL;
        char *slash;
        uint64_t kb;
        bool is_percent;
        double percent;
        int r;

        if (!s)
                return -EINVAL;
        t = strdup_trimmed(s);
        if (!t)
                return -ENOMEM;
        slash = strchr(t, '/');
        if (!slash)
                return -EINVAL;
        *slash = '\0';
        r = config_parse_size(t, &kb, &is_percent, &percent);
        if (r < 0)
                return r;
        if (is_percent)
                return -EINVAL;
        const char *u = config_skip_ws(slash + 1);
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                if (strcasecmp(u, units[i].suffix) != 0)
                        continue;
                if (units[i].per_hour == 0) { /* per day: round up */
                        *ret_kb_per_hour = kb / 24 + (kb % 24 != 0);
                        return 0;
                }
                if (kb > MAX_SIZE_KB / units[i].per_hour)
                        return -ERANGE;
                *ret_kb_per_hour = kb * units[i].per_hour;
                return 0;
        }
        return -EINVAL;
}

/* A PSI threshold: percent of time, "20" or "20%", 0..100. */
int parse_psi_percent(const char *s, double *ret)
{
        const char *p = config_skip_ws(s);
        Number n;
        double v;

        if (parse_number(&p, &n) < 0)
                return -EINVAL;
        p = config_skip_ws(p);
        if (*p == '%')
                p = config_skip_ws(p + 1);
        if (*p)
                return -EINVAL;
        v = number_to_double(&n);
        if (n.overflow || v > 100.0)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_bool(const char *s)
{
        static const char *const yes[] = {"yes", "true", "on", "1"};
        static const char *const no[] = {"no", "false", "off", "0"};

        if (name_lookup(yes, ELEMENTSOF(yes), s) >= 0)
                return 1;
        if (name_lookup(no, ELEMENTSOF(no), s) >= 0)
                return 0;
        return -EINVAL;
}

void format_duration(uint64_t usec, char *buf, size_t size)
{
        if (usec == 0)
                snprintf(buf, size, "0");
        else if (usec % (3600 * USEC_PER_SEC) == 0)
                snprintf(buf, size, "%" PRIu64 "h", usec / (3600 * USEC_PER_SEC));
        else if (usec % (60 * USEC_PER_SEC) == 0)
                snprintf(buf, size, "%" PRIu64 "m", usec / (60 * USEC_PER_SEC));
        else if (usec % USEC_PER_SEC == 0)
                snprintf(buf, size, "%" PRIu64 "s", usec / USEC_PER_SEC);
        else if (usec % USEC_PER_MSEC == 0)
                snprintf(buf, size, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
        else
                snprintf(buf, size, "%" PRIu64 "us", usec);
}

bool glob_has_magic(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

/* A literal process name longer than the kernel keeps could never match;
 * cut it as the kernel does ("systemd-journald" runs as
 * "systemd-journal"). Globs are left alone. */
void comm_truncate(char *s)
{
        if (!glob_has_magic(s) && strlen(s) > COMM_CHARS)
                s[COMM_CHARS] = '\0';
}
