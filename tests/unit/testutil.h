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

#endif
