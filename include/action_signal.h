/* action_signal.h — term and kill: one signalled process, followed through
 * its pidfd until it is gone. Used by actions.c only. */
#ifndef MEMGUARD_ACTION_SIGNAL_H
#define MEMGUARD_ACTION_SIGNAL_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "rules.h"
#include "snapshot.h"

typedef struct SignalAction SignalAction;

/* Takes a pidfd on D's process, checks its start time through PROC_FD (the live /proc)
 * against D->start_time (a pid can be reused between sampling and acting),
 * and sends SIGTERM (ACTION_TERM, escalating to SIGKILL after
 * D->rule->grace_usec) or SIGKILL (ACTION_KILL) followed by
 * process_mrelease(). Logs every step.
 * Returns 1 and *RET (owned by the caller) while the process is being
 * waited for; DONE(USERDATA) runs once when it has exited or the wait timed
 * out, after which the caller frees *RET. Returns 0 when there is nothing
 * to wait for (dry run, process already gone or reused, signal failed:
 * logged). */
int signal_action_start(sd_event *event, int proc_fd, const Decision *d, const Snapshot *snap,
                        bool dry_run, void (*done)(void *), void *userdata, SignalAction **ret);

/* Sends SIGKILL now to a process still in its SIGTERM grace (memory is
 * running out faster than it exits). Returns true if it did. */
bool signal_action_escalate(SignalAction *sa);

/* Stops following the process (no more signals) and frees; NULL-safe. */
void signal_action_free(SignalAction *sa);

#endif
