/* watchdog.h — the service manager's watchdog (WatchdogSec=), pinged over
 * one kept socket.
 *
 * sd-event's own support (sd_event_set_watchdog) pings at a quarter of the
 * period through sd_notify(), which opens, tunes and closes a socket for
 * each message: 12 system calls every 2.5 s with WatchdogSec=10s. In the
 * 2 GiB guest that made memguard.service cost 1.3-1.6x the same binary
 * without WatchdogSec (bench/RESULTS.md). Here the socket is connected
 * once and a ping is one send(), on any wake-up a quarter period after the
 * last and at half the period at the latest (the loop wakes for it, see
 * manager.c). */
#ifndef MEMGUARD_WATCHDOG_H
#define MEMGUARD_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct Watchdog Watchdog;

/* The watchdog the environment asks for (sd_watchdog_enabled(3):
 * WATCHDOG_USEC, WATCHDOG_PID) with NOTIFY_SOCKET, started at NOW_USEC
 * (CLOCK_MONOTONIC). *RET is NULL when none is asked for. An address
 * that cannot be connected now (not a path or "@abstract" name, nothing
 * listening yet) is tried again at each ping, through sd_notify() in the
 * meantime. Returns 0 or -ENOMEM, -EINVAL (a malformed WATCHDOG_USEC). */
int watchdog_new(uint64_t now_usec, Watchdog **ret);
void watchdog_free(Watchdog *w);

/* When the loop must wake for a ping (CLOCK_MONOTONIC): half a period
 * after the last one that went out, or soon after one that did not;
 * UINT64_MAX for NULL. */
uint64_t watchdog_due(const Watchdog *w);

/* Sends WATCHDOG=1 if a quarter period has passed since the last ping
 * that went out (any wake-up of the loop may ping; watchdog_due() makes
 * sure one does by half the period). NULL is fine. Never blocks on the
 * kept socket: a full queue at the manager counts as not sent, and so
 * does a refused ping after one reconnect; a ping not sent is tried again
 * after an eighth of the period (at most 100 ms), never less than 1 ms.
 * Only an address that cannot be connected goes through sd_notify(). */
void watchdog_ping(Watchdog *w, uint64_t now_usec);

/* The socket to the manager is connected (tests). */
bool watchdog_connected(const Watchdog *w);

#endif
