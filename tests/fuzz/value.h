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

#endif
