/* oomwatch.c — the kernel's OOM kills, reported (read/oomkill.h,
 * report/oomreport.h): /dev/kmsg as an sd-event source, the units'
 * memory.events as its cross-check, and the entry for each kill.
 *
 * /dev/kmsg is opened once, at the end of the log, and kept across
 * reloads: a kill from before memguard started (or from before a reload)
 * is never reported. Records arrive one per read(); the kernel writes
 * a few a second on a quiet box, and memguard looks at each only to see
 * whether it is an OOM record.
 *
 * The units' counters are read only when /proc/vmstat's oom_kill has
 * moved: after a kill kmsg showed, after kmsg lost records (EPIPE), and,
 * where /dev/kmsg cannot be read, at each walk and unit tick (one ~4 KiB
 * read). A unit is given its baseline when a walk first finds it. */
#include "daemon/loop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "read/kmsg.h"
#include "read/vmstat.h"
#include "report/oomreport.h"
#include "util/cleanup.h"
#include "util/log.h"

/* Kills reported at once at most; more wait for the next turn. */
#define OOM_BATCH 8

static OomReportSource report_source(const Manager *m)
{
        return (OomReportSource){ .config = m->config, .snap = &m->snap, .state = m->state,
                                  .hist = m->hist, .dry_run = dry_run(m), .now_usec = now_usec(m) };
}

static void report(Manager *m, const OomKill *k)
{
        OomReportSource src = report_source(m);
        oomreport_log(&src, k);
        m->kernel_oom_kills[k->scope == KMSG_SCOPE_CGROUP] += k->count ? k->count : 1;
        m->status_due = true;
}

/* The memory.events of each unit of the last walk into C (at most CAP). */
static size_t read_counters(Manager *m, OomCounter *c, size_t cap)
{
        size_t n = 0;
        for (size_t i = 0; i < m->snap.n_units && n < cap; i++) {
                const UnitSample *u = &m->snap.units[i];
                uint64_t oom, kill;
                if (!u->memory_from_cgroup ||
                    memory_events_read(m->root.cgroup_fd, u->cgroup, &oom, &kill) < 0)
                        continue;
                c[n++] = (OomCounter){ u->cgroup, kill, oom };
        }
        return n;
}

/* Reads the units' counters if the kernel has killed since the last look
 * (or a kill is waiting for its explanation), and reports the kills that
 * kmsg did not show. */
static void check_counters(Manager *m)
{
        static OomCounter c[OOMKILL_COUNTERS_MAX];
        OomKill out[OOM_BATCH];
        uint64_t kills = 0;

        if (m->root.cgroup_fd < 0 || !m->oomkills)
                return;
        /* unreadable: look at the counters, and keep the last count */
        bool readable = vmstat_read_oom_kills(m->root.proc_fd, &kills) >= 0;
        bool moved = !readable || kills != m->vmstat_oom_kills;
        if (!moved && !oomkills_unexplained(m->oomkills))
                return;
        if (readable)
                m->vmstat_oom_kills = kills;
        size_t n = read_counters(m, c, ELEMENTSOF(c));
        size_t got = oomkills_check(m->oomkills, c, n, now_usec(m), out, ELEMENTSOF(out));
        for (size_t i = 0; i < got; i++)
                report(m, &out[i]);
}

static void arm_timer(Manager *m)
{
        uint64_t next = oomkills_next_usec(m->oomkills);
        if (!m->oom_timer)
                return;
        if (next == UINT64_MAX) {
                (void)sd_event_source_set_enabled(m->oom_timer, SD_EVENT_OFF);
                return;
        }
        (void)sd_event_source_set_time(m->oom_timer, next);
        (void)sd_event_source_set_enabled(m->oom_timer, SD_EVENT_ONESHOT);
}

/* Reports the kills from kmsg that are due, then what the counters show
 * beyond them. */
static void process(Manager *m, bool check)
{
        OomKill out[OOM_BATCH];
        size_t got;
        while ((got = oomkills_take(m->oomkills, now_usec(m), out, ELEMENTSOF(out))) > 0) {
                for (size_t i = 0; i < got; i++) {
                        OomReportSource src = report_source(m);
                        oomreport_resolve(&src, &out[i]);
                        oomkills_credit(m->oomkills, out[i].task_cgroup);
                        report(m, &out[i]);
                }
                check = true;
        }
        if (check || oomkills_unexplained(m->oomkills))
                check_counters(m);
        arm_timer(m);
}

static int on_oom_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        (void)s, (void)usec;
        process(userdata, false);
        return 0;
}

static int on_kmsg(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        (void)revents;
        Manager *m = userdata;
        /* static: one record at a time, and 8 KiB off the stack */
        static char buf[KMSG_RECORD_MAX];
        bool lost = false;

        for (;;) {
                ssize_t n = kmsg_read(fd, buf, sizeof buf);
                if (n == -EPIPE) {
                        /* overwritten before memguard read them: a kill
                         * among them shows in the counters */
                        lost = true;
                        continue;
                }
                if (n == 0) {
                        /* a FIFO (tests) whose writer went away */
                        (void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
                        break;
                }
                if (n < 0)
                        break; /* -EAGAIN: read them all */
                for (size_t off = 0; off < (size_t)n;) {
                        size_t len = kmsg_record_len(buf + off, (size_t)n - off);
                        KmsgRecord r;
                        if (kmsg_parse(buf + off, len, &r) >= 0)
                                (void)oomkills_feed(m->oomkills, &r, now_usec(m));
                        off += len;
                }
        }
        if (lost && !m->kmsg_lost_noted) {
                log_msg(LOG_NOTICE, "kernel log records were overwritten before memguard read them; "
                                    "kernel OOM kills among them are counted from the units' memory.events");
                m->kmsg_lost_noted = true;
        }
        process(m, lost);
        return 0;
}

const char *oomwatch_start(Manager *m, char *buf, size_t size)
{
        bool sandboxed = m->opts.proc_root || m->opts.cgroup_root;
        const char *path = m->opts.kmsg_path;
        const char *counters = m->root.cgroup_fd >= 0 ? "from the units' memory.events only"
                                                      : "not seen (no cgroup v2 memory controller)";
        int r;

        m->oomkills = oomkills_new();
        if (!m->oomkills) {
                snprintf(buf, size, ", kernel OOM kills not reported (out of memory)");
                return buf;
        }
        (void)vmstat_read_oom_kills(m->root.proc_fd, &m->vmstat_oom_kills);
        r = sd_event_add_time(m->event, &m->oom_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_oom_timer, m);
        if (r >= 0)
                (void)sd_event_source_set_enabled(m->oom_timer, SD_EVENT_OFF);
        if (sandboxed && !path) {
                /* a test root: the real kernel's kills are not its business */
                snprintf(buf, size, ", kernel OOM kills %s", counters);
                return buf;
        }
        m->kmsg_fd = kmsg_open(path);
        r = m->kmsg_fd;
        if (r >= 0) {
                r = sd_event_add_io(m->event, &m->kmsg_source, m->kmsg_fd, EPOLLIN, on_kmsg, m);
                if (r < 0) {
                        close(m->kmsg_fd);
                        m->kmsg_fd = -1;
                }
        }
        if (r >= 0)
                snprintf(buf, size, ", kernel OOM kills from %s", path ? path : "/dev/kmsg");
        else
                snprintf(buf, size, ", kernel log not readable (%s%s): kernel OOM kills %s", strerror(-r),
                         r == -EPERM || r == -EACCES ? "; kernel.dmesg_restrict needs CAP_SYSLOG" : "",
                         counters);
        return buf;
}

void oomwatch_sampled(Manager *m)
{
        if (!m->oomkills || m->root.cgroup_fd < 0)
                return;
        for (size_t i = 0; i < m->snap.n_units; i++) {
                const UnitSample *u = &m->snap.units[i];
                uint64_t oom, kill;
                if (!u->memory_from_cgroup || oomkills_mark(m->oomkills, u->cgroup) ||
                    memory_events_read(m->root.cgroup_fd, u->cgroup, &oom, &kill) < 0)
                        continue;
                (void)oomkills_baseline(m->oomkills, &(OomCounter){ u->cgroup, kill, oom });
        }
        /* the units of a whole walk (the unit tier keeps its units): the
         * counters of the others are of units gone */
        oomkills_sweep(m->oomkills);
        if (m->kmsg_fd < 0) {
                check_counters(m);
                arm_timer(m);
        }
}

void oomwatch_stop(Manager *m)
{
        m->kmsg_source = sd_event_source_disable_unref(m->kmsg_source);
        m->oom_timer = sd_event_source_disable_unref(m->oom_timer);
        if (m->kmsg_fd >= 0)
                close(m->kmsg_fd);
        m->kmsg_fd = -1;
        oomkills_free(m->oomkills);
        m->oomkills = NULL;
}
