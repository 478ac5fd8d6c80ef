/* history.h — growth histories of what leak-detection rules watch.
 *
 * DESIGN §2: history lives outside the snapshot, in bounded ring buffers
 * per tracked target. One GrowthHistory (growth.h) per (window, series):
 * the system's used memory (MemTotal - MemAvailable), a unit's memory, or a
 * process's size (PSS where read, else RSS). A series is kept only while a
 * rule needs it (rule_tracks_growth()): its system series for every such
 * rule's window; the units a unit rule on growth matches; every unit for a
 * system rule with target = fastest-growing; the processes a process rule
 * on growth matches. A series whose target has gone (a unit stopped, a
 * process exited: pid and start time) or whose window no rule uses any more
 * is dropped at the next full sample.
 *
 * Bound: at most HISTORY_MAX_SERIES series of HISTORY_ENTRY_SIZE bytes each,
 * so the history never holds more than HISTORY_MAX_BYTES whatever the
 * number of processes; beyond the cap new series are not tracked (the
 * targets already tracked keep theirs) and history_dropped() counts them.
 * A typical server (30 units, one window) holds ~30 series, ~20 KiB. */
#ifndef MEMGUARD_HISTORY_H
#define MEMGUARD_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "read/snapshot.h"
#include "sample/growth.h"

#define HISTORY_MAX_SERIES 2048

typedef struct HistoryEntry HistoryEntry;
typedef struct History History;

extern const size_t HISTORY_ENTRY_SIZE;
#define HISTORY_MAX_BYTES (HISTORY_MAX_SERIES * HISTORY_ENTRY_SIZE)

History *history_new(void);
void history_free(History *h);

/* Feeds the system series of every window in use with SYS. */
void history_add_system(History *h, const Config *config, const SystemSample *sys);

/* Feeds the unit and process series the rules of CONFIG need from SNAP (a
 * full sample), starts series for new targets and drops those of gone
 * targets and unused windows. Returns 0 or -ENOMEM (a new series could not
 * be started; the others are fed). */
int history_add_full(History *h, const Config *config, const Snapshot *snap);

/* Feeds the unit series from SNAP's units read by the unit tier at
 * NOW_USEC (sampler_units(): memory_usec == NOW_USEC); starts no series
 * and drops none (history_add_full() does, with the process table). */
void history_add_units(History *h, const Config *config, const Snapshot *snap, uint64_t now_usec);

/* The estimate of a series; false when it is not tracked. The estimate
 * itself may be !valid (too little history). */
bool history_system(History *h, uint64_t window_usec, GrowthEstimate *ret);
/* A unit's series is named by the unit's cgroup (UnitSample.cgroup). */
bool history_unit(History *h, uint64_t window_usec, const char *cgroup, GrowthEstimate *ret);
/* The same estimate for a reader that decides nothing (memguard status):
 * it neither caches it nor asks for dense samples, so that looking does
 * not change how memguard samples. */
bool history_unit_peek(const History *h, uint64_t window_usec, const char *cgroup,
                       GrowthEstimate *ret);
bool history_proc(History *h, uint64_t window_usec, pid_t pid, uint64_t start_time,
                  GrowthEstimate *ret);

/* The window a unit's growth is shown over (memguard status, the kernel
 * OOM kill entries): that of the first unit rule matching U that tracks
 * growth, else that of the first system rule that ranks units by growth;
 * 0 for none. */
uint64_t history_unit_window(const Config *config, const UnitSample *u);

/* True if some unit's growth series should be sampled densely at
 * NOW_USEC: a rule asked for its estimate within the last window and
 * found growth it could not vouch for (a band wider than a quarter of the
 * rate: growth.h). The unit tier then samples four times as often
 * (schedule_dense()); a sawtooth caught at more phases narrows the band.
 * Flat and steadily growing units never ask for it. */
bool history_dense(const History *h, uint64_t now_usec);

/* Series tracked now; memory they hold (entries, not the array's slack);
 * series not started because of the cap since the daemon started. */
size_t history_size(const History *h);
size_t history_bytes(const History *h);
uint64_t history_dropped(const History *h);

#endif
