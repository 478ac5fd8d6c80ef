/* action_restart.h — restart a systemd unit over D-Bus and follow the job.
 * Used by actions.c only. */
#ifndef MEMGUARD_ACTION_RESTART_H
#define MEMGUARD_ACTION_RESTART_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "read/snapshot.h"
#include "rules/rules.h"
#include "util/log.h"

typedef struct RestartClient RestartClient;

/* Creates the client; no connection yet. Returns 0 or -ENOMEM. */
int restart_client_new(sd_event *event, RestartClient **ret);
void restart_client_free(RestartClient *c);

/* Starts connecting to the system bus unless a usable connection exists,
 * and never waits for the bus: it returns once the socket is connected and
 * Hello, the JobRemoved match and systemd's Subscribe are queued (answers
 * are handled on the event loop). The connection is usable at once: later
 * calls queue behind them. A failed match or Subscribe is logged once (a
 * warning) and the connection is replaced at the next call; a connection
 * that drops is replaced at the next call too, and a restart in flight on
 * it ends at once as EVENT_ACTION_FAILED. While a restart is in flight its
 * connection is left alone and 0 is returned. Returns 0, or -errno if the
 * connection cannot even be started (no bus socket, ...). */
int restart_client_connect(RestartClient *c);

/* MEM (NULL: none): the unit's and its largest process's memory just
 * before the request (act/evidence.h), carried by the EVENT_RESTART entry.
 * Requests RestartUnit(D->unit, "replace"), connecting first if needed
 * (restart_client_connect()); D must be a unit of the system manager
 * (D->unit_owner "", else -EPERM: the system's unit of that name is
 * another unit). Returns 1 while the job runs; DONE(USERDATA, NOT_DONE)
 * runs once when JobRemoved for the job that systemd's answer names
 * reports its result (logged as EVENT_RESTART_DONE; a job that ours
 * replaced, reported "canceled" before the answer, is not ours), or when
 * systemd refuses or does not answer, the connection drops, or the job has
 * not finished after 120 s (each logged as EVENT_ACTION_FAILED); NOT_DONE
 * is true only when the unit was certainly not restarted (systemd refused
 * the request). Returns 0 when nothing is in flight (a dry run), or -errno
 * when the request could not be sent (logged as EVENT_ACTION_FAILED, and
 * nothing else is done in its place). */
int restart_client_start(RestartClient *c, const Decision *d, const Snapshot *snap,
                         const LogMemory *mem, bool dry_run, void (*done)(void *, bool),
                         void *userdata);

/* True while a restart job is pending. */
bool restart_client_busy(const RestartClient *c);

#endif
