/* snapshot.c — ownership and look-ups of a Snapshot.
 *
 * Look-ups are linear: a snapshot holds a few hundred processes and a few
 * dozen units, and the callers (rule engine, actions) look up a handful of
 * targets per evaluation, so an index would cost more to build than it saves. */
#include "snapshot.h"

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

const UnitSample *snapshot_find_unit(const Snapshot *s, const char *name)
{
        if (!s || !name)
                return NULL;
        for (size_t i = 0; i < s->n_units; i++)
                if (strcmp(s->units[i].name, name) == 0)
                        return &s->units[i];
        return NULL;
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
