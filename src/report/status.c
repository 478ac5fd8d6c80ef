/* status.c — the state file: the daemon's view written as records, and
 * read back by `memguard status` (status.h). */
#include "report/status.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sample/growth.h"
#include "select/match.h"
#include "util/cleanup.h"
#include "util/replace.h"

enum {
        REC_HEADER = 1,
        REC_SYSTEM,
        REC_UNIT,
        REC_PROC,
        REC_RULE,
        REC_COOLDOWN,
        REC_ACTION,
        REC_END, /* the file is whole */
        REC_COUNT, /* STATUS_VERSION 2 */
        _REC_MAX,
};

typedef struct RecHead {
        uint32_t type;
        uint32_t size;
} RecHead;

static const size_t rec_sizes[] = {
        [REC_HEADER] = sizeof(StatusHeader),     [REC_SYSTEM] = sizeof(StatusSystem),
        [REC_UNIT] = sizeof(StatusUnit),         [REC_PROC] = sizeof(StatusProc),
        [REC_RULE] = sizeof(StatusRule),         [REC_COOLDOWN] = sizeof(StatusCooldown),
        [REC_ACTION] = sizeof(StatusAction),     [REC_END] = 0,
        [REC_COUNT] = sizeof(StatusCount),
};

/* SRC into DST (SIZE bytes), cut and terminated: a copy, not a printf
 * (the daemon writes the view every few seconds). */
static void copy(char *dst, size_t size, const char *src)
{
        if (!src)
                src = "";
        char *end = memccpy(dst, src, '\0', size - 1);
        if (!end)
                dst[size - 1] = '\0';
}

/* A unit as an operator names it: its name, or unit_label() for another
 * manager's. */
static void label_of(const char *name, const char *owner, char *buf, size_t size)
{
        if (owner[0])
                unit_label(name, owner, buf, size);
        else
                copy(buf, size, name);
}

/* ---- the action log --------------------------------------------------- */

const char *action_result_label(ActionResult r)
{
        static const char *const labels[] = {
                [ACTION_RESULT_WARNED] = "warned", [ACTION_RESULT_DONE] = "done",
                [ACTION_RESULT_NOT_DONE] = "not_done", [ACTION_RESULT_FAILED] = "failed",
                [ACTION_RESULT_DRY_RUN] = "dry_run",
        };
        return (unsigned)r < _ACTION_RESULT_MAX ? labels[r] : "in_progress";
}

static void result_words(ActionResult r, const char *detail, char *buf, size_t size)
{
        switch (r) {
        case ACTION_RESULT_WARNED:
                snprintf(buf, size, "warned");
                break;
        case ACTION_RESULT_DONE:
                snprintf(buf, size, "done");
                break;
        case ACTION_RESULT_NOT_DONE:
                snprintf(buf, size, "not done");
                break;
        case ACTION_RESULT_FAILED:
                snprintf(buf, size, "failed: %s", detail ? detail : "?");
                break;
        case ACTION_RESULT_DRY_RUN:
                snprintf(buf, size, "dry run: not done");
                break;
        default:
                snprintf(buf, size, "in progress");
                break;
        }
}

/* The slot of LANE (one RULES_BUSY_* bit) in ActionLog.pending, or -1. */
static int pending_slot(unsigned lane)
{
        if (lane == 0 || (lane & (lane - 1)) != 0)
                return -1;
        int i = __builtin_ctz(lane);
        return i < 3 ? i : -1;
}

static void count(ActionLog *log, const char *rule, Action action, ActionResult result)
{
        if ((unsigned)result >= _ACTION_RESULT_MAX || (unsigned)action >= STATUS_N_ACTIONS)
                return;
        for (size_t i = 0; i < log->n_counts; i++) {
                StatusCount *c = &log->counts[i];
                if (c->action == action && c->result == result && strcmp(c->rule, rule) == 0) {
                        c->count++;
                        return;
                }
        }
        if (log->n_counts == STATUS_MAX_COUNTS) {
                log->other[action][result]++;
                return;
        }
        StatusCount *c = &log->counts[log->n_counts++];
        copy(c->rule, sizeof c->rule, rule);
        c->action = action;
        c->result = result;
        c->count = 1;
}

void actionlog_add(ActionLog *log, const Decision *d, unsigned lane, uint64_t realtime_usec,
                   ActionResult result, const char *detail)
{
        StatusAction *a = &log->rec[log->next];
        char unit[STATUS_LABEL_MAX];
        const char *rule = d->rule ? d->rule->name : "";

        memset(a, 0, sizeof *a);
        a->realtime_usec = realtime_usec;
        copy(a->rule, sizeof a->rule, rule);
        a->action = d->action;
        if (d->action == ACTION_RESTART || (d->pid <= 0 && d->unit[0]))
                snprintf(a->target, sizeof a->target, "%s",
                         unit_label(d->unit, d->unit_owner, unit, sizeof unit));
        else if (d->pid > 0)
                snprintf(a->target, sizeof a->target, "%s (pid %d)", d->comm, (int)d->pid);
        result_words(result, detail, a->result, sizeof a->result);
        a->lane = lane;
        log->next = (log->next + 1) % STATUS_MAX_ACTIONS;
        if (log->n < STATUS_MAX_ACTIONS)
                log->n++;

        int slot = pending_slot(lane);
        if (result != ACTION_RESULT_IN_PROGRESS) {
                count(log, a->rule, d->action, result);
        } else if (slot >= 0) {
                log->pending[slot].set = true;
                copy(log->pending[slot].rule, sizeof log->pending[slot].rule, rule);
                log->pending[slot].action = d->action;
        }
}

void actionlog_result(ActionLog *log, unsigned lane, ActionResult result)
{
        int slot = pending_slot(lane);
        if (slot < 0 || !log->pending[slot].set)
                return;
        log->pending[slot].set = false;
        count(log, log->pending[slot].rule, log->pending[slot].action, result);
        /* Its record, unless newer actions have pushed it out of the ring. */
        for (size_t k = 1; k <= log->n; k++) {
                StatusAction *a = &log->rec[(log->next + STATUS_MAX_ACTIONS - k) % STATUS_MAX_ACTIONS];
                if (a->lane == lane) {
                        if (strcmp(a->result, "in progress") == 0)
                                result_words(result, NULL, a->result, sizeof a->result);
                        return;
                }
        }
}

/* ---- writing ---------------------------------------------------------- */

static int put(FILE *out, uint32_t type, const void *rec)
{
        RecHead h = { type, (uint32_t)rec_sizes[type] };
        if (fwrite(&h, sizeof h, 1, out) != 1 ||
            (h.size && fwrite(rec, h.size, 1, out) != 1))
                return -EIO;
        return 0;
}

/* A CLOCK_MONOTONIC time T as CLOCK_REALTIME, given both clocks now. */
static uint64_t to_realtime(uint64_t t, uint64_t mono, uint64_t real)
{
        if (t == 0)
                return 0;
        return t <= mono ? real - (mono - t) : real + (t - mono);
}

static void growth_of(const GrowthEstimate *e, uint64_t window, StatusGrowth *ret)
{
        *ret = (StatusGrowth){ .valid = e->valid, .kb_per_hour = e->kb_per_hour,
                               .band_kb_per_hour = e->band_kb_per_hour, .window_usec = window };
}

static uint64_t system_window(const Config *c)
{
        for (size_t i = 0; i < c->n_rules; i++)
                if (c->rules[i].scope == SCOPE_SYSTEM && rule_tracks_growth(&c->rules[i]))
                        return c->rules[i].window_usec;
        return 0;
}

/* The K largest of N items by KEY, without allocating: a min-heap of
 * indexes in IDX (K slots). Returns how many it holds. */
typedef uint64_t (*key_fn)(const void *items, size_t i);

static void heap_down(size_t *idx, size_t n, size_t i, const void *items, key_fn key)
{
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < n && key(items, idx[l]) < key(items, idx[m]))
                        m = l;
                if (r < n && key(items, idx[r]) < key(items, idx[m]))
                        m = r;
                if (m == i)
                        return;
                size_t t = idx[i];
                idx[i] = idx[m];
                idx[m] = t;
                i = m;
        }
}

static size_t top_k(const void *items, size_t n, key_fn key, size_t *idx, size_t k)
{
        size_t h = 0;
        for (size_t i = 0; i < n; i++) {
                if (h < k) {
                        /* sift up */
                        size_t j = h++;
                        idx[j] = i;
                        while (j > 0 && key(items, idx[(j - 1) / 2]) > key(items, idx[j])) {
                                size_t t = idx[j];
                                idx[j] = idx[(j - 1) / 2];
                                idx[(j - 1) / 2] = t;
                                j = (j - 1) / 2;
                        }
                } else if (key(items, i) > key(items, idx[0])) {
                        idx[0] = i;
                        heap_down(idx, h, 0, items, key);
                }
        }
        return h;
}

static uint64_t unit_key(const void *items, size_t i)
{
        return ((const UnitSample *)items)[i].memory_kb;
}

static uint64_t proc_key(const void *items, size_t i)
{
        return proc_size_kb(&((const ProcSample *)items)[i]);
}

static int write_units(FILE *out, const StatusSource *src)
{
        const Snapshot *s = src->snap;
        size_t idx[STATUS_MAX_UNITS];
        size_t n = top_k(s->units, s->n_units, unit_key, idx, STATUS_MAX_UNITS);

        for (size_t k = 0; k < n; k++) {
                const UnitSample *u = &s->units[idx[k]];
                StatusUnit r = { .memory_kb = u->memory_kb,
                                 .memory_from_cgroup = u->memory_from_cgroup,
                                 .n_procs = u->n_procs,
                                 .budget_eta_usec = GROWTH_ETA_NEVER };
                GrowthEstimate e = { 0 };
                uint64_t window = history_unit_window(src->config, u);

                memcpy(r.name, u->name, sizeof r.name);
                memcpy(r.owner, u->owner, sizeof r.owner);
                if (src->hist && window && history_unit_peek(src->hist, window, u->cgroup, &e))
                        growth_of(&e, window, &r.growth);
                uint64_t budget;
                if (rules_budget(src->config, NULL, u, s->sys.mem.total_kb, &budget)) {
                        r.budget_kb = budget;
                        if (r.growth.valid && e.kb_per_hour > 0)
                                r.budget_eta_usec = growth_eta_usec(&e, budget);
                }
                if (put(out, REC_UNIT, &r) < 0)
                        return -EIO;
        }
        return 0;
}

static int write_procs(FILE *out, const StatusSource *src)
{
        const Snapshot *s = src->snap;
        StatusProcOrder local = { 0 }, *o = src->order ? src->order : &local;

        if (o->procs_usec != s->procs_usec || o->procs_usec == 0 || o->n > s->n_procs) {
                size_t idx[STATUS_MAX_PROCS];
                o->n = top_k(s->procs, s->n_procs, proc_key, idx, STATUS_MAX_PROCS);
                for (size_t k = 0; k < o->n; k++)
                        o->idx[k] = (uint32_t)idx[k];
                o->procs_usec = s->procs_usec;
        }
        for (size_t k = 0; k < o->n; k++) {
                const ProcSample *p = &s->procs[o->idx[k]];
                const UnitSample *u = snapshot_proc_unit(s, p);
                StatusProc r = { .pid = p->pid, .size_kb = proc_size_kb(p), .has_pss = p->has_pss,
                                 .rss_kb = p->rss_kb, .swap_kb = p->swap_kb,
                                 .oom_score = p->oom_score, .oom_score_adj = p->oom_score_adj };
                memcpy(r.comm, p->comm, sizeof r.comm);
                if (u)
                        label_of(u->name, u->owner, r.unit, sizeof r.unit);
                if (put(out, REC_PROC, &r) < 0)
                        return -EIO;
        }
        return 0;
}

static int write_rules(FILE *out, const StatusSource *src, uint64_t mono, uint64_t real)
{
        const Config *c = src->config;

        for (size_t i = 0; i < c->n_rules && i < STATUS_MAX_RULES; i++) {
                StatusRule r = { .scope = c->rules[i].scope, .action = c->rules[i].action,
                                 .for_usec = c->rules[i].for_usec };
                copy(r.name, sizeof r.name, c->rules[i].name);
                if (src->state && rules_view(src->state, c, i, src->snap, &r.view)) {
                        r.view.since_usec = to_realtime(r.view.since_usec, mono, real);
                        r.view.fired_usec = to_realtime(r.view.fired_usec, mono, real);
                }
                if (put(out, REC_RULE, &r) < 0)
                        return -EIO;
        }
        if (!src->state)
                return 0;
        CooldownView cv[STATUS_MAX_COOLDOWNS];
        size_t n = rules_cooldowns(src->state, mono, cv, STATUS_MAX_COOLDOWNS);
        for (size_t k = 0; k < n && k < STATUS_MAX_COOLDOWNS; k++) {
                StatusCooldown r = { .until_realtime_usec = to_realtime(cv[k].until_usec, mono, real),
                                     .failed = cv[k].failed };
                const UnitSample *u = cv[k].cgroup[0] ? snapshot_find_unit(src->snap, cv[k].cgroup)
                                                      : NULL;
                const ProcSample *p = cv[k].pid > 0 ? snapshot_find_proc(src->snap, cv[k].pid,
                                                                         cv[k].start_time)
                                                    : NULL;
                if (u)
                        unit_label(u->name, u->owner, r.target, sizeof r.target);
                else if (cv[k].cgroup[0])
                        snprintf(r.target, sizeof r.target, "%.*s", (int)sizeof r.target - 1,
                                 cv[k].cgroup);
                else
                        snprintf(r.target, sizeof r.target, "%s (pid %d)", p ? p->comm : "?",
                                 (int)cv[k].pid);
                if (put(out, REC_COOLDOWN, &r) < 0)
                        return -EIO;
        }
        return 0;
}

static int write_counts(FILE *out, const ActionLog *log)
{
        if (!log)
                return 0;
        for (size_t i = 0; i < log->n_counts; i++)
                if (put(out, REC_COUNT, &log->counts[i]) < 0)
                        return -EIO;
        for (unsigned a = 0; a < STATUS_N_ACTIONS; a++)
                for (unsigned r = 0; r < _ACTION_RESULT_MAX; r++) {
                        if (!log->other[a][r])
                                continue;
                        StatusCount c = { .action = (Action)a, .result = (ActionResult)r,
                                          .count = log->other[a][r] };
                        if (put(out, REC_COUNT, &c) < 0)
                                return -EIO;
                }
        return 0;
}

int status_write(FILE *out, const StatusSource *src)
{
        const Snapshot *s = src->snap;
        uint64_t mono = src->now_usec ? src->now_usec : monotonic_usec();
        uint64_t real = src->now_realtime_usec ? src->now_realtime_usec : realtime_usec();
        StatusHeader h = { .magic = "MGSTATE", .version = STATUS_VERSION,
                           .header_size = sizeof(StatusHeader) };
        StatusSystem sys = { .mem = s->sys.mem, .has_psi = s->sys.has_psi, .psi = s->sys.psi,
                             .exhaustion_usec = GROWTH_ETA_NEVER, .n_procs = s->n_procs,
                             .n_units = s->n_units, .has_oom_kills = src->has_oom_kills,
                             .oom_kills = src->has_oom_kills ? src->oom_kills : 0 };
        if (src->oom_reported)
                memcpy(sys.oom_reported, src->oom_reported, sizeof sys.oom_reported);
        const ProcSample *self = snapshot_find_pid(s, s->self_pid);
        struct rusage ru;
        GrowthEstimate e;
        uint64_t window = system_window(src->config);

        h.pid = s->self_pid;
        h.pid_start_time = self ? self->start_time : 0;
        h.written_realtime_usec = real;
        h.written_usec = mono;
        h.started_realtime_usec = src->started_realtime_usec;
        copy(h.version_str, sizeof h.version_str, MEMGUARD_VERSION);
        copy(h.config_path, sizeof h.config_path, src->config_path);
        h.dry_run = src->dry_run;
        h.interval_usec = src->config->interval_usec;
        h.fast_interval_usec = src->config->fast_interval_usec;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
                h.cpu_usec = (uint64_t)ru.ru_utime.tv_sec * USEC_PER_SEC + (uint64_t)ru.ru_utime.tv_usec +
                             (uint64_t)ru.ru_stime.tv_sec * USEC_PER_SEC + (uint64_t)ru.ru_stime.tv_usec;
        h.rss_kb = self ? self->rss_kb : 0;
        h.sample_usec = src->sample_usec;
        if (src->samples)
                memcpy(h.samples, src->samples, sizeof h.samples);
        h.history_series = history_size(src->hist);
        h.history_bytes = history_bytes(src->hist);
        /* The heap as malloc sees it: what is in use against what it holds
         * free (fragmentation), which RssAnon alone cannot tell apart.
         * glibc counts the freed chunks its per-thread cache keeps (tcache:
         * up to 7 per size class up to 1 KiB, 235 KiB in all) as in use,
         * and under process churn that cache fills for tens of minutes:
         * "used" then creeps up while memguard holds no more (issue 19,
         * bench/RESULTS.md). There is no interface to read that cache. */
        struct mallinfo2 mi = mallinfo2();
        h.heap_used_bytes = mi.uordblks + mi.hblkhd;
        h.heap_free_bytes = mi.fordblks;
        h.procs_realtime_usec = to_realtime(s->procs_usec, mono, real);

        if (src->hist && window && history_system(src->hist, window, &e)) {
                growth_of(&e, window, &sys.growth);
                if (e.valid)
                        sys.exhaustion_usec = growth_eta_usec(&e, s->sys.mem.total_kb);
        }
        if (put(out, REC_HEADER, &h) < 0 || put(out, REC_SYSTEM, &sys) < 0 ||
            write_units(out, src) < 0 || write_procs(out, src) < 0 ||
            write_rules(out, src, mono, real) < 0)
                return -EIO;
        for (size_t k = 0; src->log && k < src->log->n; k++) {
                size_t i = (src->log->next + STATUS_MAX_ACTIONS - src->log->n + k) % STATUS_MAX_ACTIONS;
                if (put(out, REC_ACTION, &src->log->rec[i]) < 0)
                        return -EIO;
        }
        if (write_counts(out, src->log) < 0)
                return -EIO;
        static const char none[1];
        return put(out, REC_END, none);
}

const char *status_dir(void)
{
        const char *d = getenv("RUNTIME_DIRECTORY");
        /* systemd may list several, separated by ':': ours is the first */
        static char first[256];
        if (!d || !*d)
                return STATUS_DEFAULT_DIR;
        snprintf(first, sizeof first, "%.*s", (int)strcspn(d, ":"), d);
        return first;
}

static int write_view(FILE *out, const void *src)
{
        return status_write(out, src);
}

int status_write_file(const char *dir, const StatusSource *src)
{
        char path[512];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, STATUS_FILE) >= sizeof path)
                return -ENAMETOOLONG;
        return file_replace(path, 0600, write_view, src);
}

/* ---- reading ---------------------------------------------------------- */

void status_free(StatusFile *f)
{
        if (!f)
                return;
        free(f->units);
        free(f->procs);
        free(f->rules);
        free(f->cooldowns);
        free(f->actions);
        free(f->counts);
        free(f);
}

/* Where records come from: LEN bytes in memory, or a file read as it is
 * parsed (the daemon reads its view back for the metrics without holding
 * the whole file). */
typedef struct Reader {
        const char *p, *end;
        FILE *in;
} Reader;

/* N bytes into DST. -EBADMSG when the input ends first (a file cut short),
 * -EIO when it cannot be read. */
static int take(Reader *r, void *dst, size_t n)
{
        if (n == 0)
                return 0;
        if (r->in) {
                if (fread(dst, n, 1, r->in) == 1)
                        return 0;
                return ferror(r->in) ? -EIO : -EBADMSG;
        }
        if ((size_t)(r->end - r->p) < n)
                return -EBADMSG;
        memcpy(dst, r->p, n);
        r->p += n;
        return 0;
}

/* Appends REC to *ARR, which holds *N and may hold at most MAX: more is
 * not a file this writer made. */
static int append(void **arr, size_t *n, size_t max, size_t size, const void *rec)
{
        if (*n >= max)
                return -EBADMSG;
        void *a = realloc(*arr, (*n + 1) * size);
        if (!a)
                return -ENOMEM;
        memcpy((char *)a + *n * size, rec, size);
        *arr = a;
        (*n)++;
        return 0;
}

/* The bools and enums of the records, and the values the writer stores
 * in them: a byte other than 0 or 1 in a bool, or an enum past its last
 * value, is a corrupt file, and loading it as a bool or an enum (the
 * renderers, the metrics) would be undefined behaviour. */
static const struct {
        uint32_t type;
        size_t off;
        size_t size; /* 1: a bool; sizeof(int): an enum */
        unsigned limit;
} rec_values[] = {
        { REC_HEADER, offsetof(StatusHeader, dry_run), 1, 2 },
        { REC_SYSTEM, offsetof(StatusSystem, has_psi), 1, 2 },
        { REC_SYSTEM, offsetof(StatusSystem, psi.has_full), 1, 2 },
        { REC_SYSTEM, offsetof(StatusSystem, growth.valid), 1, 2 },
        { REC_SYSTEM, offsetof(StatusSystem, has_oom_kills), 1, 2 },
        { REC_UNIT, offsetof(StatusUnit, memory_from_cgroup), 1, 2 },
        { REC_UNIT, offsetof(StatusUnit, growth.valid), 1, 2 },
        { REC_PROC, offsetof(StatusProc, has_pss), 1, 2 },
        { REC_RULE, offsetof(StatusRule, scope), sizeof(int), SCOPE_UNIT + 1 },
        { REC_RULE, offsetof(StatusRule, action), sizeof(int), ACTION_RESTART + 1 },
        { REC_RULE, offsetof(StatusRule, view.active), 1, 2 },
        { REC_RULE, offsetof(StatusRule, view.fired), 1, 2 },
        { REC_COOLDOWN, offsetof(StatusCooldown, failed), 1, 2 },
        { REC_ACTION, offsetof(StatusAction, action), sizeof(int), ACTION_RESTART + 1 },
        { REC_COUNT, offsetof(StatusCount, action), sizeof(int), ACTION_RESTART + 1 },
        { REC_COUNT, offsetof(StatusCount, result), sizeof(int), _ACTION_RESULT_MAX },
};
_Static_assert(sizeof(RuleScope) == sizeof(int) && sizeof(Action) == sizeof(int) &&
                       sizeof(ActionResult) == sizeof(int),
               "the enums of the records are ints");

/* Whether REC, a record of TYPE as read, holds only values its writer
 * could have stored in its bools and enums. */
static bool rec_values_valid(uint32_t type, const void *rec)
{
        for (size_t i = 0; i < sizeof rec_values / sizeof rec_values[0]; i++) {
                unsigned v = 0;
                if (rec_values[i].type != type)
                        continue;
                if (rec_values[i].size == 1)
                        v = ((const unsigned char *)rec)[rec_values[i].off];
                else
                        memcpy(&v, (const char *)rec + rec_values[i].off, sizeof v);
                if (v >= rec_values[i].limit)
                        return false;
        }
        return true;
}

static int parse(Reader *in, unsigned skip, StatusFile **ret)
{
        StatusFile *f = calloc(1, sizeof *f);
        bool header = false, whole = false;
        int r = 0;
        union {
                StatusHeader header;
                StatusSystem system;
                StatusUnit unit;
                StatusProc proc;
                StatusRule rule;
                StatusCooldown cooldown;
                StatusAction action;
                StatusCount count;
        } rec;

        if (!f)
                return -ENOMEM;
        while (!whole && r == 0) {
                RecHead h;
                r = take(in, &h, sizeof h);
                if (r < 0)
                        break;
                if (h.type < REC_HEADER || h.type >= _REC_MAX || h.size != rec_sizes[h.type] ||
                    (!header && h.type != REC_HEADER)) {
                        r = header ? -EBADMSG : -EPROTO;
                        break;
                }
                r = take(in, &rec, h.size);
                if (r < 0)
                        break;
                if (h.type != REC_HEADER && !rec_values_valid(h.type, &rec)) {
                        r = -EBADMSG;
                        break;
                }
                switch (h.type) {
                case REC_HEADER:
                        memcpy(&f->header, &rec, sizeof f->header);
                        if (memcmp(f->header.magic, "MGSTATE", 8) != 0 ||
                            f->header.version != STATUS_VERSION ||
                            f->header.header_size != sizeof f->header)
                                r = -EPROTO;
                        else if (!rec_values_valid(h.type, &rec))
                                r = -EBADMSG;
                        header = true;
                        break;
                case REC_SYSTEM:
                        memcpy(&f->system, &rec, sizeof f->system);
                        break;
                case REC_UNIT:
                        r = append((void **)&f->units, &f->n_units, STATUS_MAX_UNITS, h.size, &rec);
                        break;
                case REC_PROC:
                        if (!(skip & STATUS_SKIP_PROCS))
                                r = append((void **)&f->procs, &f->n_procs, STATUS_MAX_PROCS, h.size,
                                           &rec);
                        break;
                case REC_RULE:
                        r = append((void **)&f->rules, &f->n_rules, STATUS_MAX_RULES, h.size, &rec);
                        break;
                case REC_COOLDOWN:
                        if (!(skip & STATUS_SKIP_COOLDOWNS))
                                r = append((void **)&f->cooldowns, &f->n_cooldowns, STATUS_MAX_COOLDOWNS,
                                           h.size, &rec);
                        break;
                case REC_ACTION:
                        if (!(skip & STATUS_SKIP_ACTIONS))
                                r = append((void **)&f->actions, &f->n_actions, STATUS_MAX_ACTIONS,
                                           h.size, &rec);
                        break;
                case REC_COUNT:
                        r = append((void **)&f->counts, &f->n_counts,
                                   STATUS_MAX_COUNTS + STATUS_N_ACTIONS * _ACTION_RESULT_MAX, h.size, &rec);
                        break;
                case REC_END:
                        whole = true;
                        break;
                }
        }
        if (r < 0) {
                status_free(f);
                return r;
        }
        /* strings from a file: terminated whatever it holds */
        f->header.version_str[sizeof f->header.version_str - 1] = '\0';
        f->header.config_path[sizeof f->header.config_path - 1] = '\0';
        for (size_t i = 0; i < f->n_units; i++) {
                f->units[i].name[PROC_UNIT_MAX - 1] = f->units[i].owner[PROC_UNIT_MAX - 1] = '\0';
        }
        for (size_t i = 0; i < f->n_procs; i++) {
                f->procs[i].comm[PROC_COMM_MAX - 1] = '\0';
                f->procs[i].unit[STATUS_LABEL_MAX - 1] = '\0';
        }
        for (size_t i = 0; i < f->n_rules; i++) {
                f->rules[i].name[STATUS_NAME_MAX - 1] = '\0';
                f->rules[i].view.target[sizeof f->rules[i].view.target - 1] = '\0';
        }
        for (size_t i = 0; i < f->n_cooldowns; i++)
                f->cooldowns[i].target[STATUS_LABEL_MAX - 1] = '\0';
        for (size_t i = 0; i < f->n_actions; i++) {
                f->actions[i].rule[STATUS_NAME_MAX - 1] = '\0';
                f->actions[i].target[STATUS_LABEL_MAX - 1] = '\0';
                f->actions[i].result[sizeof f->actions[i].result - 1] = '\0';
        }
        for (size_t i = 0; i < f->n_counts; i++)
                f->counts[i].rule[STATUS_NAME_MAX - 1] = '\0';
        *ret = f;
        return 0;
}

int status_parse(const void *buf, size_t len, StatusFile **ret)
{
        Reader in = { .p = buf, .end = (const char *)buf + len };
        return parse(&in, 0, ret);
}

int status_read_some(const char *path, unsigned skip, StatusFile **ret)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        FILE *file = fdopen(fd, "r");
        if (!file) {
                int r = -errno;
                close(fd);
                return r;
        }
        char buf[4096];
        setvbuf(file, buf, _IOFBF, sizeof buf);
        Reader in = { .in = file };
        int r = parse(&in, skip, ret);
        fclose(file);
        return r;
}

int status_read(const char *path, StatusFile **ret)
{
        return status_read_some(path, 0, ret);
}
