/* status.h — the daemon's view, kept for `memguard status` (issue 16).
 *
 * Transport: the daemon writes its view to a state file, STATUS_FILE
 * under its runtime directory (/run/memguard, or $RUNTIME_DIRECTORY), mode
 * 0600: a temporary file written whole, then renamed over the old one, so
 * a reader sees one complete view or the one before. It writes when the
 * command asks (SIGUSR1), after a decision, and at most once a minute
 * otherwise (daemon/loop.h). Why a file and not a socket: the command must
 * answer on a box at 98% memory and with the bus stuck, and even with the
 * daemon busy or hung (then it shows the view left, and its age); a file
 * needs nothing of the daemon at the moment it is read. Why not JSON: the writer runs in the
 * daemon on every full sample, locked in memory, and the reader is the same
 * binary (memguard status): the file is a sequence of fixed records
 * (StatusRec*), written through a small buffer, so the daemon's memory
 * does not grow with it; a file of another layout (a daemon not restarted
 * after an upgrade) is refused with a clear message. The JSON for scripts
 * is rendered by the command (render.h), with stable field names.
 *
 * Bounds: the STATUS_MAX_UNITS units and STATUS_MAX_PROCS processes that
 * hold the most memory, every rule (up to STATUS_MAX_RULES), the running
 * cooldowns (up to STATUS_MAX_COOLDOWNS), the last STATUS_MAX_ACTIONS
 * actions, and the count of every action since the start by rule, kind
 * and result (STATUS_MAX_COUNTS of them, the rest without their rule).
 *
 * The metrics file (metrics.h) is rendered from this view too, as read
 * back, so that it and `memguard status` always agree. */
#ifndef MEMGUARD_REPORT_STATUS_H
#define MEMGUARD_REPORT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "config/config.h"
#include "read/snapshot.h"
#include "rules/rules.h"
#include "sample/history.h"

#define STATUS_FILE "status"
#define STATUS_DEFAULT_DIR "/run/memguard"
#define STATUS_VERSION 5 /* 2: action counts, the kernel's OOM kills; 3: the kills memguard reported;
                          * 4: the histories' memory, the heap; 5: samples taken */

/* What memguard samples, counted since it started (StatusHeader.samples):
 * meminfo (the system tier), the units' memory.current (the unit tier),
 * and whole walks of /proc. */
enum { STATUS_SAMPLE_SYSTEM, STATUS_SAMPLE_UNITS, STATUS_SAMPLE_WALKS, STATUS_SAMPLE_KINDS };

#define STATUS_MAX_UNITS 512
#define STATUS_MAX_PROCS 128
#define STATUS_MAX_RULES 256
#define STATUS_MAX_COOLDOWNS 64
#define STATUS_MAX_ACTIONS 16
#define STATUS_MAX_COUNTS 64

#define STATUS_NAME_MAX 64 /* a rule's name, cut */
#define STATUS_LABEL_MAX (PROC_UNIT_MAX + 32)

/* A growth estimate as status shows it; rate and band in kB per hour. */
typedef struct StatusGrowth {
        bool valid;
        double kb_per_hour;
        double band_kb_per_hour; /* INFINITY: too few points to say */
        uint64_t window_usec;
} StatusGrowth;

typedef struct StatusHeader {
        char magic[8];            /* "MGSTATE" */
        uint32_t version;         /* STATUS_VERSION */
        uint32_t header_size;     /* sizeof(StatusHeader): the layout */
        pid_t pid;
        uint64_t pid_start_time;  /* ticks since boot, /proc/PID/stat */
        uint64_t written_realtime_usec;
        uint64_t written_usec;    /* CLOCK_MONOTONIC */
        uint64_t started_realtime_usec;
        char version_str[32];
        char config_path[256];
        bool dry_run;
        uint64_t interval_usec;
        uint64_t fast_interval_usec;
        uint64_t cpu_usec;        /* the daemon's user + system CPU time */
        uint64_t rss_kb;
        uint64_t sample_usec;     /* CPU time of the last full sample */
        uint64_t procs_realtime_usec; /* when the process table was read */
        uint64_t history_series;  /* growth series kept (processes and units) */
        uint64_t history_bytes;   /* the memory they take */
        uint64_t heap_used_bytes; /* malloc's heap in use (mallinfo2): with
                                   * the freed chunks glibc's tcache keeps */
        uint64_t heap_free_bytes; /* ... held free by malloc, not returned */
        uint64_t samples[STATUS_SAMPLE_KINDS]; /* taken since the start */
} StatusHeader;

typedef struct StatusSystem {
        MemInfo mem;
        bool has_psi;
        PsiInfo psi;
        StatusGrowth growth;      /* of MemAvailable: negative when it falls */
        uint64_t exhaustion_usec; /* at that trend; GROWTH_ETA_NEVER: never */
        uint64_t n_procs, n_units;
        /* /proc/vmstat oom_kill: read only for the metrics file, so false
         * when none is configured (or the kernel has no such counter) */
        bool has_oom_kills;
        uint64_t oom_kills;
        /* the kernel's OOM kills memguard reported in the journal since it
         * started: [0] system-wide, [1] a cgroup's limit */
        uint64_t oom_reported[2];
} StatusSystem;

typedef struct StatusUnit {
        char name[PROC_UNIT_MAX];
        char owner[PROC_UNIT_MAX];
        uint64_t memory_kb;
        bool memory_from_cgroup;
        unsigned n_procs;
        StatusGrowth growth;
        uint64_t budget_kb;       /* the lowest "unit.memory >" of its rules; 0 none */
        uint64_t budget_eta_usec; /* GROWTH_ETA_NEVER: not at this trend */
} StatusUnit;

typedef struct StatusProc {
        pid_t pid;
        char comm[PROC_COMM_MAX];
        char unit[STATUS_LABEL_MAX]; /* unit_label(); "" for none */
        uint64_t size_kb;            /* PSS, or RSS where PSS was not read */
        bool has_pss;
        uint64_t rss_kb, swap_kb;
        int oom_score, oom_score_adj;
} StatusProc;

typedef struct StatusRule {
        char name[STATUS_NAME_MAX];
        RuleScope scope;
        Action action;
        uint64_t for_usec;
        RuleView view;            /* times converted to CLOCK_REALTIME */
} StatusRule;

typedef struct StatusCooldown {
        char target[STATUS_LABEL_MAX];
        uint64_t until_realtime_usec;
        bool failed;
} StatusCooldown;

typedef struct StatusAction {
        uint64_t realtime_usec;
        char rule[STATUS_NAME_MAX];
        Action action;
        char target[STATUS_LABEL_MAX];
        char result[96];          /* "done", "in flight", "failed: ...", "dry run" */
        unsigned lane;            /* RULES_BUSY_*, 0 for warnings */
} StatusAction;

/* How an action ended: a StatusAction's result in words, and the class
 * the action is counted in (memguard_actions_total's result label). */
typedef enum ActionResult {
        ACTION_RESULT_WARNED,    /* "warned": a warn's journal entry */
        ACTION_RESULT_DONE,      /* "done": the process is gone, the unit
                                  * restarted, or nothing was left to do */
        ACTION_RESULT_NOT_DONE,  /* "not done": systemd did not restart it */
        ACTION_RESULT_FAILED,    /* "failed: REASON": not carried out */
        ACTION_RESULT_DRY_RUN,   /* "dry run: not done" */
        _ACTION_RESULT_MAX,
        ACTION_RESULT_IN_PROGRESS = _ACTION_RESULT_MAX, /* "in progress": not
                                  * counted until it ends (actionlog_result) */
} ActionResult;

/* "warned", "done", "not_done", "failed", "dry_run": the metrics' label. */
const char *action_result_label(ActionResult r);

/* Actions counted by (rule, action, result) since the daemon started. */
typedef struct StatusCount {
        char rule[STATUS_NAME_MAX]; /* "": counted beyond STATUS_MAX_COUNTS */
        Action action;
        ActionResult result;
        uint64_t count;
} StatusCount;

#define STATUS_N_ACTIONS (ACTION_RESTART + 1)

/* The actions of the daemon: the last ones, newest last, and the count of
 * all of them, bounded. An action is counted once, when its result is
 * known: a term or restart in flight when its process is gone or its job
 * has ended. A (rule, action, result) beyond the first STATUS_MAX_COUNTS
 * seen is counted in OTHER, without its rule: no count is ever lost, and
 * the table never grows (a config with that many acting rules is rare). */
typedef struct ActionLog {
        StatusAction rec[STATUS_MAX_ACTIONS];
        size_t n;     /* records in use */
        size_t next;  /* where the next one goes */
        StatusCount counts[STATUS_MAX_COUNTS];
        size_t n_counts;
        uint64_t other[STATUS_N_ACTIONS][_ACTION_RESULT_MAX];
        /* per lane (RULES_BUSY_SIGNAL, _RESTART, _SYSTEM): the action in
         * progress there, to be counted when it ends */
        struct {
                bool set;
                char rule[STATUS_NAME_MAX];
                Action action;
        } pending[3];
} ActionLog;

/* Records decision D carried out at REALTIME_USEC in LANE (RULES_BUSY_*,
 * 0 for a warning) with RESULT; DETAIL says why it failed (strerror()),
 * NULL otherwise. Counts it unless it is in progress. */
void actionlog_add(ActionLog *log, const Decision *d, unsigned lane, uint64_t realtime_usec,
                   ActionResult result, const char *detail);
/* LANE's action in progress ended with RESULT (DONE or NOT_DONE): the
 * newest record of LANE says so if it still says "in progress", and it is
 * counted. Nothing for a lane with no action in progress (a dry run's
 * term follows its grace and ends here too, as it began: "dry run"). */
void actionlog_result(ActionLog *log, unsigned lane, ActionResult result);

/* The largest processes of a walk, kept between writes: they change only
 * with the walk, and the view is written more often than /proc is walked. */
typedef struct StatusProcOrder {
        uint64_t procs_usec;  /* the walk they are of (Snapshot.procs_usec) */
        size_t n;
        uint32_t idx[STATUS_MAX_PROCS];
} StatusProcOrder;

/* What the writer reads. HIST and STATE may be NULL (a one-off sample:
 * no growth, no rule states); LOG too. */
typedef struct StatusSource {
        const Config *config;
        const Snapshot *snap;
        const RulesState *state;
        History *hist;
        const ActionLog *log;
        StatusProcOrder *order; /* may be NULL */
        bool has_oom_kills;     /* the kernel's count (vmstat.h), if read */
        uint64_t oom_kills;
        const uint64_t *oom_reported; /* [2]: system, cgroup; NULL: none */
        const char *config_path;
        bool dry_run;
        uint64_t started_realtime_usec;
        uint64_t sample_usec;
        const uint64_t *samples; /* [STATUS_SAMPLE_KINDS]; NULL: none */
        /* Now, on CLOCK_MONOTONIC (the snapshot's clock) and
         * CLOCK_REALTIME; 0: read the clocks. */
        uint64_t now_usec, now_realtime_usec;
} StatusSource;

/* Writes the view of SRC to OUT (records). Returns 0 or -errno. */
int status_write(FILE *out, const StatusSource *src);

/* Writes it to DIR/STATUS_FILE atomically (DIR/.status.tmp, renamed).
 * Returns 0 or -errno. */
int status_write_file(const char *dir, const StatusSource *src);

/* The runtime directory: $RUNTIME_DIRECTORY (set by systemd's
 * RuntimeDirectory=), else STATUS_DEFAULT_DIR. */
const char *status_dir(void);

/* A view read back. */
typedef struct StatusFile {
        StatusHeader header;
        StatusSystem system;
        StatusUnit *units;
        size_t n_units;
        StatusProc *procs;
        size_t n_procs;
        StatusRule *rules;
        size_t n_rules;
        StatusCooldown *cooldowns;
        size_t n_cooldowns;
        StatusAction *actions;
        size_t n_actions;
        StatusCount *counts;
        size_t n_counts;
} StatusFile;

/* Parses LEN bytes of records. Returns 0; -EPROTO for a file of another
 * layout (version or record sizes); -EBADMSG when it is cut or corrupt
 * (more records of a kind than the writer's bound, a bool that is
 * neither 0 nor 1, an enum past its last value); -ENOMEM. */
int status_parse(const void *buf, size_t len, StatusFile **ret);

/* Reads and parses the file at PATH as it goes (a 4 KiB buffer, never
 * the whole file), leaving out the records SKIP names: the daemon reads
 * its view back for the metrics, which need no processes, cooldowns or
 * last actions (a view's processes are most of its size). Same returns,
 * and -errno of the open, -EIO of a read. */
enum {
        STATUS_SKIP_PROCS = 1 << 0,
        STATUS_SKIP_COOLDOWNS = 1 << 1,
        STATUS_SKIP_ACTIONS = 1 << 2,
};
int status_read_some(const char *path, unsigned skip, StatusFile **ret);
int status_read(const char *path, StatusFile **ret); /* skips nothing */
void status_free(StatusFile *f);

#endif
