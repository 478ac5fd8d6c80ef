/* testutil.h — shared by the cmocka unit tests. */
#ifndef MEMGUARD_TESTUTIL_H
#define MEMGUARD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Absolute path of a file under tests/ (fixtures, golden files). */
#define TEST_PATH(rel) TOP_SRCDIR "/tests/" rel

/* A literal string and its length, for the *_parse() tests. */
#define LIT(s) (s), (sizeof(s) - 1)

/* Skips the running test, saying why in one line ("SKIPPED: REASON") that
 * make check-unit (tests/unit/run.sh) lists with the test's name. FMT is
 * a string literal. Every skip goes through this. */
#define SKIP(fmt, ...)                                                          \
        do {                                                                    \
                print_message("SKIPPED: " fmt "\n", ##__VA_ARGS__);            \
                skip();                                                         \
        } while (0)

#endif
