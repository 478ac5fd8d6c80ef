/* procroot.h — where memguard reads the kernel's view of the system.
 *
 * Every /proc and cgroup read goes through openat() on these directory
 * descriptors, so tests point the daemon at a fixture tree
 * (tests/fixtures/NAME/proc, tests/fixtures/NAME/cgroup) instead of the
 * live system. */
#ifndef MEMGUARD_PROCROOT_H
#define MEMGUARD_PROCROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct ProcRoot {
        int proc_fd;   /* the proc directory ("/proc") */
        int cgroup_fd; /* the cgroup v2 root with a memory controller, or -1 */
} ProcRoot;

/* Opens PROC_PATH (NULL: "/proc") and CGROUP_PATH (NULL: "/sys/fs/cgroup").
 * The cgroup root is kept only if it is cgroup v2 with the memory controller
 * enabled (its cgroup.controllers lists "memory"); otherwise cgroup_fd is -1
 * and unit memory is summed from process PSS. Returns 0, or -errno if the
 * proc directory cannot be opened. */
int procroot_open(const char *proc_path, const char *cgroup_path, ProcRoot *ret);

/* True if LEN bytes of BUF, a cgroup.controllers (controller names
 * separated by blanks or newlines; no NUL needed), name the memory
 * controller as a whole word; false for anything else, an empty buffer
 * included. Pure: what procroot_open() judges a cgroup root by. */
bool procroot_controllers_have_memory(const char *buf, size_t len);

/* Closes both descriptors and sets them to -1; safe on a zeroed (fd 0 is
 * stdin, never closed) or already closed root. */
void procroot_close(ProcRoot *root);

/* Reads the whole of DIRFD/PATH into BUF (at most SIZE-1 bytes) and
 * NUL-terminates it. Returns the length read, or -errno (-ENOENT/-ESRCH when
 * a process vanished: normal, callers skip it silently). A file longer than
 * the buffer is truncated to it: parsers treat a missing field as -EBADMSG.
 * Reads until EOF, so a file that comes in pieces comes whole (/proc, sysfs
 * and cgroupfs files come in one read(), and the second finds EOF). SIZE 0
 * is -EINVAL. No allocation. */
ssize_t procroot_read_file(int dirfd, const char *path, char *buf, size_t size);

/* Whether the LEN bytes read so far (NUL-terminated, ending in '\n') hold
 * all a reader needs, whatever follows: then the read() that would only
 * find EOF is skipped (~0.3 us of a ~5-12 us open, read and close; one of
 * every two system calls of the fast tier's meminfo read). USERDATA is the
 * reader's: a predicate that has to parse to know keeps its parse there,
 * so that the text is not parsed twice. */
typedef bool (*ProcrootWhole)(const char *buf, size_t len, void *userdata);

/* For the files the kernel writes as one line (/proc/PID/stat, oom_score,
 * oom_score_adj): whole at their first '\n'. USERDATA is unused. */
bool procroot_one_line(const char *buf, size_t len, void *userdata);

/* procroot_read_file() that stops as soon as WHOLE(..., USERDATA) says so
 * (NULL: at EOF, as procroot_read_file()). WHOLE is asked only after a
 * read() that ended in '\n', so that a file read in pieces is never taken
 * cut inside a line. */
ssize_t procroot_read_file_until(int dirfd, const char *path, char *buf, size_t size,
                                 ProcrootWhole whole, void *userdata);

/* Same with a descriptor kept open across reads: pread() from offset 0 (and
 * on, until EOF or WHOLE), which /proc seq files regenerate. Used by the
 * fast tier to avoid open/close. */
ssize_t procroot_pread(int fd, char *buf, size_t size);
ssize_t procroot_pread_until(int fd, char *buf, size_t size, ProcrootWhole whole,
                             void *userdata);

#endif
