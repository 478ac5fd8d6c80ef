/* action_before.h — a rule's `before` step (memguard.conf(5)): a signal
 * to the target process, or a command run for it, and then a wait
 * before the rule's term, kill or restart. Used by actions.c only, which
 * keeps one BeforeStep per lane (the process/unit signal lane and the
 * restart lane; never the system lane: system rules take no step).
 *
 * The step keeps a copy of its decision (with a copy of the rule's
 * name, scope, action and grace): a reload may free the config during
 * the wait, and the action after it still needs them. */
#ifndef MEMGUARD_ACTION_BEFORE_H
#define MEMGUARD_ACTION_BEFORE_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "read/snapshot.h"
#include "rules/rules.h"

typedef struct BeforeStep BeforeStep;

/* How a step's wait ended, as MEMGUARD_BEFORE_RESULT says it. */
typedef enum BeforeResult {
        BEFORE_PROCESS_EXITED,  /* the target exited during the wait */
        BEFORE_COMMAND_EXITED,  /* the command ended by itself */
        BEFORE_WAIT_ELAPSED,    /* before-wait passed (a signal's step) */
        BEFORE_COMMAND_KILLED,  /* the command outlived before-wait: SIGKILLed */
        BEFORE_CANCELLED,       /* ended by a reload: no action follows */
} BeforeResult;

/* The process a step is for: a process rule's own, a unit rule's largest
 * in the current snapshot (actions.c chooses it). */
typedef struct BeforeTarget {
        pid_t pid;
        uint64_t start_time;
        const char *comm;
} BeforeTarget;

/* Returns 0 or -ENOMEM. */
int before_step_new(BeforeStep **ret);
/* Ends a step in flight without its action (a command is SIGKILLed with
 * its group) and frees; NULL-safe. */
void before_step_free(BeforeStep *b);

/* True from a start that returned 1 until before_step_reset(). */
bool before_step_busy(const BeforeStep *b);

/* Starts D's step (D->rule->before_signal or before_argv) on T. Logs one
 * EVENT_BEFORE entry saying what is done first and what follows. The
 * signal goes through a pidfd after the start-time check
 * (signal_pidfd_checked(); ONLY_PPID as there); the command is spawned
 * without a shell, in a process group of its own, stdin /dev/null,
 * stdout and stderr to the journal (identifier "memguard-before") or,
 * outside journald, to memguard's stderr.
 * Returns 1 while waiting: DONE(USERDATA) runs once the wait ends
 * (before_step_result() says how), after which the caller acts on
 * before_step_decision() and resets B. Returns 0 when there is nothing
 * to wait for and the caller acts at once: DRY_RUN (the entry says what
 * would be done), the process already gone, a command that could not
 * be expanded or spawned, a signal refused (each logged). */
int before_step_start(BeforeStep *b, sd_event *event, int proc_fd, const Decision *d,
                      const Snapshot *snap, const BeforeTarget *t, bool dry_run, pid_t only_ppid,
                      void (*done)(void *), void *userdata);

/* The decision the step was started for (its rule a copy, see above);
 * valid until before_step_reset(). */
const Decision *before_step_decision(const BeforeStep *b);

/* The target: for the reload's checks (dry run, protection). */
void before_step_target(const BeforeStep *b, pid_t *ret_pid, uint64_t *ret_start_time,
                        const char **ret_comm);

BeforeResult before_step_result(const BeforeStep *b);

/* Ends the wait now (a reload), logging WHY with BEFORE_CANCELLED; DONE
 * runs. A command still running is SIGKILLed with its group. */
void before_step_cancel(BeforeStep *b, const char *why);

/* Makes B idle after DONE: drops its sources and descriptors. */
void before_step_reset(BeforeStep *b);

#endif
