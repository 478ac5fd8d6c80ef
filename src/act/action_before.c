/* action_before.c — a rule's `before` step: a signal or a command, then
 * a wait; see action_before.h. */
#include "act/action_before.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "act/action_signal.h"
#include "act/fields.h"
#include "config/before.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/signame.h"

/* How long a SIGKILLed command's group leader is waited for before it is
 * left to be reaped later: the loop must not block on a task stuck in
 * the kernel. */
#define KILLED_REAP_MSEC 200

struct BeforeStep {
        bool busy;
        bool done_called;
        Decision d;         /* a copy; d.rule points to rule below */
        Rule rule;          /* name, scope, action, grace: the rest NULL */
        char rule_name[128];
        pid_t pid;          /* the target */
        uint64_t start_time;
        char comm[PROC_COMM_MAX];
        int target_fd;      /* a signal's step: the target's pidfd */
        sd_event_source *target_src;
        pid_t child;        /* an exec's step: the command, until reaped */
        int child_fd;
        sd_event_source *child_src;
        sd_event_source *timer;
        pid_t stray;        /* a SIGKILLed command not reaped yet */
        BeforeResult result;
        int exit_status;
        bool has_exit_status;
        char what[1024];    /* MEMGUARD_BEFORE: "SIGUSR2" or the command line */
        uint64_t wait_usec;
        uint64_t start_usec;
        void (*done)(void *);
        void *userdata;
        /* the expanded command: argv points into argbuf */
        char argbuf[4096];
        char *argv[BEFORE_MAX_ARGS + 1];
};

static const char *const result_names[] = {
        [BEFORE_PROCESS_EXITED] = "process-exited", [BEFORE_COMMAND_EXITED] = "command-exited",
        [BEFORE_WAIT_ELAPSED] = "wait-elapsed",     [BEFORE_COMMAND_KILLED] = "command-killed",
        [BEFORE_CANCELLED] = "cancelled",
};

int before_step_new(BeforeStep **ret)
{
        BeforeStep *b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;
        b->target_fd = b->child_fd = -1;
        *ret = b;
        return 0;
}

bool before_step_busy(const BeforeStep *b)
{
        return b->busy;
}

const Decision *before_step_decision(const BeforeStep *b)
{
        return &b->d;
}

BeforeResult before_step_result(const BeforeStep *b)
{
        return b->result;
}

void before_step_target(const BeforeStep *b, pid_t *ret_pid, uint64_t *ret_start_time,
                        const char **ret_comm)
{
        *ret_pid = b->pid;
        *ret_start_time = b->start_time;
        *ret_comm = b->comm;
}

static void reap_stray(BeforeStep *b)
{
        if (b->stray > 0 && waitpid(b->stray, NULL, WNOHANG) != 0)
                b->stray = 0;
}

/* SIGKILLs the command's whole group (its leader is not reaped yet, so
 * the group id is still its own) and reaps the leader if it goes at once. */
static void kill_command(BeforeStep *b)
{
        if (b->child <= 0)
                return;
        (void)kill(-b->child, SIGKILL);
        if (b->child_fd >= 0) {
                struct pollfd p = { .fd = b->child_fd, .events = POLLIN };
                (void)poll(&p, 1, KILLED_REAP_MSEC);
        }
        if (waitpid(b->child, NULL, WNOHANG) != b->child)
                b->stray = b->child;
        b->child = 0;
}

void before_step_reset(BeforeStep *b)
{
        b->target_src = sd_event_source_disable_unref(b->target_src);
        b->child_src = sd_event_source_disable_unref(b->child_src);
        b->timer = sd_event_source_disable_unref(b->timer);
        if (b->target_fd >= 0)
                close(b->target_fd);
        if (b->child_fd >= 0)
                close(b->child_fd);
        b->target_fd = b->child_fd = -1;
        b->busy = false;
        b->done_called = false;
}

void before_step_free(BeforeStep *b)
{
        if (!b)
                return;
        kill_command(b);
        before_step_reset(b);
        reap_stray(b);
        free(b);
}

/* The fields of the step's entries after its start (the snapshot is gone). */
static void step_fields(const BeforeStep *b, LogFields *f)
{
        *f = (LogFields){
                .rule = b->rule_name,
                .action = action_to_string(b->d.action),
                .pid = b->pid,
                .comm = b->comm,
                .unit = b->d.unit_owner[0] ? b->d.unit_owner : b->d.unit,
                .cgroup = b->d.unit_cgroup,
                .before = b->what,
                .before_wait_sec = b->wait_usec / USEC_PER_SEC,
                .before_result = result_names[b->result],
                .exit_status = b->exit_status,
                .has_exit_status = b->has_exit_status,
        };
}

static void finish(BeforeStep *b, BeforeResult result, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void finish(BeforeStep *b, BeforeResult result, const char *fmt, ...)
{
        if (b->done_called)
                return;
        b->done_called = true;
        b->result = result;
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        LogFields f;
        step_fields(b, &f);
        bool bad = result == BEFORE_COMMAND_KILLED ||
                   (result == BEFORE_COMMAND_EXITED && b->exit_status != 0);
        log_event(EVENT_BEFORE_DONE, bad ? LOG_WARNING : LOG_NOTICE, &f, "%s: %s", b->rule_name, msg);
        b->target_src = sd_event_source_disable_unref(b->target_src);
        b->child_src = sd_event_source_disable_unref(b->child_src);
        b->timer = sd_event_source_disable_unref(b->timer);
        /* may act and reset B: nothing after this */
        b->done(b->userdata);
}

static double waited_sec(const BeforeStep *b)
{
        return (double)(monotonic_usec() - b->start_usec) / 1e6;
}

static int on_target_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        (void)s, (void)fd, (void)revents;
        BeforeStep *b = userdata;
        finish(b, BEFORE_PROCESS_EXITED, "%s (pid %d) exited %.1f s after %s; acting now", b->comm,
               (int)b->pid, waited_sec(b), b->what);
        return 0;
}

static int on_child_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        (void)s, (void)fd, (void)revents;
        BeforeStep *b = userdata;
        int status = 0;
        if (waitpid(b->child, &status, WNOHANG) != b->child)
                return 0;
        b->child = 0;
        b->has_exit_status = true;
        b->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        char how[64];
        if (WIFEXITED(status))
                snprintf(how, sizeof how, "exited with status %d%s", WEXITSTATUS(status),
                         WEXITSTATUS(status) == 127 ? " (127: could it be run?)" : "");
        else {
                char sig[32];
                snprintf(how, sizeof how, "was ended by %s",
                         signame_format(WTERMSIG(status), sig, sizeof sig));
        }
        finish(b, BEFORE_COMMAND_EXITED, "the command for %s (pid %d) %s after %.1f s; acting now",
               b->comm, (int)b->pid, how, waited_sec(b));
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        (void)s, (void)usec;
        BeforeStep *b = userdata;
        if (b->child > 0) {
                pid_t group = b->child;
                kill_command(b);
                finish(b, BEFORE_COMMAND_KILLED,
                       "the command for %s (pid %d) was still running after %g s: sent SIGKILL to its process group %d; acting now",
                       b->comm, (int)b->pid, (double)b->wait_usec / 1e6, (int)group);
        } else
                finish(b, BEFORE_WAIT_ELAPSED, "waited %g s after %s to %s (pid %d); acting now",
                       (double)b->wait_usec / 1e6, b->what, b->comm, (int)b->pid);
        return 0;
}

void before_step_cancel(BeforeStep *b, const char *why)
{
        if (!b->busy || b->done_called)
                return;
        kill_command(b);
        finish(b, BEFORE_CANCELLED, "%s (pid %d): %s; the step before acting ends, and no action follows",
               b->comm, (int)b->pid, why);
}

/* Expands the rule's command for the target into B->argv. */
static int expand(BeforeStep *b, char *const *tmpl, const BeforeVars *v)
{
        size_t off = 0, n = 0, w = 0;
        for (; tmpl[n]; n++) {
                int len = before_expand_arg(tmpl[n], v, b->argbuf + off, sizeof b->argbuf - off);
                if (len < 0)
                        return len;
                b->argv[n] = b->argbuf + off;
                off += (size_t)len + 1;
                int k = snprintf(b->what + w, sizeof b->what - w, "%s%s", n ? " " : "", b->argv[n]);
                if (k > 0 && (size_t)k < sizeof b->what - w)
                        w += (size_t)k;
        }
        b->argv[n] = NULL;
        return 0;
}

/* Starts B->argv in a process group of its own, with memguard's
 * priorities undone: the unit gives memguard Nice=-10, realtime I/O and
 * OOMScoreAdjust=-1000, and a heap dumper must not inherit them. fork(),
 * not posix_spawn(), so that the child can drop them before execve()
 * (only async-signal-safe calls: the daemon has one thread). */
static int spawn(BeforeStep *b)
{
        int out = -1;
        if (log_to_journal())
                out = sd_journal_stream_fd("memguard-before", LOG_INFO, false);
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                if (out >= 0)
                        close(out);
                return r;
        }
        if (pid == 0) {
                (void)setpgid(0, 0);
                sigset_t none;
                sigemptyset(&none);
                (void)sigprocmask(SIG_SETMASK, &none, NULL);
                for (int sig = 1; sig < NSIG; sig++)
                        (void)signal(sig, SIG_DFL);
                int null = open("/dev/null", O_RDONLY);
                if (null >= 0)
                        (void)dup2(null, STDIN_FILENO);
                (void)dup2(out >= 0 ? out : STDERR_FILENO, STDOUT_FILENO);
                if (out >= 0)
                        (void)dup2(out, STDERR_FILENO);
                (void)syscall(SYS_close_range, 3U, ~0U, 0U);
                (void)setpriority(PRIO_PROCESS, 0, 0);
                /* IOPRIO_WHO_PROCESS, best effort at its default level */
                (void)syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 4);
                int adj = open("/proc/self/oom_score_adj", O_WRONLY);
                if (adj >= 0)
                        (void)!write(adj, "0", 1);
                execve(b->argv[0], b->argv, environ);
                _exit(127);
        }
        if (out >= 0)
                close(out);
        /* our child, not reaped: its pid cannot be reused meanwhile */
        (void)setpgid(pid, pid); /* as the child does: whichever runs first */
        b->child = pid;
        b->child_fd = pidfd_open(pid, 0);
        if (b->child_fd < 0) {
                int r = -errno;
                kill_command(b);
                return r;
        }
        return 0;
}

static const char *follow_words(const Decision *d, char *buf, size_t size)
{
        switch (d->action) {
        case ACTION_TERM:
                return "terminating it";
        case ACTION_KILL:
                return "killing it";
        case ACTION_RESTART:
                snprintf(buf, size, "restarting %s", d->unit);
                return buf;
        default:
                return "acting";
        }
}

int before_step_start(BeforeStep *b, sd_event *event, int proc_fd, const Decision *d,
                      const Snapshot *snap, const BeforeTarget *t, bool dry_run, pid_t only_ppid,
                      void (*done)(void *), void *userdata)
{
        const Rule *r = d->rule;
        if (b->busy)
                return -EBUSY;
        reap_stray(b);

        LogFields f;
        fields_of_decision(d, snap, dry_run, &f);
        f.pid = t->pid;
        f.comm = t->comm;
        f.before_wait_sec = r->before_wait_usec / USEC_PER_SEC;
        f.before = b->what;
        char fbuf[PROC_UNIT_MAX + 16], of[PROC_UNIT_MAX + 8] = "", wait[32];
        const char *follow = follow_words(d, fbuf, sizeof fbuf);
        if (d->unit[0])
                snprintf(of, sizeof of, " of %s", d->unit);
        snprintf(wait, sizeof wait, "%g s", (double)r->before_wait_usec / 1e6);

        if (r->before_argv) {
                const BeforeVars v = { .pid = t->pid, .unit = d->unit, .comm = t->comm };
                b->what[0] = '\0';
                int e = expand(b, r->before_argv, &v);
                if (e < 0) {
                        f.before = NULL;
                        f.errno_text = e == -EPERM ? "a %c or %u value starts with '-' or holds '/'"
                                                   : strerror(-e);
                        log_event(EVENT_NONE, LOG_WARNING, &f,
                                  "%s: not running the command before acting on %s (pid %d): %s; acting now",
                                  r->name, t->comm, (int)t->pid, f.errno_text);
                        return 0;
                }
        } else {
                signame_format(r->before_signal, b->what, sizeof b->what);
        }
        const char *verb = r->before_argv ? "running" : "sending";
        const char *prep = r->before_argv ? "for" : "to";
        const char *until = r->before_argv ? "the command ends" : "it exits";

        if (dry_run) {
                log_event(EVENT_BEFORE, LOG_NOTICE, &f,
                          "%s: %s %s %s %s (pid %d)%s; %s in %s, or sooner if %s [dry run: %s, acting at once]",
                          r->name, verb, b->what, prep, t->comm, (int)t->pid, of, follow, wait, until,
                          r->before_argv ? "not run" : "not sent");
                return 0;
        }

        /* The target, pinned: a %p or a signal never reaches a pid that
         * was reused since the sample. */
        int fd = signal_pidfd_checked(proc_fd, t->pid, t->start_time, only_ppid);
        if (fd < 0) {
                f.errno_text = fd == -EPERM ? "outside the sandbox" : strerror(-fd);
                log_event(EVENT_NONE, fd == -ESRCH ? LOG_INFO : LOG_WARNING, &f,
                          "%s: no step before acting on %s (pid %d): %s; acting now", r->name,
                          t->comm, (int)t->pid,
                          fd == -ESRCH ? "it has exited" : f.errno_text);
                return 0;
        }
        _cleanup_close_ int target_fd = fd;
        int e = 0;
        if (r->before_argv)
                e = spawn(b);
        else if (pidfd_send_signal(target_fd, r->before_signal, NULL, 0) < 0)
                e = -errno;
        if (e < 0) {
                f.errno_text = strerror(-e);
                log_event(EVENT_NONE, LOG_WARNING, &f, "%s: cannot %s %s %s %s (pid %d): %s; acting now",
                          r->name, r->before_argv ? "run" : "send", b->what, prep, t->comm,
                          (int)t->pid, strerror(-e));
                return 0;
        }

        b->busy = true;
        b->done_called = false;
        b->d = *d;
        snprintf(b->rule_name, sizeof b->rule_name, "%s", r->name);
        b->rule = (Rule){ .name = b->rule_name, .scope = r->scope, .action = r->action,
                          .grace_usec = r->grace_usec };
        b->d.rule = &b->rule;
        b->pid = t->pid;
        b->start_time = t->start_time;
        snprintf(b->comm, sizeof b->comm, "%s", t->comm);
        b->wait_usec = r->before_wait_usec;
        b->start_usec = monotonic_usec();
        b->has_exit_status = false;
        b->done = done;
        b->userdata = userdata;
        log_event(EVENT_BEFORE, LOG_NOTICE, &f, "%s: %s %s %s %s (pid %d)%s; %s in %s, or sooner if %s",
                  r->name, verb, b->what, prep, t->comm, (int)t->pid, of, follow, wait, until);

        int q;
        if (r->before_argv)
                q = sd_event_add_io(event, &b->child_src, b->child_fd, EPOLLIN, on_child_exit, b);
        else {
                b->target_fd = TAKE_FD(target_fd);
                q = sd_event_add_io(event, &b->target_src, b->target_fd, EPOLLIN, on_target_exit, b);
        }
        if (q >= 0)
                q = sd_event_add_time(event, &b->timer, CLOCK_MONOTONIC,
                                      usec_add(b->start_usec, b->wait_usec), 100 * USEC_PER_MSEC,
                                      on_timer, b);
        if (q < 0) {
                /* cannot be followed: the step is done, act now */
                kill_command(b);
                f.errno_text = strerror(-q);
                log_event(EVENT_NONE, LOG_WARNING, &f, "%s: cannot wait after %s: %s; acting now",
                          r->name, b->what, strerror(-q));
                before_step_reset(b);
                return 0;
        }
        return 1;
}
