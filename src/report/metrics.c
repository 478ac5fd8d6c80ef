/* metrics.c — the view as a Prometheus textfile (metrics.h). */
#include "report/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sample/growth.h"
#include "util/log.h"
#include "util/replace.h"

#define KB 1024.0

/* ---- the format ------------------------------------------------------ */

static void family(FILE *out, const char *name, const char *type, const char *help)
{
        fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: \\, \" and \n escaped as the format asks; a control
 * character or a byte that is not UTF-8 as U+FFFD. */
static void label_value(FILE *out, const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        while (*p) {
                size_t n = utf8_len(p);
                if (n == 0 || (n == 1 && *p != '\n' && (*p < 0x20 || *p == 0x7f))) {
                        fputs("\xef\xbf\xbd", out);
                        p++;
                } else if (*p == '\\' || *p == '"') {
                        fputc('\\', out);
                        fputc(*p++, out);
                } else if (*p == '\n') {
                        fputs("\\n", out);
                        p++;
                } else {
                        fwrite(p, 1, n, out);
                        p += n;
                }
        }
}

/* NAME{K1="V1",...} for the NULL-terminated pairs in LABELS. */
static void series(FILE *out, const char *name, const char *const *labels)
{
        fputs(name, out);
        if (!labels || !labels[0]) {
                fputc(' ', out);
                return;
        }
        fputc('{', out);
        for (size_t i = 0; labels[i]; i += 2) {
                fprintf(out, "%s%s=\"", i ? "," : "", labels[i]);
                label_value(out, labels[i + 1]);
                fputc('"', out);
        }
        fputs("} ", out);
}

static void put_u64(FILE *out, const char *name, const char *const *labels, uint64_t v)
{
        series(out, name, labels);
        fprintf(out, "%llu\n", (unsigned long long)v);
}

/* FMT for a finite V ("%.9g", "%.3f"); +Inf, -Inf and NaN as the format
 * spells them. */
static void put_num(FILE *out, const char *name, const char *const *labels, const char *fmt,
                    double v)
{
        series(out, name, labels);
        if (isnan(v))
                fputs("NaN", out);
        else if (isinf(v))
                fputs(v > 0 ? "+Inf" : "-Inf", out);
        else
                fprintf(out, fmt, v);
        fputc('\n', out);
}

/* ---- the view --------------------------------------------------------- */

static double seconds(uint64_t usec)
{
        return (double)usec / 1e6;
}

static double bytes_per_second(double kb_per_hour)
{
        return kb_per_hour * KB / 3600;
}

static void daemon_metrics(FILE *out, const StatusFile *f)
{
        const StatusHeader *h = &f->header;
        const char *version[] = { "version", h->version_str, NULL };

        family(out, "memguard_build_info", "gauge", "The running memguard's version, as a label; always 1.");
        put_u64(out, "memguard_build_info", version, 1);
        family(out, "memguard_dry_run", "gauge",
               "1 when memguard only logs what it would do (dry-run = yes or --dry-run), else 0.");
        put_u64(out, "memguard_dry_run", NULL, h->dry_run);
        family(out, "memguard_start_time_seconds", "gauge",
               "When the daemon started, in seconds since the Unix epoch.");
        put_num(out, "memguard_start_time_seconds", NULL, "%.3f", seconds(h->started_realtime_usec));
        family(out, "memguard_view_timestamp_seconds", "gauge",
               "When the daemon took the view these metrics show, in seconds since the Unix epoch "
               "(the file is rewritten at most every metrics-interval, 1 min by default).");
        put_num(out, "memguard_view_timestamp_seconds", NULL, "%.6f",
                seconds(h->written_realtime_usec));
        family(out, "memguard_cpu_seconds_total", "counter",
               "CPU time (user and system) the daemon has used since it started.");
        put_num(out, "memguard_cpu_seconds_total", NULL, "%.6f", seconds(h->cpu_usec));
        family(out, "memguard_resident_memory_bytes", "gauge",
               "The daemon's resident memory (VmRSS) as the last walk of /proc read it.");
        put_u64(out, "memguard_resident_memory_bytes", NULL, h->rss_kb * 1024);
        family(out, "memguard_history_bytes", "gauge",
               "Memory the growth histories take (the series of processes and units memguard keeps; "
               "bounded, see memguard.conf(5)).");
        put_u64(out, "memguard_history_bytes", NULL, h->history_bytes);
        family(out, "memguard_history_series", "gauge", "Growth series kept, of processes and units.");
        put_u64(out, "memguard_history_series", NULL, h->history_series);
        family(out, "memguard_heap_bytes", "gauge",
               "The daemon's malloc heap: in use (with up to 235 KiB of freed chunks glibc caches), "
               "and held free by malloc (not returned to the kernel).");
        const char *used_l[] = { "state", "used", NULL }, *free_l[] = { "state", "free", NULL };
        put_u64(out, "memguard_heap_bytes", used_l, h->heap_used_bytes);
        put_u64(out, "memguard_heap_bytes", free_l, h->heap_free_bytes);
        family(out, "memguard_sample_duration_seconds", "gauge",
               "CPU time the last full sample (the walk of /proc and the units) took.");
        put_num(out, "memguard_sample_duration_seconds", NULL, "%.6f", seconds(h->sample_usec));
        family(out, "memguard_samples_total", "counter",
               "Samples taken since memguard started: of meminfo (tier system), of the units' "
               "memory.current (units), whole walks of /proc (walks).");
        static const char *const tier[STATUS_SAMPLE_KINDS] = { "system", "units", "walks" };
        for (size_t i = 0; i < STATUS_SAMPLE_KINDS; i++) {
                const char *l[] = { "tier", tier[i], NULL };
                put_u64(out, "memguard_samples_total", l, h->samples[i]);
        }
}

static void system_metrics(FILE *out, const StatusFile *f)
{
        const StatusSystem *s = &f->system;

        family(out, "memguard_memory_total_bytes", "gauge", "MemTotal of /proc/meminfo.");
        put_u64(out, "memguard_memory_total_bytes", NULL, s->mem.total_kb * 1024);
        family(out, "memguard_memory_available_bytes", "gauge",
               "MemAvailable of /proc/meminfo: what the rules' mem.available compares.");
        put_u64(out, "memguard_memory_available_bytes", NULL, s->mem.available_kb * 1024);
        family(out, "memguard_swap_total_bytes", "gauge", "SwapTotal of /proc/meminfo.");
        put_u64(out, "memguard_swap_total_bytes", NULL, s->mem.swap_total_kb * 1024);
        family(out, "memguard_swap_free_bytes", "gauge", "SwapFree of /proc/meminfo.");
        put_u64(out, "memguard_swap_free_bytes", NULL, s->mem.swap_free_kb * 1024);

        if (s->has_psi) {
                static const struct {
                        const char *name, *help;
                        bool full;
                        size_t window;
                } psi[] = {
                        { "memguard_pressure_some_avg10",
                          "Memory pressure (PSI) some avg10 as a ratio 0..1 (the kernel's percentage / "
                          "100): the share of the last 10 s in which some task stalled on memory.",
                          false, 0 },
                        { "memguard_pressure_some_avg60",
                          "Memory pressure (PSI) some avg60 as a ratio 0..1 (the kernel's percentage / 100).",
                          false, 1 },
                        { "memguard_pressure_some_avg300",
                          "Memory pressure (PSI) some avg300 as a ratio 0..1 (the kernel's percentage / 100).",
                          false, 2 },
                        { "memguard_pressure_full_avg10",
                          "Memory pressure (PSI) full avg10 as a ratio 0..1 (the kernel's percentage / "
                          "100): the share of the last 10 s in which every task stalled on memory.",
                          true, 0 },
                        { "memguard_pressure_full_avg60",
                          "Memory pressure (PSI) full avg60 as a ratio 0..1 (the kernel's percentage / 100).",
                          true, 1 },
                        { "memguard_pressure_full_avg300",
                          "Memory pressure (PSI) full avg300 as a ratio 0..1 (the kernel's percentage / 100).",
                          true, 2 },
                };
                for (size_t i = 0; i < sizeof psi / sizeof *psi; i++) {
                        const PsiLine *l = psi[i].full ? &s->psi.full : &s->psi.some;
                        if (psi[i].full && !s->psi.has_full)
                                continue;
                        double pct = psi[i].window == 0 ? l->avg10 : psi[i].window == 1 ? l->avg60
                                                                                        : l->avg300;
                        family(out, psi[i].name, "gauge", psi[i].help);
                        put_num(out, psi[i].name, NULL, "%.6g", pct / 100);
                }
        }

        if (s->growth.valid && s->exhaustion_usec != GROWTH_ETA_NEVER) {
                family(out, "memguard_memory_exhaustion_seconds", "gauge",
                       "When memory runs out at the trend of used memory (mem.exhaustion), in seconds "
                       "from the view; absent when memory is not heading for exhaustion or the trend "
                       "is not known.");
                put_num(out, "memguard_memory_exhaustion_seconds", NULL, "%.3f",
                        seconds(s->exhaustion_usec));
        }
        if (s->has_oom_kills) {
                family(out, "memguard_kernel_oom_kills_total", "counter",
                       "Processes the kernel's OOM killer killed since boot (oom_kill of /proc/vmstat).");
                put_u64(out, "memguard_kernel_oom_kills_total", NULL, s->oom_kills);
        }
        family(out, "memguard_kernel_oom_kills_reported_total", "counter",
               "The kernel's OOM kills memguard reported in the journal since it started, by scope: "
               "system (the machine ran out) or cgroup (a unit's own limit).");
        const char *sys_l[] = { "scope", "system", NULL }, *cg_l[] = { "scope", "cgroup", NULL };
        put_u64(out, "memguard_kernel_oom_kills_reported_total", sys_l, s->oom_reported[0]);
        put_u64(out, "memguard_kernel_oom_kills_reported_total", cg_l, s->oom_reported[1]);
        family(out, "memguard_processes", "gauge", "Processes the last walk of /proc found.");
        put_u64(out, "memguard_processes", NULL, s->n_procs);
        family(out, "memguard_units", "gauge",
               "Units the last sample found (the metrics name the largest, at most 512).");
        put_u64(out, "memguard_units", NULL, s->n_units);
}

/* ---- units ------------------------------------------------------------ */

static const char *manager_of(const StatusUnit *u)
{
        return u->owner[0] ? u->owner : "system";
}

/* By manager, name, and largest first: a name twice under one manager
 * keeps its larger unit (the first). */
static int cmp_unit(const void *a, const void *b, void *arg)
{
        const StatusUnit *units = arg;
        const StatusUnit *x = &units[*(const uint32_t *)a], *y = &units[*(const uint32_t *)b];
        int c = strcmp(x->owner, y->owner);
        if (c == 0)
                c = strcmp(x->name, y->name);
        if (c == 0)
                c = (x->memory_kb < y->memory_kb) - (x->memory_kb > y->memory_kb);
        return c;
}

typedef enum UnitFamily {
        UNIT_MEMORY,
        UNIT_GROWTH,
        UNIT_BAND,
        UNIT_BUDGET,
        UNIT_BUDGET_REACHED,
        _UNIT_FAMILY_MAX,
} UnitFamily;

static const struct {
        const char *name, *help;
} unit_families[] = {
        [UNIT_MEMORY] = { "memguard_unit_memory_bytes",
                          "A unit's memory: its cgroup's memory.current, or the PSS of its processes "
                          "where the cgroup has no memory controller." },
        [UNIT_GROWTH] = { "memguard_unit_growth_bytes_per_second",
                          "A unit's growth over its rules' window (unit.growth), where it is known." },
        [UNIT_BAND] = { "memguard_unit_growth_band_bytes_per_second",
                        "The band around a unit's growth (the rate is vouched for only within it; "
                        "+Inf: too few points to say)." },
        [UNIT_BUDGET] = { "memguard_unit_budget_bytes",
                          "A unit's budget: the lowest 'unit.memory >' of the rules that watch it." },
        [UNIT_BUDGET_REACHED] = { "memguard_unit_budget_reached_seconds",
                                  "When a unit reaches its budget at its growth (unit.budget-eta), in "
                                  "seconds from the view; absent when it does not at this trend." },
};

/* Whether unit U has a value in family K, and which. */
static bool unit_value(const StatusUnit *u, UnitFamily k, double *ret)
{
        switch (k) {
        case UNIT_MEMORY:
                *ret = (double)u->memory_kb * KB;
                return true;
        case UNIT_GROWTH:
                *ret = bytes_per_second(u->growth.kb_per_hour);
                return u->growth.valid;
        case UNIT_BAND:
                *ret = bytes_per_second(u->growth.band_kb_per_hour);
                return u->growth.valid;
        case UNIT_BUDGET:
                *ret = (double)u->budget_kb * KB;
                return u->budget_kb != 0;
        case UNIT_BUDGET_REACHED:
                *ret = seconds(u->budget_eta_usec);
                return u->budget_kb != 0 && u->growth.valid && u->budget_eta_usec != GROWTH_ETA_NEVER;
        default:
                return false;
        }
}

static void unit_metrics(FILE *out, const StatusFile *f)
{
        uint32_t idx[STATUS_MAX_UNITS];
        size_t n = 0;

        for (size_t i = 0; i < f->n_units && n < STATUS_MAX_UNITS; i++)
                idx[n++] = (uint32_t)i;
        qsort_r(idx, n, sizeof *idx, cmp_unit, f->units);

        for (UnitFamily k = 0; k < _UNIT_FAMILY_MAX; k++) {
                bool head = false;
                for (size_t i = 0; i < n; i++) {
                        const StatusUnit *u = &f->units[idx[i]], *prev = i ? &f->units[idx[i - 1]] : NULL;
                        double v;
                        if (prev && strcmp(prev->owner, u->owner) == 0 && strcmp(prev->name, u->name) == 0)
                                continue;
                        if (!unit_value(u, k, &v))
                                continue;
                        if (!head) {
                                family(out, unit_families[k].name, "gauge", unit_families[k].help);
                                head = true;
                        }
                        const char *labels[] = { "unit", u->name, "manager", manager_of(u), NULL };
                        if (k == UNIT_MEMORY || k == UNIT_BUDGET)
                                put_u64(out, unit_families[k].name, labels, (uint64_t)v);
                        else
                                put_num(out, unit_families[k].name, labels,
                                        k == UNIT_BUDGET_REACHED ? "%.3f" : "%.6g", v);
                }
        }
}

/* ---- rules and actions ------------------------------------------------ */

static void rule_metrics(FILE *out, const StatusFile *f)
{
        if (f->n_rules == 0)
                return;
        family(out, "memguard_rule_active", "gauge",
               "1 while a rule's condition holds (for a process or unit rule: on some target), "
               "waiting out its 'for' or fired, else 0.");
        for (size_t i = 0; i < f->n_rules; i++) {
                const char *labels[] = { "rule", f->rules[i].name, NULL };
                put_u64(out, "memguard_rule_active", labels, f->rules[i].view.active);
        }
        family(out, "memguard_rule_fired_total", "counter",
               "Times a rule has fired since the daemon started (a reload keeps a rule's count).");
        for (size_t i = 0; i < f->n_rules; i++) {
                const char *labels[] = { "rule", f->rules[i].name, NULL };
                put_u64(out, "memguard_rule_fired_total", labels, f->rules[i].view.fires);
        }
        family(out, "memguard_rule_targets", "gauge",
               "Processes or units a process or unit rule's condition holds on now (0 for system rules).");
        for (size_t i = 0; i < f->n_rules; i++) {
                const char *labels[] = { "rule", f->rules[i].name, NULL };
                put_u64(out, "memguard_rule_targets", labels, f->rules[i].view.n_targets);
        }
}

static void action_metrics(FILE *out, const StatusFile *f)
{
        family(out, "memguard_actions_total", "counter",
               "Actions carried out since the daemon started, by rule, action (warn, term, kill, "
               "restart) and result (warned, done, not_done, failed, dry_run), counted when the "
               "result is known; rule is empty for combinations beyond the first 64.");
        for (size_t i = 0; i < f->n_counts; i++) {
                const StatusCount *c = &f->counts[i];
                if ((unsigned)c->result >= _ACTION_RESULT_MAX || (unsigned)c->action >= STATUS_N_ACTIONS)
                        continue;
                const char *labels[] = { "rule", c->rule, "action", action_to_string(c->action),
                                         "result", action_result_label(c->result), NULL };
                put_u64(out, "memguard_actions_total", labels, c->count);
        }
}

int metrics_render(FILE *out, const StatusFile *f)
{
        daemon_metrics(out, f);
        system_metrics(out, f);
        unit_metrics(out, f);
        rule_metrics(out, f);
        action_metrics(out, f);
        return ferror(out) ? -EIO : 0;
}

static int render(FILE *out, const void *f)
{
        return metrics_render(out, f);
}

int metrics_write_file(const char *path, const StatusFile *f)
{
        if (path[0] != '/')
                return -EINVAL;
        return file_replace(path, 0644, render, f);
}
