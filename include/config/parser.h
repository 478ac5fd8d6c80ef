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

/* ---- value.c: the value syntax ---------------------------------------- */

/* S past leading whitespace. */
const char *skip_ws(const char *s);
/* The index of S (any case) in NAMES[0..N), whose NULL entries are
 * skipped, or -1. */
int lookup(const char *const *names, size_t n, const char *s);
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
bool has_glob(const char *s);
void comm_truncate(char *s);

/* ---- trust.c: may a configuration file be read ----------------------- */

typedef enum TrustKind {
        TRUST_FILE,       /* a configuration file */
        TRUST_DROPIN_DIR, /* PATH.d: whoever can write it can add a drop-in */
        TRUST_PARENT,     /* a directory on the way: the sticky bit (/tmp) suffices */
} TrustKind;

int trust_judge(const struct stat *st, TrustKind kind, const char *what, char **ret_reason);
int trust_check(int fd, const char *path, TrustKind kind, char **ret_reason);

#endif
