/* parser.h — internal to src/config/: what the files of the config parser
 * share with each other. The rest of memguard sees only config.h; this
 * header exists because the parser is split into files, one concept each,
 * and what they call across files needs a prototype (-Wmissing-prototypes).
 * Include it from src/config/ only. Grouped by the file that defines each
 * function; the comments above the definitions say the rest. */
#ifndef MEMGUARD_CONFIG_PARSER_H
#define MEMGUARD_CONFIG_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "config/config.h"
#include "util/cleanup.h"

/* ---- value.c: the value syntax ---------------------------------------- */

/* S past leading whitespace. */
const char *config_skip_ws(const char *s);
/* The index of S (any case) in NAMES[0..N), whose NULL entries are
 * skipped, or -1. */
int name_lookup(const char *const *names, size_t n, const char *s);
int action_from_string(const char *s);
int target_from_string(const char *s);
int parse_psi_percent(const char *s, double *ret);
/* 1 for yes, true, on or 1; 0 for no, false, off or 0 (any case);
 * -EINVAL for anything else. */
int parse_bool(const char *s);
/* USEC as the config would write it, in the largest unit that divides it
 * ("90s", "2m", "0"). */
void format_duration(uint64_t usec, char *buf, size_t size);
/* True if S has a glob character: '*', '?' or '['. */
bool glob_has_magic(const char *s);
void comm_truncate(char *s);

/* ---- trust.c: may a configuration file be read ------------------------ */

typedef enum TrustKind {
        TRUST_FILE,       /* a configuration file */
        TRUST_DROPIN_DIR, /* PATH.d: whoever can write it can add a drop-in */
        TRUST_PARENT,     /* a directory on the way: the sticky bit (/tmp) suffices */
} TrustKind;

int trust_judge(const struct stat *st, TrustKind kind, const char *what, char **ret_reason);
int trust_check(int fd, const char *path, TrustKind kind, char **ret_reason);

/* ---- defaults of the keys --------------------------------------------- */

/* As config.h gives them in the comments of Config and Rule. */
#define DEFAULT_INTERVAL_USEC USEC_PER_SEC
#define DEFAULT_FAST_INTERVAL_USEC (100 * USEC_PER_MSEC)
#define DEFAULT_COOLDOWN_USEC (30 * USEC_PER_SEC)
#define DEFAULT_GRACE_USEC (5 * USEC_PER_SEC)
#define DEFAULT_WINDOW_USEC (10 * 60 * USEC_PER_SEC)
#define DEFAULT_METRICS_INTERVAL_USEC (60 * USEC_PER_SEC)
#define DEFAULT_BEFORE_WAIT_USEC (30 * USEC_PER_SEC)

/* ---- the Parser: what one config_load() carries through its files ----- */

enum {
        DKEY_INTERVAL,
        DKEY_FAST_INTERVAL,
        DKEY_DRY_RUN,
        DKEY_PROTECT,
        DKEY_COOLDOWN,
        DKEY_METRICS_FILE,
        DKEY_METRICS_INTERVAL,
        _DKEY_MAX,
};

enum {
        RKEY_WHEN,
        RKEY_FOR,
        RKEY_ACTION,
        RKEY_UNIT,
        RKEY_PROCESS,
        RKEY_CMDLINE,
        RKEY_TARGET,
        RKEY_GRACE,
        RKEY_WINDOW,
        RKEY_USER_UNIT,
        RKEY_BEFORE,
        RKEY_BEFORE_WAIT,
        RKEY_NOTIFY,
        _RKEY_MAX,
};

typedef struct Diag {
        size_t file_idx;
        unsigned line; /* 0: about the whole file */
        size_t seq;
        char *text; /* complete line, with "FILE:LINE: " and no '\n' */
} Diag;

typedef enum Section {
        SECTION_NONE, /* before the first header of a file */
        SECTION_DAEMON,
        SECTION_RULE,
        SECTION_SKIP, /* a bad header, already reported: ignore its keys */
} Section;

typedef struct RuleDraft {
        Rule rule;                    /* owned until committed */
        unsigned key_line[_RKEY_MAX]; /* 0: not given */
        bool key_ok[_RKEY_MAX];       /* given with a valid value */
        bool discard;                 /* parse for errors only, never commit */
} RuleDraft;

typedef struct Where {
        size_t file_idx;
        unsigned line; /* 0: the default */
} Where;

typedef struct Parser {
        Config *config;

        char **files; /* every file read, indexed by Diag.file_idx */
        size_t n_files;

        Diag *diags;
        size_t n_diags, cap_diags;
        bool oom;

        /* the file being read */
        size_t file_idx;
        const char *text;
        size_t text_len, pos;
        unsigned lineno;
        char *line; /* the current line, normalised; owned */
        size_t line_cap;
        const char *content; /* into line: what was handed to inih */
        bool key_pending, handler_called;
        Section section;
        RuleDraft draft;
        unsigned daemon_line[_DKEY_MAX]; /* per file: keys given twice */

        Where interval_at, fast_interval_at;
} Parser;

/* ---- parse.c: the INI reader, diagnostics ----------------------------- */

__attribute__((format(printf, 3, 4))) void parser_diag(Parser *p, unsigned line, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void diag_where(Parser *p, Where w, const char *fmt, ...);
int parser_add_file(Parser *p, const char *name);
void parse_text(Parser *p, const char *name, const char *text, size_t len);

/* ---- daemon_keys.c: the keys of [daemon] ------------------------------ */

void daemon_key(Parser *p, const char *key, const char *value);
bool key_duration(Parser *p, const char *key, const char *value, uint64_t min_usec,
                  uint64_t max_usec, const char *examples, uint64_t *ret);

/* ---- rule_keys.c: the keys of [rule NAME] ----------------------------- */

/* The [rule NAME] keys, indexed by RKEY_*. */
extern const char *const rule_key_names[_RKEY_MAX];

void rule_key(Parser *p, const char *key, const char *value);

/* ---- check.c: judging a rule and the config as a whole ---------------- */

Rule *config_find_rule(Config *c, const char *name);
void rule_finish(Parser *p);
void parser_check(Parser *p);

/* ---- load.c: reading files, the result, the Config's lifetime --------- */

/* Frees R's strings and zeroes it; NULL members are fine. */
void rule_done(Rule *r);

#endif
