/* snapshot.h — one immutable sample of the system, processes and units.
 *
 * A Snapshot owns all its memory. The system part is refreshed every
 * fast-interval; the process and unit tables every interval (or at once when
 * a system rule is about to act). Rules read snapshots and never mutate them. */
#ifndef MEMGUARD_SNAPSHOT_H
#define MEMGUARD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "meminfo.h"
#include "proc.h"
#include "psi.h"

typedef struct SystemSample {
        uint64_t usec; /* CLOCK_MONOTONIC when sampled */
        MemInfo mem;
        PsiInfo psi;
        bool has_psi;
} SystemSample;

typedef struct ProcSample {
        pid_t pid;
        uint64_t start_time; /* ticks since boot: (pid, start_time) names a process */
        char comm[PROC_COMM_MAX];
        char *cmdline;       /* flattened, owned; "" when unknown */
        uint64_t rss_kb;
        uint64_t pss_kb;     /* valid only if has_pss */
        uint64_t swap_kb;    /* from smaps_rollup if has_pss, else VmSwap */
        bool has_pss;
        int oom_score;
        int oom_score_adj;
        int unit;            /* index into Snapshot.units, or -1 */
        bool kthread;
} ProcSample;

typedef struct UnitSample {
        char name[PROC_UNIT_MAX];
        char cgroup[PROC_CGROUP_MAX]; /* cgroup path of the unit itself */
        uint64_t memory_kb;  /* memory.current, or the sum of its processes' PSS */
        bool memory_from_cgroup;
        uint64_t memory_usec; /* when memory_kb was read (the unit tier
                               * refreshes it between full samples) */
        unsigned n_procs;
        pid_t main_pid;      /* the largest process in it: what a unit is "using" */
} UnitSample;

typedef struct Snapshot {
        SystemSample sys;
        uint64_t procs_usec;  /* when procs/units were sampled; 0 = never */
        ProcSample *procs;
        size_t n_procs;
        UnitSample *units;
        size_t n_units;
        pid_t self_pid;       /* memguard itself: never a candidate */
} Snapshot;

/* Frees everything a snapshot owns and zeroes it; NULL-safe. */
void snapshot_clear(Snapshot *s);

/* Finds the unit named NAME; NULL if absent. */
const UnitSample *snapshot_find_unit(const Snapshot *s, const char *name);

/* Finds the process (PID, START_TIME); NULL if absent. */
const ProcSample *snapshot_find_proc(const Snapshot *s, pid_t pid, uint64_t start_time);

#endif
