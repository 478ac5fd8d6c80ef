/* watchdog.c — WATCHDOG=1 over a kept socket; see watchdog.h. */
#include "daemon/watchdog.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

struct Watchdog {
        int fd;             /* connected to NOTIFY_SOCKET, or -1 */
        uint64_t period_usec;
        uint64_t last_usec; /* the last ping that went out (or the start) */
        uint64_t retry_usec; /* after a failed ping: not before then */
};

static const char PING[] = "WATCHDOG=1";

/* Never less than a millisecond apart, whatever WATCHDOG_USEC says. */
static uint64_t part(const Watchdog *w, unsigned div)
{
        uint64_t p = w->period_usec / div;
        return p < 1000 ? 1000 : p;
}

/* A datagram socket connected to NOTIFY_SOCKET ("/path" or "@abstract"),
 * or -1. */
static int notify_connect(void)
{
        const char *e = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = e ? strlen(e) : 0;

        if (n < 2 || n >= sizeof sa.sun_path || (e[0] != '/' && e[0] != '@'))
                return -1;
        memcpy(sa.sun_path, e, n);
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        if (e[0] == '@')
                sa.sun_path[0] = '\0'; /* abstract: no terminating NUL */
        else
                len++;
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -1;
        if (connect(fd, (const struct sockaddr *)&sa, len) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

int watchdog_new(uint64_t now_usec, Watchdog **ret)
{
        uint64_t usec = 0;
        *ret = NULL;
        int r = sd_watchdog_enabled(false, &usec);
        if (r <= 0 || usec == 0)
                return r;
        const char *e = getenv("NOTIFY_SOCKET");
        if (!e || !*e)
                return 0; /* nobody to ping */
        Watchdog *w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->fd = notify_connect();
        w->period_usec = usec;
        w->last_usec = now_usec;
        *ret = w;
        return 0;
}

void watchdog_free(Watchdog *w)
{
        if (!w)
                return;
        if (w->fd >= 0)
                close(w->fd);
        free(w);
}

uint64_t watchdog_due(const Watchdog *w)
{
        if (!w)
                return UINT64_MAX;
        uint64_t due = w->last_usec + part(w, 2);
        return w->retry_usec > due ? w->retry_usec : due;
}

bool watchdog_connected(const Watchdog *w)
{
        return w && w->fd >= 0;
}

/* 1 sent, 0 the manager is behind (EAGAIN), -1 not connected or refused. */
static int send_ping(int fd)
{
        if (fd < 0)
                return -1;
        if (send(fd, PING, sizeof PING - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof PING - 1))
                return 1;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
}

void watchdog_ping(Watchdog *w, uint64_t now_usec)
{
        /* Any wake-up a quarter period on pings, as sd-event did: a slow
         * iteration later still has three quarters of the period. */
        if (!w || now_usec < w->last_usec + part(w, 4) || now_usec < w->retry_usec)
                return;
        int r = send_ping(w->fd);
        if (r < 0) {
                /* Not connected, or the listener went away (a re-bound
                 * socket refuses the old peer): connect again. Only an
                 * address we cannot connect to goes through sd_notify(),
                 * whose send may block. */
                if (w->fd >= 0)
                        close(w->fd);
                w->fd = notify_connect();
                r = w->fd >= 0 ? send_ping(w->fd) : sd_notify(false, PING) > 0 ? 1 : -1;
        }
        if (r > 0) {
                w->last_usec = now_usec;
                w->retry_usec = 0;
        } else {
                /* Lost: try again soon, not half a period later. */
                uint64_t retry = part(w, 8);
                w->retry_usec = now_usec + (retry < 100000 ? retry : 100000);
        }
}
