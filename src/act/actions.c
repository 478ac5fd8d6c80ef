/* actions.c — dispatch of decisions and the one-in-flight rule; see
 * actions.h. The kinds live in action_signal.c and action_restart.c, the
 * journal fields of a decision in fields.c. */
#include "act/actions.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <sys/pidfd.h>

#include "act/action_before.h"
#include "act/action_restart.h"
#include "act/action_signal.h"
#include "act/describe.h"
#include "act/evidence.h"
#include "act/fields.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/signame.h"

/* A lane of signals: one SignalAction, made at start, busy while in
 * flight. */
typedef struct SignalLane {
        Actions *a;
        unsigned lane; /* RULES_BUSY_SIGNAL or RULES_BUSY_SYSTEM */
        SignalAction *sa;
} SignalLane;

/* A lane's `before` step: the process/unit signal lane's and the
 * restart lane's (system rules take none). */
typedef struct BeforeLane {
        Actions *a;
        unsigned lane; /* RULES_BUSY_SIGNAL or RULES_BUSY_RESTART */
        BeforeStep *b;
} BeforeLane;

struct Actions {
        sd_event *event;
        int proc_fd;
        int cgroup_fd;        /* the cgroup v2 root (borrowed), or -1 */
        const Snapshot *snap; /* the manager's live snapshot (borrowed), or NULL */
        Snapshot none;        /* stands in for it when there is none */
        actions_done_fn done;
        void *userdata;
        /* [0]: process and unit rules; [1]: system rules, which nothing of
         * the others' may hold back */
        SignalLane signal[2];
        BeforeLane before[2]; /* [0]: the signal lane's; [1]: the restart lane's */
        RestartClient *restart;
        bool sandboxed;       /* a test root: see actions_set_sandboxed() */
};

static BeforeLane *before_of(Actions *a, unsigned lane)
{
        return &a->before[lane == RULES_BUSY_RESTART ? 1 : 0];
}

/* The lane a destructive decision goes in. */
static unsigned lane_of_decision(const Decision *d)
{
        if (d->action == ACTION_RESTART)
                return RULES_BUSY_RESTART;
        return d->rule && d->rule->scope == SCOPE_SYSTEM ? RULES_BUSY_SYSTEM : RULES_BUSY_SIGNAL;
}

static SignalLane *lane_of(Actions *a, unsigned lane)
{
        return &a->signal[lane == RULES_BUSY_SYSTEM ? 1 : 0];
}

static const SignalLane *lane_of_const(const Actions *a, unsigned lane)
{
        return &a->signal[lane == RULES_BUSY_SYSTEM ? 1 : 0];
}

int actions_new(sd_event *event, actions_done_fn done, void *userdata, Actions **ret)
{
        Actions *a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        a->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (a->proc_fd < 0) {
                int r = -errno;
                free(a);
                return r;
        }
        int r = 0;
        a->cgroup_fd = -1;
        for (size_t i = 0; i < 2 && r >= 0; i++) {
                a->signal[i] = (SignalLane){ a, i ? RULES_BUSY_SYSTEM : RULES_BUSY_SIGNAL, NULL };
                r = signal_action_new(&a->signal[i].sa);
        }
        for (size_t i = 0; i < 2 && r >= 0; i++) {
                a->before[i] = (BeforeLane){ a, i ? RULES_BUSY_RESTART : RULES_BUSY_SIGNAL, NULL };
                r = before_step_new(&a->before[i].b);
        }
        if (r >= 0)
                r = restart_client_new(event, &a->restart);
        /* libproc2's libnuma loaded now, not after a SIGTERM (describe.h) */
        if (r >= 0)
                describe_init();
        if (r < 0) {
                signal_action_free(a->signal[0].sa);
                signal_action_free(a->signal[1].sa);
                before_step_free(a->before[0].b);
                before_step_free(a->before[1].b);
                close(a->proc_fd);
                free(a);
                return r;
        }
        a->event = sd_event_ref(event);
        a->done = done;
        a->userdata = userdata;
        *ret = a;
        return 0;
}

void actions_free(Actions *a)
{
        if (!a)
                return;
        signal_action_free(a->signal[0].sa);
        signal_action_free(a->signal[1].sa);
        before_step_free(a->before[0].b);
        before_step_free(a->before[1].b);
        restart_client_free(a->restart);
        sd_event_unref(a->event);
        close(a->proc_fd);
        free(a);
}

bool actions_in_flight(const Actions *a)
{
        return actions_busy(a) != 0;
}

unsigned actions_busy(const Actions *a)
{
        return (signal_action_busy(a->signal[0].sa) || before_step_busy(a->before[0].b)
                        ? RULES_BUSY_SIGNAL
                        : 0) |
               (signal_action_busy(a->signal[1].sa) ? RULES_BUSY_SYSTEM : 0) |
               (restart_client_busy(a->restart) || before_step_busy(a->before[1].b)
                        ? RULES_BUSY_RESTART
                        : 0);
}

void actions_set_snapshot(Actions *a, const Snapshot *snap)
{
        a->snap = snap;
}

void actions_set_cgroup_root(Actions *a, int cgroup_fd)
{
        a->cgroup_fd = cgroup_fd;
}

void actions_set_sandboxed(Actions *a, bool sandboxed)
{
        a->sandboxed = sandboxed;
}

bool actions_escalate(Actions *a, unsigned lane)
{
        return signal_action_escalate(lane_of(a, lane)->sa);
}

bool actions_signal_target(const Actions *a, unsigned lane, pid_t *ret_pid,
                           uint64_t *ret_start_time, const char **ret_comm)
{
        const BeforeStep *b = a->before[lane == RULES_BUSY_RESTART ? 1 : 0].b;
        if (lane != RULES_BUSY_SYSTEM && before_step_busy(b)) {
                before_step_target(b, ret_pid, ret_start_time, ret_comm);
                return true;
        }
        if (lane == RULES_BUSY_RESTART)
                return false;
        const SignalAction *sa = lane_of_const(a, lane)->sa;
        if (!signal_action_busy(sa))
                return false;
        signal_action_target(sa, ret_pid, ret_start_time, ret_comm);
        return true;
}

void actions_cancel_signal(Actions *a, unsigned lane, const char *why)
{
        if (lane != RULES_BUSY_SYSTEM && before_step_busy(before_of(a, lane)->b)) {
                before_step_cancel(before_of(a, lane)->b, why);
                return;
        }
        if (lane != RULES_BUSY_RESTART)
                signal_action_cancel(lane_of(a, lane)->sa, why);
}

int actions_bus_connect(Actions *a)
{
        return restart_client_connect(a->restart);
}

/* The signal action ended: make it idle, then tell the manager, which may
 * evaluate again and start the next action from inside the callback. */
static void signal_done(void *userdata)
{
        SignalLane *l = userdata;
        signal_action_reset(l->sa);
        if (l->a->done)
                l->a->done(l->a->userdata, l->lane, false);
}

static void restart_done(void *userdata, bool not_done)
{
        Actions *a = userdata;
        if (a->done)
                a->done(a->userdata, RULES_BUSY_RESTART, not_done);
}

/* The process a process or unit rule's decision is about: its own (a
 * process rule's, a unit rule's term/kill victim), or for a unit rule's
 * restart the unit's largest process in SNAP. */
static bool decision_process(const Decision *d, const Snapshot *snap, BeforeTarget *ret)
{
        if (d->pid > 0) {
                *ret = (BeforeTarget){ d->pid, d->start_time, d->comm };
                return true;
        }
        const UnitSample *u = d->unit_cgroup[0] ? snapshot_find_unit(snap, d->unit_cgroup) : NULL;
        const ProcSample *p = u && u->main_pid > 0 ? snapshot_find_pid(snap, u->main_pid) : NULL;
        if (!p)
                return false;
        *ret = (BeforeTarget){ p->pid, p->start_time, p->comm };
        return true;
}

/* Carries out a term, kill or restart now, with the victim's memory in
 * its entry unless D is a system rule's (actions.h: nothing between its
 * decision and its signal). */
static int act_now(Actions *a, const Decision *d, const Snapshot *snap, bool dry_run)
{
        LogMemory mem;
        const LogMemory *pm = NULL;
        if (d->rule && d->rule->scope != SCOPE_SYSTEM) {
                BeforeTarget t = { 0, 0, "" };
                (void)decision_process(d, snap, &t);
                evidence_collect(a->proc_fd, a->cgroup_fd, t.pid, t.start_time, t.comm,
                                 d->unit_cgroup, &mem);
                pm = &mem;
        }
        if (d->action == ACTION_RESTART)
                return restart_client_start(a->restart, d, snap, pm, dry_run, restart_done, a);
        SignalLane *l = lane_of(a, lane_of_decision(d));
        return signal_action_start(l->sa, a->event, a->proc_fd, d, snap, pm, dry_run,
                                   a->sandboxed ? getppid() : 0, signal_done, l);
}

/* A lane's `before` wait ended: act on the decision now, judged against
 * the snapshot of now, and tell the manager if nothing is left in flight. */
static void before_done(void *userdata)
{
        BeforeLane *bl = userdata;
        Actions *a = bl->a;
        const BeforeResult res = before_step_result(bl->b);
        Decision d = *before_step_decision(bl->b);
        Rule rule = *d.rule;
        d.rule = &rule;
        before_step_reset(bl->b);

        if (res == BEFORE_CANCELLED) {
                if (a->done)
                        a->done(a->userdata, bl->lane, true);
                return;
        }
        const Snapshot *snap = a->snap ? a->snap : &a->none;
        /* its size as now sampled, for the entry */
        const ProcSample *p = d.pid > 0 ? snapshot_find_proc(snap, d.pid, d.start_time) : NULL;
        const UnitSample *u = d.unit_cgroup[0] ? snapshot_find_unit(snap, d.unit_cgroup) : NULL;
        if (p && d.action != ACTION_RESTART)
                d.pss_kb = proc_size_kb(p);
        else if (u && d.action == ACTION_RESTART)
                d.pss_kb = u->memory_kb;
        int r;
        if (res == BEFORE_PROCESS_EXITED && d.action != ACTION_RESTART) {
                LogFields f;
                fields_of_decision(&d, snap, false, &f);
                log_event(EVENT_NONE, LOG_INFO, &f, "%s: %s (pid %d) has exited: nothing left to %s",
                          rule.name, d.comm, (int)d.pid, d.action == ACTION_KILL ? "kill" : "terminate");
                r = 0;
        } else
                r = act_now(a, &d, snap, false);
        if (r > 0)
                return; /* in flight: its own end tells the manager */
        if (a->done)
                a->done(a->userdata, bl->lane, r < 0);
}

/* A warn rule's notify: its signal to D's notify process, through a
 * pidfd after the start-time check; what became of it goes into F and
 * the words into EXTRA. */
static void notify(Actions *a, const Decision *d, bool dry_run, LogFields *f, char *extra,
                   size_t size)
{
        char sig[32];
        const int s = d->rule->notify_signal;
        signame_format(s, sig, sizeof sig);
        f->notify_signal = s;
        if (dry_run) {
                f->notify_result = "dry-run";
                snprintf(extra, size, "; %s to %s (pid %d) [dry run: not sent]", sig, d->notify_comm,
                         (int)d->notify_pid);
                return;
        }
        int fd = signal_pidfd_checked(a->proc_fd, d->notify_pid, d->notify_start_time,
                                      a->sandboxed ? getppid() : 0);
        if (fd >= 0) {
                int e = pidfd_send_signal(fd, s, NULL, 0) < 0 ? -errno : 0;
                close(fd);
                fd = e;
        }
        if (fd == 0) {
                f->notify_result = "sent";
                snprintf(extra, size, "; sent %s to %s (pid %d)", sig, d->notify_comm, (int)d->notify_pid);
        } else if (fd == -ESRCH) {
                f->notify_result = "gone";
                snprintf(extra, size, "; %s not sent: %s (pid %d) has exited", sig, d->notify_comm,
                         (int)d->notify_pid);
        } else {
                f->notify_result = "failed";
                f->errno_text = fd == -EPERM ? "outside the sandbox" : strerror(-fd);
                snprintf(extra, size, "; cannot send %s to %s (pid %d): %s", sig, d->notify_comm,
                         (int)d->notify_pid, f->errno_text);
        }
}

int actions_run(Actions *a, const Decision *d, const Snapshot *snap, bool dry_run)
{
        LogFields f;
        fields_of_decision(d, snap, dry_run, &f);

        if (d->kind == DECISION_RECOVER) {
                log_event(EVENT_RULE_RECOVERED, LOG_NOTICE, &f, "%s: %s", d->rule->name, d->reason);
                return 0;
        }
        if (d->action == ACTION_WARN) {
                char extra[256] = "";
                if (d->notify_pid > 0 && d->rule && d->rule->notify_signal &&
                    d->rule->action == ACTION_WARN)
                        notify(a, d, dry_run, &f, extra, sizeof extra);
                log_event(EVENT_RULE_FIRED, LOG_WARNING, &f, "%s: %s%s", d->rule->name, d->reason, extra);
                return 0;
        }
        if (d->action != ACTION_TERM && d->action != ACTION_KILL && d->action != ACTION_RESTART)
                return -EINVAL;

        const unsigned lane = lane_of_decision(d);
        /* the engine defers while a lane is in flight */
        if (actions_busy(a) & lane)
                return -EBUSY;
        /* A unit name read from a test's proc root must never reach the
         * real systemd: only a bus the test names itself. */
        if (lane == RULES_BUSY_RESTART && a->sandboxed && !dry_run &&
            !getenv("DBUS_SYSTEM_BUS_ADDRESS")) {
                f.errno_text = "sandboxed";
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f,
                          "%s: not restarting %s: a test root without DBUS_SYSTEM_BUS_ADDRESS",
                          d->rule->name, d->unit);
                return -EPERM;
        }
        /* The step before it: never a system rule's (the config refuses
         * it; this holds whatever it is given). */
        const Rule *r = d->rule;
        if (lane != RULES_BUSY_SYSTEM && r && (r->before_signal || r->before_argv)) {
                BeforeTarget t;
                BeforeLane *bl = before_of(a, lane);
                if (!decision_process(d, snap, &t))
                        log_event(EVENT_NONE, LOG_INFO, &f,
                                  "%s: no process of %s to take the step before acting on; acting now",
                                  r->name, d->unit);
                else if (before_step_start(bl->b, a->event, a->proc_fd, d, snap, &t, dry_run,
                                           a->sandboxed ? getppid() : 0, before_done, bl) > 0)
                        return 1;
        }
        return act_now(a, d, snap, dry_run);
}
