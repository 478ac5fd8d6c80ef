/* action_restart.h — restart a systemd unit over D-Bus and follow the job.
 * Used by actions.c only. */
#ifndef MEMGUARD_ACTION_RESTART_H
#define MEMGUARD_ACTION_RESTART_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "rules.h"
#include "snapshot.h"

typedef struct RestartClient RestartClient;

/* Creates the client; no connection yet. Returns 0 or -ENOMEM. */
int restart_client_new(sd_event *event, RestartClient **ret);
void restart_client_free(RestartClient *c);

/* Connects to the system bus if not connected (attached to the event loop,
 * subscribed to systemd's JobRemoved). Returns 0 or -errno. */
int restart_client_connect(RestartClient *c);

/* Requests RestartUnit(D->unit, "replace"). Returns 1 while the job runs;
 * DONE(USERDATA) runs once when JobRemoved reports its result (logged as
 * EVENT_RESTART_DONE), or on failure/timeout. Returns 0 when nothing is in
 * flight (dry run, or the request failed: logged as EVENT_ACTION_FAILED,
 * and nothing else is done in its place). */
int restart_client_start(RestartClient *c, const Decision *d, const Snapshot *snap,
                         bool dry_run, void (*done)(void *), void *userdata);

/* True while a restart job is pending. */
bool restart_client_busy(const RestartClient *c);

#endif
