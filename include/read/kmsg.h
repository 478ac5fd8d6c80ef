/* kmsg.h — the kernel's log as /dev/kmsg hands it out, one record per
 * read(): "PRI,SEQ,TS_USEC,FLAGS[,MORE...];MESSAGE\n" and then optional
 * continuation lines " KEY=VALUE\n" (Documentation/ABI/testing/dev-kmsg).
 * The kernel escapes every byte of MESSAGE below 0x20, from 0x7f, and '\'
 * itself as \xNN, so MESSAGE is one line; kmsg_parse() keeps those escapes
 * as they are (log.h escapes the backslashes again on the way out).
 *
 * memguard reads two kinds of records, both written by mm/oom_kill.c when
 * the kernel's OOM killer kills (Linux 4.19 to 6.x):
 *
 *   oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,
 *     mems_allowed=0,oom_memcg=/system.slice/x.service,
 *     task_memcg=/system.slice/x.service,task=leak,pid=812,uid=0
 *     (one line; ",global_oom" instead of oom_memcg= for a system-wide OOM;
 *     4.19 had no memcg part; before 5.0 "pid=%5d,uid=%5d" padded)
 *   Memory cgroup out of memory: Killed process 812 (leak) total-vm:208340kB,
 *     anon-rss:202752kB, file-rss:1024kB, shmem-rss:0kB, UID:0
 *     pgtables:452kB oom_score_adj:0
 *     ("Out of memory: ..." for a system-wide OOM; before 4.19 without the
 *     prefix; shmem-rss from 4.9, UID/pgtables/oom_score_adj from 5.1)
 *
 * The summary line is rate-limited with the rest of the kernel's OOM
 * report (10 per 5 s); the "Killed process" line is not, and comes after
 * it. A comm is what the process chose (prctl(PR_SET_NAME)) and a cgroup
 * path what whoever made the cgroup chose: either may hold ',', '=', ' ',
 * '(' and ')'. The parser takes fields from where the kernel's format puts
 * them, not from the first look-alike (see kmsg.c).
 *
 * Records from user space (written to /dev/kmsg, facility non-zero) are
 * never OOM records: a program cannot forge the kernel's facility. */
#ifndef MEMGUARD_READ_KMSG_H
#define MEMGUARD_READ_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "read/proc.h"

/* A comm is at most 15 bytes (TASK_COMM_LEN 16); each may come as \xNN. */
#define KMSG_COMM_MAX (15 * 4 + 1)
/* The longest record the kernel hands out (and the size read() needs, or
 * it fails with EINVAL): the text is at most 1024 bytes (PRINTK_MESSAGE_MAX
 * / LOG_LINE_MAX) before escaping, 4 bytes each after, plus the header and
 * dictionary. journald reads with 8 KiB + 1 as well. */
#define KMSG_RECORD_MAX 8192

typedef enum KmsgKind {
        KMSG_OTHER,       /* any record memguard does not read */
        KMSG_OOM_SUMMARY, /* "oom-kill:constraint=..." */
        KMSG_OOM_KILLED,  /* "...: Killed process N (COMM) total-vm:..." */
} KmsgKind;

typedef enum KmsgOomScope {
        KMSG_SCOPE_UNKNOWN, /* a "Killed process" line of a kernel before 4.19 */
        KMSG_SCOPE_SYSTEM,  /* out of memory system-wide (or in a cpuset or a
                             * memory policy's nodes: CONSTRAINT_CPUSET,
                             * _MEMORY_POLICY) */
        KMSG_SCOPE_CGROUP,  /* a cgroup's limit (CONSTRAINT_MEMCG, "Memory cgroup
                             * out of memory") */
} KmsgOomScope;

typedef struct KmsgRecord {
        unsigned facility;    /* PRI >> 3: 0 is the kernel */
        unsigned level;       /* PRI & 7 */
        uint64_t seq;
        uint64_t ts_usec;     /* CLOCK_MONOTONIC-like, since boot */
        KmsgKind kind;
        /* OOM records (kind != KMSG_OTHER): */
        pid_t pid;            /* the victim (its tgid) */
        char comm[KMSG_COMM_MAX];
        KmsgOomScope scope;
        /* KMSG_OOM_SUMMARY; "" when the kernel did not say or the path
         * did not fit PROC_CGROUP_MAX */
        char constraint[32];  /* "CONSTRAINT_MEMCG" */
        char oom_cgroup[PROC_CGROUP_MAX];  /* the cgroup whose limit was hit */
        char task_cgroup[PROC_CGROUP_MAX]; /* the victim's memory cgroup */
        bool has_uid;
        uid_t uid;
        /* KMSG_OOM_KILLED; has_rss when anon- and file-rss were read */
        bool has_rss;
        uint64_t total_vm_kb, anon_rss_kb, file_rss_kb, shmem_rss_kb;
} KmsgRecord;

/* Length of the first record in BUF (LEN bytes): up to and including the
 * '\n' that ends its message and its continuation lines (those start with
 * ' '), or LEN if it does not end within BUF. /dev/kmsg hands out one
 * record per read(); a FIFO standing in for it in tests may hand out
 * several at once. */
size_t kmsg_record_len(const char *buf, size_t len);

/* Parses one record (LEN bytes of BUF, not NUL-terminated; continuation
 * lines ignored) into *RET. Returns 0 (RET written: KMSG_OTHER for a
 * record that is no OOM record, or one from user space), or -EBADMSG for a
 * record without a well-formed header, or an OOM record without its pid
 * (cut short). Never reads past LEN; no allocation. */
int kmsg_parse(const char *buf, size_t len, KmsgRecord *ret);

/* Opens PATH (NULL: /dev/kmsg) non-blocking and moves to its end, so that
 * only records written from now on are read (a FIFO, which cannot seek,
 * is read from where it is). Returns the descriptor or -errno: -EPERM or
 * -EACCES where the log is not readable (kernel.dmesg_restrict without
 * CAP_SYSLOG, a container). */
int kmsg_open(const char *path);

/* Reads one record into BUF (SIZE bytes, at least KMSG_RECORD_MAX for
 * /dev/kmsg). Returns its length; 0 at the end of a FIFO's writer;
 * -EAGAIN when there is none now; -EPIPE when records were overwritten
 * before they were read (the next read goes on with the oldest left);
 * another -errno. */
ssize_t kmsg_read(int fd, char *buf, size_t size);

#endif
