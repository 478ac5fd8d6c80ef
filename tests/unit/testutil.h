/* testutil.h — shared by the cmocka unit tests. */
#ifndef MEMGUARD_TESTUTIL_H
#define MEMGUARD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* Out of descriptors on purpose: RLIMIT_NOFILE lowered to 256 for this
 * process and every slot below it filled, so that the next open() fails
 * with EMFILE; fds_give_back() closes them and restores the limit. */
typedef struct FdsFull {
        struct rlimit old;
        int fds[256];
        size_t n;
} FdsFull;

static inline void fds_fill(FdsFull *f)
{
        struct rlimit tight;
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &f->old), 0);
        tight = f->old;
        tight.rlim_cur = 256;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
        f->n = 0;
        for (int fd; f->n < sizeof f->fds / sizeof *f->fds && (fd = open("/dev/null", O_RDONLY)) >= 0;)
                f->fds[f->n++] = fd;
        assert_int_equal(errno, EMFILE);
}

static inline void fds_give_back(FdsFull *f)
{
        for (size_t i = 0; i < f->n; i++)
                close(f->fds[i]);
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &f->old), 0);
}

#endif
