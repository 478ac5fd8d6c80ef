/* loop.c — the daemon (manager.h): its lifecycle, the event loop with the
 * system tier's idle wait, and reload; timers.c says when ticks happen,
 * tick.c what one does (loop.h). */
#include "daemon/loop.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "read/psi.h"
#include "select/demand.h"
#include "select/protect.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/pages.h"

/* A PSI trigger of 150 ms of "some" stall per 1 s window: early enough to
 * wake the loop when reclaim starts to hurt, rare enough to stay silent on
 * a healthy box (DESIGN §6). */
#define PSI_STALL_USEC (150 * USEC_PER_MSEC)
#define PSI_WINDOW_USEC (1000 * USEC_PER_MSEC)

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
        /* the decisions of actions in flight pointed into the old rules;
         * what they are still needed for (rules_action_failed()) reads
         * their copies of the target, never the rule */
        for (size_t i = 0; i < ELEMENTSOF(m->in_flight); i++)
                m->in_flight[i].rule = NULL;
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
        /* a restart's `before` step: its restart would not be a dry run */
        if (dry_run(m) && actions_signal_target(m->actions, RULES_BUSY_RESTART, &pid, &start, &comm))
                actions_cancel_signal(m->actions, RULES_BUSY_RESTART, "dry run after reload");
        /* ... and a restart's `before` step whose process the new config
         * protects ends with its restart, as a term's does */
        const unsigned all[] = { RULES_BUSY_SIGNAL, RULES_BUSY_SYSTEM, RULES_BUSY_RESTART };
        if (tick_full(m, false) >= 0)
                for (size_t i = 0; i < ELEMENTSOF(all); i++)
                        if (actions_signal_target(m->actions, all[i], &pid, &start, &comm) &&
                            shield_process(m->config, &m->snap, pid, start, false))
                                actions_cancel_signal(m->actions, all[i], "protected after reload");
        if (demand_bus(c))
                (void)actions_bus_connect(m->actions);
        log_event(EVENT_CONFIG_RELOADED, LOG_NOTICE, NULL, "configuration reloaded from %s: %zu rules%s",
                  m->opts.config_path, c->n_rules, dry_run(m) ? " (dry run)" : "");
        (void)sd_notify(false, "READY=1");
        return 0;
}

/* `memguard status` asks for a view of now: the system tier is read
 * afresh, the processes too unless the last walk is recent
 * (STATUS_PROCS_FRESH_USEC; units are the last walk's and unit tick's),
 * and the view written at once. */
static int on_status_request(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        (void)s, (void)si;
        Manager *m = userdata;
        if (now_usec(m) >= usec_add(m->snap.procs_usec, STATUS_PROCS_FRESH_USEC) && !m->in_full_tick)
                (void)tick_full(m, false);
        else
                (void)tick_system(m, true);
        m->status_due = true;
        status_update(m, false);
        return 0;
}

int manager_new(const ManagerOptions *opts, Config *config, Manager **ret)
{
        Manager *m = calloc(1, sizeof *m);
        if (!m) {
                config_free(config);
                log_msg(LOG_ERR, "not started: %s", strerror(ENOMEM));
                return -ENOMEM;
        }
        m->opts = *opts;
        m->config = config;
        m->psi_every_tick = schedule_psi_every_tick(config);
        m->psi_trigger_fd = -1;
        m->stop_fd = -1;
        m->kmsg_fd = -1;
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
        /* written only by an evaluation that decides something */
        m->decisions = pages_alloc(MAX_DECISIONS * sizeof *m->decisions);
        r = m->state && m->hist && m->decisions ? 0 : -ENOMEM;
        if (r >= 0) {
                rules_state_set_history(m->state, m->hist);
                r = sd_event_new(&m->event);
        }
        if (r >= 0)
                r = actions_new(m->event, on_action_done, m, &m->actions);
        if (r < 0) {
                log_msg(LOG_ERR, "not started: %s", strerror(-r));
                goto fail;
        }
        actions_set_sandboxed(m->actions, opts->proc_root || opts->cgroup_root);
        actions_set_snapshot(m->actions, &m->snap);
        actions_set_cgroup_root(m->actions, m->root.cgroup_fd);
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
        oomwatch_stop(m);
        watchdog_free(m->watchdog);
        sd_event_source_disable_unref(m->full_timer);
        sd_event_source_disable_unref(m->unit_timer);
        sd_event_source_disable_unref(m->psi_source);
        sd_event_source_disable_unref(m->cgwatch_source);
        cgwatch_free(m->cgwatch);
        if (m->psi_trigger_fd >= 0)
                close(m->psi_trigger_fd);
        if (m->stop_fd >= 0)
                close(m->stop_fd);
        sd_event_unref(m->event);
        snapshot_clear(&m->snap);
        snapshot_clear(&m->spare);
        rules_state_free(m->state);
        history_free(m->hist);
        pages_free(m->decisions, MAX_DECISIONS * sizeof *m->decisions);
        sampler_free(m->sampler);
        procroot_close(&m->root);
        config_free(m->config);
        free(m->metrics_path);
        free(m);
}

#define IDLE_STOP 2

/* Wakes for the system tier's ticks and the watchdog's pings while
 * sd-event is armed and has nothing to do: a poll() of its descriptor,
 * one clock read and the tick. Neither sd_event_wait(), which reads three
 * clocks on every return, nor any other sd-event code runs on such a
 * wake-up: on a 2 GiB box it comes 4 times a second, and in the guest
 * every page a wake-up touches costs (bench/RESULTS.md). Returns
 * IDLE_STOP when SIGTERM or SIGINT is pending, 1 when sd-event has work,
 * 0 when a tick changed sources (an action, a walk: the loop must arm
 * sd-event again before sleeping), or -errno. */
static int idle_wait(Manager *m)
{
        struct pollfd p[2] = {
                { .fd = sd_event_get_fd(m->event), .events = POLLIN },
                { .fd = m->stop_fd, .events = POLLIN },
        };
        for (;;) {
                uint64_t due = watchdog_due(m->watchdog);
                if (m->fast_due < due)
                        due = m->fast_due;
                if (due > m->now) {
                        /* whole milliseconds, rounded up: never early */
                        uint64_t ms = (due - m->now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
                        int r = poll(p, 2, ms > INT_MAX ? INT_MAX : (int)ms);
                        if (r > 0)
                                return p[1].revents ? IDLE_STOP : 1;
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

/* SIGTERM or SIGINT is waiting (blocked: see manager_run()). */
static bool stop_pending(void)
{
        sigset_t set;
        return sigpending(&set) == 0 && (sigismember(&set, SIGTERM) == 1 || sigismember(&set, SIGINT) == 1);
}

/* sd_event_loop(), with the system tier's ticks and the watchdog's pings
 * between its iterations (idle_wait(), at most 1 ms late). The loop pings
 * the watchdog: a loop that hangs is restarted. */
static int run(Manager *m)
{
        bool short_noted = false;
        for (;;) {
                int r = sd_event_prepare(m->event);
                if (r == 0) {
                        r = idle_wait(m);
                        if (r == IDLE_STOP)
                                break;
                        if (r >= 0)
                                r = sd_event_wait(m->event, 0);
                }
                if (r >= 0)
                        (void)sd_event_now(m->event, CLOCK_MONOTONIC, &m->now);
                if (r > 0) {
                        r = sd_event_dispatch(m->event);
                        /* a handler may have walked /proc for a while */
                        m->now = monotonic_usec();
                }
                /* sd-event grows its buffers as it goes (the array epoll
                 * fills, a source's queue), and a failed allocation there
                 * used to end the daemon when memory was shortest. Each of
                 * the three calls leaves the loop ready to be prepared
                 * again: the system tier below runs meanwhile, at most
                 * 10 ms late, and the loop is tried again. */
                if (r == -ENOMEM) {
                        if (!short_noted)
                                log_msg(LOG_WARNING, "event loop out of memory: retrying; "
                                                     "the system rules act meanwhile");
                        short_noted = true;
                        /* a stop must not wait for the loop to recover */
                        if (stop_pending())
                                break;
                        (void)poll(NULL, 0, 10);
                        m->now = monotonic_usec();
                } else if (r < 0) {
                        return r;
                } else if (short_noted) {
                        log_msg(LOG_NOTICE, "event loop running again");
                        short_noted = false;
                }
                watchdog_ping(m->watchdog, m->now);
                if (m->now >= m->fast_due)
                        fast_tick(m);
        }
        (void)sd_notify(false, "STOPPING=1");
        return 0;
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
        sigaddset(&mask, SIGUSR1);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        int r;

        /* SIGTERM and SIGINT stay out of sd-event: its signalfd source
         * reads a signal before it allocates (the queue of pending
         * sources), and a failed allocation there lost the stop for good.
         * This descriptor is polled and never read, so a stop stays
         * pending until it is seen (tests/faults). */
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        m->stop_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m->stop_fd < 0) {
                r = -errno;
                goto not_started;
        }
        r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGUSR1, on_status_request, m);
        if (r < 0)
                goto not_started;

        lock_memory();

        /* Where `memguard status` finds the view: systemd makes it
         * (RuntimeDirectory=); run by hand, memguard does. */
        m->started_realtime_usec = realtime_usec();
        if (mkdir(status_dir(), 0700) < 0 && errno != EEXIST)
                log_msg(LOG_WARNING, "cannot make %s for memguard status: %m", status_dir());

        uint64_t now = m->now = monotonic_usec();
        m->fast_due = usec_add(now, m->config->fast_interval_usec);
        r = sd_event_add_time(m->event, &m->full_timer, CLOCK_MONOTONIC,
                              usec_add(now, full_interval(m)), 10 * USEC_PER_MSEC, on_full_timer, m);
        if (r < 0)
                goto not_started;
        r = sd_event_source_set_enabled(m->full_timer, SD_EVENT_ON);
        if (r < 0)
                goto not_started;
        r = sd_event_add_time(m->event, &m->unit_timer, CLOCK_MONOTONIC, now, 100 * USEC_PER_MSEC,
                              on_unit_timer, m);
        if (r < 0)
                goto not_started;

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

        if (demand_bus(m->config) && !dry_run(m)) {
                r = actions_bus_connect(m->actions);
                if (r < 0)
                        log_msg(LOG_WARNING, "no system bus yet (%s): restarts will be retried when needed",
                                strerror(-r));
        }

        /* Before the first walk: a unit that starts in between is then
         * seen by one or the other. */
        char watch_mode[160];
        const char *watched = cgwatch_start(m, watch_mode, sizeof watch_mode);
        /* ... and the kernel's log from its end: kills from before
         * memguard started are never reported */
        char oom_mode[200];
        const char *oom = oomwatch_start(m, oom_mode, sizeof oom_mode);

        r = tick_full(m, false);
        if (r < 0)
                goto not_started;
        timers_rearm(m);
        log_event(EVENT_STARTED, LOG_INFO, NULL,
                  "memguard %s started: %zu rules, %zu processes in %zu units, %s, %s%s%s%s",
                  MEMGUARD_VERSION, m->config->n_rules, m->snap.n_procs, m->snap.n_units, psi_mode,
                  unit_tier(m) == UNIT_TIER_ABSENT ? "no unit memory (systemd does not run)"
                  : m->root.cgroup_fd >= 0         ? "unit memory from cgroup v2"
                                                   : "unit memory from process PSS",
                  unit_tier(m) == UNIT_TIER_ABSENT ? "" : watched, oom,
                  dry_run(m) ? ", dry run" : "");

        r = run(m);
        /* `memguard status` then says it is not running */
        char path[512];
        snprintf(path, sizeof path, "%s/%s", status_dir(), STATUS_FILE);
        (void)unlink(path);
        /* ... and the metrics no longer describe a running memguard:
         * absent(memguard_view_timestamp_seconds) says so */
        if (m->metrics_path)
                (void)unlink(m->metrics_path);
        if (r < 0)
                log_msg(LOG_ERR, "stopped on error: %s", strerror(-r));
        log_event(EVENT_STOPPED, LOG_INFO, NULL, "memguard stopped");
        return r < 0 ? r : 0;
not_started:
        log_msg(LOG_ERR, "not started: %s", strerror(-r));
        return r;
}
