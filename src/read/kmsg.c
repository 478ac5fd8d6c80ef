/* kmsg.c — /dev/kmsg records and the kernel's OOM kill lines in them
 * (kmsg.h). Every search is bounded by the record's length: a record may be
 * cut anywhere, or be garbage, and is never NUL-terminated. */
#include "read/kmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* A span of the record. */
typedef struct Span {
        const char *p, *end;
} Span;

static bool starts(Span s, const char *lit)
{
        size_t n = strlen(lit);
        return (size_t)(s.end - s.p) >= n && memcmp(s.p, lit, n) == 0;
}

/* The first occurrence of LIT in [P, END), or NULL. */
static const char *find(const char *p, const char *end, const char *lit)
{
        size_t n = strlen(lit);
        if (p >= end || (size_t)(end - p) < n)
                return NULL;
        return memmem(p, (size_t)(end - p), lit, n);
}

/* Where ": Killed process " follows one of the messages the kernel puts
 * before it (mm/oom_kill.c: "Out of memory", "Memory cgroup out of
 * memory", "Out of memory (oom_kill_allocating_task)"), or NULL. Anchored:
 * other kernel lines quote text a user chose (an executable's name), in
 * which ": Killed process " must not make a kill. */
static const char *killed_after_prefix(Span msg)
{
        static const char *const prefixes[] = {
                "Out of memory",
                "Memory cgroup out of memory",
                "Out of memory (oom_kill_allocating_task)",
        };
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
                size_t n = strlen(prefixes[i]);
                if (starts(msg, prefixes[i]) && starts((Span){ msg.p + n, msg.end }, ": Killed process "))
                        return msg.p + n;
        }
        return NULL;
}

/* The last occurrence of LIT in [P, END), or NULL. */
static const char *find_last(const char *p, const char *end, const char *lit)
{
        size_t n = strlen(lit);
        if (p >= end || (size_t)(end - p) < n)
                return NULL;
        for (const char *q = end - n;; q--) {
                if (memcmp(q, lit, n) == 0)
                        return q;
                if (q == p)
                        return NULL;
        }
}

/* Digits at *P (before END) as an unsigned number no larger than MAX;
 * advances *P past them. False when there are none or it is too large. */
static bool number(const char **p, const char *end, uint64_t max, uint64_t *ret)
{
        uint64_t v = 0;
        const char *q = *p;
        for (; q < end && *q >= '0' && *q <= '9'; q++) {
                unsigned d = (unsigned)(*q - '0');
                if (v > (max - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        if (q == *p)
                return false;
        *p = q;
        *ret = v;
        return true;
}

/* Skips the spaces of a padded "%5d" (kernels before 5.0). */
static void skip_spaces(const char **p, const char *end)
{
        while (*p < end && **p == ' ')
                (*p)++;
}

/* Copies [P, END) into RET (SIZE bytes) if it fits whole; "" otherwise. */
static void copy(const char *p, const char *end, char *ret, size_t size)
{
        size_t n = (size_t)(end - p);
        if (n >= size)
                n = 0;
        memcpy(ret, p, n);
        ret[n] = '\0';
}

/* How many bytes the kernel's text [P, END) stands for: each \xNN is one. */
static size_t unescaped_len(const char *p, const char *end)
{
        size_t n = 0;
        while (p < end) {
                p += (end - p >= 4 && p[0] == '\\' && p[1] == 'x') ? 4 : 1;
                n++;
        }
        return n;
}

/* Whether cgroup path [A, A_END) is [T, T_END) or one of its ancestors. */
static bool path_covers(const char *a, const char *a_end, const char *t, const char *t_end)
{
        size_t n = (size_t)(a_end - a);
        if (n == 1 && a[0] == '/')
                return true;
        return (size_t)(t_end - t) >= n && memcmp(a, t, n) == 0 &&
               (t + n == t_end || t[n] == '/');
}

/* The comm of an "oom-kill:" line: it sits between a ",task=" and the
 * line's last ",pid=" (PID). The first ",task=" from FROM on whose comm
 * can be a comm (at most 15 bytes) is taken, so that a comm that holds
 * ",task=" itself stays whole. NULL if none. */
static const char *comm_start(const char *from, const char *pid)
{
        for (const char *t = find(from, pid, ",task="); t; t = find(t + 1, pid, ",task="))
                if (unescaped_len(t + strlen(",task="), pid) <= KMSG_COMM_MAX / 4)
                        return t;
        return NULL;
}

/* "oom-kill:constraint=C,nodemask=N,cpuset=S,mems_allowed=M[,oom_memcg=P|
 * ,global_oom][,task_memcg=P],task=COMM,pid=N,uid=N". Only the tail is
 * fixed: the pid is after the LAST ",pid=" (the uid after it is digits).
 * The paths may hold anything but '/' ends their components, and the
 * victim's memcg is the limit's or below it: of the ",task_memcg="
 * look-alikes, the first that makes the two paths agree is the kernel's. */
static int parse_summary(Span s, KmsgRecord *ret)
{
        const char *p = s.p + strlen("oom-kill:constraint="), *end = s.end;
        const char *c_end = memchr(p, ',', (size_t)(end - p));
        copy(p, c_end ? c_end : end, ret->constraint, sizeof ret->constraint);

        const char *pid = find_last(p, end, ",pid=");
        if (!pid)
                return -EBADMSG;
        const char *q = pid + strlen(",pid=");
        uint64_t v;
        skip_spaces(&q, end);
        if (!number(&q, end, INT32_MAX, &v) || v == 0)
                return -EBADMSG;
        ret->pid = (pid_t)v;
        if (starts((Span){ q, end }, ",uid=")) {
                q += strlen(",uid=");
                skip_spaces(&q, end);
                if (number(&q, end, UINT32_MAX, &v)) {
                        ret->has_uid = true;
                        ret->uid = (uid_t)v;
                }
        }

        const char *oom = find(p, pid, ",oom_memcg=");
        const char *task = NULL, *comm = NULL;
        for (const char *tm = find(oom ? oom : p, pid, ",task_memcg="); tm;
             tm = find(tm + 1, pid, ",task_memcg=")) {
                const char *path = tm + strlen(",task_memcg=");
                const char *c = comm_start(path, pid);
                if (!c)
                        continue;
                if (oom && !path_covers(oom + strlen(",oom_memcg="), tm, path, c))
                        continue;
                task = tm, comm = c;
                break;
        }
        if (task) {
                copy(task + strlen(",task_memcg="), comm, ret->task_cgroup, sizeof ret->task_cgroup);
                if (oom)
                        copy(oom + strlen(",oom_memcg="), task, ret->oom_cgroup, sizeof ret->oom_cgroup);
        } else {
                /* 4.19 printed no memcg part; a path that fits no reading
                 * is left out rather than guessed */
                const char *mems = find(p, pid, ",mems_allowed=");
                comm = comm_start(mems ? mems : p, pid);
                if (!comm)
                        comm = find_last(p, pid, ",task=");
        }
        if (comm)
                copy(comm + strlen(",task="), pid, ret->comm, sizeof ret->comm);
        bool memcg = strcmp(ret->constraint, "CONSTRAINT_MEMCG") == 0 || oom;
        ret->scope = memcg ? KMSG_SCOPE_CGROUP : KMSG_SCOPE_SYSTEM;
        return 0;
}

/* The number after KEY ("anon-rss:") and before "kB" in [P, END). */
static bool rss_field(const char *p, const char *end, const char *key, uint64_t *ret)
{
        const char *k = find(p, end, key);
        if (!k)
                return false;
        k += strlen(key);
        return number(&k, end, UINT64_MAX / 2, ret) && starts((Span){ k, end }, "kB");
}

/* "MESSAGE: Killed process N (COMM) total-vm:NkB, anon-rss:NkB,
 * file-rss:NkB, shmem-rss:NkB, UID:N pgtables:NkB oom_score_adj:N". The
 * comm runs to the LAST ") total-vm:": what follows it is numbers only. */
static int parse_killed(Span s, const char *killed, bool bare, KmsgRecord *ret)
{
        Span prefix = { s.p, killed };
        ret->scope = bare                                            ? KMSG_SCOPE_UNKNOWN
                     : starts(prefix, "Memory cgroup out of memory") ? KMSG_SCOPE_CGROUP
                                                                     : KMSG_SCOPE_SYSTEM;
        const char *p = killed + (bare ? 0 : 2) + strlen("Killed process ");
        uint64_t v;
        if (!number(&p, s.end, INT32_MAX, &v) || v == 0)
                return -EBADMSG;
        ret->pid = (pid_t)v;
        if (!starts((Span){ p, s.end }, " ("))
                return -EBADMSG;
        p += 2;
        const char *tail = find_last(p, s.end, ") total-vm:");
        if (!tail)
                return -EBADMSG;
        copy(p, tail, ret->comm, sizeof ret->comm);
        tail += 1; /* " total-vm:..." */
        (void)rss_field(tail, s.end, " total-vm:", &ret->total_vm_kb);
        ret->has_rss = rss_field(tail, s.end, " anon-rss:", &ret->anon_rss_kb) &&
                       rss_field(tail, s.end, " file-rss:", &ret->file_rss_kb);
        if (!ret->has_rss)
                ret->anon_rss_kb = ret->file_rss_kb = 0;
        (void)rss_field(tail, s.end, " shmem-rss:", &ret->shmem_rss_kb);
        return 0;
}

size_t kmsg_record_len(const char *buf, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (buf[i] == '\n' && (i + 1 == len || buf[i + 1] != ' '))
                        return i + 1;
        return len;
}

int kmsg_parse(const char *buf, size_t len, KmsgRecord *ret)
{
        KmsgRecord r = { 0 };
        const char *p = buf, *end = buf + len;
        uint64_t pri, seq, ts;

        /* "PRI,SEQ,TS_USEC,FLAGS[,...];": later kernels may add fields
         * before the ';' (",caller=T1" with CONFIG_PRINTK_CALLER) */
        if (!number(&p, end, 1023, &pri) || p >= end || *p++ != ',' ||
            !number(&p, end, UINT64_MAX, &seq) || p >= end || *p++ != ',' ||
            !number(&p, end, UINT64_MAX, &ts) || p >= end || *p++ != ',')
                return -EBADMSG;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *semi = memchr(p, ';', (size_t)((eol ? eol : end) - p));
        if (!semi)
                return -EBADMSG;
        r.facility = (unsigned)(pri >> 3);
        r.level = (unsigned)(pri & 7);
        r.seq = seq;
        r.ts_usec = ts;
        Span msg = { semi + 1, eol ? eol : end };

        int k = 0;
        if (r.facility == 0) {
                /* "OOM[N]: ", which a kernel may put before its OOM lines */
                if (starts(msg, "OOM[")) {
                        const char *q = msg.p + 4;
                        uint64_t n;
                        if (number(&q, msg.end, UINT64_MAX, &n) && starts((Span){ q, msg.end }, "]: "))
                                msg.p = q + 3;
                }
                /* before 4.19 the line had no "MESSAGE: " */
                bool bare = starts(msg, "Killed process ");
                const char *killed = bare ? msg.p : killed_after_prefix(msg);
                if (starts(msg, "oom-kill:constraint=")) {
                        r.kind = KMSG_OOM_SUMMARY;
                        k = parse_summary(msg, &r);
                } else if (killed) {
                        r.kind = KMSG_OOM_KILLED;
                        k = parse_killed(msg, killed, bare, &r);
                }
        }
        if (k < 0)
                return k;
        *ret = r;
        return 0;
}

int kmsg_open(const char *path)
{
        int fd = open(path ? path : "/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (lseek(fd, 0, SEEK_END) < 0 && errno != ESPIPE) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

ssize_t kmsg_read(int fd, char *buf, size_t size)
{
        for (;;) {
                ssize_t n = read(fd, buf, size);
                if (n >= 0)
                        return n;
                if (errno != EINTR)
                        return -errno;
        }
}
