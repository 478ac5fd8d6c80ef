/* snapshot.c — ownership and look-ups of a Snapshot.
 *
 * Look-ups are linear: a snapshot holds a few hundred processes and a few
 * dozen units, and the callers (rule engine, actions) look up a handful of
 * targets per evaluation, so an index would cost more to build than it saves. */
#include "read/snapshot.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void snapshot_clear(Snapshot *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_procs; i++)
                free(s->procs[i].cmdline);
        free(s->procs);
        free(s->units);
        memset(s, 0, sizeof(*s));
}

void snapshot_empty(Snapshot *s)
{
        for (size_t i = 0; i < s->n_procs; i++)
                free(s->procs[i].cmdline);
        *s = (Snapshot){ .procs = s->procs, .procs_cap = s->procs_cap,
                         .units = s->units, .units_cap = s->units_cap };
}

/* One empty table (ROWS, CAP) of SIZE-byte rows to WANT rows: grown in
 * place, or given back before a smaller one is taken. */
static int table_fit(void **rows, size_t *cap, size_t want, size_t size, bool *shrunk)
{
        if (*cap == want)
                return 0;
        if (*cap > want) {
                free(*rows);
                *rows = NULL;
                *cap = 0;
                *shrunk = true;
        }
        void *p = realloc(*rows, want * size);
        if (!p)
                return -ENOMEM;
        *rows = p;
        *cap = want;
        return 0;
}

size_t snapshot_fit_rows(size_t held, size_t cap, size_t least)
{
        if (cap > least && held < cap / 4)
                return 2 * held > least ? 2 * held : least;
        return cap;
}

int snapshot_fit(Snapshot *s, size_t procs, size_t units, bool *ret_shrunk)
{
        bool shrunk = false;
        void *p = s->procs, *u = s->units;
        int r = table_fit(&p, &s->procs_cap, procs, sizeof *s->procs, &shrunk);
        s->procs = p;
        if (r == 0)
                r = table_fit(&u, &s->units_cap, units, sizeof *s->units, &shrunk);
        s->units = u;
        if (ret_shrunk)
                *ret_shrunk = shrunk;
        return r;
}

const UnitSample *snapshot_find_unit(const Snapshot *s, const char *cgroup)
{
        if (!s || !cgroup)
                return NULL;
        for (size_t i = 0; i < s->n_units; i++)
                if (strcmp(s->units[i].cgroup, cgroup) == 0)
                        return &s->units[i];
        return NULL;
}

bool unit_owner_is_user(const char *owner, unsigned *ret_uid)
{
        static const char prefix[] = "user@", suffix[] = ".service";
        size_t n = owner ? strlen(owner) : 0;
        unsigned long uid = 0;

        if (n <= strlen(prefix) + strlen(suffix) || strncmp(owner, prefix, strlen(prefix)) != 0 ||
            strcmp(owner + n - strlen(suffix), suffix) != 0)
                return false;
        for (const char *c = owner + strlen(prefix); c < owner + n - strlen(suffix); c++) {
                if (*c < '0' || *c > '9' || uid > 0xffffffffUL / 10)
                        return false;
                uid = uid * 10 + (unsigned long)(*c - '0');
        }
        if (uid > 0xfffffffeUL)
                return false;
        if (ret_uid)
                *ret_uid = (unsigned)uid;
        return true;
}

const char *unit_label(const char *name, const char *owner, char *buf, size_t size)
{
        unsigned uid;

        if (!owner || !owner[0])
                snprintf(buf, size, "%s", name);
        else if (unit_owner_is_user(owner, &uid))
                snprintf(buf, size, "%s (user %u)", name, uid);
        else
                snprintf(buf, size, "%s (in %s)", name, owner);
        return buf;
}

const ProcSample *snapshot_find_proc(const Snapshot *s, pid_t pid, uint64_t start_time)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_procs; i++)
                if (s->procs[i].pid == pid && s->procs[i].start_time == start_time)
                        return &s->procs[i];
        return NULL;
}

const ProcSample *snapshot_find_pid(const Snapshot *s, pid_t pid)
{
        for (size_t i = 0; i < s->n_procs; i++)
                if (s->procs[i].pid == pid)
                        return &s->procs[i];
        return NULL;
}

const UnitSample *snapshot_proc_unit(const Snapshot *s, const ProcSample *p)
{
        if (p->unit < 0 || (size_t)p->unit >= s->n_units)
                return NULL;
        return &s->units[p->unit];
}

const UnitSample *snapshot_self_unit(const Snapshot *s)
{
        const ProcSample *self = snapshot_find_pid(s, s->self_pid);
        return self ? snapshot_proc_unit(s, self) : NULL;
}

bool snapshot_system_value(const SystemSample *sys, Metric m, double *ret)
{
        const MemInfo *mi = &sys->mem;
        const PsiInfo *psi = &sys->psi;

        switch (m) {
        case METRIC_MEM_AVAILABLE:
                *ret = (double)mi->available_kb;
                return true;
        case METRIC_MEM_USED:
                *ret = mi->total_kb > mi->available_kb ? (double)(mi->total_kb - mi->available_kb)
                                                       : 0.0;
                return true;
        /* Without swap, "swap.free < X" would always hold: a swap-less box
         * has no swap to run out of, so swap conditions are false there. */
        case METRIC_SWAP_FREE:
                if (mi->swap_total_kb == 0)
                        return false;
                *ret = (double)mi->swap_free_kb;
                return true;
        case METRIC_SWAP_USED:
                if (mi->swap_total_kb == 0)
                        return false;
                *ret = mi->swap_total_kb > mi->swap_free_kb
                               ? (double)(mi->swap_total_kb - mi->swap_free_kb)
                               : 0.0;
                return true;
        case METRIC_PSI_SOME_AVG10:
        case METRIC_PSI_SOME_AVG60:
        case METRIC_PSI_SOME_AVG300:
                if (!sys->has_psi)
                        return false;
                *ret = m == METRIC_PSI_SOME_AVG10   ? psi->some.avg10
                       : m == METRIC_PSI_SOME_AVG60 ? psi->some.avg60
                                                    : psi->some.avg300;
                return true;
        case METRIC_PSI_FULL_AVG10:
        case METRIC_PSI_FULL_AVG60:
        case METRIC_PSI_FULL_AVG300:
                if (!sys->has_psi || !psi->has_full)
                        return false;
                *ret = m == METRIC_PSI_FULL_AVG10   ? psi->full.avg10
                       : m == METRIC_PSI_FULL_AVG60 ? psi->full.avg60
                                                    : psi->full.avg300;
                return true;
        default:
                return false;
        }
}
