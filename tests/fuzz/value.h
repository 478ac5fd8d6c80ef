/* value.h — what the harnesses of the config's value parsers share: the
 * variants of a value that must read the same (config.h: whitespace
 * around it is allowed, suffixes are case-insensitive). */
#ifndef MEMGUARD_FUZZ_VALUE_H
#define MEMGUARD_FUZZ_VALUE_H

#include <ctype.h>

#include "fuzz.h"

/* " \t" + S + " \n": what inih's trimming and the parser's own leave alike. */
static inline char *value_padded(const char *s)
{
        size_t n = strlen(s);
        char *p = malloc(n + 5);
        if (!p)
                abort();
        memcpy(p, " \t", 2);
        memcpy(p + 2, s, n);
        memcpy(p + 2 + n, " \n", 3);
        return p;
}

/* S in upper case (ASCII). */
static inline char *value_upper(const char *s)
{
        size_t n = strlen(s);
        char *p = malloc(n + 1);
        if (!p)
                abort();
        for (size_t i = 0; i <= n; i++)
                p[i] = (char)toupper((unsigned char)s[i]);
        return p;
}

/* For a parser of S into one number (a duration, a rate) that returned
 * R and V: the same for S padded and upper-cased, and on an error the
 * number untouched. */
static inline void value_check_u64(int (*parse)(const char *, uint64_t *), const char *s, int r,
                                   const uint64_t *v)
{
        const char *variants[2];
        char *padded = value_padded(s), *upper = value_upper(s);
        variants[0] = padded;
        variants[1] = upper;
        if (r < 0)
                FUZZ_CHECK(fuzz_untouched(v, sizeof *v));
        for (size_t i = 0; i < 2; i++) {
                uint64_t v2;
                int r2 = FUZZ_PARSE(v2, parse(variants[i], &v2));
                FUZZ_CHECK(r2 == r && (r < 0 || v2 == *v));
        }
        free(padded);
        free(upper);
}

#endif
