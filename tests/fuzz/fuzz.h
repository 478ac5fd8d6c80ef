/* fuzz.h — what the libFuzzer harnesses of tests/fuzz share (README.md
 * there): copies of the input sized to the byte, so that AddressSanitizer
 * sees a parser read one byte past what it was given, and a check that
 * aborts with the broken contract's words, so that libFuzzer keeps the
 * input that broke it as a crash. */
#ifndef MEMGUARD_FUZZ_H
#define MEMGUARD_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The contract of the parser under test holds, or the input is a crash. */
#define FUZZ_CHECK(cond)                                                                  \
        do {                                                                              \
                if (!(cond)) {                                                            \
                        fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, \
                                #cond);                                                   \
                        abort();                                                          \
                }                                                                         \
        } while (0)

/* SIZE bytes of DATA in a heap block of exactly SIZE bytes (a parser
 * given (buf, len) must read none beyond). Never NULL. */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
        char *p = malloc(size ? size : 1);
        if (!p)
                abort();
        if (size)
                memcpy(p, data, size);
        return p;
}

/* The same and a NUL: for parsers whose real caller hands them a string
 * (inih's values, readdir()'s names, readlink()'s path terminated). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
        char *p = malloc(size + 1);
        if (!p)
                abort();
        if (size)
                memcpy(p, data, size);
        p[size] = '\0';
        return p;
}

/* The fill of output parameters before a call, to tell whether a parser
 * wrote them on an error. */
#define FUZZ_FILL 0xA5

static inline bool fuzz_untouched(const void *p, size_t n)
{
        const unsigned char *c = p;
        for (size_t i = 0; i < n; i++)
                if (c[i] != FUZZ_FILL)
                        return false;
        return true;
}

/* Calls CALL, a parser that writes OUT (an lvalue) only on success, with
 * OUT filled beforehand; checks that an error (a negative return) left
 * it so. The return value of CALL. */
#define FUZZ_PARSE(out, call)                                                   \
        ({                                                                      \
                memset(&(out), FUZZ_FILL, sizeof(out));                         \
                int fuzz_r_ = (call);                                           \
                if (fuzz_r_ < 0)                                                \
                        FUZZ_CHECK(fuzz_untouched(&(out), sizeof(out)));        \
                fuzz_r_;                                                        \
        })

/* STR (SIZE bytes) is NUL-terminated within them. */
static inline bool fuzz_terminated(const char *str, size_t size)
{
        return memchr(str, '\0', size) != NULL;
}

#endif
