/* mgfault.c — an LD_PRELOAD shim that injects faults into memguard-test
 * for tests/faults/run.sh (issue 19): failed allocations, failed or short
 * reads of the fixture proc root, and a wall clock that jumps.
 *
 * Configured by the environment; every fault waits until it is armed:
 *
 *   MGF_REPORT=PATH        lines appended as things happen (below)
 *   MGF_ARM_FILE=PATH      armed while PATH exists (looked for by any
 *                          interposed call, at most every 10 ms); without
 *                          it, armed from the start. The file may hold
 *                          "clock_shift=SECONDS", re-read when it changes.
 *   MGF_ALLOC_FAIL_AT=N    the Nth malloc/calloc/realloc after arming fails
 *   MGF_ALLOC_FAIL_FROM=N  ... and with this, every one from the Nth on
 *   MGF_PROC_ROOT=DIR      the fixture proc root (an absolute, resolved path)
 *   MGF_PATH=PATTERN       which files under it: fnmatch(3) on the path
 *                          relative to DIR ("1234/status", "1234/[a-z]*",
 *                          "meminfo", "*": every file)
 *   MGF_OPEN_ERRNO=E       opening such a file fails with E (EACCES, ESRCH,
 *                          EIO, ENOENT or a number)
 *   MGF_READ_ERRNO=E       reading one fails with E
 *   MGF_READ_MAX=K         a read of one returns at most K bytes
 *   MGF_CLOCK_SHIFT=S      CLOCK_REALTIME, time() and gettimeofday() run S
 *                          seconds off (negative: behind)
 *
 * Report lines: "armed" and "disarmed"; "alloc-fail N SIZE", then the
 * backtrace of that call (backtrace_symbols_fd(): "binary(+0xOFFSET)
 * [0xADDR]" per frame) and "end-backtrace"; "open-fail PATH ERRNO" for the
 * first open failed; "clock-shift S"; and at exit "allocs-seen COUNT", the
 * calls counted while armed (a driver failing the Nth knows when N passed
 * the last), and "opens-failed N reads-failed N reads-cut N".
 *
 * The real allocator is glibc's, reached through __libc_malloc and its
 * siblings: no dlsym(), which may itself allocate. glibc sends its own
 * allocations (strdup, asprintf, opendir, fopen) through the interposed
 * malloc, so they count too. free() needs no wrapper: the memory is
 * glibc's. Files, reads and clocks go to the kernel by syscall(2), so the
 * shim calls nothing it interposes. Not for the sanitizer build: ASan
 * replaces malloc itself. */
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
/* the fortified entry points (_FORTIFY_SOURCE), which bypass read() and
 * open() */
int __open_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);

#define ARM_CHECK_NSEC 10000000L /* the arm file is looked for at most every 10 ms */
#define MAX_FDS 4096
#define PATH_LEN 4096

static struct {
        bool init;
        const char *report;
        const char *arm_file;
        long fail_at, fail_from; /* 0: off */
        const char *proc_root;
        size_t proc_root_len;
        const char *pattern;
        int open_errno, read_errno;
        long read_max; /* 0: off */
        long clock_shift;
} cfg;

static bool armed;
static long long arm_checked_ns;
static struct timespec arm_mtime; /* of the arm file as last read */
static long allocs;               /* counted since arming */
static long opens_failed, reads_failed, reads_cut;
/* The fds opened on a file the faults apply to: read faults follow them. */
static unsigned char fd_faulty[MAX_FDS];
/* Set while the shim itself runs: what it allocates (backtrace) is not
 * counted. The daemon is single-threaded; initial-exec keeps the TLS
 * access free of allocation. */
static __thread int in_shim __attribute__((tls_model("initial-exec")));

static long long mono_ns(void)
{
        struct timespec ts;
        if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) < 0)
                return 0;
        return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int errno_of(const char *s)
{
        static const struct {
                const char *name;
                int e;
        } names[] = { { "EACCES", EACCES }, { "ESRCH", ESRCH }, { "EIO", EIO },
                      { "ENOENT", ENOENT }, { "EPERM", EPERM }, { "ENOMEM", ENOMEM },
                      { "EMFILE", EMFILE }, { "EINTR", EINTR } };
        if (!s || !*s)
                return 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcmp(s, names[i].name) == 0)
                        return names[i].e;
        return (int)strtol(s, NULL, 10);
}

static long num_of(const char *s)
{
        return s && *s ? strtol(s, NULL, 10) : 0;
}

extern char **environ;

static void cfg_load(void)
{
        /* not before the environment is there: an allocation that early
         * would leave the shim unconfigured for good */
        if (cfg.init || !environ)
                return;
        cfg.init = true;
        cfg.report = getenv("MGF_REPORT");
        cfg.arm_file = getenv("MGF_ARM_FILE");
        cfg.fail_at = num_of(getenv("MGF_ALLOC_FAIL_AT"));
        cfg.fail_from = num_of(getenv("MGF_ALLOC_FAIL_FROM"));
        cfg.proc_root = getenv("MGF_PROC_ROOT");
        cfg.proc_root_len = cfg.proc_root ? strlen(cfg.proc_root) : 0;
        cfg.pattern = getenv("MGF_PATH");
        cfg.open_errno = errno_of(getenv("MGF_OPEN_ERRNO"));
        cfg.read_errno = errno_of(getenv("MGF_READ_ERRNO"));
        cfg.read_max = num_of(getenv("MGF_READ_MAX"));
        cfg.clock_shift = num_of(getenv("MGF_CLOCK_SHIFT"));
}

/* The report, opened to append by syscall (no stdio, no allocation); the
 * caller closes it. -1 without one. */
static int report_open(void)
{
        if (!cfg.report)
                return -1;
        return (int)syscall(SYS_openat, AT_FDCWD, cfg.report,
                            O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
        char line[PATH_LEN + 128];
        va_list ap;
        in_shim++;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof line - 1, fmt, ap);
        va_end(ap);
        int fd = n < 0 ? -1 : report_open();
        if (fd >= 0) {
                size_t len = (size_t)n < sizeof line - 1 ? (size_t)n : sizeof line - 2;
                line[len++] = '\n';
                (void)syscall(SYS_write, fd, line, len);
                (void)syscall(SYS_close, fd);
        }
        in_shim--;
}

/* The arm file's "clock_shift=S", read again when the file changed. */
static void arm_file_read(const struct stat *st)
{
        if (st->st_mtim.tv_sec == arm_mtime.tv_sec && st->st_mtim.tv_nsec == arm_mtime.tv_nsec)
                return;
        arm_mtime = st->st_mtim;
        char buf[256];
        int fd = (int)syscall(SYS_openat, AT_FDCWD, cfg.arm_file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
        (void)syscall(SYS_close, fd);
        if (n <= 0)
                return;
        buf[n] = '\0';
        const char *k = strstr(buf, "clock_shift=");
        if (k) {
                cfg.clock_shift = strtol(k + strlen("clock_shift="), NULL, 10);
                report("clock-shift %ld", cfg.clock_shift);
        }
}

/* Whether the faults are armed: while the arm file exists, looked for at
 * most every ARM_CHECK_NSEC. */
static bool is_armed(void)
{
        cfg_load();
        if (!cfg.arm_file) {
                if (!armed) {
                        armed = true;
                        report("armed");
                }
                return true;
        }
        long long now = mono_ns();
        if (now - arm_checked_ns < ARM_CHECK_NSEC)
                return armed;
        arm_checked_ns = now;
        struct stat st;
        bool exists = syscall(SYS_newfstatat, AT_FDCWD, cfg.arm_file, &st, 0) == 0;
        if (exists != armed)
                report(exists ? "armed" : "disarmed");
        armed = exists;
        if (exists)
                arm_file_read(&st);
        return armed;
}

/* ---- allocation ---- */

/* Counts one allocation call of SIZE bytes; true if it is to fail. */
static bool alloc_fails(size_t size)
{
        if (in_shim || !is_armed() || (!cfg.fail_at && !cfg.fail_from))
                return false;
        long n = __atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
        bool fail = n == cfg.fail_at || (cfg.fail_from && n >= cfg.fail_from);
        if (!fail)
                return false;
        /* where: a failing-from run only says its first */
        if (n == cfg.fail_at || n == cfg.fail_from) {
                void *frames[32];
                in_shim++;
                report("alloc-fail %ld %zu", n, size);
                int k = backtrace(frames, 32), fd = report_open();
                if (fd >= 0) {
                        backtrace_symbols_fd(frames, k, fd);
                        (void)syscall(SYS_close, fd);
                }
                report("end-backtrace");
                in_shim--;
        }
        errno = ENOMEM;
        return true;
}

void *malloc(size_t size)
{
        return alloc_fails(size) ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
        return alloc_fails(n * size) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
        return alloc_fails(size) ? NULL : __libc_realloc(p, size);
}

/* glibc's reallocarray() does not call realloc() by its symbol */
void *reallocarray(void *p, size_t n, size_t size)
{
        size_t bytes;
        if (__builtin_mul_overflow(n, size, &bytes)) {
                errno = ENOMEM;
                return NULL;
        }
        return realloc(p, bytes);
}

/* backtrace() loads libgcc_s on its first call, which allocates: done
 * here, before main, rather than at the first failure. */
__attribute__((constructor)) static void mgfault_init(void)
{
        void *frame[2];
        in_shim++;
        cfg_load();
        (void)backtrace(frame, 2);
        in_shim--;
}

__attribute__((destructor)) static void mgfault_fini(void)
{
        if (cfg.fail_at || cfg.fail_from)
                report("allocs-seen %ld", allocs);
        if (cfg.pattern)
                report("opens-failed %ld reads-failed %ld reads-cut %ld", opens_failed,
                       reads_failed, reads_cut);
}

/* ---- files of the proc root ---- */

/* The path of DIRFD/PATH relative to the proc root, or NULL if it is not
 * under it. */
static const char *root_relative(int dirfd, const char *path, char *buf, size_t size)
{
        if (!cfg.proc_root || !cfg.pattern)
                return NULL;
        size_t len = 0;
        if (path[0] != '/') {
                char link[64];
                if (dirfd == AT_FDCWD)
                        snprintf(link, sizeof link, "/proc/self/cwd");
                else
                        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
                long n = syscall(SYS_readlinkat, AT_FDCWD, link, buf, size - 2);
                if (n <= 0)
                        return NULL;
                len = (size_t)n;
                buf[len++] = '/';
        }
        size_t plen = strlen(path);
        if (len + plen + 1 > size)
                return NULL;
        memcpy(buf + len, path, plen + 1);
        if (strncmp(buf, cfg.proc_root, cfg.proc_root_len) != 0 ||
            buf[cfg.proc_root_len] != '/')
                return NULL;
        return buf + cfg.proc_root_len + 1;
}

static bool path_faulty(const char *rel)
{
        if (!rel)
                return false;
        in_shim++; /* fnmatch() may allocate for a multibyte locale */
        bool match = fnmatch(cfg.pattern, rel, 0) == 0;
        in_shim--;
        return match;
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
        char buf[PATH_LEN];
        const char *rel = NULL;
        cfg_load();
        if (path)
                rel = root_relative(dirfd, path, buf, sizeof buf);
        /* matched whether armed or not: a descriptor opened before arming
         * (the fast tier's meminfo) gets the read faults once armed */
        bool faulty = path_faulty(rel);
        if (faulty && cfg.open_errno && is_armed()) {
                if (opens_failed++ == 0)
                        report("open-fail %s %d", rel, cfg.open_errno);
                errno = cfg.open_errno;
                return -1;
        }
        long fd = syscall(SYS_openat, dirfd, path, flags, mode);
        if (fd < 0)
                return -1; /* syscall(2) has set errno */
        if (fd < MAX_FDS) {
                struct stat st;
                /* regular files only: a directory's descriptor is closed by
                 * closedir(), which this shim does not see */
                fd_faulty[fd] = faulty && (cfg.read_max > 0 || cfg.read_errno) &&
                                syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode);
        }
        return (int)fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
        return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int openat(int dirfd, const char *path, int flags, ...)
{
        va_list ap;
        va_start(ap, flags);
        mode_t mode = mode_arg(flags, ap);
        va_end(ap);
        return do_openat(dirfd, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
        va_list ap;
        va_start(ap, flags);
        mode_t mode = mode_arg(flags, ap);
        va_end(ap);
        return do_openat(AT_FDCWD, path, flags, mode);
}

int __openat_2(int dirfd, const char *path, int flags)
{
        return do_openat(dirfd, path, flags, 0);
}

int __open_2(const char *path, int flags)
{
        return do_openat(AT_FDCWD, path, flags, 0);
}

/* What a program built with _FILE_OFFSET_BITS=64 calls (libsystemd), and
 * the fortified forms of those: the same functions. */
int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));
int open64(const char *path, int flags, ...) __attribute__((alias("open")));
int __openat64_2(int dirfd, const char *path, int flags) __attribute__((alias("__openat_2")));
int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

int close(int fd)
{
        if (fd >= 0 && fd < MAX_FDS)
                fd_faulty[fd] = 0;
        long r = syscall(SYS_close, fd);
        if (r < 0)
                return -1; /* syscall(2) has set errno */
        return 0;
}

/* A read of FD (at OFF, or the file position if OFF < 0) as the faults
 * make it: failed, or cut to MGF_READ_MAX bytes. */
static ssize_t do_read(int fd, void *buf, size_t n, off_t off)
{
        if (fd >= 0 && fd < MAX_FDS && fd_faulty[fd] && is_armed()) {
                if (cfg.read_errno) {
                        reads_failed++;
                        errno = cfg.read_errno;
                        return -1;
                }
                if (n > (size_t)cfg.read_max) {
                        n = (size_t)cfg.read_max;
                        reads_cut++;
                }
        }
        long r = off < 0 ? syscall(SYS_read, fd, buf, n) : syscall(SYS_pread64, fd, buf, n, off);
        if (r < 0)
                return -1; /* syscall(2) has set errno */
        return (ssize_t)r;
}

ssize_t read(int fd, void *buf, size_t n)
{
        return do_read(fd, buf, n, -1);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
        if (off < 0) {
                errno = EINVAL;
                return -1;
        }
        return do_read(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off) __attribute__((alias("pread")));

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
        if (n > buflen)
                abort();
        return do_read(fd, buf, n, -1);
}

ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
        if (n > buflen)
                abort();
        return pread(fd, buf, n, off);
}

ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
        __attribute__((alias("__pread_chk")));

/* ---- the wall clock ---- */

/* Every clock read looks for the arm file (at most every 10 ms): an idle
 * daemon reads the monotonic clock on each wake-up and little else. */
static bool shifted(clockid_t id)
{
        return is_armed() && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) &&
               cfg.clock_shift != 0;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
        long r = syscall(SYS_clock_gettime, id, ts);
        if (r < 0)
                return -1; /* syscall(2) has set errno */
        if (shifted(id))
                ts->tv_sec += cfg.clock_shift;
        return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
        long r = syscall(SYS_gettimeofday, tv, tz);
        if (r < 0)
                return -1; /* syscall(2) has set errno */
        if (shifted(CLOCK_REALTIME))
                tv->tv_sec += cfg.clock_shift;
        return 0;
}

time_t time(time_t *t)
{
        struct timespec ts;
        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return (time_t)-1;
        if (t)
                *t = ts.tv_sec;
        return ts.tv_sec;
}
