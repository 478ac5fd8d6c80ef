/* action_signal.h — term and kill: one signalled process, followed through
 * its pidfd until it is gone. Used by actions.c only. */
#ifndef MEMGUARD_ACTION_SIGNAL_H
#define MEMGUARD_ACTION_SIGNAL_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "rules.h"
#include "snapshot.h"

typedef struct SignalAction SignalAction;

/* Takes a pidfd on D's process, checks its start time through PROC_FD (the
 * live /proc) against D->start_time (a pid can be reused between sampling
 * and acting), and sends SIGTERM (ACTION_TERM, escalating to SIGKILL after
 * D->rule->grace_usec) or SIGKILL (ACTION_KILL) followed by
 * process_mrelease(). Logs every step. ONLY_PPID > 0 (test mode with
 * --proc-root) refuses any process whose live parent is not ONLY_PPID.
 * DRY_RUN: nothing is sent, but a SIGTERM's timeline is followed all the
 * same (in flight until the process exits or its grace ends with a "would
 * SIGKILL" entry), so that a dry run decides as a real run would.
 * Returns 1 and *RET (owned by the caller) while the process is being
 * followed; DONE(USERDATA) runs once when it has exited, the wait timed
 * out, or the action was cancelled, after which the caller frees *RET.
 * Returns 0 when there is nothing to follow (dry-run SIGKILL, process
 * already gone or reused, signal failed: logged). */
int signal_action_start(sd_event *event, int proc_fd, const Decision *d, const Snapshot *snap,
                        bool dry_run, pid_t only_ppid, void (*done)(void *), void *userdata,
                        SignalAction **ret);

/* Sends SIGKILL now to a process still in its SIGTERM grace (memory is
 * running out faster than it exits). Returns true if it did. */
bool signal_action_escalate(SignalAction *sa);

/* The process being followed: its pid, start time and comm (valid while SA
 * lives). */
void signal_action_target(const SignalAction *sa, pid_t *ret_pid, uint64_t *ret_start_time,
                          const char **ret_comm);

/* Ends the action without any further signal (a reload made the target
 * protected, or turned on dry run); WHY is logged. DONE runs. */
void signal_action_cancel(SignalAction *sa, const char *why);

/* Stops following the process (no more signals) and frees; NULL-safe. */
void signal_action_free(SignalAction *sa);

#endif
