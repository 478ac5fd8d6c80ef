/* action_signal.c — term and kill through a pidfd; see action_signal.h. */
#include "action_signal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "cleanup.h"
#include "describe.h"
#include "log.h"
#include "proc.h"

#ifndef __NR_process_mrelease
#define __NR_process_mrelease 448
#endif

/* How long to wait for a SIGKILLed process to disappear before giving up
 * on it (a task stuck in D state on NFS, say) and letting the next action
 * go: the box matters more than this one process. */
#define KILL_WAIT_USEC (10 * USEC_PER_SEC)

struct SignalAction {
        sd_event_source *exit_source;  /* pidfd readable: the process exited */
        sd_event_source *timer;        /* grace, then the kill wait */
        int pidfd;
        int sig;                       /* last signal sent */
        uint64_t start_usec;           /* CLOCK_MONOTONIC when the first signal went */
        uint64_t kill_usec;            /* ... and when SIGKILL went, if it did */
        void (*done)(void *);
        void *userdata;
        /* What the journal needs after the decision and snapshot are gone. */
        char rule[128];
        char comm[PROC_COMM_MAX];
        char unit[PROC_UNIT_MAX];
        pid_t pid;
        uint64_t pss_kb;
        bool done_called;
};

static uint64_t now_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static void sa_fields(const SignalAction *sa, LogFields *f)
{
        *f = (LogFields){
                .rule = sa->rule,
                .action = sa->sig == SIGKILL ? "kill" : "term",
                .pid = sa->pid,
                .comm = sa->comm,
                .unit = sa->unit,
                .pss_kb = sa->pss_kb,
                .signal = sa->sig,
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
        /* may free SA: nothing after this */
        sa->done(sa->userdata);
}

static int on_target_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        (void)s, (void)fd, (void)revents;
        SignalAction *sa = userdata;
        const uint64_t now = now_usec();
        char when[96];
        if (sa->kill_usec > sa->start_usec)
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
 * exit. WHY completes "...: sent SIGKILL" in the journal. */
static void sa_escalate(SignalAction *sa, const char *why)
{
        LogFields f;
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
        sa->kill_usec = now_usec();
        sa_fields(sa, &f);
        log_event(EVENT_SIGNAL_SENT, LOG_WARNING, &f, "%s (pid %d) %s %.1f s after SIGTERM: sent SIGKILL",
                  sa->comm, (int)sa->pid, why, (double)(now_usec() - sa->start_usec) / 1e6);
        sa_mrelease(sa);
        (void)sd_event_source_set_time_relative(sa->timer, KILL_WAIT_USEC);
        (void)sd_event_source_set_enabled(sa->timer, SD_EVENT_ONESHOT);
}

bool signal_action_escalate(SignalAction *sa)
{
        if (sa->sig != SIGTERM || sa->done_called)
                return false;
        sa_escalate(sa, "is still alive and memory is critically low");
        return true;
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

void signal_action_free(SignalAction *sa)
{
        if (!sa)
                return;
        sd_event_source_disable_unref(sa->exit_source);
        sd_event_source_disable_unref(sa->timer);
        if (sa->pidfd >= 0)
                close(sa->pidfd);
        free(sa);
}

int signal_action_start(sd_event *event, int proc_fd, const Decision *d, const Snapshot *snap,
                        bool dry_run, void (*done)(void *), void *userdata, SignalAction **ret)
{
        const int sig = d->action == ACTION_KILL ? SIGKILL : SIGTERM;
        const char *verb = sig == SIGKILL ? "SIGKILL" : "SIGTERM";
        LogFields f;
        actions_fields(d, snap, dry_run, &f);
        f.signal = sig;

        /* The pidfd pins this pid: once its start time matches what was
         * sampled, every signal below reaches the process the rule chose. */
        _cleanup_close_ int pidfd = pidfd_open(d->pid, 0);
        if (pidfd < 0) {
                if (errno == ESRCH) {
                        log_event(EVENT_NONE, LOG_INFO, &f, "%s: %s (pid %d) exited before it could be signalled",
                                  d->rule->name, d->comm, (int)d->pid);
                        return 0;
                }
                f.errno_text = strerror(errno);
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: cannot take a pidfd on %s (pid %d): %m",
                          d->rule->name, d->comm, (int)d->pid);
                return 0;
        }
        char buf[1024];
        ProcStat st;
        if (proc_read_stat(proc_fd, d->pid, buf, sizeof buf, &st) < 0 ||
            st.start_time != d->start_time) {
                log_event(EVENT_NONE, LOG_INFO, &f,
                          "%s: pid %d is no longer %s (exited, pid reused): not signalled",
                          d->rule->name, (int)d->pid, d->comm);
                return 0;
        }

        if (dry_run) {
                log_event(EVENT_SIGNAL_SENT, LOG_WARNING, &f, "%s: %s [dry run: %s not sent]",
                          d->rule->name, d->reason, verb);
                return 0;
        }

        _cleanup_free_ SignalAction *sa = calloc(1, sizeof *sa);
        if (!sa)
                return -ENOMEM;
        sa->pidfd = -1;
        sa->sig = sig;
        sa->pid = d->pid;
        sa->pss_kb = d->pss_kb;
        sa->done = done;
        sa->userdata = userdata;
        snprintf(sa->rule, sizeof sa->rule, "%s", d->rule->name);
        snprintf(sa->comm, sizeof sa->comm, "%s", d->comm);
        snprintf(sa->unit, sizeof sa->unit, "%s", d->unit);

        /* Who it is, for the operator: before SIGTERM only. A SIGKILL is
         * an emergency and NSS may have to read /etc/passwd from a disk
         * that is thrashing. */
        char who[160] = "";
        if (sig == SIGTERM)
                (void)describe_process(d->pid, who, sizeof who);

        if (pidfd_send_signal(pidfd, sig, NULL, 0) < 0) {
                if (errno == ESRCH)
                        return 0;
                f.errno_text = strerror(errno);
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: cannot send %s to %s (pid %d): %m",
                          d->rule->name, verb, d->comm, (int)d->pid);
                return 0;
        }
        sa->start_usec = now_usec();
        log_event(EVENT_SIGNAL_SENT, sig == SIGKILL ? LOG_ERR : LOG_WARNING, &f, "%s: %s%s%s",
                  d->rule->name, d->reason, who[0] ? "; " : "", who);
        sa->pidfd = TAKE_FD(pidfd);
        if (sig == SIGKILL)
                sa_mrelease(sa);

        int r = sd_event_add_io(event, &sa->exit_source, sa->pidfd, EPOLLIN, on_target_exit, sa);
        if (r < 0)
                goto fail;
        uint64_t wait = sig == SIGTERM ? d->rule->grace_usec : KILL_WAIT_USEC;
        r = sd_event_add_time_relative(event, &sa->timer, CLOCK_MONOTONIC, wait, 10 * USEC_PER_MSEC,
                                       on_timer, sa);
        if (r < 0)
                goto fail;
        *ret = TAKE_PTR(sa);
        return 1;
fail:
        log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "cannot follow %s (pid %d): %s", d->comm,
                  (int)d->pid, strerror(-r));
        signal_action_free(TAKE_PTR(sa));
        return 0;
}
