/* test_log.c — sizes in messages and the stderr line format. */
#include "testutil.h"

#include <stdio.h>
#include <unistd.h>

#include "log.h"

static void test_sizes(void **state)
{
        (void)state;
        char b[32];
        assert_string_equal(log_format_size(0, b, sizeof b), "0.0 MiB");
        assert_string_equal(log_format_size(9 * 1024 + 820, b, sizeof b), "9.8 MiB");
        assert_string_equal(log_format_size(412 * 1024, b, sizeof b), "412 MiB");
        assert_string_equal(log_format_size(1536 * 1024, b, sizeof b), "1.50 GiB");
        assert_string_equal(log_format_size(UINT64_C(24) * 1024 * 1024, b, sizeof b), "24.0 GiB");
}

static void test_ids(void **state)
{
        (void)state;
        assert_string_equal(log_message_id(EVENT_NONE), "");
        /* every event kind has its own 32-hex-digit id */
        for (int a = EVENT_STARTED; a < _EVENT_MAX; a++) {
                const char *id = log_message_id((LogEvent)a);
                assert_int_equal(strlen(id), 32);
                assert_int_equal(strspn(id, "0123456789abcdef"), 32);
                for (int b = a + 1; b < _EVENT_MAX; b++)
                        assert_string_not_equal(id, log_message_id((LogEvent)b));
        }
}

/* Captures what log_event writes to stderr. */
static void capture(LogEvent ev, const LogFields *f, const char *msg, char *out, size_t size)
{
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        FILE *tmp = tmpfile();
        assert_non_null(tmp);
        dup2(fileno(tmp), STDERR_FILENO);
        log_open(true);
        log_event(ev, LOG_WARNING, f, "%s", msg);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        rewind(tmp);
        size_t n = fread(out, 1, size - 1, tmp);
        out[n] = '\0';
        fclose(tmp);
}

static void test_stderr_line(void **state)
{
        (void)state;
        char out[1024];
        LogFields f = { .rule = "api", .action = "term", .pid = 42, .comm = "node",
                        .pss_kb = 1000, .has_system = true, .mem_available_kb = 2048,
                        .psi_some_avg10 = 1.5, .signal = 15 };
        capture(EVENT_SIGNAL_SENT, &f, "api: terminating node", out, sizeof out);
        assert_string_equal(out, "memguard: api: terminating node [rule=api action=term pid=42 "
                                 "comm=node pss_kb=1000 mem_available_kb=2048 "
                                 "psi_some_avg10=1.50 signal=SIGTERM dry_run=no]\n");
        capture(EVENT_NONE, NULL, "plain", out, sizeof out);
        assert_string_equal(out, "memguard: plain\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sizes),
                cmocka_unit_test(test_ids),
                cmocka_unit_test(test_stderr_line),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
