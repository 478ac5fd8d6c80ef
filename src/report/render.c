/* render.c — `memguard status` as a table and as JSON (render.h). */
#include "report/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sample/growth.h"
#include "util/cleanup.h"
#include "util/format.h"
#include "util/log.h"

static int cmp_unit(const void *a, const void *b)
{
        uint64_t x = ((const StatusUnit *)a)->memory_kb, y = ((const StatusUnit *)b)->memory_kb;
        return (x < y) - (x > y);
}

static int cmp_proc(const void *a, const void *b)
{
        uint64_t x = ((const StatusProc *)a)->size_kb, y = ((const StatusProc *)b)->size_kb;
        return (x < y) - (x > y);
}

void status_sort(StatusFile *f)
{
        if (f->n_units > 1)
                qsort(f->units, f->n_units, sizeof *f->units, cmp_unit);
        if (f->n_procs > 1)
                qsort(f->procs, f->n_procs, sizeof *f->procs, cmp_proc);
}

/* A name a process or a delegated user chose, as the journal escapes it:
 * no control character reaches the terminal. */
static const char *esc(const char *in, char *buf, size_t size)
{
        log_escape(in, buf, size);
        return buf;
}

static size_t shown(size_t n, const RenderOptions *o)
{
        return o->top && o->top < n ? o->top : n;
}

/* "03:12:07" local time, or "2026-12-01 03:12:07" when not today. */
static const char *clock_of(uint64_t realtime_usec, uint64_t now_usec, char *buf, size_t size)
{
        time_t t = (time_t)(realtime_usec / USEC_PER_SEC), now = (time_t)(now_usec / USEC_PER_SEC);
        struct tm tm, tn;
        localtime_r(&t, &tm);
        localtime_r(&now, &tn);
        strftime(buf, size,
                 tm.tm_yday == tn.tm_yday && tm.tm_year == tn.tm_year ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S",
                 &tm);
        return buf;
}

static const char *ago(uint64_t then, uint64_t now, char *buf, size_t size)
{
        return format_span(now > then ? (double)(now - then) : 0, buf, size);
}

static void put_growth(Buf *b, const StatusGrowth *g)
{
        if (!g->valid) {
                bprintf(b, g->window_usec ? "not yet known" : "-");
                return;
        }
        fmt_rate(b, g->kb_per_hour);
        fmt_band(b, g->kb_per_hour, g->band_kb_per_hour);
}

static const char *action_word(Action a)
{
        return a == ACTION_WARN ? "warn" : a == ACTION_TERM ? "term" : a == ACTION_KILL ? "kill"
                                                                                        : "restart";
}

static const char *scope_word(RuleScope s)
{
        return s == SCOPE_PROCESS ? "process" : s == SCOPE_UNIT ? "unit" : "system";
}

/* "quiet", "holding for 12 s of 30 s: api.service", "fired at 03:12:07":
 * as of the view (NOW: when it was written). */
static void put_rule_state(Buf *b, const StatusRule *r, uint64_t now)
{
        char t[32], d[32];
        const RuleView *v = &r->view;

        if (!v->active) {
                bprintf(b, "quiet");
        } else if (v->fired) {
                bprintf(b, "fired");
                if (v->fired_usec)
                        bprintf(b, " at %s", clock_of(v->fired_usec, now, t, sizeof t));
                bprintf(b, ", holding for %s", ago(v->since_usec, now, d, sizeof d));
        } else {
                bprintf(b, "holding for %s", ago(v->since_usec, now, d, sizeof d));
                if (r->for_usec) {
                        bprintf(b, " of ");
                        fmt_held(b, r->for_usec);
                }
        }
        if (v->active && r->scope != SCOPE_SYSTEM) {
                char t2[4 * sizeof v->target];
                bprintf(b, ": %s", esc(v->target, t2, sizeof t2));
                if (v->n_targets > 1)
                        bprintf(b, " and %u more", v->n_targets - 1);
        }
        if (v->fires == 1 && !(v->active && v->fired))
                bprintf(b, "; fired once, at %s", clock_of(v->fired_usec, now, t, sizeof t));
        else if (v->fires > 1 && !(v->active && v->fired))
                bprintf(b, "; fired %llu times, last at %s", (unsigned long long)v->fires,
                        clock_of(v->fired_usec, now, t, sizeof t));
}

void status_render_text(FILE *out, const StatusFile *f, const RenderOptions *o)
{
        const StatusHeader *h = &f->header;
        const StatusSystem *s = &f->system;
        const MemInfo *m = &s->mem;
        uint64_t now = o->now_realtime_usec;
        char a[32], b2[32], c[32], line[512];
        Buf b;

        if (o->sampled)
                fprintf(out, "memguard %s: one sample taken now (no daemon's view: no growth, no rules' states)\n",
                        h->version_str);
        else
                fprintf(out, "memguard %s, pid %d, up %s%s; its view of %s ago (%s), config %s\n",
                        h->version_str, (int)h->pid,
                        ago(h->started_realtime_usec, now, a, sizeof a),
                        h->dry_run ? ", DRY RUN" : "", ago(h->written_realtime_usec, now, b2, sizeof b2),
                        clock_of(h->written_realtime_usec, now, c, sizeof c), h->config_path);
        if (!o->sampled && h->procs_realtime_usec &&
            h->written_realtime_usec > h->procs_realtime_usec + 10 * USEC_PER_SEC)
                fprintf(out, "processes as the last walk found them, %s before the view (units' "
                             "memory as of the view, where the unit tier reads it)\n",
                        ago(h->procs_realtime_usec, h->written_realtime_usec, a, sizeof a));
        uint64_t used = m->total_kb > m->available_kb ? m->total_kb - m->available_kb : 0;
        fprintf(out, "\nmemory    %s available of %s (%u%%), %s used",
                format_size((double)m->available_kb, a, sizeof a),
                format_size((double)m->total_kb, b2, sizeof b2),
                m->total_kb ? (unsigned)(m->available_kb * 100 / m->total_kb) : 0,
                format_size((double)used, c, sizeof c));
        if (m->swap_total_kb)
                fprintf(out, "; swap %s free of %s\n", format_size((double)m->swap_free_kb, a, sizeof a),
                        format_size((double)m->swap_total_kb, b2, sizeof b2));
        else
                fprintf(out, "; no swap\n");
        if (s->has_psi) {
                fprintf(out, "pressure  some %.2f%% %.2f%% %.2f%%", s->psi.some.avg10, s->psi.some.avg60,
                        s->psi.some.avg300);
                if (s->psi.has_full)
                        fprintf(out, ", full %.2f%% %.2f%% %.2f%%", s->psi.full.avg10, s->psi.full.avg60,
                                s->psi.full.avg300);
                fprintf(out, " (avg10, avg60, avg300)\n");
        } else {
                fprintf(out, "pressure  no PSI on this kernel\n");
        }
        b = buf_on(line, sizeof line);
        if (s->growth.valid) {
                bprintf(&b, "used memory %s ", s->growth.kb_per_hour >= 0 ? "grows" : "falls");
                fmt_rate(&b, fabs(s->growth.kb_per_hour));
                fmt_band(&b, s->growth.kb_per_hour, s->growth.band_kb_per_hour);
                bprintf(&b, " over ");
                fmt_span(&b, (double)s->growth.window_usec);
                bprintf(&b, "; memory is exhausted ");
                if (s->exhaustion_usec == GROWTH_ETA_NEVER)
                        bprintf(&b, "never at this trend");
                else {
                        bprintf(&b, "in ~");
                        fmt_span(&b, (double)s->exhaustion_usec);
                }
        } else {
                bprintf(&b, o->sampled                ? "not known from one sample"
                            : s->growth.window_usec ? "not yet known (too little history)"
                                                    : "not tracked (no rule watches it)");
        }
        fprintf(out, "trend     %s\n", line);
        if (s->oom_reported[0] || s->oom_reported[1])
                fprintf(out, "kernel    the OOM killer killed %llu since memguard started (%llu system-wide, "
                             "%llu at a cgroup's limit): journalctl -u memguard "
                             "MESSAGE_ID=7ee4ebcd94e34882b71a31c9571fc278\n",
                        (unsigned long long)(s->oom_reported[0] + s->oom_reported[1]),
                        (unsigned long long)s->oom_reported[0], (unsigned long long)s->oom_reported[1]);

        fprintf(out, "\n%-32s %10s  %-22s %10s  %s\n", "UNIT", "MEMORY", "GROWTH", "BUDGET", "REACHED IN");
        for (size_t i = 0; i < shown(f->n_units, o); i++) {
                const StatusUnit *u = &f->units[i];
                char name[STATUS_LABEL_MAX], ename[4 * STATUS_LABEL_MAX], g[64], eta[32] = "-",
                        bud[32] = "-";
                Buf gb = buf_on(g, sizeof g);
                put_growth(&gb, &u->growth);
                if (u->budget_kb)
                        format_size((double)u->budget_kb, bud, sizeof bud);
                if (u->budget_kb && u->budget_eta_usec != GROWTH_ETA_NEVER)
                        format_span((double)u->budget_eta_usec, eta, sizeof eta);
                fprintf(out, "%-32s %10s  %-22s %10s  %s\n",
                        esc(unit_label(u->name, u->owner, name, sizeof name), ename, sizeof ename),
                        format_size((double)u->memory_kb, a, sizeof a), g, bud, eta);
        }
        if (shown(f->n_units, o) < f->n_units)
                fprintf(out, "(%zu more: --all)\n", f->n_units - shown(f->n_units, o));
        if (f->n_units < f->system.n_units)
                fprintf(out, "(the view keeps the %zu largest of %llu units)\n", f->n_units,
                        (unsigned long long)f->system.n_units);

        fprintf(out, "\n%8s  %-16s %-32s %10s  %s\n", "PID", "PROCESS", "UNIT", "SIZE", "OOM SCORE");
        for (size_t i = 0; i < shown(f->n_procs, o); i++) {
                const StatusProc *p = &f->procs[i];
                char comm[4 * PROC_COMM_MAX], unit[4 * STATUS_LABEL_MAX];
                log_escape(p->comm, comm, sizeof comm);
                fprintf(out, "%8d  %-16s %-32s %10s  %d%s\n", (int)p->pid, comm,
                        p->unit[0] ? esc(p->unit, unit, sizeof unit) : "-",
                        format_size((double)p->size_kb, a, sizeof a),
                        p->oom_score, p->has_pss ? "" : "  (RSS)");
        }
        if (shown(f->n_procs, o) < f->n_procs)
                fprintf(out, "(%zu more: --all)\n", f->n_procs - shown(f->n_procs, o));
        if (f->n_procs < f->system.n_procs)
                fprintf(out, "(the view keeps the %zu largest of %llu processes)\n", f->n_procs,
                        (unsigned long long)f->system.n_procs);

        if (f->n_rules)
                fprintf(out, "\n%-24s %-8s %-8s %s\n", "RULE", "SCOPE", "ACTION", "STATE");
        for (size_t i = 0; i < f->n_rules; i++) {
                const StatusRule *r = &f->rules[i];
                b = buf_on(line, sizeof line);
                if (o->sampled)
                        bprintf(&b, "(not known without the daemon)");
                else
                        put_rule_state(&b, r, h->written_realtime_usec);
                fprintf(out, "%-24s %-8s %-8s %s\n", r->name, scope_word(r->scope),
                        action_word(r->action), line);
        }
        for (size_t i = 0; i < f->n_cooldowns; i++) {
                const StatusCooldown *k = &f->cooldowns[i];
                char t2[4 * STATUS_LABEL_MAX];
                fprintf(out, "%s %s until %s%s\n", i ? "         " : "cooldown ",
                        esc(k->target, t2, sizeof t2),
                        clock_of(k->until_realtime_usec, now, a, sizeof a),
                        k->failed ? " (its restart failed)" : "");
        }
        if (f->n_actions)
                fprintf(out, "\nLAST ACTIONS\n");
        for (size_t i = f->n_actions; i-- > 0;) {
                const StatusAction *x = &f->actions[i];
                char t2[4 * STATUS_LABEL_MAX];
                fprintf(out, "%s  %-20s %-8s %s: %s\n", clock_of(x->realtime_usec, now, a, sizeof a),
                        x->rule, action_word(x->action),
                        x->target[0] ? esc(x->target, t2, sizeof t2) : "the system",
                        x->result);
        }
}

/* ---- JSON -------------------------------------------------------------- */

static void json_string(FILE *out, const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        fputc('"', out);
        while (*p) {
                size_t n = utf8_len(p);
                if (n == 0) {
                        fputs("\\ufffd", out); /* not UTF-8: not passed on */
                        p++;
                } else if (*p == '"' || *p == '\\') {
                        fprintf(out, "\\%c", *p++);
                } else if (*p < 0x20 || *p == 0x7f) {
                        fprintf(out, "\\u%04x", *p++);
                } else {
                        fwrite(p, 1, n, out);
                        p += n;
                }
        }
        fputc('"', out);
}

static void json_key(FILE *out, const char *key, bool *first)
{
        fprintf(out, "%s\"%s\":", *first ? "" : ",", key);
        *first = false;
}

static void json_str(FILE *out, const char *key, const char *v, bool *first)
{
        json_key(out, key, first);
        json_string(out, v);
}

static void json_u64(FILE *out, const char *key, uint64_t v, bool *first)
{
        json_key(out, key, first);
        fprintf(out, "%llu", (unsigned long long)v);
}

static void json_num(FILE *out, const char *key, double v, bool *first)
{
        json_key(out, key, first);
        if (isfinite(v))
                fprintf(out, "%.6g", v);
        else
                fputs("null", out);
}

static void json_bool(FILE *out, const char *key, bool v, bool *first)
{
        json_key(out, key, first);
        fputs(v ? "true" : "false", out);
}

static void json_time(FILE *out, const char *key, uint64_t realtime_usec, bool *first)
{
        json_key(out, key, first);
        if (realtime_usec)
                fprintf(out, "%.6f", (double)realtime_usec / 1e6);
        else
                fputs("null", out);
}

static void json_eta(FILE *out, const char *key, uint64_t usec, bool known, bool *first)
{
        json_key(out, key, first);
        if (known && usec != GROWTH_ETA_NEVER)
                fprintf(out, "%.0f", (double)usec / 1e6);
        else
                fputs("null", out);
}

/* "growth_bytes_per_second", "growth_band_bytes_per_second", "growth_window_seconds" */
static void json_growth(FILE *out, const StatusGrowth *g, bool *first)
{
        json_num(out, "growth_bytes_per_second", g->valid ? g->kb_per_hour * 1024 / 3600 : NAN, first);
        json_num(out, "growth_band_bytes_per_second",
                 g->valid ? g->band_kb_per_hour * 1024 / 3600 : NAN, first);
        json_num(out, "growth_window_seconds", g->window_usec ? (double)g->window_usec / 1e6 : NAN,
                 first);
}

void status_render_json(FILE *out, const StatusFile *f, const RenderOptions *o)
{
        const StatusHeader *h = &f->header;
        const StatusSystem *s = &f->system;
        bool first = true, k;

        fputc('{', out);
        json_key(out, "daemon", &first);
        k = true;
        fputc('{', out);
        json_str(out, "version", h->version_str, &k);
        json_bool(out, "running", !o->sampled, &k);
        json_u64(out, "pid", o->sampled ? 0 : (uint64_t)h->pid, &k);
        json_time(out, "started", o->sampled ? 0 : h->started_realtime_usec, &k);
        json_time(out, "view_time", h->written_realtime_usec, &k);
        json_str(out, "config", h->config_path, &k);
        json_bool(out, "dry_run", h->dry_run, &k);
        json_num(out, "cpu_seconds", (double)h->cpu_usec / 1e6, &k);
        json_u64(out, "rss_bytes", h->rss_kb * 1024, &k);
        json_u64(out, "history_bytes", h->history_bytes, &k);
        json_u64(out, "history_series", h->history_series, &k);
        json_u64(out, "heap_used_bytes", h->heap_used_bytes, &k);
        json_u64(out, "heap_free_bytes", h->heap_free_bytes, &k);
        json_num(out, "sample_seconds", (double)h->sample_usec / 1e6, &k);
        /* when the processes shown were walked for (the view may be newer) */
        json_time(out, "walk_time", h->procs_realtime_usec, &k);
        /* what that walk found, of which the view keeps the largest */
        json_u64(out, "walk_processes", f->system.n_procs, &k);
        json_u64(out, "walk_units", f->system.n_units, &k);
        json_key(out, "samples", &k);
        bool sk = true;
        fputc('{', out);
        json_u64(out, "system", h->samples[STATUS_SAMPLE_SYSTEM], &sk);
        json_u64(out, "units", h->samples[STATUS_SAMPLE_UNITS], &sk);
        json_u64(out, "walks", h->samples[STATUS_SAMPLE_WALKS], &sk);
        fputc('}', out);
        fputc('}', out);

        json_key(out, "memory", &first);
        k = true;
        fputc('{', out);
        json_u64(out, "total_bytes", s->mem.total_kb * 1024, &k);
        json_u64(out, "available_bytes", s->mem.available_kb * 1024, &k);
        json_u64(out, "swap_total_bytes", s->mem.swap_total_kb * 1024, &k);
        json_u64(out, "swap_free_bytes", s->mem.swap_free_kb * 1024, &k);
        json_growth(out, &s->growth, &k);
        json_eta(out, "exhaustion_seconds", s->exhaustion_usec, s->growth.valid, &k);
        fputc('}', out);

        json_key(out, "kernel_oom_kills", &first);
        k = true;
        fputc('{', out);
        json_u64(out, "reported_system", s->oom_reported[0], &k);
        json_u64(out, "reported_cgroup", s->oom_reported[1], &k);
        fputc('}', out);

        json_key(out, "pressure", &first);
        if (!s->has_psi) {
                fputs("null", out);
        } else {
                k = true;
                fputc('{', out);
                json_num(out, "some_avg10", s->psi.some.avg10, &k);
                json_num(out, "some_avg60", s->psi.some.avg60, &k);
                json_num(out, "some_avg300", s->psi.some.avg300, &k);
                json_num(out, "full_avg10", s->psi.has_full ? s->psi.full.avg10 : NAN, &k);
                json_num(out, "full_avg60", s->psi.has_full ? s->psi.full.avg60 : NAN, &k);
                json_num(out, "full_avg300", s->psi.has_full ? s->psi.full.avg300 : NAN, &k);
                fputc('}', out);
        }

        json_key(out, "units", &first);
        fputc('[', out);
        for (size_t i = 0; i < shown(f->n_units, o); i++) {
                const StatusUnit *u = &f->units[i];
                k = true;
                fprintf(out, "%s{", i ? "," : "");
                json_str(out, "name", u->name, &k);
                json_str(out, "manager", u->owner[0] ? u->owner : "system", &k);
                json_u64(out, "memory_bytes", u->memory_kb * 1024, &k);
                json_str(out, "memory_from", u->memory_from_cgroup ? "cgroup" : "processes", &k);
                json_u64(out, "processes", u->n_procs, &k);
                json_growth(out, &u->growth, &k);
                json_key(out, "budget_bytes", &k);
                if (u->budget_kb)
                        fprintf(out, "%llu", (unsigned long long)u->budget_kb * 1024);
                else
                        fputs("null", out);
                json_eta(out, "budget_reached_seconds", u->budget_eta_usec, u->budget_kb != 0, &k);
                fputc('}', out);
        }
        fputc(']', out);

        json_key(out, "processes", &first);
        fputc('[', out);
        for (size_t i = 0; i < shown(f->n_procs, o); i++) {
                const StatusProc *p = &f->procs[i];
                k = true;
                fprintf(out, "%s{", i ? "," : "");
                json_u64(out, "pid", (uint64_t)p->pid, &k);
                json_str(out, "comm", p->comm, &k);
                json_key(out, "unit", &k);
                if (p->unit[0])
                        json_string(out, p->unit);
                else
                        fputs("null", out);
                json_u64(out, "size_bytes", p->size_kb * 1024, &k);
                json_str(out, "size_of", p->has_pss ? "pss" : "rss", &k);
                json_u64(out, "rss_bytes", p->rss_kb * 1024, &k);
                json_u64(out, "swap_bytes", p->swap_kb * 1024, &k);
                json_num(out, "oom_score", p->oom_score, &k);
                json_num(out, "oom_score_adj", p->oom_score_adj, &k);
                fputc('}', out);
        }
        fputc(']', out);

        json_key(out, "rules", &first);
        fputc('[', out);
        for (size_t i = 0; i < f->n_rules; i++) {
                const StatusRule *r = &f->rules[i];
                const RuleView *v = &r->view;
                k = true;
                fprintf(out, "%s{", i ? "," : "");
                json_str(out, "name", r->name, &k);
                json_str(out, "scope", scope_word(r->scope), &k);
                json_str(out, "action", action_word(r->action), &k);
                json_num(out, "for_seconds", (double)r->for_usec / 1e6, &k);
                json_key(out, "state", &k);
                json_string(out, o->sampled ? "unknown" : !v->active ? "quiet" : v->fired ? "fired" : "holding");
                json_time(out, "since", v->active ? v->since_usec : 0, &k);
                json_u64(out, "targets", v->n_targets, &k);
                json_key(out, "target", &k);
                if (v->active && v->target[0])
                        json_string(out, v->target);
                else
                        fputs("null", out);
                json_u64(out, "fires", v->fires, &k);
                json_time(out, "last_fired", v->fired_usec, &k);
                fputc('}', out);
        }
        fputc(']', out);

        json_key(out, "cooldowns", &first);
        fputc('[', out);
        for (size_t i = 0; i < f->n_cooldowns; i++) {
                k = true;
                fprintf(out, "%s{", i ? "," : "");
                json_str(out, "target", f->cooldowns[i].target, &k);
                json_time(out, "until", f->cooldowns[i].until_realtime_usec, &k);
                json_bool(out, "restart_failed", f->cooldowns[i].failed, &k);
                fputc('}', out);
        }
        fputc(']', out);

        json_key(out, "actions", &first);
        fputc('[', out);
        for (size_t i = 0; i < f->n_actions; i++) {
                const StatusAction *x = &f->actions[i];
                k = true;
                fprintf(out, "%s{", i ? "," : "");
                json_time(out, "time", x->realtime_usec, &k);
                json_str(out, "rule", x->rule, &k);
                json_str(out, "action", action_word(x->action), &k);
                json_str(out, "target", x->target, &k);
                json_str(out, "result", x->result, &k);
                fputc('}', out);
        }
        fputs("]}\n", out);
}
