/* growth.h — how fast a memory series grows, robust to what is not a leak.
 *
 * One GrowthHistory per tracked series: a unit's memory, a process's PSS, or
 * the system's used memory (MemTotal - MemAvailable). The caller feeds it a
 * sample whenever it has one (every 1 s to 30 s, irregular, with gaps while
 * the daemon sleeps) and asks for an estimate when a rule needs one. Pure: no
 * clock, no I/O, no allocation, no global state. Time is the caller's
 * CLOCK_MONOTONIC in microseconds, usage is in kB (uint64_t throughout: no
 * 4 TiB limit).
 *
 * Storage. The window is cut into GROWTH_BUCKETS buckets of equal width,
 * aligned on multiples of the width; a ring keeps, per bucket, the MINIMUM
 * usage seen in it and when. Minima, because a garbage-collected heap's
 * minima track its live set: a GC sawtooth reads flat, a leak in the live set
 * reads as growth, and noise lowers every minimum alike. A bucket without a
 * sample stays empty; a sample a window or more after the previous one finds
 * every bucket expired, and the history starts again.
 *
 * Estimate. First a lower envelope: each bucket's point becomes the lowest
 * minimum within GROWTH_ENVELOPE buckets of it, at the time it was seen (a
 * GC sawtooth becomes its troughs; a steady leak is its own envelope). Then
 * four estimates over the covered span, cut into three thirds by time:
 *   S  Theil–Sen slope (median of all pairwise slopes, which ignores ~29% of
 *      outliers) of the envelope over the whole span;
 *   M  the median of the three thirds' Theil–Sen slopes, each within its
 *      third: growth must show in two thirds of three, so a one-time step,
 *      which lies in one third, does not count;
 *   R  the slope of the newest third: the growth is still going on;
 *   N  the net change, from the lowest minimum of the oldest third to the
 *      lowest of the newest: a sawtooth with a trough in both, or a target
 *      that restarted below its old usage, made no net growth.
 * The rate is 0 unless all four have the same sign, and then S or M,
 * whichever is smaller in magnitude: on a steady trend both are the slope,
 * and when they differ the series is no line (a step, then growth) and M is
 * its persistent part. In doubt the rate errs low: a missed leak is caught
 * later, a false one would restart a healthy service.
 * Guarantees, tested by test_growth.c, for noise-free series unless said:
 *   - a linear series, sampled regularly or not, with gaps, reads its slope
 *     (< 1% off) from the first verdict on;
 *   - one step up or down with flat usage before and after reads exactly 0
 *     at every time;
 *   - growth that stopped (a cache that warmed up) reads exactly 0 once the
 *     plateau has lasted a third of the span (<= window/3) plus
 *     GROWTH_ENVELOPE + 1 bucket widths: 4m20s for a 10m window;
 *   - growth that started within the newest third reads exactly 0 (a new
 *     leak reads within 10% once it has lasted ~3/4 of the window);
 *   - a sample below the oldest third's lowest minimum (a restart) reads
 *     <= 0 at once: N < 0;
 *   - a 50 MiB GC sawtooth sampled every 1 +- 0.5 s reads under 20 MiB/h
 *     over a flat live set when every third holds troughs: periods up to
 *     window/6 from the first verdict, window/5 once the history covers the
 *     window (longer GC cycles need a longer window); over a leaking live
 *     set, once the window is covered, it reads the leak -30%..+10%;
 *   - +-20 MiB of uniform noise each second on a flat series reads under
 *     50 MiB/h (49 at worst in 150 000 estimates); a 200 MiB/h leak under
 *     it reads 116..220 MiB/h once the window is covered.
 *
 * Band. Every estimate carries a half-width, band_kb_per_hour: the widest
 * of Sen's 99% rank interval of the slope over the troughs (the envelope's
 * distinct points), the same over every bucket's minimum, and the troughs'
 * spread around the line of the rate, over the span. A steady
 * leak, a flat set and a sawtooth whose every trough is seen read a band
 * near 0; a cycle whose troughs the samples catch at a random phase reads
 * a band as wide as that phase makes the slope. Rules vouch for growth
 * only with growth_low(): the rate less its band, and no growth at all
 * while the band is wider than a quarter of the rate (issue 21). With the
 * sampling of the unit tier (two samples per bucket, each period drawn
 * from 0.5..1.5 of it, schedule.h) the sweep of bench/growth-sweep.c —
 * sawtooth cycles from 1/50 to 1/3 of the window, amplitudes up to
 * 400 MiB, random phases — read no growth above the threshold where there
 * was none, and every growth it vouched for was within 25% of the truth
 * (bench/RESULTS.md has the table).
 *
 * Validity. No verdict (valid false, rate 0) until the samples span half the
 * window and each third of that span holds GROWTH_SEGMENT_MIN_POINTS
 * non-empty buckets: no leak alarm 20 s after a start, no slope through two
 * points.
 *
 * Bound. sizeof(GrowthHistory) == GROWTH_HISTORY_SIZE == 392 bytes on every
 * ABI (no padding, static assert) whatever the sampling rate, window or
 * uptime; the caller holds one per tracked series, N series cost N * 392
 * bytes, and must bound N itself (e.g. the processes a rule matches).
 * Cost. growth_add(): O(1), no loop beyond GROWTH_BUCKETS. growth_estimate():
 * at most 3 * 435 + 3 * 55 slopes and eight selections, ~7 KiB of stack:
 * ~10 us on this machine, so 1000 series every second cost ~10 ms of CPU. */
#ifndef MEMGUARD_GROWTH_H
#define MEMGUARD_GROWTH_H

#include <stdbool.h>
#include <stdint.h>

#define GROWTH_BUCKETS 30
/* Half-width, in buckets, of the lower envelope taken before the slopes. */
#define GROWTH_ENVELOPE 2
/* Each third of the covered span needs this many non-empty buckets. */
#define GROWTH_SEGMENT_MIN_POINTS 3
/* Accepted windows; bucket widths are then 1 s .. 5.6 h. */
#define GROWTH_WINDOW_MIN_USEC (30ULL * 1000000ULL)
#define GROWTH_WINDOW_MAX_USEC (7ULL * 24 * 3600 * 1000000ULL)
#define GROWTH_HISTORY_SIZE 392
/* growth_eta_usec(): the limit is never reached at the current trend. */
#define GROWTH_ETA_NEVER UINT64_MAX

/* Opaque in spirit: read through growth_estimate() only. */
typedef struct GrowthHistory {
        uint64_t newest;    /* absolute index (usec / width) of the newest bucket */
        uint64_t last_usec; /* the latest sample */
        uint64_t last_kb;
        uint64_t min_kb[GROWTH_BUCKETS]; /* slot = absolute index % GROWTH_BUCKETS */
        uint32_t min_ms[GROWTH_BUCKETS]; /* when min_kb was seen: ms after the bucket's start */
        uint32_t width_ms;               /* bucket width; the window is GROWTH_BUCKETS times it */
        uint32_t used;                   /* bit i: slot i holds at least one sample */
} GrowthHistory;

typedef struct GrowthEstimate {
        bool valid;          /* false: too little history for a verdict */
        double kb_per_hour;  /* signed, negative when shrinking; 0 unless valid */
        double band_kb_per_hour; /* >= 0: how far the rate may be off (see
                                  * Band above); INFINITY unless valid or
                                  * with too few points to say */
        uint64_t span_usec;  /* from the oldest non-empty bucket's start to the latest sample */
        unsigned buckets;    /* non-empty buckets used */
        uint64_t current_kb; /* the latest sample (0 if none) */
        uint64_t current_usec;
} GrowthEstimate;

/* Makes H an empty history over WINDOW_USEC, rounded down to a multiple of
 * GROWTH_BUCKETS ms (10m stays 10m). Returns 0, or -EINVAL (H untouched)
 * when the window is outside [GROWTH_WINDOW_MIN_USEC, GROWTH_WINDOW_MAX_USEC]. */
int growth_init(GrowthHistory *h, uint64_t window_usec);

/* Changes the window (a rule's window = after a reload); a different window
 * empties the history: buckets of another width cannot be merged. Returns 1
 * if it was emptied, 0 if the window was already that, -EINVAL (H untouched)
 * as growth_init(). Rules on one target with different windows need one
 * history each. */
int growth_set_window(GrowthHistory *h, uint64_t window_usec);

/* The window in effect, in microseconds. */
uint64_t growth_window_usec(const GrowthHistory *h);

/* Forgets every sample, keeps the window: a new target under an old key, or
 * a restart the caller knows of (a restart it performed, a new invocation). */
void growth_reset(GrowthHistory *h);

/* Records USAGE_KB seen at NOW_USEC in H. Buckets more than a window older
 * than NOW_USEC's expire; after a gap of a window or more, that is all of
 * them and the history starts again. A sample at the latest one's time is
 * accepted; an older one (a clock that went back, a stale reading) is
 * ignored, H untouched. Returns 0, -ERANGE for an older sample, or -EINVAL
 * when H was never growth_init()ed (a zeroed H has no window). */
int growth_add(GrowthHistory *h, uint64_t now_usec, uint64_t usage_kb);

/* The estimate as of the latest sample (see the top of this file). Always
 * fills RET; RET->kb_per_hour is 0 when !RET->valid. */
void growth_estimate(const GrowthHistory *h, GrowthEstimate *ret);

/* The lowest rate E vouches for: its rate less its band, except that no
 * growth is vouched for (0) while the band is wider than a quarter of the
 * rate; 0 when E is not valid. What a "growth > X" condition, and an ETA
 * that must be short before it acts, read. */
double growth_low(const GrowthEstimate *e);

/* E reads growth it cannot vouch for: valid, a rate above 0, and a band
 * wider than a quarter of it (or unknown). The unit tier samples such a
 * series densely (history_dense()). */
bool growth_suspect(const GrowthEstimate *e);

/* The highest rate E allows: its rate plus its band; INFINITY when E is
 * not valid. What a "growth < X" condition reads. */
double growth_high(const GrowthEstimate *e);

/* growth_eta_usec() at the rate KB_PER_HOUR (an end of E's band) instead
 * of E's own: GROWTH_ETA_NEVER when it is <= 0. */
uint64_t growth_eta_at(const GrowthEstimate *e, double kb_per_hour, uint64_t limit_kb);

/* Microseconds until the series reaches LIMIT_KB at E's rate, counted from
 * E->current_usec: 0 when it is already at or above the limit and still
 * growing; GROWTH_ETA_NEVER when E is not valid, its rate is <= 0, or the
 * answer does not fit. For a unit's budget, LIMIT_KB is the budget; for
 * memory exhaustion, feed the series MemTotal - MemAvailable and pass
 * MemTotal: the ETA is when MemAvailable reaches 0 at the current trend. */
uint64_t growth_eta_usec(const GrowthEstimate *e, uint64_t limit_kb);

#endif
