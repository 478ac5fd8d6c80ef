/* action_signal.c — term and kill through a pidfd; see action_signal.h. */
#include "act/action_signal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "act/describe.h"
#include "act/fields.h"
#include "read/proc.h"
#include "util/cleanup.h"
#include "util/log.h"

#ifndef __NR_process_mrelease
#define __NR_process_mrelease 448
#endif

/* How long to wait for a SIGKILLed process to disappear before giving up
 * on it (a task stuck in D state on NFS, say) and letting the next action
 * go: the box matters more than this one process. */
#define KILL_WAIT_USEC (10 * USEC_PER_SEC)

struct SignalAction {
        bool busy;                     /* following a process */
        int spare_fd[2];               /* given back for pidfd_open() and the
                                        * start-time read under EMFILE */
        sd_event_source *exit_source;  /* pidfd readable: the process exited */
        sd_event_source *timer;        /* grace, then the kill wait */
        int pidfd;
        int sig;                       /* last signal sent (or, dry, not sent) */
        bool dry_run;                  /* the timeline is followed, nothing sent */
        uint64_t start_usec;           /* CLOCK_MONOTONIC when the first signal went */
        uint64_t kill_usec;            /* ... and when SIGKILL went, if it did */
        void (*done)(void *);
        void *userdata;
        /* What the journal needs after the decision and snapshot are gone. */
        char rule[128];
        char comm[PROC_COMM_MAX];
        char unit[PROC_UNIT_MAX];
        char user_unit[PROC_UNIT_MAX];
        char cgroup[PROC_CGROUP_MAX];
        pid_t pid;
        uint64_t start_time;
        uint64_t pss_kb;
        bool done_called;
};

static void sa_fields(const SignalAction *sa, LogFields *f)
{
        *f = (LogFields){
                .rule = sa->rule,
                .action = sa->sig == SIGKILL ? "kill" : "term",
                .pid = sa->pid,
                .comm = sa->comm,
                .unit = sa->unit,
                .user_unit = sa->user_unit,
                .cgroup = sa->cgroup,
                .pss_kb = sa->pss_kb,
                .signal = sa->sig,
                .dry_run = sa->dry_run,
        };
}

/* Frees the target's memory now rather than when the exit path gets to it
 * (Linux 5.15+); only valid once SIGKILL is pending. */
static void sa_mrelease(SignalAction *sa)
{
        if (syscall(__NR_process_mrelease, sa->pidfd, 0) < 0 && errno != ESRCH && errno != ENOSYS) {
                LogFields f;
                sa_fields(sa, &f);
                f.errno_text = strerror(errno);
                log_event(EVENT_NONE, LOG_DEBUG, &f, "process_mrelease(%d) failed: %m", (int)sa->pid);
        }
}

static void sa_finish(SignalAction *sa)
{
        if (sa->done_called)
                return;
        sa->done_called = true;
        sa->exit_source = sd_event_source_disable_unref(sa->exit_source);
        sa->timer = sd_event_source_disable_unref(sa->timer);
        /* may reset SA and start the next action: nothing after this */
        sa->done(sa->userdata);
}

static int on_target_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        (void)s, (void)fd, (void)revents;
        SignalAction *sa = userdata;
        const uint64_t now = monotonic_usec();
        char when[96];
        if (sa->dry_run)
                snprintf(when, sizeof when, "by itself [dry run: nothing was sent]");
        else if (sa->kill_usec > sa->start_usec)
                snprintf(when, sizeof when, "%llu ms after SIGKILL (%.1f s after SIGTERM)",
                         (unsigned long long)((now - sa->kill_usec) / USEC_PER_MSEC),
                         (double)(now - sa->start_usec) / 1e6);
        else
                snprintf(when, sizeof when, "%llu ms after %s",
                         (unsigned long long)((now - sa->start_usec) / USEC_PER_MSEC),
                         sa->sig == SIGKILL ? "SIGKILL" : "SIGTERM");
        LogFields f;
        sa_fields(sa, &f);
        log_event(EVENT_PROCESS_GONE, LOG_NOTICE, &f, "%s (pid %d) is gone, %s", sa->comm, (int)sa->pid,
                  when);
        sa_finish(sa);
        return 0;
}

/* SIGTERM → SIGKILL + process_mrelease, then wait KILL_WAIT_USEC for the
 * exit. WHY completes "...: sent SIGKILL" in the journal. In a dry run the
 * entry says what would be sent and the action ends there: a SIGKILLed
 * process would be gone, and the next decision should not wait for one
 * that is not. */
static void sa_escalate(SignalAction *sa, const char *why)
{
        LogFields f;
        const double after = (double)(monotonic_usec() - sa->start_usec) / 1e6;
        if (sa->dry_run) {
                sa->sig = SIGKILL;
                sa_fields(sa, &f);
                log_event(EVENT_SIGNAL_SENT, LOG_WARNING, &f,
                          "%s (pid %d) %s %.1f s after SIGTERM: SIGKILL [dry run: not sent]", sa->comm,
                          (int)sa->pid, why, after);
                sa_finish(sa);
                return;
        }
        if (pidfd_send_signal(sa->pidfd, SIGKILL, NULL, 0) < 0) {
                if (errno == ESRCH)
                        return; /* exiting right now: on_target_exit follows */
                sa_fields(sa, &f);
                f.errno_text = strerror(errno);
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "cannot SIGKILL %s (pid %d): %m", sa->comm,
                          (int)sa->pid);
                sa_finish(sa);
                return;
        }
        sa->sig = SIGKILL;
        sa->kill_usec = monotonic_usec();
        sa_fields(sa, &f);
        log_event(EVENT_SIGNAL_SENT, LOG_WARNING, &f, "%s (pid %d) %s %.1f s after SIGTERM: sent SIGKILL",
                  sa->comm, (int)sa->pid, why, after);
        sa_mrelease(sa);
        (void)sd_event_source_set_time(sa->timer, usec_add(sa->kill_usec, KILL_WAIT_USEC));
        (void)sd_event_source_set_enabled(sa->timer, SD_EVENT_ONESHOT);
}

bool signal_action_escalate(SignalAction *sa)
{
        if (!sa->busy || sa->sig != SIGTERM || sa->done_called)
                return false;
        sa_escalate(sa, "is still alive and memory is critically low");
        return true;
}

void signal_action_target(const SignalAction *sa, pid_t *ret_pid, uint64_t *ret_start_time,
                          const char **ret_comm)
{
        *ret_pid = sa->pid;
        *ret_start_time = sa->start_time;
        *ret_comm = sa->comm;
}

void signal_action_cancel(SignalAction *sa, const char *why)
{
        if (!sa->busy || sa->done_called)
                return;
        LogFields f;
        sa_fields(sa, &f);
        log_event(EVENT_NONE, LOG_NOTICE, &f, "%s (pid %d): %s; no further signal will follow",
                  sa->comm, (int)sa->pid, why);
        sa_finish(sa);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        (void)s, (void)usec;
        SignalAction *sa = userdata;

        if (sa->sig == SIGTERM) {
                sa_escalate(sa, "still alive");
                return 0;
        }
        LogFields f;
        sa_fields(sa, &f);
        log_event(EVENT_ACTION_FAILED, LOG_ERR, &f,
                  "%s (pid %d) has not exited %llu s after SIGKILL (stuck in the kernel?); moving on",
                  sa->comm, (int)sa->pid, (unsigned long long)(KILL_WAIT_USEC / USEC_PER_SEC));
        sa_finish(sa);
        return 0;
}

/* Two descriptors held in reserve: the action that relieves a box must
 * not fail because memguard ran out of descriptors (EMFILE) at the worst
 * moment; it needs one for the pidfd and one to read the start time. */
static void spares_take(SignalAction *sa)
{
        for (size_t i = 0; i < 2; i++)
                if (sa->spare_fd[i] < 0)
                        sa->spare_fd[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void spares_give(SignalAction *sa)
{
        for (size_t i = 0; i < 2; i++)
                if (sa->spare_fd[i] >= 0) {
                        close(sa->spare_fd[i]);
                        sa->spare_fd[i] = -1;
                }
}

int signal_action_new(SignalAction **ret)
{
        SignalAction *sa = calloc(1, sizeof *sa);
        if (!sa)
                return -ENOMEM;
        sa->pidfd = sa->spare_fd[0] = sa->spare_fd[1] = -1;
        spares_take(sa);
        *ret = sa;
        return 0;
}

bool signal_action_busy(const SignalAction *sa)
{
        return sa->busy;
}

void signal_action_reset(SignalAction *sa)
{
        sa->exit_source = sd_event_source_disable_unref(sa->exit_source);
        sa->timer = sd_event_source_disable_unref(sa->timer);
        if (sa->pidfd >= 0)
                close(sa->pidfd);
        sa->pidfd = -1;
        sa->busy = false;
        sa->done_called = false;
        spares_take(sa);
}

void signal_action_free(SignalAction *sa)
{
        if (!sa)
                return;
        signal_action_reset(sa);
        spares_give(sa);
        free(sa);
}

/* pidfd_open(), giving back the spare descriptors when we have run out. */
static int pidfd_open_spared(SignalAction *sa, pid_t pid)
{
        int fd = pidfd_open(pid, 0);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
                spares_give(sa);
                fd = pidfd_open(pid, 0);
        }
        return fd;
}

static int sa_start(SignalAction *sa, sd_event *event, int proc_fd, const Decision *d,
                    const Snapshot *snap, const LogMemory *mem, bool dry_run, pid_t only_ppid,
                    void (*done)(void *), void *userdata)
{
        const int sig = d->action == ACTION_KILL ? SIGKILL : SIGTERM;
        const char *verb = sig == SIGKILL ? "SIGKILL" : "SIGTERM";
        LogFields f;
        fields_of_decision(d, snap, dry_run, &f);
        f.signal = sig;
        /* the memory clause of the entry that says what was sent */
        char clause[320] = "";
        if (mem) {
                f.memory = mem;
                log_memory_clause(mem, clause, sizeof clause);
        }

        if (sa->busy)
                return -EBUSY; /* the engine never asks: one per lane */

        /* Nothing from here to the signal allocates or waits: SA was made
         * at start-up, and the descriptors come from the reserve if need be.
         * The pidfd pins this pid: once its start time matches what was
         * sampled, every signal below reaches the process the rule chose. */
        _cleanup_close_ int pidfd = pidfd_open_spared(sa, d->pid);
        if (pidfd < 0) {
                int r = -errno;
                if (r == -ESRCH) {
                        log_event(EVENT_NONE, LOG_INFO, &f, "%s: %s (pid %d) exited before it could be signalled",
                                  d->rule->name, d->comm, (int)d->pid);
                        return 0;
                }
                f.errno_text = strerror(-r);
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: cannot take a pidfd on %s (pid %d): %s",
                          d->rule->name, d->comm, (int)d->pid, strerror(-r));
                return r;
        }
        char buf[1024];
        ProcStat st;
        int r = proc_read_stat(proc_fd, d->pid, buf, sizeof buf, &st);
        if (r == -EMFILE || r == -ENFILE) {
                spares_give(sa);
                r = proc_read_stat(proc_fd, d->pid, buf, sizeof buf, &st);
        }
        if (r < 0 && r != -ENOENT && r != -ESRCH) {
                f.errno_text = strerror(-r);
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f,
                          "%s: cannot check that pid %d is still %s: %s; not signalled",
                          d->rule->name, (int)d->pid, d->comm, strerror(-r));
                return r;
        }
        if (r < 0 || st.start_time != d->start_time) {
                log_event(EVENT_NONE, LOG_INFO, &f,
                          "%s: pid %d is no longer %s (exited, pid reused): not signalled",
                          d->rule->name, (int)d->pid, d->comm);
                return 0;
        }
        /* Test mode: refused, and counted as done (its cooldown stays), so
         * that the rule moves on to the next candidate as it would after
         * acting. */
        if (only_ppid > 0 && st.ppid != only_ppid) {
                f.errno_text = "outside the sandbox";
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f,
                          "%s: %s (pid %d) is not a child of the process that started memguard with a test root: not signalled",
                          d->rule->name, d->comm, (int)d->pid);
                return 0;
        }

        /* A dry-run SIGKILL has no timeline to follow; a dry-run SIGTERM
         * does: the grace, then "would SIGKILL", exactly as a real run
         * would space its decisions. */
        if (dry_run && sig == SIGKILL) {
                log_event(EVENT_SIGNAL_SENT, LOG_WARNING, &f, "%s: %s%s%s [dry run: %s not sent]",
                          d->rule->name, d->reason, clause[0] ? "; " : "", clause, verb);
                return 0;
        }

        if (!dry_run && pidfd_send_signal(pidfd, sig, NULL, 0) < 0) {
                r = -errno;
                if (r == -ESRCH)
                        return 0;
                f.errno_text = strerror(-r);
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: cannot send %s to %s (pid %d): %s",
                          d->rule->name, verb, d->comm, (int)d->pid, strerror(-r));
                return r;
        }
        sa->busy = true;
        sa->done_called = false;
        sa->sig = sig;
        sa->dry_run = dry_run;
        sa->pid = d->pid;
        sa->start_time = d->start_time;
        sa->pss_kb = d->pss_kb;
        sa->kill_usec = 0;
        sa->done = done;
        sa->userdata = userdata;
        sa->start_usec = monotonic_usec();
        sa->pidfd = TAKE_FD(pidfd);
        snprintf(sa->rule, sizeof sa->rule, "%s", d->rule->name);
        snprintf(sa->comm, sizeof sa->comm, "%s", d->comm);
        snprintf(sa->unit, sizeof sa->unit, "%s", f.unit ? f.unit : "");
        snprintf(sa->user_unit, sizeof sa->user_unit, "%s", f.user_unit ? f.user_unit : "");
        snprintf(sa->cgroup, sizeof sa->cgroup, "%s", f.cgroup ? f.cgroup : "");
        if (sig == SIGKILL)
                sa_mrelease(sa);

        /* Who it was, for the operator, after the signal: libproc2 reads
         * more of /proc (~100 µs, more on a box that is thrashing) and
         * allocates; describe_process() asks NSS nothing (a uid, not a
         * user name), so it cannot block the loop either. A SIGKILLed
         * process is gone too soon to be described. */
        char who[160] = "";
        if (sig == SIGTERM)
                (void)describe_process(d->pid, who, sizeof who);
        log_event(EVENT_SIGNAL_SENT, sig == SIGKILL ? LOG_ERR : LOG_WARNING, &f, "%s: %s%s%s%s%s%s",
                  d->rule->name, d->reason, who[0] ? "; " : "", who, clause[0] ? "; " : "", clause,
                  dry_run ? " [dry run: SIGTERM not sent]" : "");

        r = sd_event_add_io(event, &sa->exit_source, sa->pidfd, EPOLLIN, on_target_exit, sa);
        if (r < 0)
                goto fail;
        /* From the signal, not from sd_event_now(): that is when the loop
         * last woke, and a /proc walk in the same iteration (~100 ms on a
         * slow box) would cut the grace short by as much. */
        uint64_t wait = sig == SIGTERM ? d->rule->grace_usec : KILL_WAIT_USEC;
        r = sd_event_add_time(event, &sa->timer, CLOCK_MONOTONIC, usec_add(sa->start_usec, wait),
                              10 * USEC_PER_MSEC, on_timer, sa);
        if (r < 0)
                goto fail;
        return 1;
fail:
        /* The process cannot be followed (no memory for the loop's
         * sources): a SIGTERM's grace cannot be timed, so it is not given. */
        f.errno_text = strerror(-r);
        if (sig == SIGTERM && !dry_run && pidfd_send_signal(sa->pidfd, SIGKILL, NULL, 0) >= 0) {
                sa->sig = SIGKILL;
                sa_mrelease(sa);
                f.signal = SIGKILL; /* the entry says what was sent */
                log_event(EVENT_SIGNAL_SENT, LOG_ERR, &f,
                          "%s: cannot follow %s (pid %d) through its grace (%s): sent SIGKILL at once",
                          d->rule->name, d->comm, (int)d->pid, strerror(-r));
        } else
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: cannot follow %s (pid %d): %s",
                          d->rule->name, d->comm, (int)d->pid, strerror(-r));
        signal_action_reset(sa);
        return 0;
}

int signal_action_start(SignalAction *sa, sd_event *event, int proc_fd, const Decision *d,
                        const Snapshot *snap, const LogMemory *mem, bool dry_run, pid_t only_ppid,
                        void (*done)(void *), void *userdata)
{
        int r = sa_start(sa, event, proc_fd, d, snap, mem, dry_run, only_ppid, done, userdata);
        /* The reserve was given up (EMFILE) for an action that is not
         * followed: take it back now, not at some later action's end. */
        if (!sa->busy)
                spares_take(sa);
        return r;
}

int signal_pidfd_checked(int proc_fd, pid_t pid, uint64_t start_time, pid_t only_ppid)
{
        _cleanup_close_ int pidfd = pidfd_open(pid, 0);
        if (pidfd < 0)
                return -errno;
        char buf[1024];
        ProcStat st;
        int r = proc_read_stat(proc_fd, pid, buf, sizeof buf, &st);
        if (r == -ENOENT || (r >= 0 && st.start_time != start_time))
                return -ESRCH;
        if (r < 0)
                return r;
        if (only_ppid > 0 && st.ppid != only_ppid)
                return -EPERM;
        return TAKE_FD(pidfd);
}
