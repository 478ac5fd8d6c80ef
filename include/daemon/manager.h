/* manager.h — the daemon: owns the event loop, the config, the sampler,
 * the rule state and the action layer, and runs one tick at a time.
 *
 * Ticks: the fast timer (fast-interval) samples the system tier and
 * evaluates system conditions; the full timer (schedule.h) samples
 * processes and units and evaluates every rule; the unit timer reads the
 * units' memory.current (cgroup v2) for growth series and unit rules. A
 * PSI trigger event, a system rule about to act, the end of an action, a
 * unit rule about to change state (rules_units_need_full()) run a full
 * tick at once; a change of units in the watched cgroup tree (cgwatch.h)
 * soon after. */
#ifndef MEMGUARD_MANAGER_H
#define MEMGUARD_MANAGER_H

#include <stdbool.h>

#include "config/config.h"

typedef struct ManagerOptions {
        const char *config_path;  /* reloaded from here on SIGHUP */
        const char *proc_root;    /* NULL: /proc */
        const char *cgroup_root;  /* NULL: /sys/fs/cgroup */
        bool force_dry_run;       /* --dry-run: whatever the config says */
        /* The kernel's log (NULL: /dev/kmsg, or none with a test root);
         * tests name a FIFO written one record at a time. */
        const char *kmsg_path;
        /* The cgroup tree watch's budget of inotify watches (0: an eighth
         * of the kernel's limit, cgwatch_budget()); tests set it. */
        size_t cgroup_watches;
} ManagerOptions;

typedef struct Manager Manager;

/* Creates the daemon with CONFIG (ownership taken, also on failure).
 * Returns 0 or -errno, having logged why. */
int manager_new(const ManagerOptions *opts, Config *config, Manager **ret);

/* Runs until SIGTERM/SIGINT. Returns 0 on a clean stop, -errno on a
 * failure to start or at run time, having logged it. */
int manager_run(Manager *m);

void manager_free(Manager *m);

#endif
