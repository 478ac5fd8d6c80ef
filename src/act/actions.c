/* actions.c — dispatch of decisions and the one-in-flight rule; see
 * actions.h. The kinds live in action_signal.c and action_restart.c, the
 * journal fields of a decision in fields.c. */
#include "act/actions.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "act/action_restart.h"
#include "act/action_signal.h"
#include "act/fields.h"
#include "util/cleanup.h"
#include "util/log.h"

/* A lane of signals: one SignalAction, made at start, busy while in
 * flight. */
typedef struct SignalLane {
        Actions *a;
        unsigned lane; /* RULES_BUSY_SIGNAL or RULES_BUSY_SYSTEM */
        SignalAction *sa;
} SignalLane;

struct Actions {
        sd_event *event;
        int proc_fd;
        actions_done_fn done;
        void *userdata;
        /* [0]: process and unit rules; [1]: system rules, which nothing of
         * the others' may hold back */
        SignalLane signal[2];
        RestartClient *restart;
        bool sandboxed;       /* a test root: see actions_set_sandboxed() */
};

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
        for (size_t i = 0; i < 2 && r >= 0; i++) {
                a->signal[i] = (SignalLane){ a, i ? RULES_BUSY_SYSTEM : RULES_BUSY_SIGNAL, NULL };
                r = signal_action_new(&a->signal[i].sa);
        }
        if (r >= 0)
                r = restart_client_new(event, &a->restart);
        if (r < 0) {
                signal_action_free(a->signal[0].sa);
                signal_action_free(a->signal[1].sa);
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
        return (signal_action_busy(a->signal[0].sa) ? RULES_BUSY_SIGNAL : 0) |
               (signal_action_busy(a->signal[1].sa) ? RULES_BUSY_SYSTEM : 0) |
               (restart_client_busy(a->restart) ? RULES_BUSY_RESTART : 0);
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
        const SignalAction *sa = lane_of_const(a, lane)->sa;
        if (!signal_action_busy(sa))
                return false;
        signal_action_target(sa, ret_pid, ret_start_time, ret_comm);
        return true;
}

void actions_cancel_signal(Actions *a, unsigned lane, const char *why)
{
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

int actions_run(Actions *a, const Decision *d, const Snapshot *snap, bool dry_run)
{
        LogFields f;
        fields_of_decision(d, snap, dry_run, &f);

        if (d->kind == DECISION_RECOVER) {
                log_event(EVENT_RULE_RECOVERED, LOG_NOTICE, &f, "%s: %s", d->rule->name, d->reason);
                return 0;
        }

        switch (d->action) {
        case ACTION_WARN:
                log_event(EVENT_RULE_FIRED, LOG_WARNING, &f, "%s: %s", d->rule->name, d->reason);
                return 0;
        case ACTION_TERM:
        case ACTION_KILL: {
                SignalLane *l = lane_of(a, d->rule && d->rule->scope == SCOPE_SYSTEM
                                                   ? RULES_BUSY_SYSTEM
                                                   : RULES_BUSY_SIGNAL);
                if (signal_action_busy(l->sa)) /* the engine defers while in flight */
                        return -EBUSY;
                return signal_action_start(l->sa, a->event, a->proc_fd, d, snap, dry_run,
                                           a->sandboxed ? getppid() : 0, signal_done, l);
        }
        case ACTION_RESTART:
                if (restart_client_busy(a->restart))
                        return -EBUSY;
                /* A unit name read from a test's proc root must never reach
                 * the real systemd: only a bus the test names itself. */
                if (a->sandboxed && !dry_run && !getenv("DBUS_SYSTEM_BUS_ADDRESS")) {
                        f.errno_text = "sandboxed";
                        log_event(EVENT_ACTION_FAILED, LOG_ERR, &f,
                                  "%s: not restarting %s: a test root without DBUS_SYSTEM_BUS_ADDRESS",
                                  d->rule->name, d->unit);
                        return -EPERM;
                }
                return restart_client_start(a->restart, d, snap, dry_run, restart_done, a);
        }
        return -EINVAL;
}
