/* sample.h — turns the kernel's files into Snapshots.
 *
 * Two tiers (DESIGN §2). The system tier reads /proc/meminfo and
 * /proc/pressure/memory through descriptors kept open for the daemon's life,
 * into buffers inside the Sampler: no open(), no allocation. The full tier
 * walks /proc: for every user-space process stat, oom_score, oom_score_adj
 * and cgroup (four small reads: a process can change units, see
 * sampler_full()); for a kernel thread nothing once it is known; cmdline
 * only for a process not seen in the previous snapshot or whose comm
 * changed since (an exec); smaps_rollup only where a rule needs PSS.
 *
 * libproc2 is not used here: its pids API costs ~5x the raw reads per
 * process (84 vs 17 µs measured, DESIGN §6) and its meminfo is cached for up
 * to a second. It is used where cost does not matter: see describe.h. */
#ifndef MEMGUARD_SAMPLE_H
#define MEMGUARD_SAMPLE_H

#include <stdbool.h>

#include "config/config.h"
#include "read/snapshot.h"
#include "util/procroot.h"

typedef struct Sampler Sampler;

/* Opens the sampler on ROOT (borrowed: it must outlive the sampler).
 * PSI is optional (kernels without CONFIG_PSI or booted psi=0). Returns 0 or
 * -errno (meminfo unreadable). */
int sampler_new(const ProcRoot *root, Sampler **ret);
void sampler_free(Sampler *s);

/* The kernel's PSI averaging period (PSI_FREQ). */
#define SAMPLER_PSI_PERIOD_USEC (2000ULL * 1000)

/* The system tier: meminfo, and PSI when FRESH_PSI or when the last PSI
 * read is SAMPLER_PSI_PERIOD_USEC old (the kernel updates the averages no
 * more often); in between RET carries the last PSI read. Writes RET->usec =
 * NOW_USEC. Returns 0 or -errno. */
int sampler_system(Sampler *s, uint64_t now_usec, bool fresh_psi, SystemSample *ret);

/* The full tier: fills RET (which must be empty: zeroed or cleared) with
 * processes and units. Kernel threads, zombies and exiting processes
 * (PF_EXITING: their RSS already reads 0) are left out. A kernel thread
 * older than 30 s that a successful walk saw is then known by its pid and
 * the inode number of its /proc directory, which a new task with that pid
 * does not share, and its stat is not read again.
 *
 * The cmdline of a process found in PREV (same pid and start time) and
 * whose comm is unchanged is moved from PREV into RET, not read again; the
 * comm check catches an exec, which renames. The unit is read afresh every
 * time: pam_systemd moves session children into their scope, and a child
 * sampled before systemd put it in its unit is in the manager's cgroup.
 * PREV may be NULL; its process table is sorted by pid in place.
 *
 * ALL_PSS reads smaps_rollup for every process (a system rule ranking by
 * PSS is about to act); otherwise only where demand_pss() says so. The
 * executable is read where protection needs it (protect.h), and the
 * verdicts are stored in ProcSample.protected_by and .user_manager.
 * RET->sys is left alone. RET holds no process or unit: zeroed, or
 * emptied by snapshot_empty(), whose tables the walk fills before it
 * allocates any.
 *
 * The walk goes on when memguard itself runs short: out of descriptors it
 * gives back a spare one it holds and reads on; out of memory it stops
 * growing the table and keeps what it read. Returns 0 for a whole walk, 1
 * for a partial one (some process could not be read for want of memory or
 * descriptors, or the directory read failed): RET is then consistent but
 * incomplete, good for a system rule's victim choice (a process left out
 * is not a candidate, and a process is left out rather than kept without
 * the unit or executable that could protect it), not for process and unit
 * rules (RULES_PROCS_PARTIAL). Processes that vanish are skipped, not
 * errors. In both cases PREV has lost the cmdlines moved into RET (NULL):
 * clear it. */
int sampler_full(Sampler *s, const Config *config, bool all_pss, Snapshot *prev,
                 uint64_t now_usec, Snapshot *ret);

/* The unit tier: re-reads memory.current of the units of SNAP (as the
 * last full sample found them) that some rule of CONFIG looks at
 * (demand_unit()) in place, setting their memory_usec to NOW_USEC;
 * a unit whose cgroup is gone keeps its old value and time, and so does a
 * unit no rule looks at. One small read per unit and no /proc walk: what
 * growth histories and unit rules need between full samples (schedule.h).
 * Returns the number of units read, or -EOPNOTSUPP without the cgroup v2
 * memory controller. */
int sampler_units(Sampler *s, const Config *config, uint64_t now_usec, Snapshot *snap);

/* Test only: makes the Nth allocation from now in sampler_full() fail as if
 * out of memory (1: the next one), once; 0 disarms. */
void sampler_set_fail_after(Sampler *s, unsigned n);

#endif
