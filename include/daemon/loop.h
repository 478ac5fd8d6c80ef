/* loop.h — internal to src/daemon/: the Manager, which knows every stage,
 * and what its files share. loop.c runs the event loop (lifecycle,
 * reload, the idle wait), timers.c decides when ticks happen, tick.c what
 * a tick does. The contract is manager.h. */
#ifndef MEMGUARD_DAEMON_LOOP_H
#define MEMGUARD_DAEMON_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "act/actions.h"
#include "config/config.h"
#include "daemon/manager.h"
#include "daemon/watchdog.h"
#include "read/cgwatch.h"
#include "read/oomkill.h"
#include "read/snapshot.h"
#include "report/status.h"
#include "rules/rules.h"
#include "sample/history.h"
#include "sample/sample.h"
#include "sample/schedule.h"
#include "util/procroot.h"

/* Decisions of one evaluation; more are deferred to the next (rules.h), which
 * comes within a fast tick. Each holds a reason and a unit's names (~1.7 KiB):
 * pages that become resident only when decisions are written (pages.h). */
#define MAX_DECISIONS 32

/* The cgroup tree's watch, once lost, is tried again at least this often
 * (cgwatch_retry()). */
#define CGWATCH_RETRY_USEC (3600ULL * 1000 * 1000)

/* After units change (cgwatch.h), the walk waits UNITS_SETTLE_USEC, so
 * that a burst of unit starts costs one walk, and follows the last walk
 * made for such a change by at least UNITS_GAP_USEC (or `interval`, if
 * longer), so that a box that starts units all the time (per-connection
 * services, a CI runner) walks for them every 10 s at most. Growth windows
 * are minutes long, and a spike is the system rules' business. */
#define UNITS_SETTLE_USEC (100 * USEC_PER_MSEC)

#define UNITS_GAP_USEC (10 * USEC_PER_SEC)

/* The state file for `memguard status` is written when the command asks
 * (SIGUSR1: a view of now), at once after a decision, and otherwise after
 * a sample at most this often, so that a view is there when the daemon
 * cannot answer. In the 2 GB guest a write every 5 s cost a third more
 * idle CPU than earlyoom's whole (bench/RESULTS.md): views are written
 * when they are read. */
#define STATUS_PERIOD_USEC (60 * USEC_PER_SEC)
/* ... and when asked, its processes are walked for anew if the last walk
 * is older than this: walks may be an hour apart (the cgroup tree watched,
 * no systemd), and the table of processes is what an operator asks about;
 * a walk per this period at most, however often status is asked. */
#define STATUS_PROCS_FRESH_USEC (10 * USEC_PER_SEC)

struct Manager {
        ManagerOptions opts;
        Config *config;
        ProcRoot root;
        Sampler *sampler;
        RulesState *state;
        History *hist;
        Actions *actions;
        Snapshot snap;
        /* The system sample before snap.sys, and one about a second older:
         * the trends that land the next tick just after a threshold's
         * crossing (schedule_trend_sleep()). */
        SystemSample prev_sys, base_sys;
        Snapshot spare;   /* the walk before last's tables, for the next walk to fill */
        sd_event *event;
        uint64_t fast_due; /* the next system sample, CLOCK_MONOTONIC */
        Watchdog *watchdog; /* WatchdogSec=, or NULL */
        bool psi_every_tick; /* schedule_psi_every_tick(config) */
        sd_event_source *full_timer;
        sd_event_source *unit_timer; /* the unit tier; idle when not needed */
        sd_event_source *psi_source;
        int psi_trigger_fd;
        int stop_fd;                 /* signalfd of SIGTERM and SIGINT, polled, never read */
        CgWatch *cgwatch;            /* the cgroup tree, or NULL: walks find units */
        /* Without the watch: the units there were when it last failed
         * (SIZE_MAX: at the start, not known yet); a walk that finds
         * fewer tries again (cgwatch_retry()). */
        size_t cgwatch_lost_units;
        uint64_t cgwatch_tried_usec; /* and when it was last tried */
        sd_event_source *cgwatch_source;
        UnitTier tier, full_tier;    /* unit_tier(), full_tier() when timers were set */
        bool units_may_appear;       /* systemd runs: units_may_appear() */
        bool units_walk_due;         /* the full timer is set for a change of units */
        uint64_t units_walk_usec;    /* when the last walk for one ran */
        uint64_t now;   /* CLOCK_MONOTONIC as the loop last read it (now_usec()) */
        bool touched;   /* sd-event sources may have changed while it was armed */
        bool ready;
        bool in_full_tick;
        uint64_t jitter;     /* schedule_jittered()'s state */
        bool partial_noted;  /* "processes partly sampled" said since the last whole walk */
        int meminfo_error;   /* the last failed read of meminfo's, said once; 0: read */
        char status[256];
        Decision *decisions; /* MAX_DECISIONS of them (pages_alloc()) */
        /* The decision in flight in each lane, for rules_action_failed()
         * when its end says it was not carried out (lane_index()). */
        Decision in_flight[3];
        /* For `memguard status` (report/status.h). */
        ActionLog log;
        StatusProcOrder order;
        uint64_t started_realtime_usec;
        uint64_t sample_usec;  /* CPU time of the last full sample */
        int status_error;      /* the last state file write's, said once */
        uint64_t status_usec;  /* when it was last written */
        bool status_due;       /* a decision since: write at the next chance */
        /* The metrics file (report/metrics.h), rendered from each view
         * written while metrics-file is set. */
        char *metrics_path;    /* the one being written (removed when the
                                * config names another, and at the stop) */
        int metrics_error;     /* the last write's, said once */
        uint64_t metrics_usec; /* when it was last written (tried); 0: never */
        /* The kernel's OOM kills (oomwatch.c) */
        OomKills *oomkills;
        int kmsg_fd;                 /* /dev/kmsg, or -1 */
        sd_event_source *kmsg_source;
        sd_event_source *oom_timer;  /* a kill's pairing or cross-check is due */
        uint64_t vmstat_oom_kills;   /* /proc/vmstat's oom_kill at the last look */
        bool kmsg_lost_noted;        /* "records were overwritten" said */
        uint64_t kernel_oom_kills[2]; /* reported: [0] system, [1] cgroup */
        uint64_t samples[STATUS_SAMPLE_KINDS]; /* taken since the start */
};

/* The loop's idea of now: sd_event_now() in a handler, the clock read of
 * an idle tick there (run()). */
static inline uint64_t now_usec(const Manager *m)
{
        return m->now;
}

/* The index in Manager.in_flight of lane LANE (RULES_BUSY_*). */
static inline unsigned lane_index(unsigned lane)
{
        return lane == RULES_BUSY_RESTART ? 1 : lane == RULES_BUSY_SYSTEM ? 2 : 0;
}

static inline bool dry_run(const Manager *m)
{
        return m->opts.force_dry_run || m->config->dry_run;
}

/* tick.c */
int tick_system(Manager *m, bool fresh_psi);
int tick_full(Manager *m, bool all_pss);
UnitTier unit_tier(const Manager *m);
UnitTier full_tier(const Manager *m);
uint64_t full_interval(const Manager *m);
uint64_t fast_sleep(const Manager *m);
void fast_tick(Manager *m);

void status_update(Manager *m, bool sampled);

/* oomwatch.c: the kernel's OOM kills. Start before the first walk;
 * returns what to say about it in the start message. */
const char *oomwatch_start(Manager *m, char *buf, size_t size);
/* After a whole walk or a unit tick: baselines for new units' counters,
 * and the counters of units gone forgotten. */
void oomwatch_sampled(Manager *m);
void oomwatch_stop(Manager *m);

/* timers.c */
int on_full_timer(sd_event_source *s, uint64_t usec, void *userdata);
int on_unit_timer(sd_event_source *s, uint64_t usec, void *userdata);
const char *cgwatch_start(Manager *m, char *buf, size_t size);
/* After a whole walk: the cgroup tree watched again if it was lost. */
void cgwatch_retry(Manager *m);
int on_psi_trigger(sd_event_source *s, int fd, uint32_t revents, void *userdata);
void on_action_done(void *userdata, unsigned lane, bool not_done);
void timers_rearm(Manager *m);
void reschedule(Manager *m);

#endif
