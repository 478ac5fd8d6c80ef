/* evidence.h — the victim's memory, read just before a process or unit
 * rule terminates, kills or restarts it (issue 17): what a post-mortem
 * needs once the process and its heap are gone. Carried by the action's
 * own journal entry (LogMemory in util/log.h). Never for a system rule:
 * nothing may be read or allocated between its decision and its signal
 * (actions.h). */
#ifndef MEMGUARD_EVIDENCE_H
#define MEMGUARD_EVIDENCE_H

#include <stdint.h>
#include <sys/types.h>

#include "util/log.h"

/* Fills *RET: process (PID, START_TIME, COMM; PID 0: none) through
 * PROC_FD (the live /proc): its smaps_rollup totals and its open
 * descriptors, when its start time still matches (a pid reused since
 * the sample is not described); and the unit cgroup CGROUP ("" or NULL:
 * none) through CGROUP_FD (the cgroup v2 root, -1: none): its
 * memory.stat breakdown. What cannot be read is left out (has_* false).
 * No allocation; ~50 µs plus the rollup's page-table walk. */
void evidence_collect(int proc_fd, int cgroup_fd, pid_t pid, uint64_t start_time,
                      const char *comm, const char *cgroup, LogMemory *ret);

#endif
