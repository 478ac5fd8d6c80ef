/* log.h — what memguard tells the operator.
 *
 * Under journald (stderr is the journal stream named by $JOURNAL_STREAM, as
 * systemd sets it for services) each event is one structured entry sent with
 * sd_journal_send(): MESSAGE_ID (one fixed id per event kind, so that
 * `journalctl MESSAGE_ID=...` finds every action), PRIORITY, MESSAGE and the
 * MEMGUARD_* fields. Elsewhere (a terminal, a test) the same event is one
 * line on stderr: "memguard: MESSAGE [key=value ...]". No line per tick:
 * changes and actions only. */
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
        _EVENT_MAX,
} LogEvent;

/* Fields of an event; zero/NULL members are left out. */
typedef struct LogFields {
        const char *rule;
        const char *action;      /* "warn", "term", "kill", "restart" */
        pid_t pid;
        const char *comm;
        const char *unit;
        uint64_t pss_kb;
        uint64_t mem_available_kb;
        double psi_some_avg10;
        bool has_system;         /* mem_available_kb and psi are meaningful */
        bool dry_run;
        int signal;              /* MEMGUARD_SIGNAL=SIGTERM|SIGKILL */
        const char *job_result;  /* MEMGUARD_JOB_RESULT */
        const char *errno_text;  /* MEMGUARD_ERROR */
        bool has_growth;         /* MEMGUARD_GROWTH_BYTES_PER_HOUR (signed) */
        int64_t growth_bytes_per_hour;
        bool has_eta;            /* MEMGUARD_ETA_SEC */
        uint64_t eta_sec;
} LogFields;

/* Decides once where events go (journal or stderr). FORCE_STDERR: always
 * stderr (tests, --check-config). Call before any other log_* function;
 * without it events go to stderr. */
void log_open(bool force_stderr);

/* Logs one event. FIELDS may be NULL. FMT is the MESSAGE. */
void log_event(LogEvent ev, int priority, const LogFields *fields, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* A plain message (startup problems, summaries): log_event(EVENT_NONE, ...). */
#define log_msg(prio, ...) log_event(EVENT_NONE, (prio), NULL, __VA_ARGS__)

/* The MESSAGE_ID of an event kind as 32 hex digits; "" for EVENT_NONE. */
const char *log_message_id(LogEvent ev);

/* Formats KB as "412 MiB", "1.5 GiB", "9.8 MiB" into BUF (>= 16 bytes). */
const char *log_format_size(uint64_t kb, char *buf, size_t size);

#endif
