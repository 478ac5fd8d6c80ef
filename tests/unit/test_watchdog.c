/* test_watchdog.c — watchdog pings through a real datagram socket bound
 * where NOTIFY_SOCKET says, as the service manager's is. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "testutil.h"
#include "watchdog.h"

#define SEC UINT64_C(1000000)

typedef struct Listener {
        int fd;
        char path[108];
} Listener;

/* Binds a listener at a fresh path ("@" first for an abstract name) and
 * points NOTIFY_SOCKET at it. */
static void listen_at(Listener *l, bool abstract)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len;
        snprintf(l->path, sizeof l->path, "%s/mg-test-notify.%d", abstract ? "@" : "/tmp", (int)getpid());
        size_t n = strlen(l->path);
        memcpy(sa.sun_path, l->path, n);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (abstract ? 0 : 1));
        if (abstract)
                sa.sun_path[0] = '\0';
        else
                unlink(l->path);
        l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(l->fd >= 0);
        assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
        assert_int_equal(setenv("NOTIFY_SOCKET", l->path, 1), 0);
}

static void unlisten(Listener *l)
{
        close(l->fd);
        if (l->path[0] == '/')
                unlink(l->path);
}

/* The messages waiting, each as one line; "" if none. */
static const char *received(Listener *l)
{
        static char out[1024];
        char buf[256];
        ssize_t n;
        out[0] = '\0';
        while ((n = recv(l->fd, buf, sizeof buf - 1, 0)) > 0) {
                buf[n] = '\0';
                strncat(out, buf, sizeof out - strlen(out) - 2);
                strcat(out, "\n");
        }
        return out;
}

static void watchdog_env(const char *usec, const char *pid)
{
        char own[32];
        snprintf(own, sizeof own, "%d", (int)getpid());
        setenv("WATCHDOG_USEC", usec, 1);
        if (pid)
                setenv("WATCHDOG_PID", strcmp(pid, "self") == 0 ? own : pid, 1);
        else
                unsetenv("WATCHDOG_PID");
}

static void test_pings_at_half_the_period(void **state)
{
        (void)state;
        Listener l;
        Watchdog *w = NULL;
        for (int abstract = 0; abstract < 2; abstract++) {
                listen_at(&l, abstract);
                watchdog_env("10000000", "self");
                assert_int_equal(watchdog_new(100 * SEC, &w), 0);
                assert_non_null(w);
                assert_int_equal(watchdog_due(w), 105 * SEC);
                watchdog_ping(w, 104 * SEC); /* not yet */
                assert_string_equal(received(&l), "");
                watchdog_ping(w, 105 * SEC);
                assert_string_equal(received(&l), "WATCHDOG=1\n");
                assert_int_equal(watchdog_due(w), 110 * SEC);
                /* A late wake-up pings once and counts from then. */
                watchdog_ping(w, 117 * SEC);
                watchdog_ping(w, 117 * SEC);
                assert_string_equal(received(&l), "WATCHDOG=1\n");
                assert_int_equal(watchdog_due(w), 122 * SEC);
                watchdog_free(w);
                unlisten(&l);
        }
}

static void test_not_asked(void **state)
{
        (void)state;
        Listener l;
        Watchdog *w = (Watchdog *)&l;
        listen_at(&l, false);
        /* For another process (a child that inherited the environment). */
        watchdog_env("10000000", "1");
        assert_int_equal(watchdog_new(0, &w), 0);
        assert_null(w);
        /* No WATCHDOG_USEC. */
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        assert_int_equal(watchdog_new(0, &w), 0);
        assert_null(w);
        /* Nobody to tell. */
        watchdog_env("10000000", NULL);
        unsetenv("NOTIFY_SOCKET");
        assert_int_equal(watchdog_new(0, &w), 0);
        assert_null(w);
        /* NULL is a watchdog that never pings. */
        assert_int_equal(watchdog_due(NULL), UINT64_MAX);
        watchdog_ping(NULL, 0);
        watchdog_free(NULL);
        unlisten(&l);
}

static void test_bad_period(void **state)
{
        (void)state;
        Listener l;
        Watchdog *w = NULL;
        listen_at(&l, false);
        watchdog_env("ten seconds", NULL);
        assert_true(watchdog_new(0, &w) < 0);
        assert_null(w);
        unlisten(&l);
}

/* The manager's socket comes later than we do, or is bound again (a
 * re-executed manager): the ping after that reaches it. */
static void test_listener_comes_and_goes(void **state)
{
        (void)state;
        Listener l;
        Watchdog *w = NULL;
        listen_at(&l, false);
        unlisten(&l); /* nothing listens at NOTIFY_SOCKET yet */
        watchdog_env("2000000", NULL);
        assert_int_equal(watchdog_new(0, &w), 0);
        assert_non_null(w);
        watchdog_ping(w, 1 * SEC); /* lost, and not an error */
        listen_at(&l, false);
        watchdog_ping(w, 2 * SEC);
        assert_string_equal(received(&l), "WATCHDOG=1\n");
        unlisten(&l);
        listen_at(&l, false); /* bound again: the old connection is dead */
        watchdog_ping(w, 3 * SEC);
        assert_string_equal(received(&l), "WATCHDOG=1\n");
        watchdog_ping(w, 4 * SEC);
        assert_string_equal(received(&l), "WATCHDOG=1\n");
        watchdog_free(w);
        unlisten(&l);
}

/* A manager that does not read: pings are dropped, never waited for. */
static void test_full_queue_never_blocks(void **state)
{
        (void)state;
        Listener l;
        Watchdog *w = NULL;
        listen_at(&l, false);
        watchdog_env("2000000", NULL);
        assert_int_equal(watchdog_new(0, &w), 0);
        for (uint64_t t = 1; t <= 2000; t++)
                watchdog_ping(w, t * SEC); /* would hang here if it blocked */
        const char *got = received(&l);
        assert_true(strlen(got) > 0);
        watchdog_free(w);
        unlisten(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pings_at_half_the_period),
                cmocka_unit_test(test_not_asked),
                cmocka_unit_test(test_bad_period),
                cmocka_unit_test(test_listener_comes_and_goes),
                cmocka_unit_test(test_full_queue_never_blocks),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
