/* log.h — what memguard tells the operator.
 *
 * Under journald (stderr is the journal stream named by $JOURNAL_STREAM, as
 * systemd sets it for services) each event is one structured entry sent with
 * sd_journal_send(): MESSAGE_ID (one fixed id per event kind, so that
 * `journalctl MESSAGE_ID=...` finds every action), PRIORITY, MESSAGE and the
 * MEMGUARD_* fields. Elsewhere (a terminal, a test) the same event is one
 * line on stderr: "memguard: MESSAGE [key=value ...]". No line per tick:
 * changes and actions only.
 *
 * MESSAGE and every MEMGUARD_* value are escaped (log_escape()) on their way
 * out, in both forms: a comm is whatever the process set with
 * prctl(PR_SET_NAME) or named its executable, and a unit name is a cgroup
 * directory a user may create in a delegated subtree, so without it a
 * process named "x\nmemguard: ok" would forge a line on stderr and a
 * multi-line MESSAGE in the journal. */
#ifndef MEMGUARD_LOG_H
#define MEMGUARD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

typedef enum LogEvent {
        EVENT_NONE,           /* a plain message: no MESSAGE_ID */
        EVENT_STARTED,        /* memguard is sampling */
        EVENT_STOPPED,
        EVENT_RULE_FIRED,     /* a rule's condition held for `for`: warn */
        EVENT_RULE_RECOVERED, /* ... and no longer holds */
        EVENT_SIGNAL_SENT,    /* SIGTERM or SIGKILL sent (or would be: dry run) */
        EVENT_PROCESS_GONE,   /* a signalled process exited */
        EVENT_RESTART,        /* RestartUnit requested (or would be) */
        EVENT_RESTART_DONE,   /* the restart job finished: MEMGUARD_JOB_RESULT */
        EVENT_ACTION_FAILED,  /* an action could not be carried out */
        EVENT_CONFIG_RELOADED,
        EVENT_CONFIG_ERROR,   /* a reload was refused: the running config stays */
        EVENT_KERNEL_OOM_KILL, /* the kernel's OOM killer killed a process */
        EVENT_BEFORE,         /* a rule's `before` step: a signal sent or a
                               * command started, the action to follow */
        EVENT_BEFORE_DONE,    /* ... its wait ended: MEMGUARD_BEFORE_RESULT */
        _EVENT_MAX,
} LogEvent;

/* The victim's memory just before a term, kill or restart of a process
 * or unit rule (act/evidence.h): its smaps_rollup totals and open file
 * descriptors, and its unit's memory.stat breakdown (cgroup v2). Each
 * group is left out of the entry when it could not be read. */
typedef struct LogMemory {
        bool has_proc;        /* MEMGUARD_RSS_KB, _PSS_ANON_KB, _PSS_FILE_KB,
                               * _PSS_SHMEM_KB, _SWAP_KB */
        pid_t pid;            /* whose: the action's process, or for a unit
                               * the largest process in it */
        char comm[64];
        uint64_t rss_kb, pss_anon_kb, pss_file_kb, pss_shmem_kb, swap_kb;
        bool has_pss_split;   /* Pss_Anon/_File/_Shmem (Linux 5.12+) */
        bool has_fds;         /* MEMGUARD_FD_COUNT */
        uint64_t fd_count;
        bool has_unit;        /* MEMGUARD_UNIT_ANON_KB, _FILE_KB, _KERNEL_KB,
                               * _SHMEM_KB, _SOCK_KB */
        uint64_t unit_anon_kb, unit_file_kb, unit_kernel_kb, unit_shmem_kb, unit_sock_kb;
} LogMemory;

/* Fields of an event; zero/NULL members are left out. */
typedef struct LogFields {
        const char *rule;
        const char *action;      /* "warn", "term", "kill", "restart" */
        pid_t pid;
        const char *comm;
        /* MEMGUARD_UNIT: a unit of the system manager, the one memguard
         * talks to. A unit run by another manager is named by the system
         * unit it runs in (user@1000.service), as journald's _SYSTEMD_UNIT
         * does, and a user's unit by MEMGUARD_USER_UNIT besides (as
         * _SYSTEMD_USER_UNIT); MEMGUARD_CGROUP, its cgroup, is what tells
         * any two units apart. */
        const char *unit;
        const char *user_unit;
        const char *cgroup;
        uint64_t pss_kb;
        uint64_t mem_available_kb;
        double psi_some_avg10;
        bool has_system;         /* mem_available_kb and psi are meaningful */
        bool dry_run;
        int signal;              /* MEMGUARD_SIGNAL=SIGTERM|SIGKILL */
        const char *job_result;  /* MEMGUARD_JOB_RESULT */
        const char *errno_text;  /* MEMGUARD_ERROR */
        bool has_growth;         /* MEMGUARD_GROWTH_BYTES_PER_HOUR (signed), and
                                  * MEMGUARD_GROWTH_BAND_BYTES_PER_HOUR when
                                  * growth_band_known */
        int64_t growth_bytes_per_hour;
        bool growth_band_known;
        int64_t growth_band_bytes_per_hour;
        bool has_eta;            /* MEMGUARD_ETA_SEC */
        uint64_t eta_sec;
        /* A kernel OOM kill (EVENT_KERNEL_OOM_KILL) */
        const char *kernel_oom_scope;  /* MEMGUARD_KERNEL_OOM_SCOPE: "system", "cgroup" */
        const char *kernel_oom_source; /* MEMGUARD_KERNEL_OOM_SOURCE: "kmsg", "memory.events" */
        unsigned kernel_oom_kills;     /* MEMGUARD_KERNEL_OOM_KILLS, when more than 1 */
        const char *oom_cgroup;        /* MEMGUARD_OOM_CGROUP: the limit's cgroup */
        const char *cmdline;           /* MEMGUARD_CMDLINE */
        bool has_rss;                  /* MEMGUARD_ANON_RSS_KB, _FILE_RSS_KB, _SHMEM_RSS_KB */
        uint64_t anon_rss_kb, file_rss_kb, shmem_rss_kb;
        bool has_unit_memory;          /* MEMGUARD_UNIT_MEMORY_KB: as memguard last saw it */
        uint64_t unit_memory_kb;
        const char *rules;             /* MEMGUARD_RULES: those holding, space-separated */
        const LogMemory *memory; /* the evidence fields (LogMemory), or NULL */
        int notify_signal;       /* MEMGUARD_NOTIFY_SIGNAL: a warn rule's notify */
        const char *notify_result; /* MEMGUARD_NOTIFY_RESULT: sent, dry-run,
                                    * gone, failed */
        const char *before;      /* MEMGUARD_BEFORE: "SIGUSR2" or the command
                                  * line as run */
        uint64_t before_wait_sec; /* MEMGUARD_BEFORE_WAIT_SEC (with before) */
        const char *before_result; /* MEMGUARD_BEFORE_RESULT */
        int exit_status;         /* MEMGUARD_EXIT_STATUS when has_exit_status */
        bool has_exit_status;
} LogFields;

/* Decides once where events go (journal or stderr). FORCE_STDERR: always
 * stderr (tests, --check-config). Call before any other log_* function;
 * without it events go to stderr. */
void log_open(bool force_stderr);

/* True when events go to the journal (log_open() found stderr to be
 * journald's stream). */
bool log_to_journal(void);

/* Logs one event. FIELDS may be NULL. FMT is the MESSAGE. Bounded, static
 * buffers (it runs when memory is short; not reentrant): MESSAGE is cut at
 * 1023 bytes and a field value at 511 before escaping, at a character
 * boundary, and the escaped forms at the limits of log_escape(). */
void log_event(LogEvent ev, int priority, const LogFields *fields, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* A plain message (startup problems, summaries): log_event(EVENT_NONE, ...). */
#define log_msg(prio, ...) log_event(EVENT_NONE, (prio), NULL, __VA_ARGS__)

/* The memory clause of a journal message ("node (pid 812): anon 380 MiB,
 * file 12 MiB, 1043 open files; unit anon 390 MiB, file 20 MiB, kernel 6
 * MiB") into BUF; "" when M has nothing. Returns BUF. */
const char *log_memory_clause(const LogMemory *m, char *buf, size_t size);

/* The MESSAGE_ID of an event kind as 32 hex digits; "" for EVENT_NONE. */
const char *log_message_id(LogEvent ev);

/* Writes IN (NUL-terminated) into OUT (OUT_SIZE bytes) escaped so that it
 * is one line of text a terminal shows as it is:
 *   \  -> \\          newline, tab, CR -> \n \t \r
 *   other C0 controls (0x01-0x1f) and DEL (0x7f) -> \xNN (lower-case hex)
 *   C1 controls U+0080-U+009F (terminals act on them like ESC) -> \xNN for
 *     each byte of their UTF-8 form: U+009B is \xc2\x9b
 *   a byte that does not belong to valid UTF-8 (a stray continuation byte,
 *     an overlong form, a surrogate, above U+10FFFF, a sequence cut short)
 *     -> \xNN; decoding resumes at the next byte
 *   everything else (printable ASCII, valid UTF-8 from U+00A0) unchanged.
 * Every backslash in OUT starts an escape, so the original bytes can be
 * told apart from the escapes (a unit named "a\x2db.service" shows as
 * "a\\x2db.service").
 * OUT is always NUL-terminated (if OUT_SIZE > 0). When it is too small the
 * output ends before the first escape or character that does not fit
 * whole: never half of a \xNN, of a C1 pair or of a UTF-8 sequence.
 * Returns strlen(OUT). Pure: no allocation, no locale, no errno. */
size_t log_escape(const char *in, char *out, size_t out_size);

/* Length of the valid UTF-8 sequence that starts at S (1 to 4 bytes), or 0
 * if none does (RFC 3629: no overlong forms, no surrogates). S is
 * NUL-terminated; never reads past the NUL. */
size_t utf8_len(const unsigned char *s);

#endif
