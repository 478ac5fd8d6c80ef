/* vmstat.h — /proc/vmstat, the kernel's event counters. memguard reads one
 * of them, oom_kill (Linux 4.13+): the processes the kernel's OOM killer
 * has killed since boot, for the metrics file (report/metrics.h), and only
 * when one is configured: the file is ~4 KiB of ~180 counters, summed over
 * every CPU on each read, and nothing else needs it. */
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

#endif
