/* test_describe.c — the libproc2-backed process description. */
#include "testutil.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "describe.h"

static void test_duration(void **state)
{
        (void)state;
        char b[32];
        describe_duration(0, b, sizeof b);
        assert_string_equal(b, "0 s");
        describe_duration(59.9, b, sizeof b);
        assert_string_equal(b, "59 s");
        describe_duration(60, b, sizeof b);
        assert_string_equal(b, "1 min");
        describe_duration(3 * 3600 + 12 * 60 + 5, b, sizeof b);
        assert_string_equal(b, "3 h 12 min");
        describe_duration(2 * 86400 + 4 * 3600 + 59, b, sizeof b);
        assert_string_equal(b, "2 d 4 h");
        describe_duration(-5, b, sizeof b);
        assert_string_equal(b, "0 s");
}

static void test_self(void **state)
{
        (void)state;
        char b[160], want[128];
        const struct passwd *pw = getpwuid(geteuid());
        assert_non_null(pw);
        snprintf(want, sizeof want, "user %s, running for ", pw->pw_name);
        assert_int_equal(describe_process(getpid(), b, sizeof b), 0);
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
                cmocka_unit_test(test_duration),
                cmocka_unit_test(test_self),
                cmocka_unit_test(test_gone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
