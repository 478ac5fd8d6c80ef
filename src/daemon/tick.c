/* tick.c — what one tick does: sample (the system tier, or a whole walk),
 * evaluate the rules, carry out their decisions, escalate a SIGTERM when a
 * kill rule is due, and tell systemd (READY=1, STATUS=). */
#include "daemon/loop.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "act/actions.h"
#include "read/vmstat.h"
#include "report/metrics.h"
#include "sample/history.h"
#include "select/demand.h"
#include "select/protect.h"
#include "util/cleanup.h"
#include "util/format.h"
#include "util/log.h"

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

static uint64_t cpu_usec(void)
{
        struct timespec ts;
        if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
                return 0;
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* The lane of decision D (RULES_BUSY_*; 0 for a warning). */
static unsigned action_lane(const Decision *d)
{
        return d->action == ACTION_WARN            ? 0
               : d->action == ACTION_RESTART       ? RULES_BUSY_RESTART
               : d->rule->scope == SCOPE_SYSTEM    ? RULES_BUSY_SYSTEM
                                                   : RULES_BUSY_SIGNAL;
}

/* Keeps decision D and what actions_run() made of it (R) for status. */
static void log_action(Manager *m, const Decision *d, int r)
{
        unsigned lane = action_lane(d);
        ActionResult result = r < 0                     ? ACTION_RESULT_FAILED
                              : d->action == ACTION_WARN ? ACTION_RESULT_WARNED
                              : dry_run(m)               ? ACTION_RESULT_DRY_RUN
                              : r > 0                    ? ACTION_RESULT_IN_PROGRESS
                                                         : ACTION_RESULT_DONE;
        actionlog_add(&m->log, d, lane, realtime_usec(), result, r < 0 ? strerror(-r) : NULL);
}

/* The metrics file named by the config no longer is: remove the one
 * written (node_exporter would export its last values for ever). */
static void metrics_forget(Manager *m)
{
        const char *want = m->config->metrics_file;
        if (!m->metrics_path || (want && strcmp(want, m->metrics_path) == 0))
                return;
        (void)unlink(m->metrics_path);
        free(m->metrics_path);
        m->metrics_path = NULL;
        m->metrics_error = 0;
        m->metrics_usec = 0;
}

/* Whether this view makes the metrics file too: one is configured, its
 * metrics-interval has passed, and no action is in flight (the loop then
 * follows a SIGTERM's grace or a restart job closely, and must not wait
 * on a disk). Each write replaces a file on disk, which on ext4 starts
 * its writeback at once: ~0.25 ms of CPU on the test host, half of an
 * idle memguard's CPU if it came with every view (memguard.conf(5)). */
static bool metrics_due(const Manager *m)
{
        return m->config->metrics_file && !actions_in_flight(m->actions) &&
               (m->metrics_usec == 0 ||
                now_usec(m) >= usec_add(m->metrics_usec, m->config->metrics_interval_usec));
}

/* Renders the view just written to STATUS_PATH into the metrics file:
 * read back as memguard status reads it, so the two always agree (less
 * its processes, cooldowns and last actions, which the metrics do not
 * show: most of a view's size). */
static void metrics_update(Manager *m, const char *status_path)
{
        const char *path = m->config->metrics_file;
        StatusFile *f = NULL;

        m->metrics_usec = now_usec(m);
        if (!m->metrics_path)
                m->metrics_path = strdup(path); /* NULL: not removed at the stop */
        int r = status_read_some(status_path, STATUS_SKIP_PROCS | STATUS_SKIP_COOLDOWNS | STATUS_SKIP_ACTIONS,
                                 &f);
        if (r >= 0) {
                r = metrics_write_file(path, f);
                status_free(f);
        }
        if (r < 0 && r != m->metrics_error)
                log_msg(LOG_WARNING, "cannot write the metrics file %s: %s%s", path, strerror(-r),
                        r == -EROFS ? " (under systemd, allow its directory: ReadWritePaths=, see "
                                      "memguard.conf(5), metrics-file)"
                                    : "");
        m->metrics_error = r < 0 ? r : 0;
}

/* Writes the view for `memguard status` (report/status.h): after a
 * decision at once, else after a sample of any tier (SAMPLED) once per
 * STATUS_PERIOD_USEC or when the metrics file is due (its own pace,
 * metrics-interval); and from it the metrics file when one is due. A
 * failure is said once, and again when it changes. */
void status_update(Manager *m, bool sampled)
{
        metrics_forget(m);
        if (!m->status_due &&
            !(sampled && (now_usec(m) >= usec_add(m->status_usec, STATUS_PERIOD_USEC) || metrics_due(m))))
                return;
        m->status_due = false;
        m->status_usec = now_usec(m);
        StatusSource src = { .config = m->config, .snap = &m->snap, .state = m->state,
                             .hist = m->hist, .log = &m->log, .order = &m->order,
                             .config_path = m->opts.config_path,
                             .dry_run = dry_run(m),
                             .started_realtime_usec = m->started_realtime_usec,
                             .sample_usec = m->sample_usec,
                             .samples = m->samples,
                             .oom_reported = m->kernel_oom_kills };
        bool metrics = metrics_due(m);
        /* The kernel's OOM kills are for the metrics only: not read
         * without them. */
        if (metrics)
                src.has_oom_kills = vmstat_read_oom_kills(m->root.proc_fd, &src.oom_kills) >= 0;
        int r = status_write_file(status_dir(), &src);
        if (r < 0 && r != m->status_error)
                log_msg(LOG_WARNING, "cannot write %s/%s for memguard status: %s", status_dir(),
                        STATUS_FILE, strerror(-r));
        m->status_error = r < 0 ? r : 0;
        if (r >= 0 && metrics) {
                char path[512];
                snprintf(path, sizeof path, "%s/%s", status_dir(), STATUS_FILE);
                metrics_update(m, path);
        }
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
                m->touched = m->status_due = true;
        for (int i = 0; i < n; i++) {
                const Decision *d = &m->decisions[i];
                int r = actions_run(m->actions, d, &m->snap, dry_run(m));
                if (d->kind == DECISION_FIRE)
                        log_action(m, d, r);
                /* Not carried out: the target was not acted on, and must not
                 * sit in a cooldown as if it had been. */
                if (r < 0 && r != -EBUSY)
                        rules_action_failed(m->state, d);
                else if (r > 0 && d->action != ACTION_WARN)
                        m->in_flight[lane_index(action_lane(d))] = *d;
        }
        /* ... and a kill rule that became due in this evaluation */
        (void)escalate_due(m);
        if (need_full && procs == RULES_PROCS_STALE && !m->in_full_tick)
                (void)tick_full(m, demand_all_pss(m->config));
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
        /* Kept once sent: sd_notifyf() allocates, and a status it could
         * not send would otherwise stay stale in `systemctl status` (at
         * 50% while memory is low) until the text changes again. */
        if (sd_notifyf(false, "STATUS=%s", status) >= 0)
                memcpy(m->status, status, sizeof status);
}

/* FRESH_PSI: read PSI now (a full sample, a PSI event); the fast tier
 * otherwise reads it once per kernel averaging period (sample.h). */
int tick_system(Manager *m, bool fresh_psi)
{
        SystemSample before = m->snap.sys;
        int r = sampler_system(m->sampler, now_usec(m), fresh_psi, &m->snap.sys);
        if (r >= 0 && before.usec) {
                m->prev_sys = before;
                if (!m->base_sys.usec || m->snap.sys.usec >= m->base_sys.usec + SCHEDULE_TREND_BASE_USEC)
                        m->base_sys = before;
        }
        m->samples[STATUS_SAMPLE_SYSTEM]++;
        /* Said when it starts or its error changes, and when it ends: a
         * meminfo that cannot be read fails every tick (no line per tick). */
        if (r < 0 && r != m->meminfo_error)
                log_msg(LOG_ERR, "cannot read meminfo: %s; the system rules wait for it",
                        strerror(-r));
        else if (r >= 0 && m->meminfo_error)
                log_msg(LOG_NOTICE, "meminfo read again");
        m->meminfo_error = r < 0 ? r : 0;
        if (r >= 0)
                history_add_system(m->hist, m->config, &m->snap.sys);
        return r;
}

int tick_full(Manager *m, bool all_pss)
{
        m->touched = true;
        int r = tick_system(m, true);
        if (r < 0)
                return r;
        /* The walk fills the tables of the walk before last (SPARE): once
         * they have grown to the box's process count it allocates nothing
         * but new processes' cmdlines, so memguard short of memory still
         * holds every process it can read (tests/faults). */
        Snapshot next = m->spare;
        next.sys = m->snap.sys;
        next.self_pid = m->snap.self_pid;
        uint64_t cpu = cpu_usec();
        r = sampler_full(m->sampler, m->config, all_pss, &m->snap, now_usec(m), &next);
        m->sample_usec = cpu_usec() - cpu;
        m->samples[STATUS_SAMPLE_WALKS]++;
        if (r < 0) {
                snapshot_empty(&next);
                m->spare = next;
                log_msg(LOG_ERR, "cannot sample processes: %s", strerror(-r));
                return r;
        }
        snapshot_empty(&m->snap);
        m->spare = m->snap;
        m->snap = next;
        bool partial = r > 0;
        /* ... and the next walk's are sized to this one's now, while
         * nothing is at stake (the first walk's have none), so that when
         * memory is short they are there: grown to its capacity, or, after
         * a whole walk that held under a quarter of it, cut to twice what
         * it held. A burst of processes or units (a build, a thousand
         * scopes) leaves no table at its peak: the one cut gives its
         * memory back now, the other when it is the spare, a walk later. */
        size_t procs = m->snap.procs_cap, units = m->snap.units_cap;
        if (!partial) {
                procs = snapshot_fit_rows(m->snap.n_procs, procs, SNAPSHOT_FIRST_PROCS);
                units = snapshot_fit_rows(m->snap.n_units, units, SNAPSHOT_FIRST_UNITS);
        } else {
                /* a walk cut short by memory: nothing is cut, so that the
                 * next one has every row either table ever had */
                procs = procs > m->spare.procs_cap ? procs : m->spare.procs_cap;
                units = units > m->spare.units_cap ? units : m->spare.units_cap;
        }
        bool shrunk = false;
        (void)snapshot_fit(&m->spare, procs, units, &shrunk);
        if (shrunk)
                (void)malloc_trim(0); /* glibc keeps freed pages in its heap */
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

        if (!partial)
                oomwatch_sampled(m);

        m->in_full_tick = true;
        evaluate(m, partial ? RULES_PROCS_PARTIAL : RULES_PROCS_FRESH);
        m->in_full_tick = false;

        if (!m->ready) {
                m->ready = true;
                (void)sd_notify(false, "READY=1");
                /* the first view at once: STATUS_PERIOD_USEC counts from
                 * the clock's origin, and a box that booted less than
                 * that ago would have none until then */
                m->status_due = true;
        }
        update_status(m);
        status_update(m, true);
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
 * watched when it could be; none at all where systemd does not run
 * (units_may_appear()) and neither the walk nor the tree found a unit. */
UnitTier unit_tier(const Manager *m)
{
        if (!m->units_may_appear && m->snap.n_units == 0 &&
            !(m->cgwatch && cgwatch_n_units(m->cgwatch) > 0))
                return UNIT_TIER_ABSENT;
        if (m->root.cgroup_fd < 0)
                return UNIT_TIER_NONE;
        return m->cgwatch && units_from_cgroup(m) ? UNIT_TIER_WATCHED : UNIT_TIER_POLLED;
}

/* The tier as the full tier sees it: where the last walk found no unit at
 * all (no systemd: a container, a bare host) there is no growth series to
 * feed between walks either. A unit that appears there is found by the
 * next walk, a third of a window later at most, as under a polled unit
 * tier; the period is recomputed after every walk. */
UnitTier full_tier(const Manager *m)
{
        UnitTier t = unit_tier(m);
        return t == UNIT_TIER_NONE && m->snap.n_units == 0 ? UNIT_TIER_POLLED : t;
}

uint64_t full_interval(const Manager *m)
{
        return schedule_full_interval(m->config, full_tier(m));
}

/* Far from every threshold the system tier sleeps longer (schedule.h);
 * while an action runs, evaluations must follow it closely; and memory
 * seen falling toward an acting threshold is looked at just after it
 * would cross it. */
uint64_t fast_sleep(const Manager *m)
{
        uint64_t sleep = schedule_fast_sleep(m->config, &m->snap.sys, actions_in_flight(m->actions));
        return schedule_trend_sleep(m->config, &m->prev_sys, &m->base_sys, &m->snap.sys, sleep);
}

/* The system tier's tick. It is the event loop's own timeout (run()),
 * not an sd-event timer: on a small box it runs 4 times a second, and a
 * timer source would add a timerfd wake-up, read and re-arm to each. */
void fast_tick(Manager *m)
{
        if (tick_system(m, m->psi_every_tick) >= 0)
                evaluate(m, RULES_PROCS_STALE);
        /* memory as the fast tier reads it: a view left for when the
         * daemon cannot answer is never older than STATUS_PERIOD_USEC,
         * whatever the walks' period */
        status_update(m, true);
        /* From now, not from the due time: after a stall (thrashing, a
         * blocked read, SIGSTOP) ticks must not fire back to back. */
        m->fast_due = usec_add(now_usec(m), fast_sleep(m));
}
