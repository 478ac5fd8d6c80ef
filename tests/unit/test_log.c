/* test_log.c — message ids, the escaping of what processes and users
 * name, and the stderr line format. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "util/log.h"

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

/* log_escape() of IN into SIZE bytes, compared with WANT. The output
 * buffer is bigger than SIZE and filled with '#': nothing is written past
 * SIZE. */
static void check_escape(const char *in, size_t size, const char *want)
{
        char out[256];
        assert_true(size < sizeof out);
        memset(out, '#', sizeof out);
        size_t n = log_escape(in, out, size);
        assert_string_equal(out, want);
        assert_int_equal(n, strlen(want));
        for (size_t i = size; i < sizeof out; i++)
                assert_int_equal(out[i], '#');
}

#define ESCAPES_TO(in, want) check_escape((in), 200, (want))

static void test_escape_controls(void **state)
{
        (void)state;
        ESCAPES_TO("", "");
        ESCAPES_TO("node", "node");
        ESCAPES_TO("x\nmemguard: ok", "x\\nmemguard: ok");
        ESCAPES_TO("a\tb\rc", "a\\tb\\rc");
        ESCAPES_TO("\x1b[31mred", "\\x1b[31mred");
        ESCAPES_TO("\x01\x1f", "\\x01\\x1f");
        ESCAPES_TO("del\x7f", "del\\x7f");
        /* the backslash itself, so that an escape is never ambiguous: a
         * unit name with systemd's own \x2d in it stays readable */
        ESCAPES_TO("a\\b", "a\\\\b");
        ESCAPES_TO("a\\x2db.service", "a\\\\x2db.service");
        ESCAPES_TO("\\n", "\\\\n");
}

static void test_escape_utf8(void **state)
{
        (void)state;
        /* valid text passes unchanged: Latin, CJK, 4-byte, U+00A0 */
        ESCAPES_TO("caf\xc3\xa9", "caf\xc3\xa9");
        ESCAPES_TO("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
        ESCAPES_TO("\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!");
        ESCAPES_TO("\xc2\xa0", "\xc2\xa0");
        ESCAPES_TO("\xef\xbf\xbd", "\xef\xbf\xbd");        /* U+FFFD */
        ESCAPES_TO("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
        /* C1 controls: CSI (U+009B) and NEL (U+0085), both bytes escaped */
        ESCAPES_TO("\xc2\x9b" "31m", "\\xc2\\x9b31m");
        ESCAPES_TO("a\xc2\x85" "b", "a\\xc2\\x85b");
        ESCAPES_TO("\xc2\x80\xc2\x9f", "\\xc2\\x80\\xc2\\x9f");
        /* bytes that are not UTF-8, each escaped, decoding resumes after */
        ESCAPES_TO("a\xff" "b", "a\\xffb");
        ESCAPES_TO("\xfe\xf5", "\\xfe\\xf5");
        ESCAPES_TO("\x80" "a", "\\x80a");                        /* stray continuation */
        ESCAPES_TO("\xc0\xaf", "\\xc0\\xaf");                    /* overlong '/' */
        ESCAPES_TO("\xe0\x80\xaf", "\\xe0\\x80\\xaf");           /* overlong, 3 bytes */
        ESCAPES_TO("\xed\xa0\x80", "\\xed\\xa0\\x80");           /* a surrogate */
        ESCAPES_TO("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");  /* above U+10FFFF */
        ESCAPES_TO("\xc3(", "\\xc3(");                            /* lead, no continuation */
        ESCAPES_TO("\xe2\x82" "a\xc3\xa9", "\\xe2\\x82a\xc3\xa9"); /* cut short, then valid */
        /* cut short at the end of the string, as the kernel cuts a comm */
        ESCAPES_TO("caf\xc3", "caf\\xc3");
        ESCAPES_TO("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
}

static void test_escape_truncation(void **state)
{
        (void)state;
        char out[8] = "unset";
        assert_int_equal(log_escape("abc", out, 0), 0);
        assert_string_equal(out, "unset");
        check_escape("abc", 1, "");
        check_escape("abc", 4, "abc"); /* exact fit */
        check_escape("abc", 3, "ab");
        check_escape("abcdefghijklmnopqrstuvwxyz", 16, "abcdefghijklmno");
        /* an escape is written whole or not at all */
        check_escape("a\nb", 5, "a\\nb");
        check_escape("a\nb", 4, "a\\n");
        check_escape("a\nb", 3, "a");
        check_escape("x\x1b", 6, "x\\x1b");
        for (size_t size = 2; size < 6; size++)
                check_escape("x\x1b", size, "x");
        /* and so is a UTF-8 sequence */
        check_escape("a\xc3\xa9", 4, "a\xc3\xa9");
        check_escape("a\xc3\xa9", 3, "a");
        check_escape("\xf0\x9f\x98\x80", 5, "\xf0\x9f\x98\x80");
        for (size_t size = 1; size < 5; size++)
                check_escape("\xf0\x9f\x98\x80", size, "");
        /* and the two escapes of a C1 control: \xc2 never stands alone */
        check_escape("\xc2\x9b", 9, "\\xc2\\x9b");
        for (size_t size = 1; size < 9; size++)
                check_escape("\xc2\x9b", size, "");
        /* nothing after the first unit that does not fit, even if it would */
        check_escape("ab\x1b" "cd", 6, "ab");
}

/* The forged line of issue 14: a process named "x\nmemguard: ok" in the
 * MESSAGE and in a field gives one line, with the name escaped. */
static void test_stderr_hostile(void **state)
{
        (void)state;
        char out[2048];
        LogFields f = { .rule = "api", .action = "term", .pid = 42, .comm = "x\nmemguard: ok",
                        .unit = "evil\x1b[2J.service" };
        capture(EVENT_SIGNAL_SENT, &f, "api: terminating x\nmemguard: ok (pid 42)", out,
                sizeof out);
        assert_string_equal(out, "memguard: api: terminating x\\nmemguard: ok (pid 42) [rule=api "
                                 "action=term pid=42 comm=x\\nmemguard: ok "
                                 "unit=evil\\x1b[2J.service dry_run=no]\n");
        assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
        assert_null(strchr(out, '\x1b'));

        /* the C1 form of the same, and bytes that are not UTF-8 */
        LogFields g = { .comm = "\xc2\x9b" "2J\xff" };
        capture(EVENT_NONE, &g, "caf\xc3\xa9 \xc2\x9b" "2J", out, sizeof out);
        assert_string_equal(out, "memguard: caf\xc3\xa9 \\xc2\\x9b2J [comm=\\xc2\\x9b2J\\xff]\n");
}

/* A MESSAGE longer than its buffer is cut at a character, not in the
 * middle of one (which would show as a \xNN that was never there). */
static void test_stderr_long(void **state)
{
        (void)state;
        char msg[1100], want[1100], out[4096];
        memset(msg, 'a', 1022);
        strcpy(msg + 1022, "\xc3\xa9 and more");
        snprintf(want, sizeof want, "memguard: %.1022s\n", msg);
        capture(EVENT_NONE, NULL, msg, out, sizeof out);
        assert_string_equal(out, want);

        /* a message of escapes is cut at a whole escape */
        memset(msg, '\x01', 1023);
        msg[1023] = '\0';
        capture(EVENT_NONE, NULL, msg, out, sizeof out);
        assert_int_equal(strlen(out), strlen("memguard: ") + 2044 + 1); /* 511 of "\x01", "\n" */
        assert_string_equal(out + strlen(out) - 5, "\\x01\n");
}

/* The journal form: this definition takes the place of libsystemd's (the
 * executable's symbol wins), so the test sees the fields log_event sends.
 * sd_journal_sendv() is a macro for it, which adds CODE_FILE and the like. */
static char journal_fields[24][2048];
static int journal_n;

int sd_journal_sendv_with_location(const char *file, const char *line, const char *func,
                                   const struct iovec *iov, int n)
{
        (void)file, (void)line, (void)func;
        journal_n = n;
        for (int i = 0; i < n && i < 24; i++)
                snprintf(journal_fields[i], sizeof journal_fields[i], "%.*s", (int)iov[i].iov_len,
                         (const char *)iov[i].iov_base);
        return 0;
}

static const char *journal_field(const char *key)
{
        size_t len = strlen(key);
        for (int i = 0; i < journal_n; i++)
                if (strncmp(journal_fields[i], key, len) == 0 && journal_fields[i][len] == '=')
                        return journal_fields[i] + len + 1;
        return NULL;
}

static void test_journal_hostile(void **state)
{
        (void)state;
        /* log_open() sends to the journal when stderr is $JOURNAL_STREAM */
        struct stat st;
        char stream[64];
        assert_int_equal(fstat(STDERR_FILENO, &st), 0);
        snprintf(stream, sizeof stream, "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        assert_int_equal(setenv("JOURNAL_STREAM", stream, 1), 0);
        log_open(false);
        LogFields f = { .rule = "api", .action = "term", .pid = 42, .comm = "x\nmemguard: ok",
                        .unit = "a\\x2db.service", .errno_text = "\x1b]0;owned\x07" };
        journal_n = 0;
        log_event(EVENT_SIGNAL_SENT, LOG_WARNING, &f, "api: terminating %s (pid 42)", f.comm);
        unsetenv("JOURNAL_STREAM");
        log_open(true);

        assert_true(journal_n > 0);
        assert_string_equal(journal_field("MESSAGE"), "api: terminating x\\nmemguard: ok (pid 42)");
        assert_string_equal(journal_field("PRIORITY"), "4");
        assert_string_equal(journal_field("MESSAGE_ID"), log_message_id(EVENT_SIGNAL_SENT));
        assert_string_equal(journal_field("MEMGUARD_COMM"), "x\\nmemguard: ok");
        assert_string_equal(journal_field("MEMGUARD_UNIT"), "a\\\\x2db.service");
        assert_string_equal(journal_field("MEMGUARD_ERROR"), "\\x1b]0;owned\\x07");
        assert_string_equal(journal_field("MEMGUARD_PID"), "42");
        for (int i = 0; i < journal_n; i++)
                for (const char *c = journal_fields[i]; *c; c++)
                        assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ids),
                cmocka_unit_test(test_stderr_line),
                cmocka_unit_test(test_escape_controls),
                cmocka_unit_test(test_escape_utf8),
                cmocka_unit_test(test_escape_truncation),
                cmocka_unit_test(test_stderr_hostile),
                cmocka_unit_test(test_stderr_long),
                cmocka_unit_test(test_journal_hostile),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
