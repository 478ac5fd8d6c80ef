/* oomkill.h — the kernel's OOM kills, one at a time: /dev/kmsg records
 * (kmsg.h) paired into kills, and the cgroup v2 memory.events counters
 * cross-checked against them. Pure: no I/O, no clock (times are given), so
 * that tests feed records and counters with a fake clock.
 *
 * Pairing. The kernel writes a kill as two records: the "oom-kill:"
 * summary (scope and cgroups) and then "Killed process" (its RSS). The
 * summary is rate-limited with the rest of the OOM report and may be
 * missing; the "Killed process" line is not, and comes right after it
 * (same task, under the OOM lock). So: a "Killed process" line completes
 * the summary of its pid, or is a kill on its own; a summary whose line
 * has not come within OOMKILL_PAIR_USEC is a kill with what it says.
 * At most OOMKILL_PENDING_MAX summaries wait; one more pushes out the
 * oldest, due at once.
 *
 * Cross-check. A unit's memory.events counts, in "oom_kill", the kills of
 * processes in its cgroup or below it since the cgroup was made, and in
 * "oom", how often the cgroup or one below it hit its limit. The caller
 * reads them for the units it knows when /proc/vmstat's oom_kill has
 * moved, and credits each kill it reported from kmsg with the victim's
 * cgroup (oomkill_credit()). A counter that moved more than its credits
 * explain, for OOMKILL_GRACE_USEC (the kmsg line may still be on its
 * way), is a kill kmsg did not show (overwritten records, an unreadable
 * /dev/kmsg): reported with its cgroup, pid and comm unknown, at the
 * deepest unit that explains it (a unit's counter counts its nested units'
 * kills too). A counter seen for the first time is a baseline: kills from
 * before memguard knew the unit are never reported. */
#ifndef MEMGUARD_READ_OOMKILL_H
#define MEMGUARD_READ_OOMKILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "read/kmsg.h"

#define OOMKILL_PAIR_USEC (1000 * 1000ULL)
#define OOMKILL_GRACE_USEC (3000 * 1000ULL)
#define OOMKILL_PENDING_MAX 16
/* kills from kmsg not yet matched against the counters; more are counted
 * without their cgroup (they then explain any unit's count) */
#define OOMKILL_CREDITS_MAX 64
/* counters kept; units beyond are not cross-checked */
#define OOMKILL_COUNTERS_MAX 1024

typedef enum OomKillSource {
        OOMKILL_FROM_KMSG,
        OOMKILL_FROM_COUNTER, /* memory.events only: pid and comm unknown */
} OomKillSource;

typedef struct OomKill {
        OomKillSource source;
        KmsgOomScope scope;
        pid_t pid;                          /* 0: unknown */
        char comm[KMSG_COMM_MAX];           /* as the kernel wrote it; "" unknown */
        char task_cgroup[PROC_CGROUP_MAX];  /* the victim's cgroup; "" unknown */
        char oom_cgroup[PROC_CGROUP_MAX];   /* the limit's; "" system-wide or unknown */
        char constraint[32];
        bool has_summary;                   /* the "oom-kill:" line was read */
        bool has_rss;                       /* ... and "Killed process" with its sizes */
        uint64_t anon_rss_kb, file_rss_kb, shmem_rss_kb;
        unsigned count;                     /* OOMKILL_FROM_COUNTER: kills it stands for */
} OomKill;

typedef struct OomKills OomKills;

/* NULL on OOM. */
OomKills *oomkills_new(void);
void oomkills_free(OomKills *k);

/* Feeds record R, read at NOW_USEC. Returns true if it was an OOM record
 * (a kill is then pending, or due). */
bool oomkills_feed(OomKills *k, const KmsgRecord *r, uint64_t now_usec);

/* Moves the kills due at NOW_USEC into RET (at most CAP; the rest stay
 * due); returns how many. */
size_t oomkills_take(OomKills *k, uint64_t now_usec, OomKill *ret, size_t cap);

/* When oomkills_take() or oomkills_check() will next have something to
 * do without another record: the earliest deadline, or UINT64_MAX. */
uint64_t oomkills_next_usec(const OomKills *k);

/* A kill reported from kmsg, whose victim was in CGROUP ("" or NULL:
 * unknown), for the cross-check. */
void oomkills_credit(OomKills *k, const char *cgroup);

/* One unit's memory.events. */
typedef struct OomCounter {
        const char *cgroup;   /* "/system.slice/x.service" */
        uint64_t oom_kill;
        uint64_t oom;
} OomCounter;

/* Whether CGROUP's counters have a baseline. */
bool oomkills_known(const OomKills *k, const char *cgroup);

/* A sample's units, for the table to follow them: oomkills_mark() each
 * unit of a whole sample (false: CGROUP has no baseline yet; give it one
 * with oomkills_baseline(), which marks it too), then oomkills_sweep()
 * forgets the counters of the units that are gone. Without the sweep a
 * box whose transient units come and go (a scope per session or cron job,
 * systemd-run) would fill the table in a few hours, and units found after
 * that would have no cross-check. Nothing is forgotten while counters wait
 * for their explanation (oomkills_unexplained()). */
bool oomkills_mark(OomKills *k, const char *cgroup);
void oomkills_sweep(OomKills *k);

/* Records C as the baseline of its cgroup if it has none (a unit memguard
 * has just found). Returns 0, or -ENOBUFS when OOMKILL_COUNTERS_MAX are
 * kept, -ENOMEM. */
int oomkills_baseline(OomKills *k, const OomCounter *c);

/* The counters of the units known now (N of them), read at NOW_USEC:
 * writes the kills they show that no credit explains and that have waited
 * OOMKILL_GRACE_USEC into RET (at most CAP, one OomKill per unit with its
 * count) and returns how many. A counter without a baseline gets one.
 * When nothing is left unexplained, the counters become the baselines,
 * the credits are spent, and cgroups not in C are forgotten. */
size_t oomkills_check(OomKills *k, const OomCounter *c, size_t n, uint64_t now_usec, OomKill *ret,
                      size_t cap);

/* Whether counters moved that no credit explains yet (the caller reads
 * them again by oomkills_next_usec()). */
bool oomkills_unexplained(const OomKills *k);

#endif
