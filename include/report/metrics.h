/* metrics.h — the daemon's view as a Prometheus textfile (issue 16), for
 * node_exporter's textfile collector (metrics-file = PATH, memguard.conf(5)).
 *
 * One source of truth: the metrics are rendered from the view that
 * `memguard status` reads (status.h), as it was read back from the state
 * file the daemon has just written, the way the table and the JSON are
 * rendered from it (render.h). So the two always agree, the metrics cost
 * no second gathering of data, and they are written exactly as often as
 * the view (after a sample at most every 5 s, at once after a decision).
 *
 * Format: the text exposition format 0.0.4, as `promtool check metrics`
 * judges it: a HELP and a TYPE line before each family, every family's
 * samples together, names with the memguard_ prefix and a base unit
 * (_bytes, _seconds, ratios 0..1), counters ending in _total, no
 * timestamps (the textfile collector refuses them:
 * memguard_view_timestamp_seconds says when the view was taken). A value
 * that is not known is left out, never NaN, so that an alert on it does
 * not fire on "unknown".
 *
 * Labels: unit (and manager: "system", or the user@UID.service whose
 * manager runs the unit), rule, action, result. Label values are escaped
 * as the format asks (\\, \", \n); any other control character and any
 * byte that is not UTF-8 becomes U+FFFD: a unit's name is whatever a
 * delegated user named a cgroup. Cardinality is bounded by the view: at
 * most STATUS_MAX_UNITS units (those that hold the most memory), every
 * rule (STATUS_MAX_RULES), and STATUS_MAX_COUNTS (rule, action, result)
 * counters plus one per (action, result) beyond them; never a series per
 * process. Two units of one name under one manager (a user's nested
 * slices) are one series: the larger. */
#ifndef MEMGUARD_REPORT_METRICS_H
#define MEMGUARD_REPORT_METRICS_H

#include <stdio.h>

#include "report/status.h"

/* Renders the view F to OUT. Returns 0 or -EIO. */
int metrics_render(FILE *out, const StatusFile *f);

/* Writes F rendered to PATH atomically: to PATH's directory/.NAME.tmp
 * (created anew, O_EXCL, never through a symlink), mode 0644 whatever the
 * umask (node_exporter reads it as another user), then renamed over PATH:
 * a scrape sees the whole of one view or of the one before. No fsync: the
 * file is rewritten within seconds. Returns 0 or -errno. */
int metrics_write_file(const char *path, const StatusFile *f);

#endif
