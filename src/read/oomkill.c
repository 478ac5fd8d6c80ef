/* oomkill.c — kmsg records paired into kills, memory.events counters
 * checked against them (oomkill.h). */
#include "read/oomkill.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/pages.h"

typedef struct Pending {
        OomKill kill;
        uint64_t due_usec;
        bool done; /* its "Killed process" line came: never paired again */
} Pending;

typedef struct Counter {
        char *cgroup;
        uint64_t oom_kill, oom; /* the baselines */
        bool seen;              /* in the last check */
        bool present;           /* marked since the last sweep */
        /* scratch of oomkills_check(): the counters now, and the kills
         * they show that nothing explains */
        uint64_t now_kill, now_oom;
        unsigned own;
} Counter;

/* The counts first and the tables after them: the tables are written only
 * when the kernel kills, and their pages stay untouched until then
 * (pages_alloc()). */
struct OomKills {
        size_t n_pending;
        size_t n_credits;
        unsigned unknown_credits; /* without a cgroup, or beyond the table */
        Counter *counters;
        size_t n_counters;
        uint64_t unexplained_usec; /* since when counters moved unexplained; 0: none */
        Pending pending[OOMKILL_PENDING_MAX];
        char credits[OOMKILL_CREDITS_MAX][PROC_CGROUP_MAX];
};

OomKills *oomkills_new(void)
{
        return pages_alloc(sizeof(OomKills));
}

void oomkills_free(OomKills *k)
{
        if (!k)
                return;
        for (size_t i = 0; i < k->n_counters; i++)
                free(k->counters[i].cgroup);
        free(k->counters);
        pages_free(k, sizeof(OomKills));
}

static void copy_str(char *dst, size_t size, const char *src)
{
        size_t n = strnlen(src, size - 1);
        memcpy(dst, src, n);
        dst[n] = '\0';
}

static Pending *pending_of(OomKills *k, pid_t pid)
{
        for (size_t i = 0; i < k->n_pending; i++)
                if (k->pending[i].kill.pid == pid && !k->pending[i].done)
                        return &k->pending[i];
        return NULL;
}

/* A new pending kill, or NULL when all are taken: then the oldest is
 * made due at once, so that the next one has room. */
static Pending *pending_add(OomKills *k, uint64_t now_usec)
{
        if (k->n_pending == OOMKILL_PENDING_MAX) {
                Pending *oldest = &k->pending[0];
                for (size_t i = 1; i < k->n_pending; i++)
                        if (k->pending[i].due_usec < oldest->due_usec)
                                oldest = &k->pending[i];
                if (oldest->due_usec > now_usec)
                        oldest->due_usec = now_usec;
                return NULL;
        }
        Pending *p = &k->pending[k->n_pending++];
        memset(p, 0, sizeof *p);
        return p;
}

bool oomkills_feed(OomKills *k, const KmsgRecord *r, uint64_t now_usec)
{
        if (r->kind == KMSG_OTHER || r->pid <= 0)
                return false;
        Pending *p = r->kind == KMSG_OOM_KILLED ? pending_of(k, r->pid) : NULL;
        if (!p) {
                p = pending_add(k, now_usec);
                if (!p)
                        return true; /* a burst: left to the counters */
                p->kill.source = OOMKILL_FROM_KMSG;
                p->kill.pid = r->pid;
                p->kill.scope = r->scope;
                copy_str(p->kill.comm, sizeof p->kill.comm, r->comm);
        }
        OomKill *o = &p->kill;
        if (r->kind == KMSG_OOM_SUMMARY) {
                o->has_summary = true;
                o->scope = r->scope;
                copy_str(o->task_cgroup, sizeof o->task_cgroup, r->task_cgroup);
                copy_str(o->oom_cgroup, sizeof o->oom_cgroup, r->oom_cgroup);
                copy_str(o->constraint, sizeof o->constraint, r->constraint);
                p->due_usec = now_usec + OOMKILL_PAIR_USEC;
                return true;
        }
        /* "Killed process": its comm is the sure one (see kmsg.c), its
         * scope the summary's if there was one (that names the constraint) */
        copy_str(o->comm, sizeof o->comm, r->comm);
        if (!o->has_summary || o->scope == KMSG_SCOPE_UNKNOWN)
                o->scope = r->scope;
        o->has_rss = r->has_rss;
        o->anon_rss_kb = r->anon_rss_kb;
        o->file_rss_kb = r->file_rss_kb;
        o->shmem_rss_kb = r->shmem_rss_kb;
        p->done = true;
        p->due_usec = now_usec;
        return true;
}

size_t oomkills_take(OomKills *k, uint64_t now_usec, OomKill *ret, size_t cap)
{
        size_t n = 0;
        for (size_t i = 0; i < k->n_pending && n < cap;) {
                if (k->pending[i].due_usec > now_usec) {
                        i++;
                        continue;
                }
                ret[n++] = k->pending[i].kill;
                k->pending[i] = k->pending[--k->n_pending];
        }
        return n;
}

uint64_t oomkills_next_usec(const OomKills *k)
{
        uint64_t next = UINT64_MAX;
        for (size_t i = 0; i < k->n_pending; i++)
                if (k->pending[i].due_usec < next)
                        next = k->pending[i].due_usec;
        if (k->unexplained_usec && k->unexplained_usec + OOMKILL_GRACE_USEC < next)
                next = k->unexplained_usec + OOMKILL_GRACE_USEC;
        return next;
}

void oomkills_credit(OomKills *k, const char *cgroup)
{
        if (!cgroup || !cgroup[0] || k->n_credits == OOMKILL_CREDITS_MAX) {
                k->unknown_credits++;
                return;
        }
        copy_str(k->credits[k->n_credits++], PROC_CGROUP_MAX, cgroup);
}

/* Whether cgroup path A is T or one of its ancestors. */
static bool covers(const char *a, const char *t)
{
        size_t n = strlen(a);
        if (n == 1 && a[0] == '/')
                return true;
        return strncmp(a, t, n) == 0 && (t[n] == '\0' || t[n] == '/');
}

/* The counters are kept in strcmp() order of their cgroups, so that the
 * unit tier's mark of every unit (oomwatch_sampled(), each unit sample)
 * is a binary search: a linear one cost 1000 units half a million string
 * compares a sample, 17 ms a second of CPU in the 2 GiB guest (issue 20).
 * Where CGROUP is, or would go. */
static size_t counter_at(const OomKills *k, const char *cgroup)
{
        size_t lo = 0, hi = k->n_counters;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(k->counters[mid].cgroup, cgroup) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static Counter *counter_of(const OomKills *k, const char *cgroup)
{
        size_t i = counter_at(k, cgroup);
        return i < k->n_counters && strcmp(k->counters[i].cgroup, cgroup) == 0 ? &k->counters[i]
                                                                                : NULL;
}

bool oomkills_known(const OomKills *k, const char *cgroup)
{
        return counter_of(k, cgroup) != NULL;
}

bool oomkills_mark(OomKills *k, const char *cgroup)
{
        Counter *e = counter_of(k, cgroup);
        if (e)
                e->present = true;
        return e != NULL;
}

void oomkills_sweep(OomKills *k)
{
        bool keep = oomkills_unexplained(k);
        size_t j = 0;
        for (size_t i = 0; i < k->n_counters; i++) {
                Counter *e = &k->counters[i];
                if (e->present || keep) {
                        e->present = false;
                        k->counters[j++] = *e;
                } else
                        free(e->cgroup);
        }
        k->n_counters = j;
}

int oomkills_baseline(OomKills *k, const OomCounter *c)
{
        Counter *e = counter_of(k, c->cgroup);
        if (e)
                return 0;
        if (k->n_counters == OOMKILL_COUNTERS_MAX)
                return -ENOBUFS;
        if (k->n_counters % 32 == 0) {
                Counter *n = realloc(k->counters, (k->n_counters + 32) * sizeof *n);
                if (!n)
                        return -ENOMEM;
                k->counters = n;
        }
        char *cg = strdup(c->cgroup);
        if (!cg)
                return -ENOMEM;
        size_t at = counter_at(k, c->cgroup);
        memmove(&k->counters[at + 1], &k->counters[at], (k->n_counters - at) * sizeof *k->counters);
        k->n_counters++;
        k->counters[at] = (Counter){ .cgroup = cg, .oom_kill = c->oom_kill, .oom = c->oom,
                                     .seen = true, .present = true };
        return 0;
}

bool oomkills_unexplained(const OomKills *k)
{
        return k->unexplained_usec != 0;
}

/* Deepest first: a nested unit's kills are its own before its parent's. */
static int by_depth(const void *a, const void *b)
{
        size_t la = strlen((*(Counter *const *)a)->cgroup), lb = strlen((*(Counter *const *)b)->cgroup);
        return la < lb ? 1 : la > lb ? -1 : 0;
}

size_t oomkills_check(OomKills *k, const OomCounter *c, size_t n, uint64_t now_usec, OomKill *ret,
                      size_t cap)
{
        static Counter *order[OOMKILL_COUNTERS_MAX];
        size_t m = 0, out = 0;
        unsigned unexplained = 0, unknown = k->unknown_credits;

        for (size_t i = 0; i < k->n_counters; i++)
                k->counters[i].seen = false;
        /* new units first: a baseline may move the table */
        for (size_t i = 0; i < n; i++)
                (void)oomkills_baseline(k, &c[i]);
        for (size_t i = 0; i < n; i++) {
                Counter *e = counter_of(k, c[i].cgroup);
                if (!e || e->seen)
                        continue;
                e->seen = true;
                if (c[i].oom_kill < e->oom_kill || c[i].oom < e->oom) {
                        /* a cgroup made again under the same path */
                        e->oom_kill = c[i].oom_kill;
                        e->oom = c[i].oom;
                }
                e->now_kill = c[i].oom_kill;
                e->now_oom = c[i].oom;
                order[m++] = e;
        }
        qsort(order, m, sizeof *order, by_depth);
        for (size_t i = 0; i < m; i++) {
                Counter *e = order[i];
                uint64_t moved = e->now_kill - e->oom_kill, explained = 0;
                for (size_t j = 0; j < k->n_credits; j++)
                        explained += covers(e->cgroup, k->credits[j]);
                for (size_t j = 0; j < i; j++)
                        if (covers(e->cgroup, order[j]->cgroup))
                                explained += order[j]->own;
                uint64_t own = moved > explained ? moved - explained : 0;
                uint64_t take = own < unknown ? own : unknown;
                own -= take;
                unknown -= (unsigned)take;
                e->own = own > 1000 ? 1000 : (unsigned)own;
                unexplained += e->own;
        }

        if (unexplained && !k->unexplained_usec)
                k->unexplained_usec = now_usec ? now_usec : 1;
        if (unexplained && now_usec < k->unexplained_usec + OOMKILL_GRACE_USEC)
                return 0; /* the kmsg line may still come */
        for (size_t i = 0; i < m; i++) {
                Counter *e = order[i];
                if (e->own && out < cap) {
                        OomKill *o = &ret[out++];
                        memset(o, 0, sizeof *o);
                        o->source = OOMKILL_FROM_COUNTER;
                        o->count = e->own;
                        copy_str(o->task_cgroup, sizeof o->task_cgroup, e->cgroup);
                        /* "oom" moved: this cgroup (or one below it) hit its
                         * limit; else the limit was above it, or the box's */
                        bool limit = e->now_oom > e->oom;
                        o->scope = limit ? KMSG_SCOPE_CGROUP : KMSG_SCOPE_SYSTEM;
                        if (limit)
                                copy_str(o->oom_cgroup, sizeof o->oom_cgroup, e->cgroup);
                }
                e->oom_kill = e->now_kill;
                e->oom = e->now_oom;
                e->own = 0;
        }
        /* forget the units that are gone, the rest kept in order */
        size_t kept = 0;
        for (size_t i = 0; i < k->n_counters; i++) {
                if (k->counters[i].seen || n == 0)
                        k->counters[kept++] = k->counters[i];
                else
                        free(k->counters[i].cgroup);
        }
        k->n_counters = kept;
        k->n_credits = 0;
        k->unknown_credits = 0;
        k->unexplained_usec = 0;
        return out;
}
