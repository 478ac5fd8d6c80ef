/* vmstat.h — the kernel's counters of its OOM kills. /proc/vmstat's
 * oom_kill (Linux 4.13+): the processes the kernel's OOM killer has killed
 * since boot, for the metrics file (report/metrics.h) and to tell when the
 * units' counters are worth reading (read/oomkill.h); the file is ~4 KiB
 * of ~180 counters, summed over every CPU on each read, so it is read only
 * for those. And a cgroup v2 unit's memory.events: "oom" (the cgroup or
 * one below it hit its limit) and "oom_kill" (a process in it or below it
 * was killed), since the cgroup was made. */
#ifndef MEMGUARD_READ_VMSTAT_H
#define MEMGUARD_READ_VMSTAT_H

#include <stddef.h>
#include <stdint.h>

/* Finds "oom_kill N" in LEN bytes of /proc/vmstat text (BUF need not be
 * NUL-terminated; a line may end at the end of BUF). Returns 0 and writes
 * *RET; -ENODATA when no line names it (a kernel before 4.13); -EBADMSG
 * when its value is not a number that fits 64 bits. */
int vmstat_parse_oom_kills(const char *buf, size_t len, uint64_t *ret);

/* Reads PROC_FD/vmstat (PROC_FD: the proc root, procroot.h) in chunks of
 * a small stack buffer, whole lines at a time, and parses it. Returns 0,
 * -ENODATA (no such counter), -EBADMSG, or -errno of the open or read. No
 * allocation. */
int vmstat_read_oom_kills(int proc_fd, uint64_t *ret);

/* Finds "oom N" and "oom_kill N" in LEN bytes of a memory.events file.
 * Returns 0 and writes both, -ENODATA when either is missing (oom_kill
 * came in 4.13), or -EBADMSG. */
int memory_events_parse(const char *buf, size_t len, uint64_t *ret_oom, uint64_t *ret_oom_kill);

/* Reads CGROUP's memory.events ("/system.slice/x.service", under
 * CGROUP_FD, the cgroup v2 root of procroot.h) and parses it. Returns 0,
 * -ENOENT when the cgroup is gone, or another -errno. No allocation. */
int memory_events_read(int cgroup_fd, const char *cgroup, uint64_t *ret_oom, uint64_t *ret_oom_kill);

#endif
