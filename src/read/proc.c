/* proc.c — per-process readers. The full tier calls these for every process
 * every second, so each is one openat() + one read() into the caller's
 * buffer and a hand-written scan: no stdio, no allocation. */
#include "read/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/procroot.h"

/* ---- scanning helpers (all bounded by END, none needs a NUL) ---- */

static int scan_u64(const char **p, const char *end, uint64_t *ret)
{
        const char *s = *p;
        const char *unchecked = end - s > 19 ? s + 19 : end;
        uint64_t v = 0;

        /* 19 digits cannot overflow 64 bits (UINT64_MAX has 20): only the
         * digits past them are checked, a walk parses ~40 numbers a process */
        while (s < unchecked && (unsigned)(*s - '0') < 10)
                v = v * 10 + (unsigned)(*s++ - '0');
        while (s < end && *s >= '0' && *s <= '9') {
                unsigned d = (unsigned)(*s - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
                s++;
        }
        if (s == *p)
                return -EBADMSG;
        *p = s;
        *ret = v;
        return 0;
}

/* A "Key:<blanks>N kB" value as status and smaps_rollup print it; the " kB"
 * must be there, so a value cut short by the buffer is malformed. */
static int scan_kb_line(const char *p, const char *eol, uint64_t *ret)
{
        uint64_t v;

        while (p < eol && (*p == ' ' || *p == '\t'))
                p++;
        if (scan_u64(&p, eol, &v) < 0 || eol - p != 3 || memcmp(p, " kB", 3) != 0)
                return -EBADMSG;
        *ret = v;
        return 0;
}

static const char *line_end(const char *p, const char *end)
{
        const char *eol = memchr(p, '\n', (size_t)(end - p));

        return eol ? eol : end;
}

static bool key_is(const char *p, const char *colon, const char *key, size_t klen)
{
        return (size_t)(colon - p) == klen && memcmp(p, key, klen) == 0;
}

/* ---- /proc/PID/stat ---- */

int proc_stat_parse(const char *buf, size_t len, ProcStat *ret)
{
        const char *p = buf, *end = buf + len, *lparen, *rparen;
        ProcStat st = {0};
        uint64_t v;
        size_t clen;

        if (scan_u64(&p, end, &v) < 0 || v == 0 || v > INT_MAX)
                return -EBADMSG;
        st.pid = (pid_t)v;
        if (end - p < 2 || p[0] != ' ' || p[1] != '(')
                return -EBADMSG;
        lparen = p + 1;
        /* The comm is whatever the task named itself (prctl PR_SET_NAME,
         * or the executable's name): only the last ')' in the line is safe,
         * the fields after it are all numbers. */
        rparen = memrchr(lparen, ')', (size_t)(end - lparen));
        if (!rparen)
                return -EBADMSG;
        clen = (size_t)(rparen - lparen - 1);
        /* 6.x prints up to 63 bytes (kthread and workqueue names are longer
         * than TASK_COMM_LEN): truncate anything longer rather than fail. */
        if (clen > PROC_COMM_MAX - 1)
                clen = PROC_COMM_MAX - 1;
        memcpy(st.comm, lparen + 1, clen);
        st.comm[clen] = '\0';

        p = rparen + 1;
        if (end - p < 2 || p[0] != ' ' || p[1] == ' ' || p[1] == '\n')
                return -EBADMSG;
        st.state = p[1];
        p += 2;

        /* Fields 4..24, single-space separated. Skipped fields may be
         * negative (tpgid -1, priority of RT tasks), so only the ones we
         * keep are parsed as numbers. The kernel's line ends in '\n', which
         * stops a skip as well as END does: where it is there, a skip tests
         * one byte a character. */
        bool newline_ends = buf[len - 1] == '\n';
        for (int field = 4; field <= 24; field++) {
                const char *tok;

                if (p >= end || *p != ' ')
                        return -EBADMSG;
                tok = ++p;
                switch (field) {
                case 4:
                        if (scan_u64(&p, end, &v) < 0 || v > INT_MAX)
                                return -EBADMSG;
                        st.ppid = (pid_t)v;
                        break;
                case 9:
                        if (scan_u64(&p, end, &v) < 0 || v > UINT_MAX)
                                return -EBADMSG;
                        st.flags = (unsigned)v;
                        break;
                case 22:
                        if (scan_u64(&p, end, &st.start_time) < 0)
                                return -EBADMSG;
                        break;
                case 24:
                        if (scan_u64(&p, end, &st.rss_pages) < 0)
                                return -EBADMSG;
                        break;
                default:
                        if (newline_ends)
                                while ((unsigned char)*p > ' ')
                                        p++;
                        while (p < end && *p != ' ' && *p != '\n')
                                p++;
                        if (p == tok)
                                return -EBADMSG;
                        break;
                }
        }
        /* The kernel prints 52 fields, so a separator must follow field 24;
         * without one the line was cut inside it and the number is partial. */
        if (p >= end || (*p != ' ' && *p != '\n'))
                return -EBADMSG;

        *ret = st;
        return 0;
}

/* ---- /proc/PID/status ---- */

int proc_status_parse(const char *buf, size_t len, ProcStatus *ret)
{
        const char *p = buf, *end = buf + len;
        ProcStatus s = {0};
        bool has_name = false, has_uid = false, has_swap = false;

        while (p < end) {
                const char *eol = line_end(p, end);
                const char *colon = memchr(p, ':', (size_t)(eol - p));

                /* Name is the only free-text value and the kernel escapes
                 * '\n' in it, so no line can forge a key. */
                if (!colon)
                        ; /* only a tail cut by the buffer lacks one */
                else if (key_is(p, colon, "Name", 4)) {
                        has_name = true;
                } else if (key_is(p, colon, "Uid", 3)) {
                        const char *q = colon + 1;
                        uint64_t uid;

                        while (q < eol && (*q == '\t' || *q == ' '))
                                q++;
                        /* Real uid, then effective, saved, fs: the separator
                         * after it proves the number is whole. */
                        if (scan_u64(&q, eol, &uid) < 0 || uid > UINT32_MAX || q == eol ||
                            (*q != '\t' && *q != ' '))
                                return -EBADMSG;
                        s.uid = (uid_t)uid;
                        has_uid = true;
                } else if (key_is(p, colon, "VmRSS", 5)) {
                        if (scan_kb_line(colon + 1, eol, &s.rss_kb) < 0)
                                return -EBADMSG;
                        s.has_vm = true;
                } else if (key_is(p, colon, "VmSwap", 6)) {
                        if (scan_kb_line(colon + 1, eol, &s.swap_kb) < 0)
                                return -EBADMSG;
                        has_swap = true;
                }
                /* VmSwap follows Name, Uid and VmRSS: nothing left to find. */
                if (has_swap || eol == end)
                        break;
                p = eol + 1;
        }

        if (!has_name || !has_uid)
                return -EBADMSG;
        *ret = s;
        return 0;
}

/* ---- /proc/PID/smaps_rollup ---- */

int proc_smaps_rollup_parse(const char *buf, size_t len, ProcRollup *ret)
{
        const char *p = buf, *end = buf + len;
        ProcRollup r = {0};
        bool has_pss = false;
        unsigned split = 0;

        if (len == 0)
                return -ENODATA;

        while (p < end) {
                const char *eol = line_end(p, end);
                const char *colon = memchr(p, ':', (size_t)(eol - p));
                uint64_t *dst = NULL;

                /* The first line is a pseudo-VMA header whose "00:00" device
                 * field has a colon too; its key never matches below. */
                if (colon) {
                        if (key_is(p, colon, "Rss", 3))
                                dst = &r.rss_kb;
                        else if (key_is(p, colon, "Pss", 3)) {
                                dst = &r.pss_kb;
                                has_pss = true;
                        } else if (key_is(p, colon, "Swap", 4))
                                dst = &r.swap_kb;
                        else if (key_is(p, colon, "SwapPss", 7))
                                dst = &r.swap_pss_kb;
                        else if (key_is(p, colon, "Anonymous", 9))
                                dst = &r.anonymous_kb;
                        else if (key_is(p, colon, "Pss_Anon", 8)) {
                                dst = &r.pss_anon_kb;
                                split |= 1;
                        } else if (key_is(p, colon, "Pss_File", 8)) {
                                dst = &r.pss_file_kb;
                                split |= 2;
                        } else if (key_is(p, colon, "Pss_Shmem", 9)) {
                                dst = &r.pss_shmem_kb;
                                split |= 4;
                        }
                }
                if (dst && scan_kb_line(colon + 1, eol, dst) < 0)
                        return -EBADMSG;
                if (eol == end)
                        break;
                p = eol + 1;
        }

        if (!has_pss)
                return -EBADMSG;
        r.has_pss_split = split == 7;
        *ret = r;
        return 0;
}

/* ---- /proc/PID/cgroup ---- */

/* True if the comma-separated v1 controller list [P, E) names the systemd
 * hierarchy (normally alone, but co-mounting is allowed). Most lines name
 * one or two controllers, shorter together than the key. */
static bool controllers_name_systemd(const char *p, const char *e)
{
        static const char key[] = "name=systemd";
        const size_t klen = sizeof(key) - 1;

        while (p < e && (size_t)(e - p) >= klen) {
                const char *tok_end = p;
                while (tok_end < e && *tok_end != ',')
                        tok_end++;
                if ((size_t)(tok_end - p) == klen && memcmp(p, key, klen) == 0)
                        return true;
                p = tok_end + 1;
        }
        return false;
}

int proc_cgroup_parse(const char *buf, size_t len, char *ret, size_t size)
{
        static const char deleted[] = " (deleted)";
        const char *p = buf, *end = buf + len;
        const char *v2 = NULL, *v1 = NULL;
        size_t v2_len = 0, v1_len = 0;
        const char *path;
        size_t plen;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *c1, *c2, *ctl;

                /* Every line ends in '\n': one that does not was cut by the
                 * buffer and its path may be partial. */
                if (!eol)
                        return -EBADMSG;
                /* "ID:CONTROLLERS:" is short: found by hand, not by two
                 * more memchr() calls a line (a v1 file has ~13 lines). */
                for (c1 = p; c1 < eol && *c1 != ':'; c1++)
                        ;
                if (c1 == eol)
                        return -EBADMSG;
                ctl = c1 + 1;
                /* The path is the rest of the line: it may contain ':'. */
                for (c2 = ctl; c2 < eol && *c2 != ':'; c2++)
                        ;
                if (c2 == eol || c2 + 1 == eol || c2[1] != '/')
                        return -EBADMSG;
                if (c1 - p == 1 && p[0] == '0' && c2 == ctl) {
                        v2 = c2 + 1;
                        v2_len = (size_t)(eol - v2);
                        /* A v2 cgroup removed while a zombie still sits in it
                         * is printed with this suffix (proc_cgroup_show). */
                        if (v2_len > sizeof(deleted) - 1 &&
                            memcmp(eol - (sizeof(deleted) - 1), deleted, sizeof(deleted) - 1) == 0)
                                v2_len -= sizeof(deleted) - 1;
                } else if (controllers_name_systemd(ctl, c2)) {
                        v1 = c2 + 1;
                        v1_len = (size_t)(eol - v1);
                }
                p = eol + 1;
        }

        /* On a hybrid host the v2 line is "0::/" unless systemd mirrors its
         * tree there; the name=systemd line then still names the unit. */
        if (v2 && v2_len > 1) {
                path = v2;
                plen = v2_len;
        } else if (v1 && v1_len > 1) {
                path = v1;
                plen = v1_len;
        } else
                return -ENODATA;

        /* The kernel prints no NUL, but a path holding one would reach the
         * caller cut at it: "/\0system.slice/..." read as the root. */
        if (memchr(path, '\0', plen))
                return -EBADMSG;
        if (plen >= size)
                return -ENAMETOOLONG;
        memcpy(ret, path, plen);
        ret[plen] = '\0';
        return 0;
}

static bool has_suffix(const char *s, size_t n, const char *suffix, size_t slen)
{
        return n > slen && memcmp(s + n - slen, suffix, slen) == 0;
}

static bool is_unit_component(const char *s, size_t n)
{
        static const struct {
                const char *s;
                size_t n;
        } suffixes[] = {
                {".service", 8}, {".scope", 6}, {".socket", 7}, {".mount", 6}, {".swap", 5},
        };

        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
                if (has_suffix(s, n, suffixes[i].s, suffixes[i].n))
                        return true;
        return false;
}

int proc_cgroup_to_unit(const char *path, CgroupUnit *ret)
{
        const char *p = path, *best = NULL, *outer = NULL;
        size_t best_len = 0, outer_len = 0, best_end = 0, outer_end = 0;
        bool parent_is_slice = true; /* the top counts as a slice */

        while (*p) {
                const char *c;
                size_t n;

                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                c = p;
                while (*p && *p != '/')
                        p++;
                n = (size_t)(p - c);
                /* systemd prefixes '_' to cgroup names that would clash with
                 * cgroupfs files ("_cpu.service" for cpu.service); cg_unescape
                 * drops exactly one. */
                if (n > 1 && c[0] == '_') {
                        c++;
                        n--;
                }
                /* Below a unit only a delegated subtree follows (a service's
                 * own cgroups, or user@.service's manager), whose units count
                 * only where that manager placed them, under a slice; they
                 * are its units, not the system's. */
                if (parent_is_slice && is_unit_component(c, n)) {
                        if (!outer) {
                                outer = c;
                                outer_len = n;
                                outer_end = (size_t)(p - path);
                        }
                        best = c;
                        best_len = n;
                        best_end = (size_t)(p - path);
                }
                parent_is_slice = has_suffix(c, n, ".slice", 6);
        }

        if (!best)
                return -ENODATA;
        if (best_len >= sizeof ret->name || outer_len >= sizeof ret->owner)
                return -ENAMETOOLONG;
        memcpy(ret->name, best, best_len);
        ret->name[best_len] = '\0';
        if (outer == best) {
                ret->owner[0] = '\0';
                ret->owner_cgroup_len = 0;
        } else {
                memcpy(ret->owner, outer, outer_len);
                ret->owner[outer_len] = '\0';
                ret->owner_cgroup_len = outer_end;
        }
        ret->cgroup_len = best_end;
        return 0;
}

/* One component, as proc_cgroup_to_unit() sees it. */
static size_t unescaped(const char **name)
{
        size_t n = strlen(*name);
        if (n > 1 && (*name)[0] == '_') {
                (*name)++;
                n--;
        }
        return n;
}

bool proc_cgroup_name_is_unit(const char *name)
{
        size_t n = unescaped(&name);
        return is_unit_component(name, n);
}

bool proc_cgroup_name_is_slice(const char *name)
{
        size_t n = unescaped(&name);
        return has_suffix(name, n, ".slice", 6);
}

/* ---- a /proc entry's name ---- */

bool proc_pid_parse(const char *name, pid_t *ret)
{
        if (name[0] < '1' || name[0] > '9')
                return false;
        long v = 0;
        for (const char *c = name; *c; c++) {
                if (*c < '0' || *c > '9')
                        return false;
                int d = *c - '0';
                /* the bound before the step: a ten-digit name must not
                 * wrap through pid_t into another process's pid */
                if (v > (INT_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *ret = (pid_t)v;
        return true;
}

/* ---- oom_score, oom_score_adj, cmdline ---- */

int proc_int_parse(const char *buf, size_t len, int *ret)
{
        const char *p = buf, *end = buf + len;
        bool neg = false;
        uint64_t v;

        if (p < end && *p == '-') {
                neg = true;
                p++;
        }
        if (scan_u64(&p, end, &v) < 0 || v > (uint64_t)INT_MAX + (neg ? 1 : 0))
                return -EBADMSG;
        if (p < end && *p == '\n')
                p++;
        if (p != end)
                return -EBADMSG;
        *ret = neg ? (int)(-(int64_t)v) : (int)v;
        return 0;
}

size_t proc_cmdline_flatten(char *buf, size_t len)
{
        while (len > 0 && buf[len - 1] == '\0')
                len--;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)buf[i];

                if (c == '\0')
                        buf[i] = ' ';
                else if (c < 0x20 || c == 0x7f)
                        buf[i] = '?'; /* keeps a log line one line */
        }
        return len;
}

/* ---- readers ---- */

/* "PID/FILE" without snprintf: a walk builds four of these a process.
 * Inlined where FILE is a constant, so that its length is one too. */
static inline __attribute__((always_inline)) int pid_path(char out[static 32], pid_t pid,
                                                          const char *file)
{
        char digits[12];
        size_t n = 0, len = 0, flen = strlen(file);
        unsigned v;

        if (pid <= 0)
                return -EINVAL;
        v = (unsigned)pid;
        do {
                digits[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        if (n + 1 + flen + 1 > 32)
                return -ENAMETOOLONG;
        while (n)
                out[len++] = digits[--n];
        out[len++] = '/';
        memcpy(out + len, file, flen + 1);
        return 0;
}

/* WHOLE: procroot_read_file_until()'s, NULL to read until EOF. */
static inline __attribute__((always_inline)) ssize_t
read_pid_file(int proc_fd, pid_t pid, const char *file, char *buf, size_t size, ProcrootWhole whole)
{
        char path[32];
        int r = pid_path(path, pid, file);

        if (r < 0)
                return r;
        return procroot_read_file_until(proc_fd, path, buf, size, whole, NULL);
}

bool proc_cgroup_whole(const char *buf, size_t len, void *userdata)
{
        (void)userdata;
        if (len < 4 || buf[len - 1] != '\n')
                return false;
        size_t start = len - 1;
        while (start > 0 && buf[start - 1] != '\n')
                start--;
        return len - start >= 4 && memcmp(buf + start, "0::", 3) == 0;
}

int proc_read_stat(int proc_fd, pid_t pid, char *buf, size_t size, ProcStat *ret)
{
        ssize_t n = read_pid_file(proc_fd, pid, "stat", buf, size, procroot_one_line);

        if (n < 0)
                return (int)n;
        return proc_stat_parse(buf, (size_t)n, ret);
}

int proc_read_status(int proc_fd, pid_t pid, char *buf, size_t size, ProcStatus *ret)
{
        ssize_t n = read_pid_file(proc_fd, pid, "status", buf, size, NULL);

        if (n < 0)
                return (int)n;
        return proc_status_parse(buf, (size_t)n, ret);
}

int proc_read_smaps_rollup(int proc_fd, pid_t pid, char *buf, size_t size, ProcRollup *ret)
{
        ssize_t n = read_pid_file(proc_fd, pid, "smaps_rollup", buf, size, NULL);

        /* For a task without an mm (kernel threads, zombies) the kernel
         * fails the read with ESRCH (seen on 6.18; the first smaps_rollup
         * printed nothing instead). Tell that apart from a vanished process
         * by whether PID's directory is still there, so that ESRCH keeps
         * meaning "gone" for callers. */
        if (n == -ESRCH) {
                char path[32];

                if (pid_path(path, pid, "") < 0)
                        return -ESRCH;
                if (faccessat(proc_fd, path, F_OK, 0) < 0)
                        return errno == ENOENT ? -ENOENT : -ESRCH;
                return -ENODATA;
        }
        if (n < 0)
                return (int)n;
        return proc_smaps_rollup_parse(buf, (size_t)n, ret);
}

int proc_read_cgroup(int proc_fd, pid_t pid, char *buf, size_t size, char *ret, size_t ret_size)
{
        ssize_t n = read_pid_file(proc_fd, pid, "cgroup", buf, size, proc_cgroup_whole);

        if (n < 0)
                return (int)n;
        return proc_cgroup_parse(buf, (size_t)n, ret, ret_size);
}

int proc_read_oom_score(int proc_fd, pid_t pid, int *ret_score, int *ret_adj)
{
        char buf[32];
        int score, adj, r;
        ssize_t n;

        n = read_pid_file(proc_fd, pid, "oom_score", buf, sizeof(buf), procroot_one_line);
        if (n < 0)
                return (int)n;
        r = proc_int_parse(buf, (size_t)n, &score);
        if (r < 0)
                return r;
        n = read_pid_file(proc_fd, pid, "oom_score_adj", buf, sizeof(buf), procroot_one_line);
        if (n < 0)
                return (int)n;
        r = proc_int_parse(buf, (size_t)n, &adj);
        if (r < 0)
                return r;
        *ret_score = score;
        *ret_adj = adj;
        return 0;
}

size_t proc_exe_strip_deleted(char *path, size_t len)
{
        static const char deleted[] = " (deleted)";
        const size_t n = sizeof(deleted) - 1;

        if (len > n && memcmp(path + len - n, deleted, n) == 0) {
                len -= n;
                path[len] = '\0';
        }
        return len;
}

ssize_t proc_read_exe(int proc_fd, pid_t pid, char *ret, size_t size, bool *ret_root_owned)
{
        char path[32], self[48];
        struct stat st;
        int r = pid_path(path, pid, "exe");

        if (r < 0)
                return r;
        if (size < 2)
                return -EINVAL;
        _cleanup_close_ int fd = openat(proc_fd, path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(self, ret, size);
        if (n < 0)
                return -errno;
        if ((size_t)n >= size)
                return -ENAMETOOLONG;
        ret[n] = '\0';
        *ret_root_owned = S_ISREG(st.st_mode) && st.st_uid == 0 &&
                          (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
        return (ssize_t)proc_exe_strip_deleted(ret, (size_t)n);
}

ssize_t proc_read_cmdline(int proc_fd, pid_t pid, char *ret, size_t size)
{
        ssize_t n = read_pid_file(proc_fd, pid, "cmdline", ret, size, NULL);
        size_t len;

        if (n < 0)
                return n;
        len = proc_cmdline_flatten(ret, (size_t)n);
        ret[len] = '\0';
        return (ssize_t)len;
}

long proc_count_fds(int proc_fd, pid_t pid)
{
        char path[32];
        int r = pid_path(path, pid, "fd");
        if (r < 0)
                return r;
        _cleanup_close_ int fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* getdents64 rather than fdopendir(): no allocation, and the
         * buffer is on the stack (a process with 100k descriptors costs
         * ~300 reads of 8 KiB). */
        char buf[8192] __attribute__((aligned(8)));
        long n = 0;
        for (;;) {
                long k = syscall(SYS_getdents64, fd, buf, sizeof buf);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                for (long off = 0; off < k;) {
                        unsigned short reclen;
                        memcpy(&reclen, buf + off + 16, sizeof reclen);
                        const char *name = buf + off + 19;
                        if (name[0] != '.')
                                n++;
                        off += reclen;
                }
        }
        return n;
}
