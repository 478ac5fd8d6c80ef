/* proc.h — per-process readers: /proc/PID/{stat,status,smaps_rollup,
 * cmdline,cgroup,oom_score,oom_score_adj}.
 *
 * Every reader is a pure *_parse() over a buffer plus a thin *_read() that
 * fetches the file through the proc root. A process may vanish between any
 * two reads: readers then return -ENOENT or -ESRCH, which callers treat as
 * "skip silently", never as an error. No reader allocates; callers pass the
 * scratch buffer. */
#ifndef MEMGUARD_PROC_H
#define MEMGUARD_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* TASK_COMM_LEN is 16 with the NUL; kernel threads of 6.x may show longer
 * names through stat since workqueue names are appended, so keep room. */
#define PROC_COMM_MAX 64
#define PROC_UNIT_MAX 256
#define PROC_CGROUP_MAX 512

/* The kernel's PF_KTHREAD flag in /proc/PID/stat field 9. */
#define PROC_PF_KTHREAD 0x00200000u

typedef struct ProcStat {
        pid_t pid;
        char comm[PROC_COMM_MAX]; /* between the first '(' and the LAST ')' */
        char state;
        pid_t ppid;
        unsigned flags;      /* field 9 */
        uint64_t start_time; /* field 22, clock ticks since boot */
        uint64_t rss_pages;  /* field 24: approximate, see below */
} ProcStat;

/* rss_pages is the RSS counters read without folding in their per-CPU
 * parts (per-thread caches before 6.2): measured on 6.18 it is off by up to
 * ~250 kB from status's VmRSS and statm, which are exact, even for a
 * sleeping process. Good to rank by, not to compare with a limit.
 *
 * Parses /proc/PID/stat. The comm is everything between the first '(' and
 * the last ')', so a comm such as "a) Z 1" cannot shift the fields.
 * Returns 0 or -EBADMSG (truncated, empty, malformed). */
int proc_stat_parse(const char *buf, size_t len, ProcStat *ret);

typedef struct ProcStatus {
        uid_t uid;        /* real uid */
        uint64_t rss_kb;  /* VmRSS; 0 when absent */
        uint64_t swap_kb; /* VmSwap; 0 when absent */
        bool has_vm;      /* VmRSS present: false for kernel threads and zombies */
} ProcStatus;

/* Parses /proc/PID/status. Name/Uid are required; Vm* lines are optional.
 * Returns 0 or -EBADMSG. */
int proc_status_parse(const char *buf, size_t len, ProcStatus *ret);

typedef struct ProcRollup {
        uint64_t rss_kb;
        uint64_t pss_kb;
        uint64_t swap_kb;
        uint64_t swap_pss_kb;
        /* PSS split by kind (Linux 5.12+: Pss_Anon, Pss_File, Pss_Shmem),
         * has_pss_split when all three were there; Anonymous (RSS). */
        uint64_t pss_anon_kb;
        uint64_t pss_file_kb;
        uint64_t pss_shmem_kb;
        uint64_t anonymous_kb;
        bool has_pss_split;
} ProcRollup;

/* Parses /proc/PID/smaps_rollup (kernel >= 4.14). Pss is required; the
 * other fields default to 0. An empty file (what the first kernels printed
 * for kernel threads and zombies) is -ENODATA. Otherwise 0 or -EBADMSG. */
int proc_smaps_rollup_parse(const char *buf, size_t len, ProcRollup *ret);

/* Parses /proc/PID/cgroup and copies the cgroup path that identifies the
 * process's systemd unit into RET (SIZE bytes, NUL-terminated): the cgroup
 * v2 line ("0::") when it names a non-root path, else the v1 "name=systemd"
 * line. The " (deleted)" the kernel appends to a removed v2 cgroup is
 * dropped. Returns 0, -ENODATA when neither line is present or both are "/",
 * -ENAMETOOLONG, or -EBADMSG (a line without two ':', a path not starting
 * with '/', a last line without '\n', i.e. cut by the buffer, or a NUL
 * byte in the path taken). */
int proc_cgroup_parse(const char *buf, size_t len, char *ret, size_t size);

/* Whether LEN bytes read from the start of a /proc/PID/cgroup are all of
 * it: they end with the cgroup v2 line "0::...", whole. The kernel prints
 * that line last, after the v1 hierarchies' (the default hierarchy is the
 * first root it registers, and it lists roots newest first), so a read
 * that holds it holds the whole file, cgroup v2 alone or hybrid; a v1
 * file without the v2 line is read to EOF (procroot_read_file_until()).
 * USERDATA is unused. */
bool proc_cgroup_whole(const char *buf, size_t len, void *userdata);

/* The systemd unit a cgroup path belongs to. A unit is identified by its
 * cgroup, never by its name alone: a user's service manager (below
 * user@UID.service) and a container's manager run units with the same
 * names as the system's ("api.service"), and only the path tells them
 * apart. */
typedef struct CgroupUnit {
        /* The deepest path component that ends in .service, .scope,
         * .socket, .mount or .swap and sits under a .slice (or at the top),
         * with systemd's '_' escaping removed: "api.service". */
        char name[PROC_UNIT_MAX];
        /* "" when the unit is the system manager's. Otherwise the system
         * unit whose delegated subtree holds the manager that runs it: the
         * outermost unit component ("user@1000.service" for a user's
         * units, "machine-x.scope" for a container's). */
        char owner[PROC_UNIT_MAX];
        /* The unit's own cgroup is the first CGROUP_LEN bytes of the path:
         * "/system.slice/api.service" of "/system.slice/api.service/w";
         * the owner's, the first OWNER_CGROUP_LEN (0 without an owner). */
        size_t cgroup_len;
        size_t owner_cgroup_len;
} CgroupUnit;

/* Maps a cgroup path to the unit that owns it (see CgroupUnit):
 * "/system.slice/api.service/worker" → api.service;
 * "/system.slice/system-getty.slice/getty@tty1.service" → getty@tty1.service;
 * "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service" →
 * x.service, owner user@1000.service;
 * "/user.slice/user-1000.slice/user@1000.service/init.scope" →
 * user@1000.service (the user manager itself: init.scope is not under a
 * slice); "/init.scope" → init.scope; "/" has no unit.
 * Returns 0 (RET written), -ENODATA (no unit in the path) or -ENAMETOOLONG
 * (a name longer than PROC_UNIT_MAX - 1). */
int proc_cgroup_to_unit(const char *path, CgroupUnit *ret);

/* How proc_cgroup_to_unit() reads one cgroup directory NAME (a path
 * component, '_' escaping included): whether it names a unit (it does
 * where its parent is a slice or the root), and whether it is a slice. */
bool proc_cgroup_name_is_unit(const char *name);
bool proc_cgroup_name_is_slice(const char *name);

/* Whether NAME, an entry of the proc directory (NUL-terminated, as
 * readdir() gives it), is a process's: a decimal number without a sign
 * or leading zero, at most INT_MAX. Writes its value to *RET only then.
 * Pure. */
bool proc_pid_parse(const char *name, pid_t *ret);

/* Parses an integer file such as oom_score or oom_score_adj: an optional
 * '-', digits within int range, an optional '\n'. 0 or -EBADMSG. */
int proc_int_parse(const char *buf, size_t len, int *ret);

/* Converts /proc/PID/cmdline (NUL-separated argv) in place into one line:
 * NULs between arguments become spaces, trailing NULs are dropped, and
 * control characters become '?'. Returns the new length. An empty cmdline
 * (kernel threads, zombies) stays empty. */
size_t proc_cmdline_flatten(char *buf, size_t len);

/* Drops the " (deleted)" the kernel appends to the path of an executable
 * whose file was removed or replaced (a package upgrade): the process
 * still runs the old file, under its old name. PATH is LEN bytes and
 * NUL-terminated; returns the new length. */
size_t proc_exe_strip_deleted(char *path, size_t len);

/* Reads the executable PID runs: opens PID/exe (the file itself, through
 * the link), and from that one descriptor takes both its path (into RET,
 * SIZE bytes, NUL-terminated, " (deleted)" dropped) and whether the file is
 * owned by root and writable by nobody else (*RET_ROOT_OWNED), so that the
 * two facts are about the same file even if the process execs meanwhile.
 * Returns the path's length; -ENOENT/-ESRCH when the process is gone or has
 * no executable (kernel threads, zombies); -ENAMETOOLONG when the path does
 * not fit; another -errno otherwise (-EACCES without CAP_SYS_PTRACE over
 * it). */
ssize_t proc_read_exe(int proc_fd, pid_t pid, char *ret, size_t size, bool *ret_root_owned);

/* Readers: open PID's file through PROC_FD into BUF (SIZE bytes) and parse.
 * Return 0, -ENOENT/-ESRCH when the process is gone, or another -errno
 * (-EINVAL for PID <= 0). proc_read_smaps_rollup returns -ENODATA for a
 * live task without memory (kernel thread, zombie): the kernel fails that
 * read with ESRCH, which the reader tells apart from a vanished process.
 * proc_read_oom_score needs no buffer (both files are tiny). */
int proc_read_stat(int proc_fd, pid_t pid, char *buf, size_t size, ProcStat *ret);
int proc_read_status(int proc_fd, pid_t pid, char *buf, size_t size, ProcStatus *ret);
int proc_read_smaps_rollup(int proc_fd, pid_t pid, char *buf, size_t size, ProcRollup *ret);
int proc_read_cgroup(int proc_fd, pid_t pid, char *buf, size_t size, char *ret, size_t ret_size);
int proc_read_oom_score(int proc_fd, pid_t pid, int *ret_score, int *ret_adj);
/* Counts PID's open file descriptors (the entries of /proc/PID/fd, read
 * with getdents64 into a buffer on the stack: no allocation). Returns the
 * count, -ENOENT/-ESRCH when the process is gone, or -errno (-EACCES
 * without CAP_SYS_PTRACE over it). */
long proc_count_fds(int proc_fd, pid_t pid);

/* Reads cmdline into RET (SIZE bytes, truncated) and flattens it; RET is
 * NUL-terminated. Returns the flattened length (0 for kernel threads and
 * zombies) or -errno. */
ssize_t proc_read_cmdline(int proc_fd, pid_t pid, char *ret, size_t size);

#endif
