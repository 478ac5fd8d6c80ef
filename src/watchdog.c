/* watchdog.c — WATCHDOG=1 over a kept socket; see watchdog.h. */
#include "watchdog.h"

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
        uint64_t last_usec; /* the last ping (or the start) */
};

static const char PING[] = "WATCHDOG=1";

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
        return w ? w->last_usec + w->period_usec / 2 : UINT64_MAX;
}

static bool send_ping(int fd)
{
        return fd >= 0 && send(fd, PING, sizeof PING - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof PING - 1);
}

void watchdog_ping(Watchdog *w, uint64_t now_usec)
{
        if (!w || now_usec < watchdog_due(w))
                return;
        w->last_usec = now_usec;
        if (send_ping(w->fd))
                return;
        if (w->fd >= 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return; /* the manager is behind; do not wait for it */
        /* Not connected, or the listener went away (a re-bound socket
         * refuses the old peer): connect again, and say it once the way
         * sd_notify() does if that fails too. */
        if (w->fd >= 0)
                close(w->fd);
        w->fd = notify_connect();
        if (!send_ping(w->fd))
                (void)sd_notify(false, PING);
}
