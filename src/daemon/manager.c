/* manager.c — the daemon's event loop and ticks; see manager.h. */
#include "daemon/manager.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "act/actions.h"
#include "read/cgwatch.h"
#include "util/cleanup.h"
#include "sample/history.h"
#include "util/format.h"
#include "util/log.h"
#include "util/procroot.h"
#include "read/psi.h"
#include "rules/rules.h"
#include "select/demand.h"
#include "select/protect.h"
#include "sample/sample.h"
#include "sample/schedule.h"
#include "read/snapshot.h"
#include "daemon/watchdog.h"

/* A PSI trigger of 150 ms of "some" stall per 1 s window: early enough to
 * wake the loop when reclaim starts to hurt, rare enough to stay silent on
 * a healthy box (DESIGN §6). */
#define PSI_STALL_USEC (150 * USEC_PER_MSEC)
#define PSI_WINDOW_USEC (1000 * USEC_PER_MSEC)

/* Decisions of one evaluation; more are deferred to the next (rules.h), which
 * comes within a fast tick. Each holds a reason and a unit's names (~1.7 KiB),
 * all in the Manager, so this many is what an idle memguard keeps resident. */
#define MAX_DECISIONS 32

/* After units change (cgwatch.h), the walk waits UNITS_SETTLE_USEC, so
 * that a burst of unit starts costs one walk, and follows the last walk
 * made for such a change by at least UNITS_GAP_USEC (or `interval`, if
 * longer), so that a box that starts units all the time (per-connection
 * services, a CI runner) walks for them every 10 s at most. Growth windows
 * are minutes long, and a spike is the system rules' business. */
#define UNITS_SETTLE_USEC (100 * USEC_PER_MSEC)
#define UNITS_GAP_USEC (10 * USEC_PER_SEC)

struct Manager {
        ManagerOptions opts;
        Config *config;
        ProcRoot root;
        Sampler *sampler;
        RulesState *state;
        History *hist;
        Actions *actions;
        Snapshot snap;
        sd_event *event;
        uint64_t fast_due; /* the next system sample, CLOCK_MONOTONIC */
        Watchdog *watchdog; /* WatchdogSec=, or NULL */
        bool psi_every_tick; /* schedule_psi_every_tick(config) */
        sd_event_source *full_timer;
        sd_event_source *unit_timer; /* the unit tier; idle when not needed */
        sd_event_source *psi_source;
        int psi_trigger_fd;
        CgWatch *cgwatch;            /* the cgroup tree, or NULL: walks find units */
        sd_event_source *cgwatch_source;
        UnitTier tier, full_tier;    /* unit_tier(), full_tier() when timers were set */
        bool units_walk_due;         /* the full timer is set for a change of units */
        uint64_t units_walk_usec;    /* when the last walk for one ran */
        uint64_t now;   /* CLOCK_MONOTONIC as the loop last read it (now_usec()) */
        bool touched;   /* sd-event sources may have changed while it was armed */
        bool ready;
        bool in_full_tick;
        uint64_t jitter;     /* schedule_jittered()'s state */
        bool partial_noted;  /* "processes partly sampled" said since the last whole walk */
        char status[256];
        Decision decisions[MAX_DECISIONS];
        Decision restart;    /* the restart in flight, for rules_action_failed() */
};

/* The loop's idea of now: sd_event_now() in a handler, the clock read of
 * an idle tick there (run()). */
static uint64_t now_usec(const Manager *m)
{
        return m->now;
}

static bool dry_run(const Manager *m)
{
        return m->opts.force_dry_run || m->config->dry_run;
}

static bool wants_all_pss(const Config *c)
{
        for (size_t i = 0; i < c->n_rules; i++)
                if (c->rules[i].scope == SCOPE_SYSTEM && c->rules[i].action != ACTION_WARN &&
                    c->rules[i].target == TARGET_PSS)
                        return true;
        return false;
}

static bool wants_bus(const Config *c)
{
        for (size_t i = 0; i < c->n_rules; i++)
                if (c->rules[i].action == ACTION_RESTART)
                        return true;
        return false;
}

static int tick_full(Manager *m, bool all_pss);
static UnitTier unit_tier(const Manager *m);
static UnitTier full_tier(const Manager *m);
static void timers_rearm(Manager *m);

/* The process of LANE's term in flight may be escalated to SIGKILL by a
 * system kill rule: it is not protected from system rules (a process no
 * longer sampled is exiting). */
static bool escalation_allowed(const Manager *m, unsigned lane)
{
        pid_t pid;
        uint64_t start;
        const char *comm;
        if (!actions_signal_target(m->actions, lane, &pid, &start, &comm))
                return false;
        return !shield_process(m->config, &m->snap, pid, start, true);
}

/* A kill rule is due while a SIGTERM's grace runs: do not let the box run
 * out while the victim takes its time. Only a process a system rule could
 * choose is escalated: a process rule's victim with oom_score_adj -1000
 * keeps its grace (and no longer holds the system rules back). Returns the
 * lanes it escalated. */
static unsigned escalate_due(Manager *m)
{
        static const unsigned lanes[] = { RULES_BUSY_SIGNAL, RULES_BUSY_SYSTEM };
        unsigned done = 0;
        if (!rules_kill_due(m->config, m->state, m->snap.sys.usec))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(lanes); i++)
                if (escalation_allowed(m, lanes[i]) && actions_escalate(m->actions, lanes[i])) {
                        m->touched = true;
                        done |= lanes[i];
                }
        return done;
}

/* Evaluates the rules and carries out what they decide. */
static void evaluate(Manager *m, RulesProcs procs)
{
        bool need_full = false;
        unsigned busy = actions_busy(m->actions);
        /* A process rule's victim in its grace, SIGKILLed now because a
         * kill rule is due, is the relief on its way: the system rules do
         * not take a second victim beside it in this evaluation. */
        if (escalate_due(m) & RULES_BUSY_SIGNAL)
                busy |= RULES_BUSY_SYSTEM;
        int n = rules_evaluate(m->config, &m->snap, m->state, busy, procs, m->decisions,
                               MAX_DECISIONS, &need_full);
        if (n < 0) {
                log_msg(LOG_ERR, "rule evaluation failed: %s", strerror(-n));
                return;
        }
        if (n > 0)
                m->touched = true;
        for (int i = 0; i < n; i++) {
                const Decision *d = &m->decisions[i];
                int r = actions_run(m->actions, d, &m->snap, dry_run(m));
                /* Not carried out: the target was not acted on, and must not
                 * sit in a cooldown as if it had been. */
                if (r < 0 && r != -EBUSY)
                        rules_action_failed(m->state, d);
                else if (r > 0 && d->action == ACTION_RESTART)
                        m->restart = *d;
        }
        /* ... and a kill rule that became due in this evaluation */
        (void)escalate_due(m);
        if (need_full && procs == RULES_PROCS_STALE && !m->in_full_tick)
                (void)tick_full(m, wants_all_pss(m->config));
}

static void update_status(Manager *m)
{
        char avail[32], total[32], status[256];
        const MemInfo *mem = &m->snap.sys.mem;
        unsigned pct = mem->total_kb ? (unsigned)(mem->available_kb * 100 / mem->total_kb) : 0;
        snprintf(status, sizeof status,
                 "available %s of %s (%u%%), PSI some %.2f%%; %zu processes in %zu units; %zu rules%s%s",
                 format_size((double)mem->available_kb, avail, sizeof avail),
                 format_size((double)mem->total_kb, total, sizeof total), pct,
                 m->snap.sys.has_psi ? m->snap.sys.psi.some.avg10 : 0.0, m->snap.n_procs,
                 m->snap.n_units, m->config->n_rules, dry_run(m) ? "; dry run" : "",
                 actions_in_flight(m->actions) ? "; acting" : "");
        if (strcmp(status, m->status) == 0)
                return;
        memcpy(m->status, status, sizeof status);
        (void)sd_notifyf(false, "STATUS=%s", status);
}

/* FRESH_PSI: read PSI now (a full sample, a PSI event); the fast tier
 * otherwise reads it once per kernel averaging period (sample.h). */
static int tick_system(Manager *m, bool fresh_psi)
{
        int r = sampler_system(m->sampler, now_usec(m), fresh_psi, &m->snap.sys);
        if (r < 0)
                log_msg(LOG_ERR, "cannot read meminfo: %s", strerror(-r));
        else
                history_add_system(m->hist, m->config, &m->snap.sys);
        return r;
}

static int tick_full(Manager *m, bool all_pss)
{
        m->touched = true;
        int r = tick_system(m, true);
        if (r < 0)
                return r;
        Snapshot next = { .sys = m->snap.sys, .self_pid = m->snap.self_pid };
        r = sampler_full(m->sampler, m->config, all_pss, &m->snap, now_usec(m), &next);
        if (r < 0) {
                snapshot_clear(&next);
                log_msg(LOG_ERR, "cannot sample processes: %s", strerror(-r));
                return r;
        }
        snapshot_clear(&m->snap);
        m->snap = next;
        bool partial = r > 0;
        /* Short of memory or descriptors: system rules act on what could
         * be read; histories and process/unit rules wait for a whole walk
         * (a process left out would look as if it had exited). */
        if (partial && !m->partial_noted)
                log_msg(LOG_WARNING, "processes only partly sampled (memguard is short of memory "
                                     "or descriptors): %zu read; system rules act on those",
                        m->snap.n_procs);
        m->partial_noted = partial;
        if (!partial && history_add_full(m->hist, m->config, &m->snap) < 0)
                log_msg(LOG_WARNING, "out of memory: some growth histories not started");

        m->in_full_tick = true;
        evaluate(m, partial ? RULES_PROCS_PARTIAL : RULES_PROCS_FRESH);
        m->in_full_tick = false;

        if (!m->ready) {
                m->ready = true;
                (void)sd_notify(false, "READY=1");
        }
        update_status(m);
        /* A unit without memory.current came or went, or the first unit:
         * the timers' periods depend on what this walk found. */
        if (unit_tier(m) != m->tier || full_tier(m) != m->full_tier)
                timers_rearm(m);
        return 0;
}

/* Whether every unit a rule looks at has its memory in its cgroup. One
 * without memory.current (a container without the memory controller
 * delegated) has it summed from its processes by the walk, so its rules
 * need the walk on a timer. */
static bool units_from_cgroup(const Manager *m)
{
        for (size_t i = 0; i < m->snap.n_units; i++)
                if (!m->snap.units[i].memory_from_cgroup &&
                    demand_unit(m->config, &m->snap.units[i]))
                        return false;
        return true;
}

/* The unit tier: units' memory.current (cgroup v2), and the cgroup tree
 * watched when it could be. */
static UnitTier unit_tier(const Manager *m)
{
        if (m->root.cgroup_fd < 0)
                return UNIT_TIER_NONE;
        return m->cgwatch && units_from_cgroup(m) ? UNIT_TIER_WATCHED : UNIT_TIER_POLLED;
}

/* The tier as the full tier sees it: where the last walk found no unit at
 * all (no systemd: a container, a bare host) there is no growth series to
 * feed between walks either. A unit that appears there is found by the
 * next walk, a third of a window later at most, as under a polled unit
 * tier; the period is recomputed after every walk. */
static UnitTier full_tier(const Manager *m)
{
        UnitTier t = unit_tier(m);
        return t == UNIT_TIER_NONE && m->snap.n_units == 0 ? UNIT_TIER_POLLED : t;
}

static uint64_t full_interval(const Manager *m)
{
        return schedule_full_interval(m->config, full_tier(m));
}

/* Far from every threshold the system tier sleeps longer (schedule.h);
 * while an action runs, evaluations must follow it closely. */
static uint64_t fast_sleep(const Manager *m)
{
        return schedule_fast_sleep(m->config, &m->snap.sys, actions_in_flight(m->actions));
}

/* The system tier's tick. It is the event loop's own timeout (run()),
 * not an sd-event timer: on a small box it runs 4 times a second, and a
 * timer source would add a timerfd wake-up, read and re-arm to each. */
static void fast_tick(Manager *m)
{
        if (tick_system(m, m->psi_every_tick) >= 0)
                evaluate(m, RULES_PROCS_STALE);
        /* From now, not from the due time: after a stall (thrashing, a
         * blocked read, SIGSTOP) ticks must not fire back to back. */
        m->fast_due = usec_add(now_usec(m), fast_sleep(m));
}

static int on_full_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;
        (void)usec;
        if (m->units_walk_due) {
                m->units_walk_due = false;
                m->units_walk_usec = now_usec(m);
        }
        (void)tick_full(m, false);
        (void)sd_event_source_set_time(s, usec_add(now_usec(m), full_interval(m)));
        return 0;
}

/* The unit tier's next sleep: its period, a quarter of it while a growth
 * series asks for dense samples, drawn around that (schedule.h). */
static uint64_t unit_sleep(Manager *m, uint64_t period)
{
        if (history_dense(m->hist, now_usec(m)))
                period = schedule_dense(period);
        return schedule_jittered(period, &m->jitter);
}

/* The unit tier: memory.current of the units the last full sample found,
 * for their growth histories and unit rules, without a /proc walk; a walk
 * only where a unit rule would change state. */
static int on_unit_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;
        (void)usec;
        uint64_t now = now_usec(m);
        int n = sampler_units(m->sampler, m->config, now, &m->snap);
        if (n > 0)
                history_add_units(m->hist, m->config, &m->snap, now);
        /* also when no size changed: a unit rule's system conditions may */
        if (n >= 0 && unit_tier(m) == UNIT_TIER_WATCHED &&
            rules_units_need_full(m->config, &m->snap, m->state, m->snap.sys.usec))
                (void)tick_full(m, false);
        /* after the walk: it may have changed the tier */
        uint64_t period = schedule_unit_interval(m->config, unit_tier(m));
        if (period)
                (void)sd_event_source_set_time(
                        s, usec_add(now_usec(m), unit_sleep(m, period)));
        else
                (void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

static void unit_timer_arm(Manager *m)
{
        uint64_t period = schedule_unit_interval(m->config, unit_tier(m));
        if (!m->unit_timer)
                return;
        if (!period) {
                (void)sd_event_source_set_enabled(m->unit_timer, SD_EVENT_OFF);
                return;
        }
        (void)sd_event_source_set_time(m->unit_timer,
                                       usec_add(now_usec(m), unit_sleep(m, period)));
        (void)sd_event_source_set_enabled(m->unit_timer, SD_EVENT_ON);
}

/* Units changed: walk soon (UNITS_SETTLE_USEC). */
static void walk_soon(Manager *m)
{
        uint64_t gap = m->config->interval_usec > UNITS_GAP_USEC ? m->config->interval_usec
                                                                  : UNITS_GAP_USEC;
        uint64_t due = now_usec(m) + UNITS_SETTLE_USEC, t;
        if (m->units_walk_usec && due < usec_add(m->units_walk_usec, gap))
                due = usec_add(m->units_walk_usec, gap);
        if (sd_event_source_get_time(m->full_timer, &t) < 0 || t > due) {
                (void)sd_event_source_set_time(m->full_timer, due);
                m->units_walk_due = true;
        }
}

static void reschedule(Manager *m);

static void cgwatch_stop(Manager *m, int error)
{
        log_msg(LOG_WARNING, "cgroup tree no longer watched (%s): new units are found by walking /proc",
                strerror(-error));
        m->cgwatch_source = sd_event_source_disable_unref(m->cgwatch_source);
        cgwatch_free(m->cgwatch);
        m->cgwatch = NULL;
        reschedule(m);
}

static int on_cgroup_event(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        (void)s, (void)fd, (void)revents;
        Manager *m = userdata;
        int r = cgwatch_process(m->cgwatch);
        if (r < 0)
                cgwatch_stop(m, r);
        if (r != 0)
                walk_soon(m);
        return 0;
}

/* Watches the cgroup tree (cgroup v2 only: the unit tier needs it). On
 * failure the polled unit tier stands in. Returns what to say about it. */
static const char *cgwatch_start(Manager *m, char *buf, size_t size)
{
        if (m->root.cgroup_fd < 0)
                return "";
        const char *path = m->opts.cgroup_root ? m->opts.cgroup_root : "/sys/fs/cgroup";
        int r = cgwatch_new(path, cgwatch_budget(NULL), &m->cgwatch);
        if (r >= 0) {
                r = sd_event_add_io(m->event, &m->cgwatch_source, cgwatch_fd(m->cgwatch), EPOLLIN,
                                    on_cgroup_event, m);
                if (r < 0) {
                        cgwatch_free(m->cgwatch);
                        m->cgwatch = NULL;
                }
        }
        if (r < 0)
                snprintf(buf, size, " (cgroup tree not watched: %s; new units found by walking /proc)",
                         strerror(-r));
        else
                snprintf(buf, size, " (%zu units, %zu cgroups watched)", cgwatch_n_units(m->cgwatch),
                         cgwatch_n_dirs(m->cgwatch));
        return buf;
}

static int on_psi_trigger(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        (void)fd;
        Manager *m = userdata;
        if (revents & EPOLLERR) {
                /* the trigger's file went away: fall back to the timers */
                log_msg(LOG_WARNING, "PSI trigger failed; relying on the %" PRIu64 " ms timer",
                        m->config->fast_interval_usec / USEC_PER_MSEC);
                (void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return 0;
        }
        (void)tick_full(m, false);
        /* Stalls have begun: the system tier may have been asleep for up to
         * SCHEDULE_MAX_SLEEP_USEC; look again at the rate the numbers ask. */
        m->fast_due = usec_add(now_usec(m), fast_sleep(m));
        return 0;
}

static void on_action_done(void *userdata, unsigned lane, bool not_done)
{
        Manager *m = userdata;
        if (lane == RULES_BUSY_RESTART && not_done)
                rules_action_failed(m->state, &m->restart);
        /* The victim is gone or the unit restarted: look again now, so the
         * next action (if the box still needs one) does not wait a tick. */
        if (!m->in_full_tick)
                (void)tick_full(m, false);
}

/* The full and unit timers, for the config and tier now. */
static void timers_rearm(Manager *m)
{
        m->tier = unit_tier(m);
        m->full_tier = full_tier(m);
        (void)sd_event_source_set_time(m->full_timer, usec_add(now_usec(m), full_interval(m)));
        if (m->units_walk_due)
                walk_soon(m); /* not put off by a reload */
        unit_timer_arm(m);
}

static void reschedule(Manager *m)
{
        m->fast_due = usec_add(now_usec(m), fast_sleep(m));
        timers_rearm(m);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        (void)s, (void)si;
        Manager *m = userdata;
        Config *c = NULL;
        _cleanup_free_ char *errors = NULL;

        (void)sd_notify(false, "RELOADING=1");
        int r = config_load(m->opts.config_path, &c, &errors);
        if (r < 0) {
                /* One entry per error, so each FILE:LINE is searchable. */
                char *save = NULL;
                for (char *line = errors ? strtok_r(errors, "\n", &save) : NULL; line;
                     line = strtok_r(NULL, "\n", &save))
                        log_event(EVENT_CONFIG_ERROR, LOG_ERR, NULL,
                                  "reload refused, keeping the running configuration: %s", line);
                if (!errors)
                        log_event(EVENT_CONFIG_ERROR, LOG_ERR, NULL,
                                  "reload refused, keeping the running configuration: %s: %s",
                                  m->opts.config_path, strerror(-r));
                (void)sd_notify(false, "READY=1");
                return 0;
        }
        rules_state_rebind(m->state, c);
        config_free(m->config);
        m->config = c;
        m->psi_every_tick = schedule_psi_every_tick(c);
        reschedule(m);
        /* A term in its grace was decided under the old rules: if the new
         * ones ask for a dry run, or protect its process, no SIGKILL
         * follows. Protection by name or path is judged by the walk on the
         * executable (protect.h), against the protect list of the config
         * it was given: walk now, under the new one, then look. */
        pid_t pid;
        uint64_t start;
        const char *comm;
        const unsigned lanes[] = { RULES_BUSY_SIGNAL, RULES_BUSY_SYSTEM };
        for (size_t i = 0; i < ELEMENTSOF(lanes); i++)
                if (dry_run(m) && actions_signal_target(m->actions, lanes[i], &pid, &start, &comm))
                        actions_cancel_signal(m->actions, lanes[i], "dry run after reload");
        if (tick_full(m, false) >= 0)
                for (size_t i = 0; i < ELEMENTSOF(lanes); i++)
                        if (actions_signal_target(m->actions, lanes[i], &pid, &start, &comm) &&
                            shield_process(m->config, &m->snap, pid, start, false))
                                actions_cancel_signal(m->actions, lanes[i], "protected after reload");
        if (wants_bus(c))
                (void)actions_bus_connect(m->actions);
        log_event(EVENT_CONFIG_RELOADED, LOG_NOTICE, NULL, "configuration reloaded from %s: %zu rules%s",
                  m->opts.config_path, c->n_rules, dry_run(m) ? " (dry run)" : "");
        (void)sd_notify(false, "READY=1");
        return 0;
}

static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        (void)si, (void)userdata;
        (void)sd_notify(false, "STOPPING=1");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int manager_new(const ManagerOptions *opts, Config *config, Manager **ret)
{
        Manager *m = calloc(1, sizeof *m);
        if (!m) {
                config_free(config);
                return -ENOMEM;
        }
        m->opts = *opts;
        m->config = config;
        m->psi_every_tick = schedule_psi_every_tick(config);
        m->psi_trigger_fd = -1;
        m->root.proc_fd = m->root.cgroup_fd = -1;
        m->snap.self_pid = getpid();
        m->jitter = monotonic_usec() ^ ((uint64_t)getpid() << 32);

        int r = procroot_open(opts->proc_root, opts->cgroup_root, &m->root);
        if (r < 0) {
                log_msg(LOG_ERR, "cannot open %s: %s", opts->proc_root ? opts->proc_root : "/proc",
                        strerror(-r));
                goto fail;
        }
        r = sampler_new(&m->root, &m->sampler);
        if (r < 0) {
                log_msg(LOG_ERR, "cannot read meminfo: %s", strerror(-r));
                goto fail;
        }
        m->state = rules_state_new();
        m->hist = history_new();
        if (!m->state || !m->hist) {
                r = -ENOMEM;
                goto fail;
        }
        rules_state_set_history(m->state, m->hist);
        r = sd_event_new(&m->event);
        if (r < 0)
                goto fail;
        r = actions_new(m->event, on_action_done, m, &m->actions);
        if (r < 0)
                goto fail;
        actions_set_sandboxed(m->actions, opts->proc_root || opts->cgroup_root);
        *ret = m;
        return 0;
fail:
        manager_free(m);
        return r;
}

void manager_free(Manager *m)
{
        if (!m)
                return;
        actions_free(m->actions);
        watchdog_free(m->watchdog);
        sd_event_source_disable_unref(m->full_timer);
        sd_event_source_disable_unref(m->unit_timer);
        sd_event_source_disable_unref(m->psi_source);
        sd_event_source_disable_unref(m->cgwatch_source);
        cgwatch_free(m->cgwatch);
        if (m->psi_trigger_fd >= 0)
                close(m->psi_trigger_fd);
        sd_event_unref(m->event);
        snapshot_clear(&m->snap);
        rules_state_free(m->state);
        history_free(m->hist);
        sampler_free(m->sampler);
        procroot_close(&m->root);
        config_free(m->config);
        free(m);
}

/* Wakes for the system tier's ticks and the watchdog's pings while
 * sd-event is armed and has nothing to do: a poll() of its descriptor,
 * one clock read and the tick. Neither sd_event_wait(), which reads three
 * clocks on every return, nor any other sd-event code runs on such a
 * wake-up: on a 2 GiB box it comes 4 times a second, and in the guest
 * every page a wake-up touches costs (bench/RESULTS.md). Returns > 0 when
 * sd-event has work, 0 when a tick changed sources (an action, a walk:
 * the loop must arm sd-event again before sleeping), or -errno. */
static int idle_wait(Manager *m)
{
        struct pollfd p = { .fd = sd_event_get_fd(m->event), .events = POLLIN };
        for (;;) {
                uint64_t due = watchdog_due(m->watchdog);
                if (m->fast_due < due)
                        due = m->fast_due;
                if (due > m->now) {
                        /* whole milliseconds, rounded up: never early */
                        uint64_t ms = (due - m->now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
                        int r = poll(&p, 1, ms > INT_MAX ? INT_MAX : (int)ms);
                        if (r > 0)
                                return 1;
                        if (r < 0 && errno != EINTR)
                                return -errno;
                }
                m->now = monotonic_usec();
                watchdog_ping(m->watchdog, m->now);
                if (m->now >= m->fast_due) {
                        m->touched = false;
                        fast_tick(m);
                        if (m->touched)
                                return 0;
                }
        }
}

/* sd_event_loop(), with the system tier's ticks and the watchdog's pings
 * between its iterations (idle_wait(), at most 1 ms late). The loop pings
 * the watchdog: a loop that hangs is restarted. */
static int run(Manager *m)
{
        for (;;) {
                int r = sd_event_prepare(m->event);
                if (r == 0) {
                        r = idle_wait(m);
                        if (r >= 0)
                                r = sd_event_wait(m->event, 0);
                }
                if (r < 0)
                        return r;
                (void)sd_event_now(m->event, CLOCK_MONOTONIC, &m->now);
                if (r > 0) {
                        r = sd_event_dispatch(m->event);
                        if (r < 0)
                                return r;
                        /* a handler may have walked /proc for a while */
                        m->now = monotonic_usec();
                }
                if (sd_event_get_state(m->event) == SD_EVENT_FINISHED)
                        return sd_event_get_exit_code(m->event, &r) < 0 ? 0 : r;
                /* Stopping: sd_event_loop() would run nothing more either. */
                int code;
                if (sd_event_get_exit_code(m->event, &code) >= 0)
                        continue;
                watchdog_ping(m->watchdog, m->now);
                if (m->now >= m->fast_due)
                        fast_tick(m);
        }
}

static void lock_memory(void)
{
#if defined(__SANITIZE_ADDRESS__)
        /* ASan reserves terabytes of shadow: never lock it. */
#else
        /* Under pressure the kernel evicts file pages, our code among them;
         * a watchdog that page-faults on its own text while the box thrashes
         * acts late. MCL_ONFAULT locks only what we touch (Linux 4.4+). */
        if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
                log_msg(LOG_NOTICE, "cannot lock memory (%m); running unlocked");
#endif
}

int manager_run(Manager *m)
{
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        int r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGTERM, on_stop, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_stop, m);
        if (r < 0)
                return r;

        lock_memory();

        uint64_t now = m->now = monotonic_usec();
        m->fast_due = usec_add(now, m->config->fast_interval_usec);
        r = sd_event_add_time(m->event, &m->full_timer, CLOCK_MONOTONIC,
                              usec_add(now, full_interval(m)), 10 * USEC_PER_MSEC, on_full_timer, m);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(m->full_timer, SD_EVENT_ON);
        if (r < 0)
                return r;
        r = sd_event_add_time(m->event, &m->unit_timer, CLOCK_MONOTONIC, now, 100 * USEC_PER_MSEC,
                              on_unit_timer, m);
        if (r < 0)
                return r;

        char psi_mode[96] = "no PSI on this kernel";
        m->psi_trigger_fd = psi_trigger_open(m->root.proc_fd, PSI_STALL_USEC, PSI_WINDOW_USEC);
        if (m->psi_trigger_fd >= 0) {
                r = sd_event_add_io(m->event, &m->psi_source, m->psi_trigger_fd, EPOLLPRI,
                                    on_psi_trigger, m);
                snprintf(psi_mode, sizeof psi_mode, r >= 0 ? "PSI trigger armed" :
                         "PSI trigger unavailable (%s), timers only", strerror(-r));
        } else if (m->psi_trigger_fd != -ENOENT)
                /* EACCES: before Linux 6.5 the file is 0444 and a root
                 * without CAP_DAC_OVERRIDE cannot open it for writing */
                snprintf(psi_mode, sizeof psi_mode, "PSI trigger unavailable (%s), timers only",
                         strerror(-m->psi_trigger_fd));

        /* Not sd_event_set_watchdog(): see watchdog.h. */
        r = watchdog_new(now, &m->watchdog);
        if (r < 0)
                log_msg(LOG_WARNING, "watchdog not pinged: %s", strerror(-r));

        if (wants_bus(m->config) && !dry_run(m)) {
                r = actions_bus_connect(m->actions);
                if (r < 0)
                        log_msg(LOG_WARNING, "no system bus yet (%s): restarts will be retried when needed",
                                strerror(-r));
        }

        /* Before the first walk: a unit that starts in between is then
         * seen by one or the other. */
        char watch_mode[160];
        const char *watched = cgwatch_start(m, watch_mode, sizeof watch_mode);

        r = tick_full(m, false);
        if (r < 0)
                return r;
        timers_rearm(m);
        log_event(EVENT_STARTED, LOG_INFO, NULL,
                  "memguard %s started: %zu rules, %zu processes in %zu units, %s, unit memory from %s%s%s",
                  MEMGUARD_VERSION, m->config->n_rules, m->snap.n_procs, m->snap.n_units, psi_mode,
                  m->root.cgroup_fd >= 0 ? "cgroup v2" : "process PSS", watched,
                  dry_run(m) ? ", dry run" : "");

        r = run(m);
        log_event(EVENT_STOPPED, LOG_INFO, NULL, "memguard stopped");
        return r < 0 ? r : 0;
}
