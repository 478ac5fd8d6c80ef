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
#include "daemon/watchdog.h"

#define SEC UINT64_C(1000000)

typedef struct Listener {
        int fd;
        char dir[64];   /* the mkdtemp directory of a path listener */
        char path[108]; /* NOTIFY_SOCKET: DIR/notify, or "@" and the name */
} Listener;

/* Binds a listener and points NOTIFY_SOCKET at it: a socket in a fresh
 * directory, or an abstract name the kernel picks (autobind), so that
 * no two runs can collide. AGAIN binds the same path as before. */
static void listen_at(Listener *l, bool abstract, bool again)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len = sizeof(sa_family_t);
        l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(l->fd >= 0);
        if (abstract) {
                assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
                len = sizeof sa;
                assert_int_equal(getsockname(l->fd, (struct sockaddr *)&sa, &len), 0);
                size_t n = len - offsetof(struct sockaddr_un, sun_path);
                assert_true(n > 1 && n < sizeof l->path);
                memcpy(l->path, sa.sun_path, n);
                l->path[0] = '@';
                l->path[n] = '\0';
                l->dir[0] = '\0';
        } else {
                if (!again) {
                        snprintf(l->dir, sizeof l->dir, "/tmp/memguard-test-watchdog.XXXXXX");
                        assert_non_null(mkdtemp(l->dir));
                        snprintf(l->path, sizeof l->path, "%s/notify", l->dir);
                }
                snprintf(sa.sun_path, sizeof sa.sun_path, "%s", l->path);
                assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, sizeof sa), 0);
        }
        assert_int_equal(setenv("NOTIFY_SOCKET", l->path, 1), 0);
}

/* Closes the listener; KEEP_DIR for a path bound again later. */
static void unlisten(Listener *l, bool keep_dir)
{
        close(l->fd);
        if (l->dir[0]) {
                unlink(l->path);
                if (!keep_dir)
                        rmdir(l->dir);
        }
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
                listen_at(&l, abstract, false);
                watchdog_env("10000000", "self");
                assert_int_equal(watchdog_new(100 * SEC, &w), 0);
                assert_non_null(w);
                assert_true(watchdog_connected(w));
                /* From here only the kept socket can reach the listener:
                 * sd_notify() would find no NOTIFY_SOCKET. */
                unsetenv("NOTIFY_SOCKET");
                assert_int_equal(watchdog_due(w), 105 * SEC);
                watchdog_ping(w, 102 * SEC); /* not a quarter period yet */
                assert_string_equal(received(&l), "");
                watchdog_ping(w, 102 * SEC + SEC / 2); /* any wake-up from then */
                assert_string_equal(received(&l), "WATCHDOG=1\n");
                assert_int_equal(watchdog_due(w), 107 * SEC + SEC / 2);
                watchdog_ping(w, 107 * SEC + SEC / 2);
                assert_string_equal(received(&l), "WATCHDOG=1\n");
                /* A late wake-up pings once and counts from then. */
                watchdog_ping(w, 117 * SEC);
                watchdog_ping(w, 117 * SEC);
                assert_string_equal(received(&l), "WATCHDOG=1\n");
                assert_int_equal(watchdog_due(w), 122 * SEC);
                watchdog_free(w);
                unlisten(&l, false);
        }
}

static void test_not_asked(void **state)
{
        (void)state;
        Listener l;
        Watchdog *w = (Watchdog *)&l;
        listen_at(&l, false, false);
        /* For another process (a child that inherited the environment). */
        watchdog_env("10000000", getpid() == 1 ? "2" : "1");
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
        assert_false(watchdog_connected(NULL));
        unlisten(&l, false);
}

static void test_bad_period(void **state)
{
        (void)state;
        Listener l;
        Watchdog *w = NULL;
        listen_at(&l, false, false);
        watchdog_env("ten seconds", NULL);
        assert_true(watchdog_new(0, &w) < 0);
        assert_null(w);
        unlisten(&l, false);
}

/* The manager's socket comes later than we do, or is bound again (a
 * re-executed manager): the ping after that reaches it. */
static void test_listener_comes_and_goes(void **state)
{
        (void)state;
        Listener l;
        Watchdog *w = NULL;
        listen_at(&l, false, false);
        unlisten(&l, true); /* nothing listens at NOTIFY_SOCKET yet */
        watchdog_env("2000000", NULL);
        assert_int_equal(watchdog_new(0, &w), 0);
        assert_non_null(w);
        assert_false(watchdog_connected(w));
        watchdog_ping(w, 1 * SEC); /* lost, and not an error */
        assert_false(watchdog_connected(w));
        /* Not sent: tried again an eighth of the period later, not half. */
        assert_int_equal(watchdog_due(w), 1 * SEC + 100000);
        watchdog_ping(w, 1 * SEC + 50000);
        listen_at(&l, false, true);
        watchdog_ping(w, 1 * SEC + 100000);
        assert_true(watchdog_connected(w));
        assert_string_equal(received(&l), "WATCHDOG=1\n");
        unlisten(&l, true);
        listen_at(&l, false, true); /* bound again: the old connection is dead */
        watchdog_ping(w, 3 * SEC);
        assert_true(watchdog_connected(w));
        assert_string_equal(received(&l), "WATCHDOG=1\n");
        watchdog_ping(w, 4 * SEC);
        assert_string_equal(received(&l), "WATCHDOG=1\n");
        watchdog_free(w);
        unlisten(&l, false);
}

/* A manager that does not read: pings are dropped, never waited for. */
static void test_full_queue_never_blocks(void **state)
{
        (void)state;
        Listener l;
        Watchdog *w = NULL;
        listen_at(&l, false, false);
        watchdog_env("2000000", NULL);
        assert_int_equal(watchdog_new(0, &w), 0);
        uint64_t t = 0;
        for (int i = 0; i < 2000; i++) {
                t += SEC;
                watchdog_ping(w, t); /* would hang here if it blocked */
        }
        /* The queue is full: the last ping was not sent, and is due again
         * soon rather than half a period on. */
        assert_int_equal(watchdog_due(w), t + 100000);
        assert_true(strlen(received(&l)) > 0);
        watchdog_ping(w, t + 100000); /* drained: goes out */
        assert_string_equal(received(&l), "WATCHDOG=1\n");
        assert_int_equal(watchdog_due(w), t + 100000 + SEC);
        watchdog_free(w);
        unlisten(&l, false);
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
