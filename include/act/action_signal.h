/* action_signal.h — term and kill: one signalled process, followed through
 * its pidfd until it is gone. Used by actions.c only. */
#ifndef MEMGUARD_ACTION_SIGNAL_H
#define MEMGUARD_ACTION_SIGNAL_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "read/snapshot.h"
#include "rules/rules.h"
#include "util/log.h"

typedef struct SignalAction SignalAction;

/* The one SignalAction of the layer (one signalled process is followed at
 * a time), made at start-up so that nothing is allocated between a
 * decision and its signal; it also holds two spare descriptors, given back
 * when memguard has run out of them (EMFILE) at the moment it must act.
 * Returns 0 or -ENOMEM. */
int signal_action_new(SignalAction **ret);

/* True while SA follows a process (from a signal until DONE). */
bool signal_action_busy(const SignalAction *sa);

/* Makes SA idle again after DONE ran: drops its event sources and pidfd,
 * takes back its spare descriptors. */
void signal_action_reset(SignalAction *sa);

/* MEM: the victim's memory just before the signal (act/evidence.h),
 * carried in the entry that says it was sent; NULL for none (a system
 * rule's: nothing may be read or allocated before its signal).
 * With SA idle: takes a pidfd on D's process, checks its start time
 * through PROC_FD (the live /proc) against D->start_time (a pid can be
 * reused between sampling and acting), and sends SIGTERM (ACTION_TERM,
 * escalating to SIGKILL after D->rule->grace_usec) or SIGKILL
 * (ACTION_KILL) followed by process_mrelease(). Nothing is allocated
 * before the signal; the process is described for the journal after it.
 * Logs every step. ONLY_PPID > 0 (test mode with a test root) refuses any
 * process whose live parent is not ONLY_PPID (logged, returns 0).
 * DRY_RUN: nothing is sent, but a SIGTERM's timeline is followed all the
 * same (in flight until the process exits or its grace ends with a "would
 * SIGKILL" entry), so that a dry run decides as a real run would.
 * Returns 1 while the process is being followed; DONE(USERDATA) runs once
 * when it has exited, the wait timed out, or the action was cancelled,
 * after which the caller resets SA. Returns 0 when there is nothing to
 * follow (dry-run SIGKILL, process already gone or reused, a SIGTERM that
 * could not be followed and was made a SIGKILL: logged), or -errno when
 * the action could not be carried out (no pidfd, the signal refused:
 * logged as EVENT_ACTION_FAILED). */
int signal_action_start(SignalAction *sa, sd_event *event, int proc_fd, const Decision *d,
                        const Snapshot *snap, const LogMemory *mem, bool dry_run, pid_t only_ppid,
                        void (*done)(void *), void *userdata);

/* A pidfd on process (PID, START_TIME), for a signal that is not an
 * action of its own (a rule's `before` or `notify` step): taken, then
 * the start time checked through PROC_FD (the live /proc), and with
 * ONLY_PPID > 0 the live parent too. Returns the pidfd (the caller
 * closes it), -ESRCH when the process is gone or its pid now names
 * another, -EPERM when it is outside the sandbox, or another -errno. */
int signal_pidfd_checked(int proc_fd, pid_t pid, uint64_t start_time, pid_t only_ppid);

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

/* Stops following any process (no more signals), gives back the spare
 * descriptors and frees; NULL-safe. */
void signal_action_free(SignalAction *sa);

#endif
