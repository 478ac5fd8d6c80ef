/* test_describe.c — the libproc2-backed process description. */
#include "testutil.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "act/describe.h"

/* NSS asked: these definitions take the place of libc's for libproc2
 * too (the executable's symbols win), so a name lookup is counted. */
static int nss_calls;

struct passwd *getpwuid(uid_t uid)
{
        (void)uid;
        nss_calls++;
        return NULL;
}

struct group *getgrgid(gid_t gid)
{
        (void)gid;
        nss_calls++;
        return NULL;
}

static void test_self(void **state)
{
        (void)state;
        char b[160], want[128];
        /* the uid as a number: a name would need NSS (see describe.h) */
        snprintf(want, sizeof want, "uid %u, running for ", (unsigned)geteuid());
        nss_calls = 0;
        assert_int_equal(describe_process(getpid(), b, sizeof b), 0);
        assert_int_equal(nss_calls, 0);
        assert_memory_equal(b, want, strlen(want));
}

static void test_gone(void **state)
{
        (void)state;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(0);
        assert_int_equal(waitpid(pid, NULL, 0), pid); /* reaped: the pid is free */
        char b[160] = "x";
        assert_int_equal(describe_process(pid, b, sizeof b), -ESRCH);
        assert_string_equal(b, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_self),
                cmocka_unit_test(test_gone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
