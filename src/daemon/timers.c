/* timers.c — when ticks happen: the full and unit tiers' timers, the
 * cgroup tree's events (a new unit: walk soon), the PSI trigger, and the
 * end of an action (look again at once). */
#include "daemon/loop.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <systemd/sd-daemon.h>

#include "read/proc.h"
#include "sample/history.h"
#include "util/cleanup.h"
#include "util/log.h"

int on_full_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;
        (void)usec;
        if (m->units_walk_due) {
                m->units_walk_due = false;
                m->units_walk_usec = now_usec(m);
        }
        (void)tick_full(m, false);
        cgwatch_retry(m);
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
int on_unit_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Manager *m = userdata;
        (void)usec;
        uint64_t now = now_usec(m);
        int n = sampler_units(m->sampler, m->config, now, &m->snap);
        m->samples[STATUS_SAMPLE_UNITS]++;
        if (n > 0)
                history_add_units(m->hist, m->config, &m->snap, now);
        /* also when no size changed: a unit rule's system conditions may */
        if (n >= 0 && unit_tier(m) == UNIT_TIER_WATCHED &&
            rules_units_need_full(m->config, &m->snap, m->state, m->snap.sys.usec))
                (void)tick_full(m, false);
        if (n >= 0) {
                oomwatch_sampled(m);
                status_update(m, true);
        }
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

static void cgwatch_stop(Manager *m, int error)
{
        log_msg(LOG_WARNING, "cgroup tree no longer watched (%s): new units are found by walking /proc",
                strerror(-error));
        m->cgwatch_lost_units = cgwatch_n_units(m->cgwatch);
        m->cgwatch_tried_usec = now_usec(m);
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

/* Whether units may appear on the box memguard watches: systemd runs.
 * sd_booted() says so for the real /proc; on any root, pid 1 in a cgroup
 * named init.scope (where systemd puts itself, in a container too). A
 * pid 1 whose cgroup names no systemd hierarchy (-ENODATA: "0::/", no
 * name=systemd line) has none; one that cannot be read might. */
static bool units_may_appear(const Manager *m)
{
        static const char scope[] = "/init.scope";
        char buf[4096], path[4096];

        if (!m->opts.proc_root && sd_booted() > 0)
                return true;
        int r = proc_read_cgroup(m->root.proc_fd, 1, buf, sizeof buf, path, sizeof path);
        if (r == -ENODATA)
                return false;
        if (r < 0)
                return true;
        size_t n = strlen(path);
        return n >= sizeof scope - 1 && strcmp(path + n - (sizeof scope - 1), scope) == 0;
}

/* Watches the cgroup tree: 0 or -errno, M->cgwatch NULL then. */
static int cgwatch_take(Manager *m)
{
        const char *path = m->opts.cgroup_root ? m->opts.cgroup_root : "/sys/fs/cgroup";
        size_t budget = m->opts.cgroup_watches ? m->opts.cgroup_watches : cgwatch_budget(NULL);
        int r = cgwatch_new(path, budget, &m->cgwatch);
        if (r >= 0) {
                r = sd_event_add_io(m->event, &m->cgwatch_source, cgwatch_fd(m->cgwatch), EPOLLIN,
                                    on_cgroup_event, m);
                if (r < 0) {
                        cgwatch_free(m->cgwatch);
                        m->cgwatch = NULL;
                }
        }
        return r;
}

/* The watch given up (its budget passed, cgwatch_stop()) or never taken
 * at the start is tried again after a walk that found fewer units than
 * there were when it last failed (at the start: the first walk's), and
 * at least hourly (a unit's processes gone before its cgroup: the walk
 * that saw fewer units came too soon), so that a box whose units once
 * outgrew the budget is watched again once they fit, and a tree that
 * still does not fit is not scanned at every walk. Quiet while it fails;
 * said when it is back. */
void cgwatch_retry(Manager *m)
{
        uint64_t now = now_usec(m);
        if (m->cgwatch || m->root.cgroup_fd < 0 ||
            (m->snap.n_units >= m->cgwatch_lost_units &&
             now < usec_add(m->cgwatch_tried_usec, CGWATCH_RETRY_USEC)))
                return;
        m->cgwatch_tried_usec = now;
        if (cgwatch_take(m) < 0) {
                m->cgwatch_lost_units = m->snap.n_units;
                return;
        }
        log_msg(LOG_NOTICE, "cgroup tree watched again (%zu units, %zu cgroups watched)",
                cgwatch_n_units(m->cgwatch), cgwatch_n_dirs(m->cgwatch));
        /* units may have come or gone unseen since this walk began */
        walk_soon(m);
        timers_rearm(m);
}

/* Watches the cgroup tree (cgroup v2 only: the unit tier needs it). On
 * failure the polled unit tier stands in. Returns what to say about it. */
const char *cgwatch_start(Manager *m, char *buf, size_t size)
{
        m->units_may_appear = units_may_appear(m);
        if (m->root.cgroup_fd < 0)
                return "";
        int r = cgwatch_take(m);
        m->cgwatch_lost_units = SIZE_MAX; /* tried again after the first walk */
        m->cgwatch_tried_usec = now_usec(m);
        if (r < 0)
                snprintf(buf, size, " (cgroup tree not watched: %s; new units found by walking /proc)",
                         strerror(-r));
        else
                snprintf(buf, size, " (%zu units, %zu cgroups watched)", cgwatch_n_units(m->cgwatch),
                         cgwatch_n_dirs(m->cgwatch));
        return buf;
}

int on_psi_trigger(sd_event_source *s, int fd, uint32_t revents, void *userdata)
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

void on_action_done(void *userdata, unsigned lane, bool not_done)
{
        Manager *m = userdata;
        /* Not carried out (systemd refused a restart, the action after a
         * `before` wait failed or was cancelled): no cooldown for a target
         * not acted on. */
        if (not_done)
                rules_action_failed(m->state, &m->in_flight[lane_index(lane)]);
        actionlog_result(&m->log, lane, not_done ? ACTION_RESULT_NOT_DONE : ACTION_RESULT_DONE);
        m->status_due = true;
        /* The victim is gone or the unit restarted: look again now, so the
         * next action (if the box still needs one) does not wait a tick. */
        if (!m->in_full_tick)
                (void)tick_full(m, false);
}

/* The full and unit timers, for the config and tier now. */
void timers_rearm(Manager *m)
{
        m->tier = unit_tier(m);
        m->full_tier = full_tier(m);
        (void)sd_event_source_set_time(m->full_timer, usec_add(now_usec(m), full_interval(m)));
        if (m->units_walk_due)
                walk_soon(m); /* not put off by a reload */
        unit_timer_arm(m);
}

void reschedule(Manager *m)
{
        m->fast_due = usec_add(now_usec(m), fast_sleep(m));
        timers_rearm(m);
}
