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

#include "config/metric.h"
#include "read/meminfo.h"
#include "read/proc.h"
#include "read/psi.h"

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
        /* Protection that needs the executable, judged by the sampler
         * against the config it was given (protect.h): 1 + the index in
         * Config.protect of the name or path entry that protects it, 0 for
         * none (so that a zeroed sample protects nothing); whether it is a
         * user's service manager. */
        unsigned protected_by;
        bool user_manager;
} ProcSample;

/* A systemd unit, identified by its cgroup (proc_cgroup_to_unit()): a
 * user's api.service and the system's api.service are two units. */
typedef struct UnitSample {
        char name[PROC_UNIT_MAX];     /* "api.service" */
        char owner[PROC_UNIT_MAX];    /* "": the system manager's; else the
                                       * system unit of the manager that runs
                                       * it ("user@1000.service") */
        char cgroup[PROC_CGROUP_MAX]; /* cgroup path of the unit itself: the key */
        uint64_t memory_kb;  /* memory.current, or the sum of its processes' PSS */
        bool memory_from_cgroup;
        uint64_t memory_usec; /* when memory_kb was read (the unit tier
                               * refreshes it between full samples) */
        unsigned n_procs;
        pid_t main_pid;      /* the largest process in it: what a unit is "using" */
        uint64_t main_kb;    /* its size (PSS, or RSS where PSS was not read) */
} UnitSample;

typedef struct Snapshot {
        SystemSample sys;
        uint64_t procs_usec;  /* when procs/units were sampled; 0 = never */
        ProcSample *procs;
        size_t n_procs, procs_cap; /* cap: rows allocated */
        UnitSample *units;
        size_t n_units, units_cap;
        pid_t self_pid;       /* memguard itself: never a candidate */
} Snapshot;

/* The value of system metric M (mem.*, swap.*, psi.*: the table's
 * METRIC_PACE_MEMORY, _SWAP and _ANY metrics) in SYS, in kB or percent:
 * false when SYS does not have it (swap.* on a box without swap, psi.*
 * without PSI, psi.full.* where the kernel prints no "full" line), or M is
 * not a system value. The rule engine and the scheduler both read it. */
bool snapshot_system_value(const SystemSample *sys, Metric m, double *ret);

/* Frees everything a snapshot owns and zeroes it; NULL-safe. */
void snapshot_clear(Snapshot *s);

/* Empties S for another walk to fill: frees what its rows own (cmdlines)
 * and keeps its tables, with their capacity, and nothing else. */
void snapshot_empty(Snapshot *s);

/* The rows a walk's tables start with (sample.c), and grow from by
 * doubling. */
#define SNAPSHOT_FIRST_PROCS 256
#define SNAPSHOT_FIRST_UNITS 32

/* The rows the next walk's table should have after a whole walk held HELD
 * in a table of CAP: CAP, or, where that walk held under a quarter of it,
 * twice what it held (at least LEAST, the table's first size). A burst of
 * processes or units leaves no table at its peak for good, and the next
 * walk still has room to grow into without allocating. */
size_t snapshot_fit_rows(size_t held, size_t cap, size_t least);

/* Sizes S's empty tables (no rows: snapshot_empty()) to PROCS processes
 * and UNITS units, grown or cut; *RET_SHRUNK (may be NULL) tells whether
 * one was cut, its memory given back. Returns 0 or -ENOMEM (the table that
 * could not be had is left without rows, to be grown by the walk). */
int snapshot_fit(Snapshot *s, size_t procs, size_t units, bool *ret_shrunk);

/* Finds the unit whose cgroup is CGROUP; NULL if absent. */
const UnitSample *snapshot_find_unit(const Snapshot *s, const char *cgroup);

/* True if U is a unit of the system manager (OWNER ""), the only manager
 * memguard talks to. */
static inline bool unit_is_system(const UnitSample *u)
{
        return u->owner[0] == '\0';
}

/* True if OWNER is a user's service manager, "user@UID.service"; writes
 * the UID to *RET_UID (may be NULL). */
bool unit_owner_is_user(const char *owner, unsigned *ret_uid);

/* How a unit is named to an operator: "api.service" for a system unit,
 * "api.service (user 1000)" for a user's, "nginx.service (in
 * machine-x.scope)" for another manager's. Returns BUF. */
const char *unit_label(const char *name, const char *owner, char *buf, size_t size);

/* Finds the process (PID, START_TIME); NULL if absent. */
const ProcSample *snapshot_find_proc(const Snapshot *s, pid_t pid, uint64_t start_time);

/* Finds the process PID, whatever its start time; NULL if absent. */
const ProcSample *snapshot_find_pid(const Snapshot *s, pid_t pid);

/* The unit P runs in; NULL if none. */
const UnitSample *snapshot_proc_unit(const Snapshot *s, const ProcSample *p);

/* The unit memguard runs in (the unit of self_pid); NULL if unknown. */
const UnitSample *snapshot_self_unit(const Snapshot *s);

/* A process's size as rules and histories weigh it: PSS where
 * smaps_rollup was read, else RSS (an upper bound of PSS). */
static inline uint64_t proc_size_kb(const ProcSample *p)
{
        return p->has_pss ? p->pss_kb : p->rss_kb;
}

#endif
