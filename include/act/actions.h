/* actions.h — carries out the rule engine's decisions.
 *
 * warn: one journal entry (EVENT_RULE_FIRED / EVENT_RULE_RECOVERED).
 * term: SIGTERM through a pidfd, SIGKILL after the rule's grace if the
 *       process is still alive, then process_mrelease() to reap its memory
 *       at once (never after SIGTERM alone: the kernel answers EINVAL for a
 *       task that is not dying).
 * kill: SIGKILL and process_mrelease() at once.
 * restart: RestartUnit(NAME, "replace") over one long-lived system bus
 *       connection; the job's result is followed through JobRemoved.
 *
 * Three lanes, each with at most one action in flight (actions_busy()): a
 * system rule's signalled process and a process or unit rule's, each
 * followed until it is gone (its pidfd polls readable) or a timeout; and a
 * restart job, followed until systemd removes it or a timeout. A restart
 * in flight, or a process rule's SIGTERM in its grace, does not hold back
 * a system rule's signal: a unit's stop may take its TimeoutStopSec, a
 * grace up to an hour, and the box may not wait that long. When an action
 * ends the DONE callback runs so the caller can sample and evaluate again
 * at once. In dry-run every action is logged as it would be carried out,
 * and nothing is done.
 *
 * A process or unit rule's term, kill or restart may take a `before`
 * step (action_before.h): a signal to the target process or a command
 * run for it, then a wait of the rule's before-wait, ended early when
 * the process exits (a signal) or the command does. The lane is busy
 * throughout (actions_busy()), so the engine defers that lane's next
 * decision; the system lane is never held back by it. When the wait
 * ends the action is carried out as if decided then, against the
 * snapshot of that moment (actions_set_snapshot()); a term or kill whose
 * process exited meanwhile is done with. In dry run the step is logged
 * and the action follows at once.
 *
 * Evidence: just before a process or unit rule's term, kill or restart
 * (never a system rule's), the victim's smaps_rollup totals, its open
 * descriptors and its unit's memory.stat are read (act/evidence.h) and
 * carried by the action's own entry.
 *
 * A warn rule's `notify`: its signal goes to the decision's notify
 * process (Decision.notify_pid) through a pidfd after the start-time
 * check, and the warning's entry says what became of it. */
#ifndef MEMGUARD_ACTIONS_H
#define MEMGUARD_ACTIONS_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "read/snapshot.h"
#include "rules/rules.h"

typedef struct Actions Actions;

/* An action of LANE (RULES_BUSY_*) ended. NOT_DONE: it turned out not to
 * have been carried out (systemd refused a restart; the action after a
 * `before` wait failed or was cancelled), so its target was not acted on
 * (rules_action_failed()). */
typedef void (*actions_done_fn)(void *userdata, unsigned lane, bool not_done);

/* Creates the action layer on EVENT (referenced). A target's start time is
 * checked, after its pidfd is taken, against the live /proc, never against
 * a --proc-root fixture: a pid read from a fixture must not reach a live
 * process that happens to hold it.
 * The system bus is connected lazily, on the first restart. DONE (may be
 * NULL) runs when an in-flight action ends. Returns 0 or -errno. */
int actions_new(sd_event *event, actions_done_fn done, void *userdata, Actions **ret);

/* The manager's snapshot, kept up to date in place (borrowed): what an
 * action after a `before` wait is judged and described against. Without
 * one, an empty snapshot stands in. */
void actions_set_snapshot(Actions *a, const Snapshot *snap);

/* The cgroup v2 root (borrowed; -1: none) through which a unit's
 * memory.stat is read for the evidence. */
void actions_set_cgroup_root(Actions *a, int cgroup_fd);

/* Cancels what is in flight (without signalling more) and frees; NULL-safe. */
void actions_free(Actions *a);

/* True while a signalled process has not yet exited or a restart job has
 * not yet finished. */
bool actions_in_flight(const Actions *a);

/* The lanes with an action in flight, as rules_evaluate() takes them:
 * RULES_BUSY_SIGNAL, RULES_BUSY_SYSTEM, RULES_BUSY_RESTART. A term/kill
 * goes in RULES_BUSY_SYSTEM when its rule is a system rule. */
unsigned actions_busy(const Actions *a);

/* Test mode (a test binary given --proc-root or --cgroup-root): processes
 * are signalled only if their live parent is memguard's own parent (the
 * test that started both), and units are restarted only on a bus named by
 * $DBUS_SYSTEM_BUS_ADDRESS. */
void actions_set_sandboxed(Actions *a, bool sandboxed);

/* The process the term/kill in flight in LANE (RULES_BUSY_SIGNAL or
 * RULES_BUSY_SYSTEM) is following, or the target of LANE's `before`
 * step (RULES_BUSY_SIGNAL or RULES_BUSY_RESTART): false if none. */
bool actions_signal_target(const Actions *a, unsigned lane, pid_t *ret_pid,
                           uint64_t *ret_start_time, const char **ret_comm);

/* Ends LANE's term in flight without further signals, or LANE's
 * `before` step without its action (WHY is logged); the DONE callback
 * runs (NOT_DONE for a `before` step: its target was not acted on).
 * No-op if none. */
void actions_cancel_signal(Actions *a, unsigned lane, const char *why);

/* If LANE's SIGTERM is in flight and still in its grace, sends SIGKILL now
 * (see rules_kill_due()). Returns true if it did. */
bool actions_escalate(Actions *a, unsigned lane);

/* Carries out D, using SNAP for the system figures in the journal entry.
 * Returns 1 when an action (or its `before` step) is now in flight, 0 when D is done with
 * (journaled, a dry run, a process already gone or whose pid now names
 * another process: a notice), or -errno when the action could not be
 * carried out (logged as EVENT_ACTION_FAILED, never replaced by another
 * action): then the caller tells the engine (rules_action_failed()), so
 * that a target that was not acted on is not held in cooldown. Nothing is
 * allocated between the call and a signal (action_signal.h). A restart of
 * a unit that is not the system manager's is refused (-EPERM): memguard
 * would be asking the system manager for a unit of the same name. */
int actions_run(Actions *a, const Decision *d, const Snapshot *snap, bool dry_run);

/* Exposed for tests: the system-bus connection used for restarts, opened on
 * first use (-errno if the bus is unavailable). */
int actions_bus_connect(Actions *a);

#endif
