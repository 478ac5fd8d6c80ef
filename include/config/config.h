/* config.h — memguard.conf(5): parsed, validated, immutable once loaded.
 *
 * A Config is parsed whole into a fresh object and swapped in only if it has
 * no error, so a bad reload never disturbs the running rules. */
#ifndef MEMGUARD_CONFIG_H
#define MEMGUARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/metric.h"

#define CONFIG_MAX_CONDITIONS 8

/* Limits of the duration keys, in µs. A duration is added to the clock
 * (a deadline, the next tick), and one that is absurd for its key is a
 * mistake that would otherwise show at run time: `grace = 5124095576h`
 * wraps start + grace into the past (an immediate SIGKILL), a huge
 * `interval` into a busy loop. So each key is refused beyond a maximum
 * that is generous for its purpose, with FILE:LINE; every deadline is
 * computed with usec_add() (cleanup.h) besides. Defaults in the comments
 * of Config and Rule below.
 *   interval, fast-interval  10ms .. 1h  (fast-interval <= interval)
 *   cooldown                 0 .. 24h
 *   for                      0 .. 168h (7 days)
 *   grace                    0 .. 1h
 *   window                   1m .. 24h
 *   metrics-interval         0 .. 1h
 *   before-wait              1s .. 10m */
#define CONFIG_MIN_INTERVAL_USEC (UINT64_C(10) * 1000)
#define CONFIG_MAX_INTERVAL_USEC (UINT64_C(3600) * 1000000)
#define CONFIG_MAX_COOLDOWN_USEC (UINT64_C(24) * 3600 * 1000000)
#define CONFIG_MAX_FOR_USEC (UINT64_C(7) * 24 * 3600 * 1000000)
#define CONFIG_MAX_GRACE_USEC (UINT64_C(3600) * 1000000)
#define CONFIG_MIN_WINDOW_USEC (UINT64_C(60) * 1000000)
#define CONFIG_MAX_WINDOW_USEC (UINT64_C(24) * 3600 * 1000000)
#define CONFIG_MIN_BEFORE_WAIT_USEC (UINT64_C(1) * 1000000)
#define CONFIG_MAX_BEFORE_WAIT_USEC (UINT64_C(600) * 1000000)

typedef enum Action {
        ACTION_WARN,
        ACTION_TERM,
        ACTION_KILL,
        ACTION_RESTART,
} Action;

typedef enum Target {
        TARGET_OOM_SCORE,
        TARGET_PSS,
        TARGET_FASTEST_GROWING, /* the unit whose memory grows fastest */
} Target;

/* One comparison. For a METRIC_KIND_PERCENT (PSI) metric only PERCENT is
 * set (is_percent false, kb 0). For a size metric either is_percent and
 * PERCENT (0..100, of MemTotal; never for swap.*, which the parser
 * rejects) or KB. Use condition_threshold_kb() for sizes. A rate (growth)
 * is KB per hour; a time (ETA) is USEC. */
typedef struct Condition {
        Metric metric;
        char op;         /* '<' or '>' */
        bool is_percent; /* size given as % of MemTotal */
        double percent;  /* if is_percent, or the PSI threshold */
        uint64_t kb;     /* absolute size threshold, if !is_percent; a rate */
        uint64_t usec;   /* METRIC_KIND_TIME */
} Condition;

typedef struct Rule {
        char *name;
        char *file; /* where it was defined, for messages */
        unsigned line;
        RuleScope scope;
        Condition conds[CONFIG_MAX_CONDITIONS];
        size_t n_conds; /* >= 1; all must hold ("and") */
        uint64_t for_usec; /* default 0, at most CONFIG_MAX_FOR_USEC */
        Action action;
        Target target;       /* system rules that act on a process */
        uint64_t grace_usec; /* default 5 s, at most CONFIG_MAX_GRACE_USEC */
        /* Globs (fnmatch). A literal unit name without '.' has ".service"
         * appended ("api" -> "api.service"); a literal process name longer
         * than 15 characters is cut to 15, as the kernel cuts comm. */
        char *unit_glob; /* SCOPE_UNIT */
        /* Which service manager's units unit_glob names. false (`unit =`):
         * the system manager's only, never a unit of a user's manager
         * (systemd --user, whose units live below user@UID.service and may
         * have the same names). true (`user-unit =`, as journalctl
         * --user-unit): units of users' managers only, whatever the user.
         * Such a rule never has action = restart: memguard talks to the
         * system manager, which cannot restart a user's unit. */
        bool user_unit;
        char *comm_glob;    /* SCOPE_PROCESS, may be NULL if cmdline_glob set */
        char *cmdline_glob; /* SCOPE_PROCESS, may be NULL */
        /* Leak detection: the span growth is estimated over (`window`,
         * default 10 min), for rules that use a growth or ETA metric or
         * target = fastest-growing; 0 for other rules. */
        uint64_t window_usec; /* CONFIG_MIN_WINDOW_USEC .. CONFIG_MAX_WINDOW_USEC */
        /* The budget of proc.budget-eta / unit.budget-eta: the index in
         * CONDS of the rule's size condition on the same target ("unit.memory
         * < 400M"); -1 when the rule has no budget-eta. */
        int budget_cond;
        /* A step before a process or unit rule's term, kill or restart
         * (`before =`): a signal to the target process (before_signal, 0
         * for none), or a command (before_argv, NULL-terminated, owned;
         * its words as config/before.h splits them), then a wait of
         * before_wait_usec (default 30 s, CONFIG_MIN/MAX_BEFORE_WAIT_USEC)
         * that ends early when the process exits (a signal) or the
         * command does. Never on system rules (they must not wait) nor
         * warn rules. */
        int before_signal;
        char **before_argv;
        uint64_t before_wait_usec;
        /* A warn rule's `notify =`: the signal sent to the target process
         * when the rule fires (0: none). Process and unit rules only. */
        int notify_signal;
} Rule;

/* What a `protect =` entry names. A process can rename itself at will
 * (prctl(PR_SET_NAME), or exec a copy named "sshd"), so no kind is
 * satisfied by comm alone: each names something the process cannot set
 * for itself. */
typedef enum ProtectKind {
        /* A program name ("sshd"): a process whose comm matches and whose
         * executable's file name matches too, the executable owned by root
         * and writable only by root (so only root could have put it
         * there). Written without '/' and without a unit suffix. A literal
         * longer than 15 characters is cut to 15, as the kernel cuts comm
         * ("systemd-journald" is kept as "systemd-journal"): compare the
         * executable's file name cut the same way. */
        PROTECT_NAME,
        /* An absolute executable path (glob), "/usr/sbin/sshd", matched
         * against the path /proc/PID/exe resolves to. Contains '/'; starts
         * with '/' and has no empty, "." or ".." component. */
        PROTECT_EXE,
        /* A system unit (glob) ending in .service, .scope, .socket, .mount
         * or .swap ("getty@*.service"): every process in it, and the unit
         * itself (never restarted). A system manager's unit only: a user's
         * manager's unit of that name is not protected by it. Slices are
         * refused (one would shield every process below it), and so are
         * unit types without processes (.target, .timer, .path, .device,
         * .automount). */
        PROTECT_UNIT,
        _PROTECT_KIND_MAX,
} ProtectKind;

typedef struct Protect {
        ProtectKind kind;
        char *glob; /* owned */
} Protect;

typedef struct Config {
        /* Durations: see CONFIG_MIN_ and CONFIG_MAX_ above. */
        uint64_t interval_usec;      /* default 1 s */
        uint64_t fast_interval_usec; /* default 100 ms */
        bool dry_run;                /* default no */
        uint64_t cooldown_usec;      /* default 30 s */
        /* metrics-file: where the Prometheus textfile goes (report/metrics.h);
         * NULL (the default): none is written. Absolute, its name ends in
         * ".prom" (a line of the file is at most ~200 characters). */
        char *metrics_file;
        /* metrics-interval: the file is rewritten with a view at most this
         * often; default 1 min, 0 .. 1h (0: with every view). */
        uint64_t metrics_interval_usec;
        /* n_protect entries in the order given, no two with the same kind
         * and glob. Every `protect =` line appends (also across drop-ins);
         * an empty one clears the list. */
        Protect *protect;
        size_t n_protect;
        /* In file order; a drop-in's [rule NAME] replaces an earlier rule
         * of that name in place. Names are unique. */
        Rule *rules;
        size_t n_rules;
        /* Which load this is: unique to each Config that config_load()
         * returns, never 0 (0: a Config made by hand, as in the tests).
         * What the rules' state was bound to is known by it without
         * comparing every rule's name on every tick (rules/state.c). */
        uint64_t generation;
} Config;

/* Loads PATH and then PATH's drop-in directory (PATH with ".d" appended
 * after stripping nothing: /etc/memguard.conf → /etc/memguard.conf.d/ *.conf,
 * in strcmp() order of the names; hidden files and non-regular files are
 * skipped; a missing directory is fine). Drop-ins override [daemon] keys,
 * add to protect, add rules, and replace a rule of the same name whole.
 *
 * The configuration is code that root runs, so it is read only if nobody
 * but root could have written it (as sshd's StrictModes and sudo judge
 * their files). PATH, the drop-in directory and each drop-in are opened
 * (following symlinks) and judged by fstat() of the open descriptor: a
 * regular file (the drop-in directory: a directory) owned by root and not
 * writable by group or others. Every directory the path resolves through,
 * up to / — those on the real path and those holding a symlink on the way
 * — must be owned by root and not writable by group or others unless it
 * has the sticky bit (/tmp). The drop-in directory itself gets no sticky
 * exception: anyone who can write it can add a drop-in. "Root" is the
 * effective uid as well, so that a developer's own checkout is trusted
 * when the tests run unprivileged; as root it means root. An untrusted
 * file is not parsed; it gets one "FILE: not trusted: REASON" (REASON
 * names the file or directory at fault, its owner and mode, and what
 * would make it trusted), and the other files are still checked and
 * parsed so that every problem is reported in one pass. An untrusted
 * drop-in directory is reported once and its drop-ins are not read.
 *
 * Every problem in every file is collected, one per line, sorted by file
 * (read order) and line, as "FILE:LINE: key: problem\n" (FILE:LINE:
 * problem for a line with no key; "FILE: problem" for an unreadable or
 * untrusted file), FILE spelled as given (drop-ins: PATH.d/NAME). On
 * success returns 0 and *RET_CONFIG (owned by the caller, free with
 * config_free()); *RET_ERRORS is NULL. On error returns -EINVAL (bad
 * content), -errno (PATH or a drop-in unreadable; -EFBIG for a file over
 * 1 MiB), -EPERM (a file or directory not trusted) or -ENOMEM — the first
 * read or trust failure in read order wins over -EINVAL —, sets
 * *RET_ERRORS to the malloc'd text (caller frees; NULL only if even that
 * could not be allocated after -ENOMEM) and leaves *RET_CONFIG untouched.
 * RET_ERRORS may not be NULL. */
int config_load(const char *path, Config **ret_config, char **ret_errors);

/* Same, from a string (tests): FILENAME is used in messages only; no
 * drop-ins, no trust check. */
int config_load_string(const char *text, const char *filename, Config **ret_config,
                       char **ret_errors);

/* Frees a config; NULL-safe. */
void config_free(Config *c);

/* Names for messages: "term", "oom-score", ... (metrics: metric.h) */
const char *action_to_string(Action a);
const char *target_to_string(Target t);
/* "name", "executable", "unit"; "?" for anything else. */
const char *protect_kind_to_string(ProtectKind k);

/* Parsers of value syntax, exposed for tests. Each returns 0, -EINVAL
 * (syntax), -ERANGE (does not fit; a percentage over 100) or -ENOMEM, and
 * writes its outputs only on success. Numbers are digits with an optional
 * decimal fraction: no sign, exponent or hex; whitespace around the value
 * and between number and suffix is allowed ("10 M"). Suffixes are
 * case-insensitive.
 * Sizes: K/M/G/T with optional "B" or "iB", powers of 1024; a bare number
 * or "B" is bytes; rounded up to whole kB; at most UINT64_MAX/1024 kB.
 * "15%" sets *RET_IS_PERCENT and *RET_PERCENT (0..100) and *RET_KB = 0.
 * Durations: us, ms, s, m or min, h (bare: seconds); fractions are cut to
 * whole microseconds; -ERANGE if the result does not fit in 64 bits
 * (the keys' own maxima are checked by the config parser, not here). */
int config_parse_size(const char *s, uint64_t *ret_kb, bool *ret_is_percent, double *ret_percent);
int config_parse_duration(const char *s, uint64_t *ret_usec);

/* Resolves a size condition to kB against MEM_TOTAL_KB (a percentage is
 * rounded to the nearest kB). Returns 0 for a PSI condition. */
uint64_t condition_threshold_kb(const Condition *c, uint64_t mem_total_kb);

/* True if rule R needs growth histories of its targets (or, for
 * target = fastest-growing, of every unit). */
bool rule_tracks_growth(const Rule *r);

/* Rates: "50M/h" — a size (no percentage) per s, m/min, h or d. Writes kB
 * per hour (rounded up). Same returns as config_parse_size(). */
int config_parse_rate(const char *s, uint64_t *ret_kb_per_hour);

#endif
