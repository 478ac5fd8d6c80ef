/* test_restart.c — the restart client against a real dbus-daemon.
 *
 * Each test starts a private dbus-daemon (minimal config, socket in a
 * temporary directory), points DBUS_SYSTEM_BUS_ADDRESS at it, and serves a
 * fake org.freedesktop.systemd1 from a second connection on the same event
 * loop: Manager.Subscribe, Manager.RestartUnit and the JobRemoved signal.
 * Covered: connecting never waits for the bus (a stopped daemon), the
 * "replace" race (a replaced job's "canceled" JobRemoved before the
 * answer), a result that arrives before the answer, a refusal, a failed
 * Subscribe (warned once, reconnected), and a bus that drops mid-restart.
 * A test is skipped, saying why, only if dbus-daemon cannot be run; with
 * MEMGUARD_REQUIRE_DBUS=1 in the environment (make check, CI) it fails
 * instead, so these tests cannot go missing from a run unnoticed. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "act/action_restart.h"
#include "config/config.h"
#include "read/snapshot.h"
#include "rules/rules.h"
#include "util/log.h"

#define UNIT "api.service"
#define OLD_JOB "/org/freedesktop/systemd1/job/1"
#define OUR_JOB "/org/freedesktop/systemd1/job/2"

typedef enum FakeMode {
        FAKE_CANCEL_FIRST,      /* JobRemoved(old, canceled), answer, later JobRemoved(ours, done) */
        FAKE_DONE_BEFORE_REPLY, /* JobRemoved(old, canceled) and (ours, done), then answer */
        FAKE_FAILED,            /* another unit's job, answer, later JobRemoved(ours, failed) */
        FAKE_REFUSE,            /* an error answer */
        FAKE_SILENT,            /* answer, and never a JobRemoved */
} FakeMode;

typedef struct Fixture {
        char dir[64];
        pid_t daemon;
        sd_event *event;
        sd_bus *fake;          /* the fake systemd's connection, or NULL */
        sd_bus_slot *vtable;
        sd_event_source *later;
        FakeMode mode;
        const char *later_result;
        int subscribes;
        int restarts;
        RestartClient *client;
        int done_calls;
        bool not_done; /* the last DONE's NOT_DONE */
        FILE *log;             /* stderr while the test runs */
        int saved_stderr;
} Fixture;

static char skip_reason[256];

/* ---- the private dbus-daemon ---- */

static int write_config(const char *dir)
{
        char path[128];
        snprintf(path, sizeof path, "%s/bus.conf", dir);
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f,
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                "<busconfig>\n"
                "  <type>session</type>\n"
                "  <listen>unix:path=%s/bus</listen>\n"
                "  <auth>EXTERNAL</auth>\n"
                "  <policy context=\"default\">\n"
                "    <allow user=\"*\"/>\n"
                "    <allow own=\"*\"/>\n"
                "    <allow send_type=\"method_call\"/>\n"
                "    <allow send_type=\"signal\"/>\n"
                "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
                "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
                "    <allow receive_type=\"method_call\"/>\n"
                "    <allow receive_type=\"method_return\"/>\n"
                "    <allow receive_type=\"error\"/>\n"
                "    <allow receive_type=\"signal\"/>\n"
                "  </policy>\n"
                "</busconfig>\n",
                dir);
        return fclose(f) == 0 ? 0 : -errno;
}

/* Starts dbus-daemon; fills ADDR. Returns its pid, or -1 with skip_reason. */
static pid_t start_daemon(const char *dir, char *addr, size_t size)
{
        if (write_config(dir) < 0) {
                snprintf(skip_reason, sizeof skip_reason, "cannot write %s/bus.conf", dir);
                return -1;
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                snprintf(skip_reason, sizeof skip_reason, "cannot start dbus-daemon: pipe2: %m");
                return -1;
        }
        pid_t pid = fork();
        if (pid < 0) {
                snprintf(skip_reason, sizeof skip_reason, "cannot start dbus-daemon: fork: %m");
                close(p[0]);
                close(p[1]);
                return -1;
        }
        if (pid == 0) {
                char conf[128], fdarg[32];
                snprintf(conf, sizeof conf, "--config-file=%s/bus.conf", dir);
                snprintf(fdarg, sizeof fdarg, "--print-address=%d", p[1]);
                (void)fcntl(p[1], F_SETFD, 0);
                /* its own complaints (it cannot raise its fd limit here) go
                 * to a file; shown if it does not start */
                char logpath[128];
                snprintf(logpath, sizeof logpath, "%s/daemon.log", dir);
                int lfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (lfd >= 0)
                        (void)dup3(lfd, STDERR_FILENO, 0);
                execlp("dbus-daemon", "dbus-daemon", "--nofork", "--nopidfile", "--nosyslog", conf, fdarg,
                       (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        size_t n = 0;
        addr[0] = '\0';
        while (n < size - 1) {
                struct pollfd pfd = { .fd = p[0], .events = POLLIN };
                if (poll(&pfd, 1, 5000) <= 0)
                        break;
                ssize_t k = read(p[0], addr + n, size - 1 - n);
                if (k <= 0)
                        break;
                n += (size_t)k;
                addr[n] = '\0';
                if (strchr(addr, '\n'))
                        break;
        }
        close(p[0]);
        char *nl = strchr(addr, '\n');
        if (!nl) {
                int status = 0;
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                char logpath[128], first[128] = "";
                snprintf(logpath, sizeof logpath, "%s/daemon.log", dir);
                FILE *lf = fopen(logpath, "re");
                if (lf) {
                        if (!fgets(first, sizeof first, lf))
                                first[0] = '\0';
                        first[strcspn(first, "\n")] = '\0';
                        fclose(lf);
                }
                snprintf(skip_reason, sizeof skip_reason, "dbus-daemon cannot run here (%s%s%s)",
                         WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "not installed" : "it did not start",
                         first[0] ? ": " : "", first);
                return -1;
        }
        *nl = '\0';
        return pid;
}

static void stop_daemon(Fixture *fx)
{
        if (fx->daemon > 0) {
                kill(fx->daemon, SIGCONT);
                kill(fx->daemon, SIGTERM);
                waitpid(fx->daemon, NULL, 0);
                fx->daemon = 0;
        }
}

/* ---- the fake systemd ---- */

static int emit_job_removed(Fixture *fx, uint32_t id, const char *job, const char *unit, const char *result)
{
        return sd_bus_emit_signal(fx->fake, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                  "JobRemoved", "uoss", id, job, unit, result);
}

static int on_later(sd_event_source *s, uint64_t usec, void *userdata)
{
        (void)s, (void)usec;
        Fixture *fx = userdata;
        assert_true(emit_job_removed(fx, 2, OUR_JOB, UNIT, fx->later_result) >= 0);
        return 0;
}

static int fake_subscribe(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        Fixture *fx = userdata;
        fx->subscribes++;
        return sd_bus_reply_method_return(m, "");
}

static int fake_restart(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Fixture *fx = userdata;
        const char *unit, *mode;
        int r = sd_bus_message_read(m, "ss", &unit, &mode);
        if (r < 0)
                return r;
        assert_string_equal(unit, UNIT);
        assert_string_equal(mode, "replace");
        fx->restarts++;
        switch (fx->mode) {
        case FAKE_CANCEL_FIRST:
                /* as systemd does: the replaced job is removed while the
                 * call is handled, before the answer is sent */
                assert_true(emit_job_removed(fx, 1, OLD_JOB, UNIT, "canceled") >= 0);
                fx->later_result = "done";
                break;
        case FAKE_DONE_BEFORE_REPLY:
                assert_true(emit_job_removed(fx, 1, OLD_JOB, UNIT, "canceled") >= 0);
                assert_true(emit_job_removed(fx, 2, OUR_JOB, UNIT, "done") >= 0);
                break;
        case FAKE_FAILED:
                assert_true(emit_job_removed(fx, 7, "/org/freedesktop/systemd1/job/7", "other.service", "done") >= 0);
                fx->later_result = "failed";
                break;
        case FAKE_REFUSE:
                return sd_bus_error_set(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit api.service not found.");
        case FAKE_SILENT:
                break;
        }
        r = sd_bus_reply_method_return(m, "o", OUR_JOB);
        if (r < 0)
                return r;
        if (fx->later_result) {
                fx->later = sd_event_source_disable_unref(fx->later);
                r = sd_event_add_time_relative(fx->event, &fx->later, CLOCK_MONOTONIC, 300 * 1000, 0, on_later,
                                               fx);
        }
        return r;
}

static const sd_bus_vtable fake_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Subscribe", "", "", fake_subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("RestartUnit", "ss", "o", fake_restart, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
        SD_BUS_VTABLE_END,
};

static void fake_start(Fixture *fx, FakeMode mode)
{
        fx->mode = mode;
        assert_int_equal(sd_bus_open_system(&fx->fake), 0);
        assert_int_equal(sd_bus_add_object_vtable(fx->fake, &fx->vtable, "/org/freedesktop/systemd1",
                                                  "org.freedesktop.systemd1.Manager", fake_vtable, fx),
                         0);
        assert_true(sd_bus_request_name(fx->fake, "org.freedesktop.systemd1", 0) >= 0);
        assert_int_equal(sd_bus_attach_event(fx->fake, fx->event, SD_EVENT_PRIORITY_NORMAL), 0);
}

/* ---- fixture ---- */

static void on_done(void *userdata, bool not_done)
{
        Fixture *fx = userdata;
        fx->done_calls++;
        fx->not_done = not_done;
}

static int setup(void **state)
{
        Fixture *fx = calloc(1, sizeof *fx);
        assert_non_null(fx);
        *state = fx;
        snprintf(fx->dir, sizeof fx->dir, "/tmp/memguard-test-bus-XXXXXX");
        assert_non_null(mkdtemp(fx->dir));
        char addr[512];
        skip_reason[0] = '\0';
        fx->daemon = start_daemon(fx->dir, addr, sizeof addr);
        if (fx->daemon < 0)
                return 0; /* each test skips, saying why */
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1), 0);
        assert_int_equal(sd_event_new(&fx->event), 0);
        assert_int_equal(restart_client_new(fx->event, &fx->client), 0);

        /* what the client logs goes to a file the test reads */
        fflush(stderr);
        fx->saved_stderr = dup(STDERR_FILENO);
        fx->log = tmpfile();
        assert_non_null(fx->log);
        dup2(fileno(fx->log), STDERR_FILENO);
        log_open(true);
        return 0;
}

static int teardown(void **state)
{
        Fixture *fx = *state;
        if (fx->log) {
                fflush(stderr);
                dup2(fx->saved_stderr, STDERR_FILENO);
                close(fx->saved_stderr);
                fclose(fx->log);
        }
        restart_client_free(fx->client);
        sd_event_source_disable_unref(fx->later);
        sd_bus_slot_unref(fx->vtable);
        sd_bus_close_unref(fx->fake);
        sd_event_unref(fx->event);
        stop_daemon(fx);
        char path[128];
        snprintf(path, sizeof path, "%s/bus.conf", fx->dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/bus", fx->dir);
        unlink(path);
        snprintf(path, sizeof path, "%s/daemon.log", fx->dir);
        unlink(path);
        rmdir(fx->dir);
        free(fx);
        return 0;
}

static bool dbus_required(void)
{
        const char *v = getenv("MEMGUARD_REQUIRE_DBUS");
        return v && strcmp(v, "1") == 0;
}

#define NEED_DAEMON(fx)                                                                      \
        do {                                                                                 \
                if ((fx)->daemon <= 0) {                                                     \
                        if (dbus_required())                                                 \
                                fail_msg("MEMGUARD_REQUIRE_DBUS=1 and %s", skip_reason);     \
                        SKIP("%s", skip_reason);                                             \
                }                                                                            \
        } while (0)

/* Everything logged so far. */
static char *logged(Fixture *fx)
{
        static char buf[16384];
        fflush(stderr);
        long n = pread(fileno(fx->log), buf, sizeof buf - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

static int count(const char *hay, const char *needle)
{
        int n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Runs the loop until *COUNTER reaches WANT; fails after 10 s. */
static void run_until(Fixture *fx, const int *counter, int want)
{
        uint64_t end = now_usec() + 10 * 1000000;
        while (*counter < want) {
                assert_true(now_usec() < end);
                assert_true(sd_event_run(fx->event, 100 * 1000) >= 0);
        }
}

/* Runs the loop for about USEC, whatever happens. */
static void run_for(Fixture *fx, uint64_t usec)
{
        uint64_t end = now_usec() + usec;
        while (now_usec() < end)
                assert_true(sd_event_run(fx->event, 10 * 1000) >= 0);
}

static int start_restart(Fixture *fx)
{
        static Rule rule = { .name = (char *)"api" };
        static Snapshot snap;
        Decision d = { .kind = DECISION_FIRE, .rule = &rule, .action = ACTION_RESTART, .pss_kb = 1024 };
        snprintf(d.unit, sizeof d.unit, "%s", UNIT);
        snprintf(d.reason, sizeof d.reason, "restarting %s: 1.0 MiB (budget 0.5 MiB)", UNIT);
        return restart_client_start(fx->client, &d, &snap, NULL, false, on_done, fx);
}

/* ---- tests ---- */

/* A replaced job's "canceled" before the answer is not our result. */
static void test_replaced_job_is_not_ours(void **state)
{
        Fixture *fx = *state;
        NEED_DAEMON(fx);
        fake_start(fx, FAKE_CANCEL_FIRST);
        assert_int_equal(start_restart(fx), 1);
        assert_true(restart_client_busy(fx->client));
        run_until(fx, &fx->restarts, 1);
        /* the canceled signal and the answer are in: still running */
        run_for(fx, 20 * 1000);
        assert_int_equal(fx->done_calls, 0);
        assert_true(restart_client_busy(fx->client));
        run_until(fx, &fx->done_calls, 1);
        assert_false(restart_client_busy(fx->client));
        char *out = logged(fx);
        assert_non_null(strstr(out, "api: restart of api.service completed (job result: done)"));
        assert_null(strstr(out, "canceled"));
        assert_int_equal(fx->subscribes, 1);
        run_for(fx, 100 * 1000);
        assert_int_equal(fx->done_calls, 1);
}

/* Our job's result before the answer is remembered and reported with it. */
static void test_result_before_answer(void **state)
{
        Fixture *fx = *state;
        NEED_DAEMON(fx);
        fake_start(fx, FAKE_DONE_BEFORE_REPLY);
        assert_int_equal(start_restart(fx), 1);
        run_until(fx, &fx->done_calls, 1);
        assert_false(restart_client_busy(fx->client));
        char *out = logged(fx);
        assert_non_null(strstr(out, "restart of api.service completed (job result: done)"));
        assert_null(strstr(out, "canceled"));

        /* the same connection serves the next restart */
        fx->mode = FAKE_FAILED;
        assert_int_equal(start_restart(fx), 1);
        run_until(fx, &fx->done_calls, 2);
        out = logged(fx);
        assert_non_null(strstr(out, "restart of api.service failed (job result: failed)"));
        assert_non_null(strstr(out, "job_result=failed"));
        assert_null(strstr(out, "other.service"));
        assert_int_equal(fx->subscribes, 1);
}

static void test_refused(void **state)
{
        Fixture *fx = *state;
        NEED_DAEMON(fx);
        fake_start(fx, FAKE_REFUSE);
        assert_int_equal(start_restart(fx), 1);
        run_until(fx, &fx->done_calls, 1);
        assert_false(restart_client_busy(fx->client));
        assert_non_null(strstr(logged(fx), "api: systemd refused to restart api.service: Unit api.service not found."));
        assert_true(fx->not_done); /* refused: the engine drops its cooldown */
}

/* A user's api.service is not the system's: the restart is refused before
 * anything reaches the bus, whatever the engine decided. */
static void test_user_unit_refused(void **state)
{
        Fixture *fx = *state;
        NEED_DAEMON(fx); /* setup() makes no client without one */
        static Rule rule = { .name = (char *)"api" };
        static Snapshot snap;
        Decision d = { .kind = DECISION_FIRE, .rule = &rule, .action = ACTION_RESTART };
        snprintf(d.unit, sizeof d.unit, "%s", UNIT);
        snprintf(d.unit_owner, sizeof d.unit_owner, "user@1000.service");
        assert_int_equal(restart_client_start(fx->client, &d, &snap, NULL, false, on_done, fx), -EPERM);
        assert_false(restart_client_busy(fx->client));
        assert_int_equal(fx->done_calls, 0);
        assert_non_null(strstr(logged(fx), "not restarting api.service: it belongs to the service manager in user@1000.service"));
}

/* A dbus-daemon that does not answer at all: connecting and starting a
 * restart return at once; the restart goes through once it answers. */
static void test_connect_never_waits(void **state)
{
        Fixture *fx = *state;
        NEED_DAEMON(fx);
        fake_start(fx, FAKE_CANCEL_FIRST);
        assert_int_equal(kill(fx->daemon, SIGSTOP), 0);
        uint64_t t0 = now_usec();
        assert_int_equal(restart_client_connect(fx->client), 0);
        assert_int_equal(restart_client_connect(fx->client), 0); /* already usable: no new connection */
        assert_int_equal(start_restart(fx), 1);
        run_for(fx, 200 * 1000);
        assert_true(now_usec() - t0 < 1000000);
        assert_int_equal(fx->restarts, 0);
        assert_true(restart_client_busy(fx->client));
        assert_int_equal(kill(fx->daemon, SIGCONT), 0);
        run_until(fx, &fx->done_calls, 1);
        assert_int_equal(fx->subscribes, 1);
        assert_non_null(strstr(logged(fx), "restart of api.service completed (job result: done)"));
}

/* No systemd on the bus: Subscribe fails (said once), RestartUnit is
 * refused; once systemd is there, the next restart reconnects and works. */
static void test_subscribe_failure(void **state)
{
        Fixture *fx = *state;
        NEED_DAEMON(fx);
        assert_int_equal(start_restart(fx), 1);
        run_until(fx, &fx->done_calls, 1);
        assert_int_equal(start_restart(fx), 1);
        run_until(fx, &fx->done_calls, 2);
        char *out = logged(fx);
        assert_int_equal(count(out, "cannot follow systemd's restart jobs"), 1);
        assert_int_equal(count(out, "systemd refused to restart api.service"), 2);

        fake_start(fx, FAKE_CANCEL_FIRST);
        assert_int_equal(start_restart(fx), 1);
        run_until(fx, &fx->done_calls, 3);
        out = logged(fx);
        assert_int_equal(fx->subscribes, 1);
        assert_non_null(strstr(out, "restart of api.service completed (job result: done)"));
        assert_int_equal(count(out, "cannot follow systemd's restart jobs"), 1);
}

/* The bus goes away while the job runs: the restart ends at once as a
 * failure, and the next restart reconnects. */
static void test_bus_lost(void **state)
{
        Fixture *fx = *state;
        NEED_DAEMON(fx);
        fake_start(fx, FAKE_SILENT);
        assert_int_equal(start_restart(fx), 1);
        run_until(fx, &fx->restarts, 1);
        run_for(fx, 50 * 1000); /* the answer is in */
        assert_true(restart_client_busy(fx->client));
        stop_daemon(fx);
        run_until(fx, &fx->done_calls, 1);
        assert_false(restart_client_busy(fx->client));
        char *out = logged(fx);
        assert_non_null(strstr(out, "api: lost the connection to the system bus while restarting api.service; its result is unknown"));

        /* no bus now: the next restart says so, fails, and nothing is in flight */
        assert_true(start_restart(fx) < 0);
        assert_non_null(strstr(logged(fx), "cannot restart api.service: no connection to systemd on the system bus"));
}

/* The bus goes away before systemd answered: same. */
static void test_bus_lost_before_answer(void **state)
{
        Fixture *fx = *state;
        NEED_DAEMON(fx);
        fake_start(fx, FAKE_SILENT);
        assert_int_equal(kill(fx->daemon, SIGSTOP), 0);
        assert_int_equal(start_restart(fx), 1);
        run_for(fx, 50 * 1000);
        stop_daemon(fx);
        run_until(fx, &fx->done_calls, 1);
        assert_false(restart_client_busy(fx->client));
        assert_non_null(strstr(logged(fx), "lost the connection to the system bus while restarting api.service"));
        run_for(fx, 50 * 1000);
        assert_int_equal(fx->done_calls, 1);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_replaced_job_is_not_ours, setup, teardown),
                cmocka_unit_test_setup_teardown(test_result_before_answer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_user_unit_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_connect_never_waits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_subscribe_failure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_lost, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_lost_before_answer, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
