/* psi.h — memory pressure stall information (/proc/pressure/memory).
 *
 * Averages are percentages of wall time in which some (or all) non-idle
 * tasks were stalled on memory; totals are cumulative stall microseconds. */
#ifndef MEMGUARD_PSI_H
#define MEMGUARD_PSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct PsiLine {
        double avg10, avg60, avg300; /* percent, 0..100 */
        uint64_t total_usec;
} PsiLine;

typedef struct PsiInfo {
        PsiLine some;
        PsiLine full;
        bool has_full; /* "full" appeared (kernels >= 5.2 print it for memory) */
} PsiInfo;

/* Parses the text of a pressure file (also a cgroup's memory.pressure).
 * "some" is required, "full" optional; each line must be the kernel's
 * "avg10=A avg60=A avg300=A total=N\n" with averages in 0..100; a last
 * line without '\n' was cut by the buffer and is malformed. Lines with
 * another first word are ignored. Returns 0 or -EBADMSG (also for a
 * repeated line); RET written only on success. */
int psi_parse(const char *buf, size_t len, PsiInfo *ret);

/* pread()s the open pressure FD into BUF and parses it. 0 or -errno. */
int psi_read_fd(int fd, char *buf, size_t size, PsiInfo *ret);

/* What psi_whole() keeps of a text it found whole: its parse, so that
 * psi_read_fd() does not parse the same text again. */
typedef struct PsiWhole {
        PsiInfo info;
        bool whole;
} PsiWhole;

/* Whether LEN bytes from the start of a pressure file (ending in '\n')
 * hold both its lines, some and full: psi_read_fd() then skips the read()
 * that would only find EOF (procroot.h's ProcrootWhole). USERDATA: NULL,
 * or a PsiWhole that receives the parse when the text is whole. */
bool psi_whole(const char *buf, size_t len, void *userdata);

/* Opens DIRFD/"pressure/memory" O_RDWR|O_NONBLOCK|O_CLOEXEC and registers a
 * "some STALL WINDOW" trigger (the kernel wants the trailing NUL written).
 * The returned fd signals EPOLLPRI when the stall threshold is crossed within
 * a window; at most one event per window. Needs CAP_SYS_RESOURCE (before
 * 6.5, or with windows under 2 s). The kernel wants 500 ms <= WINDOW <= 10 s
 * and STALL <= WINDOW (-EINVAL otherwise). A pressure file that is not on
 * procfs (a fixture tree) is -EOPNOTSUPP and is never written to. Returns
 * the fd, or -errno: the caller falls back to its timer. */
int psi_trigger_open(int proc_fd, uint64_t stall_usec, uint64_t window_usec);

#endif
