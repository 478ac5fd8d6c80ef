/* history.c — growth histories per (window, series); see history.h. */
#include "sample/history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "select/match.h"
#include "util/cleanup.h"

typedef enum SeriesKind {
        SERIES_SYSTEM,
        SERIES_UNIT,
        SERIES_PROC,
} SeriesKind;

/* Sorted by (window, kind, pid, start_time, cgroup). */
struct HistoryEntry {
        uint64_t window_usec;
        SeriesKind kind;
        pid_t pid;
        uint64_t start_time;
        char cgroup[PROC_CGROUP_MAX]; /* a unit's: what names it (snapshot.h) */
        uint64_t seen_gen;  /* full sample that last fed it (units, processes) */
        bool est_fresh;     /* EST is the estimate of the latest sample */
        uint64_t dense_until; /* a unit's: sample it densely until then */
        GrowthEstimate est;
        GrowthHistory growth;
};

const size_t HISTORY_ENTRY_SIZE = sizeof(HistoryEntry);

struct History {
        HistoryEntry *entries;
        size_t n, cap;
        uint64_t gen;
        uint64_t dropped;
};

typedef struct Key {
        uint64_t window_usec;
        SeriesKind kind;
        pid_t pid;
        uint64_t start_time;
        const char *cgroup;
} Key;

History *history_new(void)
{
        return calloc(1, sizeof(History));
}

void history_free(History *h)
{
        if (!h)
                return;
        free(h->entries);
        free(h);
}

static int key_cmp(const Key *k, const HistoryEntry *e)
{
        if (k->window_usec != e->window_usec)
                return k->window_usec < e->window_usec ? -1 : 1;
        if (k->kind != e->kind)
                return k->kind < e->kind ? -1 : 1;
        if (k->pid != e->pid)
                return k->pid < e->pid ? -1 : 1;
        if (k->start_time != e->start_time)
                return k->start_time < e->start_time ? -1 : 1;
        return strcmp(k->cgroup, e->cgroup);
}

static size_t lower_bound(const History *h, const Key *k)
{
        size_t lo = 0, hi = h->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (key_cmp(k, &h->entries[mid]) > 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static HistoryEntry *find(const History *h, const Key *k)
{
        size_t i = lower_bound(h, k);
        return i < h->n && key_cmp(k, &h->entries[i]) == 0 ? &h->entries[i] : NULL;
}

/* Finds or starts the series K. NULL when the cap is reached or on OOM. */
static HistoryEntry *get(History *h, const Key *k, bool *oom)
{
        size_t i = lower_bound(h, k);
        if (i < h->n && key_cmp(k, &h->entries[i]) == 0)
                return &h->entries[i];
        if (h->n >= HISTORY_MAX_SERIES) {
                h->dropped++;
                return NULL;
        }
        if (h->n == h->cap) {
                size_t cap = h->cap ? h->cap * 2 : 16;
                if (cap > HISTORY_MAX_SERIES)
                        cap = HISTORY_MAX_SERIES;
                HistoryEntry *n = realloc(h->entries, cap * sizeof(*n));
                if (!n) {
                        *oom = true;
                        return NULL;
                }
                h->entries = n;
                h->cap = cap;
        }
        memmove(&h->entries[i + 1], &h->entries[i], (h->n - i) * sizeof(*h->entries));
        h->n++;
        HistoryEntry *e = &h->entries[i];
        memset(e, 0, sizeof(*e));
        e->window_usec = k->window_usec;
        e->kind = k->kind;
        e->pid = k->pid;
        e->start_time = k->start_time;
        strncpy(e->cgroup, k->cgroup, sizeof(e->cgroup) - 1);
        if (growth_init(&e->growth, k->window_usec) < 0) {
                /* rule_keys.c keeps windows within growth.h's range */
                memmove(e, e + 1, (h->n - i - 1) * sizeof(*e));
                h->n--;
                return NULL;
        }
        return e;
}

static void feed(HistoryEntry *e, uint64_t usec, uint64_t kb, uint64_t gen)
{
        (void)growth_add(&e->growth, usec, kb);
        e->est_fresh = false;
        e->seen_gen = gen;
}

void history_add_system(History *h, const Config *config, const SystemSample *sys)
{
        const MemInfo *m = &sys->mem;
        uint64_t used = m->total_kb > m->available_kb ? m->total_kb - m->available_kb : 0;
        bool oom = false;

        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *r = &config->rules[i];
                if (!rule_tracks_growth(r))
                        continue;
                Key k = { r->window_usec, SERIES_SYSTEM, 0, 0, "" };
                HistoryEntry *e = get(h, &k, &oom);
                if (e && e->growth.last_usec != sys->usec)
                        feed(e, sys->usec, used, h->gen);
        }
}

static bool rule_on(const Rule *r, SeriesKind kind)
{
        if (!rule_tracks_growth(r))
                return false;
        if (kind == SERIES_UNIT)
                return r->scope == SCOPE_UNIT || r->scope == SCOPE_SYSTEM;
        return r->scope == SCOPE_PROCESS;
}

static bool used_window(const Config *config, uint64_t window)
{
        for (size_t i = 0; i < config->n_rules; i++)
                if (rule_tracks_growth(&config->rules[i]) && config->rules[i].window_usec == window)
                        return true;
        return false;
}

int history_add_full(History *h, const Config *config, const Snapshot *snap)
{
        uint64_t usec = snap->procs_usec ? snap->procs_usec : snap->sys.usec;
        bool oom = false;

        h->gen++;
        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *r = &config->rules[i];
                if (rule_on(r, SERIES_UNIT)) {
                        /* a system rule (fastest-growing) ranks every unit */
                        for (size_t j = 0; j < snap->n_units; j++) {
                                const UnitSample *u = &snap->units[j];
                                if (r->scope == SCOPE_UNIT && !match_unit(r, u))
                                        continue;
                                Key k = { r->window_usec, SERIES_UNIT, 0, 0, u->cgroup };
                                HistoryEntry *e = get(h, &k, &oom);
                                if (e && e->seen_gen != h->gen)
                                        feed(e, usec, u->memory_kb, h->gen);
                        }
                } else if (rule_on(r, SERIES_PROC)) {
                        for (size_t j = 0; j < snap->n_procs; j++) {
                                const ProcSample *p = &snap->procs[j];
                                if (p->kthread || !match_process(r, p))
                                        continue;
                                Key k = { r->window_usec, SERIES_PROC, p->pid, p->start_time, "" };
                                HistoryEntry *e = get(h, &k, &oom);
                                if (e && e->seen_gen != h->gen)
                                        feed(e, usec, proc_size_kb(p), h->gen);
                        }
                }
        }
        /* Drop series of gone targets and of windows no rule uses. The
         * system series are fed by history_add_system(), not here. */
        size_t j = 0;
        for (size_t i = 0; i < h->n; i++) {
                HistoryEntry *e = &h->entries[i];
                bool keep = e->kind == SERIES_SYSTEM ? used_window(config, e->window_usec)
                                                     : e->seen_gen == h->gen;
                if (!keep)
                        continue;
                if (j != i)
                        h->entries[j] = *e;
                j++;
        }
        h->n = j;
        if (h->cap > 64 && h->n < h->cap / 4) {
                HistoryEntry *n = realloc(h->entries, (h->cap / 2) * sizeof(*n));
                if (n) {
                        h->entries = n;
                        h->cap /= 2;
                }
        }
        return oom ? -ENOMEM : 0;
}

void history_add_units(History *h, const Config *config, const Snapshot *snap, uint64_t now_usec)
{
        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *r = &config->rules[i];
                if (!rule_on(r, SERIES_UNIT))
                        continue;
                for (size_t j = 0; j < snap->n_units; j++) {
                        const UnitSample *u = &snap->units[j];
                        if (u->memory_usec != now_usec)
                                continue;
                        Key k = { r->window_usec, SERIES_UNIT, 0, 0, u->cgroup };
                        HistoryEntry *e = find(h, &k);
                        if (e && e->growth.last_usec < now_usec)
                                feed(e, now_usec, u->memory_kb, e->seen_gen);
                }
        }
}

static bool estimate(History *h, const Key *k, GrowthEstimate *ret)
{
        HistoryEntry *e = find(h, k);
        if (!e)
                return false;
        if (!e->est_fresh) {
                growth_estimate(&e->growth, &e->est);
                e->est_fresh = true;
                /* A rule looked at growth the estimate suspects but cannot
                 * vouch for: denser samples narrow the band (issue 21). */
                if (e->kind == SERIES_UNIT && growth_suspect(&e->est))
                        e->dense_until = usec_add(e->est.current_usec, e->window_usec);
        }
        *ret = e->est;
        return true;
}

bool history_system(History *h, uint64_t window_usec, GrowthEstimate *ret)
{
        Key k = { window_usec, SERIES_SYSTEM, 0, 0, "" };
        return h && estimate(h, &k, ret);
}

bool history_unit_peek(const History *h, uint64_t window_usec, const char *cgroup,
                       GrowthEstimate *ret)
{
        Key k = { window_usec, SERIES_UNIT, 0, 0, cgroup };
        const HistoryEntry *e = find(h, &k);
        if (!e)
                return false;
        if (e->est_fresh)
                *ret = e->est;
        else
                growth_estimate(&e->growth, ret);
        return true;
}

bool history_unit(History *h, uint64_t window_usec, const char *cgroup, GrowthEstimate *ret)
{
        Key k = { window_usec, SERIES_UNIT, 0, 0, cgroup };
        return h && cgroup && estimate(h, &k, ret);
}

bool history_proc(History *h, uint64_t window_usec, pid_t pid, uint64_t start_time,
                  GrowthEstimate *ret)
{
        Key k = { window_usec, SERIES_PROC, pid, start_time, "" };
        return h && estimate(h, &k, ret);
}

bool history_dense(const History *h, uint64_t now_usec)
{
        for (size_t i = 0; h && i < h->n; i++)
                if (h->entries[i].kind == SERIES_UNIT && h->entries[i].dense_until > now_usec)
                        return true;
        return false;
}

size_t history_size(const History *h)
{
        return h ? h->n : 0;
}

size_t history_bytes(const History *h)
{
        return h ? h->n * sizeof(HistoryEntry) : 0;
}

uint64_t history_dropped(const History *h)
{
        return h ? h->dropped : 0;
}

/* The window a unit's growth is shown over: that of the first unit rule
 * matching it that tracks growth, else that of the first system rule
 * that ranks units by growth; 0 for none. */
uint64_t history_unit_window(const Config *c, const UnitSample *u)
{
        for (size_t i = 0; i < c->n_rules; i++)
                if (c->rules[i].scope == SCOPE_UNIT && rule_tracks_growth(&c->rules[i]) &&
                    match_unit(&c->rules[i], u))
                        return c->rules[i].window_usec;
        for (size_t i = 0; i < c->n_rules; i++)
                if (c->rules[i].scope == SCOPE_SYSTEM && c->rules[i].target == TARGET_FASTEST_GROWING)
                        return c->rules[i].window_usec;
        return 0;
}
