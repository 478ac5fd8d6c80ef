/* growth.c — bucket minima in a ring, Theil–Sen slopes over them, and the
 * persistence test that keeps a step or a warm-up from reading as a leak.
 * See growth.h for the method and its guarantees. */
#include "sample/growth.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

_Static_assert(sizeof(GrowthHistory) == GROWTH_HISTORY_SIZE, "documented bound");
_Static_assert(GROWTH_BUCKETS <= 32, "GrowthHistory.used is a 32-bit mask");
_Static_assert(GROWTH_WINDOW_MAX_USEC / GROWTH_BUCKETS / 1000 <= UINT32_MAX,
               "min_ms and width_ms are 32-bit");

/* Pairwise slopes of at most GROWTH_BUCKETS points. */
#define MAX_PAIRS (GROWTH_BUCKETS * (GROWTH_BUCKETS - 1) / 2)

static uint64_t width_usec(const GrowthHistory *h)
{
        return (uint64_t)h->width_ms * 1000;
}

int growth_init(GrowthHistory *h, uint64_t window_usec)
{
        if (window_usec < GROWTH_WINDOW_MIN_USEC || window_usec > GROWTH_WINDOW_MAX_USEC)
                return -EINVAL;
        *h = (GrowthHistory){.width_ms = (uint32_t)(window_usec / 1000 / GROWTH_BUCKETS)};
        return 0;
}

uint64_t growth_window_usec(const GrowthHistory *h)
{
        return width_usec(h) * GROWTH_BUCKETS;
}

int growth_set_window(GrowthHistory *h, uint64_t window_usec)
{
        GrowthHistory fresh;
        int r = growth_init(&fresh, window_usec);

        if (r < 0)
                return r;
        if (fresh.width_ms == h->width_ms)
                return 0;
        *h = fresh;
        return 1;
}

void growth_reset(GrowthHistory *h)
{
        uint32_t width_ms = h->width_ms;

        *h = (GrowthHistory){.width_ms = width_ms};
}

int growth_add(GrowthHistory *h, uint64_t now_usec, uint64_t usage_kb)
{
        uint64_t width = width_usec(h), idx;
        unsigned slot;
        uint32_t bit, off_ms;

        if (!width)
                return -EINVAL;
        idx = now_usec / width;
        slot = (unsigned)(idx % GROWTH_BUCKETS);
        bit = 1u << slot;
        off_ms = (uint32_t)((now_usec - idx * width) / 1000);
        if (h->used) {
                if (now_usec < h->last_usec)
                        return -ERANGE;
                /* Buckets the ring moves past are emptied; after a gap of a
                 * window or more, that is all of them. */
                if (idx - h->newest >= GROWTH_BUCKETS)
                        h->used = 0;
                else
                        for (uint64_t i = h->newest + 1; i <= idx; i++)
                                h->used &= ~(1u << (i % GROWTH_BUCKETS));
        }
        if (!(h->used & bit) || usage_kb < h->min_kb[slot]) {
                h->min_kb[slot] = usage_kb;
                h->min_ms[slot] = off_ms;
        }
        h->used |= bit;
        h->newest = idx;
        h->last_usec = now_usec;
        h->last_kb = usage_kb;
        return 0;
}

/* The K-th smallest of A[0..N) (0-based), partially reordering A: Hoare's
 * FIND, average O(N). Afterwards A[0..K) <= A[K]. */
static double select_kth(double *a, long n, long k)
{
        long lo = 0, hi = n - 1;

        while (lo < hi) {
                double pivot = a[k];
                long i = lo, j = hi;

                do {
                        while (a[i] < pivot)
                                i++;
                        while (pivot < a[j])
                                j--;
                        if (i <= j) {
                                double t = a[i];

                                a[i] = a[j];
                                a[j] = t;
                                i++;
                                j--;
                        }
                } while (i <= j);
                if (j < k)
                        lo = i;
                if (k < i)
                        hi = j;
        }
        return a[k];
}

/* Median of A[0..N), N >= 1; reorders A. */
static double median(double *a, long n)
{
        long k = n / 2;
        double upper = select_kth(a, n, k);
        double lower = a[0];

        if (n % 2)
                return upper;
        for (long i = 1; i < k; i++)
                if (a[i] > lower)
                        lower = a[i];
        return (lower + upper) / 2;
}

/* Appends to BUF[*M..] the slopes of all pairs of points I..J-1 at different
 * X (Y per X); returns how many. */
static long pairs(const double *x, const double *y, long i, long j, double *buf, long *m)
{
        long added = 0;

        for (long a = i; a < j; a++)
                for (long b = a + 1; b < j; b++)
                        if (x[b] != x[a]) {
                                buf[(*m)++] = (y[b] - y[a]) / (x[b] - x[a]);
                                added++;
                        }
        return added;
}

/* The rate from S, M, R and N (growth.h): 0 unless all four have the same
 * sign; then S or M, whichever is smaller in magnitude. On a steady trend
 * they estimate the same slope (S from the most points, the least noisy);
 * when they differ the series is no line (a step, then growth) and M, the
 * median of the thirds, is its persistent part. */
static double combine(double s, double m, double r, double n)
{
        if (s > 0 && m > 0 && r > 0 && n > 0)
                return s < m ? s : m;
        if (s < 0 && m < 0 && r < 0 && n < 0)
                return s > m ? s : m;
        return 0;
}

/* The non-empty buckets, oldest first. */
typedef struct Points {
        long n;
        uint64_t bucket[GROWTH_BUCKETS]; /* absolute index */
        uint64_t usec[GROWTH_BUCKETS];   /* when its minimum was seen */
        double x[GROWTH_BUCKETS];        /* the same, in s after the oldest bucket's start */
        double kb[GROWTH_BUCKETS];       /* its minimum */
        double env_x[GROWTH_BUCKETS];    /* the lower envelope at this point: */
        double env_kb[GROWTH_BUCKETS];   /* the lowest minimum near it, and where */
        long third[4];                   /* third s is [third[s], third[s + 1]) */
} Points;

static void load(const GrowthHistory *h, Points *p)
{
        uint64_t width = width_usec(h);

        p->n = 0;
        /* The ring never holds an index below 0: every used slot's index is
         * at most GROWTH_BUCKETS - 1 below the newest. */
        for (uint64_t back = GROWTH_BUCKETS; back-- > 0;) {
                uint64_t idx;
                unsigned slot;

                if (back > h->newest)
                        continue;
                idx = h->newest - back;
                slot = (unsigned)(idx % GROWTH_BUCKETS);
                if (!(h->used & (1u << slot)))
                        continue;
                p->bucket[p->n] = idx;
                p->usec[p->n] = idx * width + (uint64_t)h->min_ms[slot] * 1000;
                p->kb[p->n] = (double)h->min_kb[slot];
                p->n++;
        }
}

/* Splits the points into thirds of the span, [FROM, FROM + SPAN], by time;
 * false if a third has fewer than GROWTH_SEGMENT_MIN_POINTS. */
static bool split(Points *p, uint64_t from, uint64_t span)
{
        long s = 1;

        p->third[0] = 0;
        for (long i = 0; i < p->n; i++) {
                uint64_t dt = p->usec[i] - from;

                p->x[i] = (double)dt / 1e6;
                while (s < 3 && dt * 3 >= span * (uint64_t)s)
                        p->third[s++] = i;
        }
        while (s < 4)
                p->third[s++] = p->n;
        for (s = 0; s < 3; s++)
                if (p->third[s + 1] - p->third[s] < GROWTH_SEGMENT_MIN_POINTS)
                        return false;
        return true;
}

/* The lower envelope: each point is replaced by the lowest minimum among the
 * buckets within GROWTH_ENVELOPE of its own (fewer at the ends of the ring),
 * taken with the time it was seen, the earliest on ties. On a steady leak the
 * envelope is the series itself, so slopes stay exact; a sawtooth with a
 * trough in every 2 * GROWTH_ENVELOPE + 1 buckets becomes its troughs. The
 * envelope's times never decrease from one point to the next. */
static void envelope(Points *p)
{
        for (long c = 0; c < p->n; c++) {
                long best = c;

                for (long j = c - 1; j >= 0 && p->bucket[c] - p->bucket[j] <= GROWTH_ENVELOPE; j--)
                        if (p->kb[j] <= p->kb[best])
                                best = j;
                for (long j = c + 1; j < p->n && p->bucket[j] - p->bucket[c] <= GROWTH_ENVELOPE;
                     j++)
                        if (p->kb[j] < p->kb[best])
                                best = j;
                p->env_x[c] = p->x[best];
                p->env_kb[c] = p->kb[best];
        }
}

/* The lowest minimum of third S, the earliest on ties. */
static long lowest(const Points *p, int s)
{
        long best = p->third[s];

        for (long i = best + 1; i < p->third[s + 1]; i++)
                if (p->kb[i] < p->kb[best])
                        best = i;
        return best;
}

/* The pairs of the envelope's points I..J-1; when they all share one envelope
 * point (sparse samples near a lower one), the pairs of their own minima. */
static void envelope_pairs(const Points *p, long i, long j, double *buf, long *m)
{
        if (!pairs(p->env_x, p->env_kb, i, j, buf, m))
                pairs(p->x, p->kb, i, j, buf, m);
}

/* S, M, R and N of growth.h, in kB per second. */
static double rate(const Points *p)
{
        double buf[MAX_PAIRS], seg[3], all, recent, net;
        long first = lowest(p, 0), last = lowest(p, 2), m = 0;

        envelope_pairs(p, 0, p->n, buf, &m);
        all = m ? median(buf, m) : 0;
        for (int s = 0; s < 3; s++) {
                m = 0;
                envelope_pairs(p, p->third[s], p->third[s + 1], buf, &m);
                seg[s] = m ? median(buf, m) : 0;
        }
        recent = seg[2]; /* before median() reorders seg */
        net = (p->kb[last] - p->kb[first]) / (p->x[last] - p->x[first]);
        return combine(all, median(seg, 3), recent, net);
}

/* sqrt(V) for V >= 0 by Newton's method, and floor and ceil of V within
 * long: the daemon links no libm (Makefile). Exact to the last bit or two
 * for the small values of sen_band(). */
static double root(double v)
{
        double x = v > 1 ? v : 1;

        if (!(v > 0))
                return 0;
        for (int i = 0; i < 64; i++) {
                double next = 0.5 * (x + v / x);
                if (next == x)
                        break;
                x = next;
        }
        return x;
}

static long floor_long(double v)
{
        long i = (long)v;
        return (double)i > v ? i - 1 : i;
}

static long ceil_long(double v)
{
        long i = (long)v;
        return (double)i < v ? i + 1 : i;
}

/* Sen's rank confidence interval (Sen 1968) of the slope of points X, Y
 * (N of them, at distinct times): the slopes of all pairs, sorted, cut at
 * the ranks that a 99% two-sided interval allows (z = 2.576 on the
 * variance of Kendall's S). Returns how far it reaches from R, the rate,
 * on its wider side; INFINITY with fewer than 4 points. BUF holds the
 * slopes. */
static double sen_band(const double *x, const double *y, long n, double r, double *buf)
{
        long m = 0;

        if (n < 4)
                return INFINITY;
        pairs(x, y, 0, n, buf, &m);
        if (m < 6)
                return INFINITY;
        double c = 2.576 * root((double)n * (double)(n - 1) * (double)(2 * n + 5) / 18.0);
        long lo = floor_long(((double)m - c) / 2), hi = ceil_long(((double)m + c) / 2);
        if (lo < 0)
                lo = 0;
        if (hi > m - 1)
                hi = m - 1;
        double qlo = select_kth(buf, m, lo), qhi = select_kth(buf, m, hi);
        double below = r - qlo, above = qhi - r;
        double band = below > above ? below : above;
        return band > 0 ? band : 0;
}

/* The band of rate R (kB/s) over P, whose envelope is taken: the widest of
 *  - Sen's 99% interval over the troughs (the envelope's distinct points),
 *  - Sen's 99% interval over every bucket's minimum,
 *  - the troughs' spread around the line of slope R, over the span: how
 *    far a line through two troughs at its ends could be from slope R.
 * A series the estimator reads well (a leak, a flat set, a sawtooth whose
 * troughs every bucket sees) has all three near 0; one whose troughs are
 * a random phase of a cycle (sampled too rarely to see every trough) has
 * them as wide as that phase makes them. */
static double band(const Points *p, double r, double span_sec)
{
        double tx[GROWTH_BUCKETS] = { 0 }, ty[GROWTH_BUCKETS] = { 0 }, buf[MAX_PAIRS];
        double lo = INFINITY, hi = -INFINITY, b, widest;
        long nt = 0;

        /* the envelope's times never decrease: its distinct points are
         * those whose time differs from the one before */
        for (long i = 0; i < p->n; i++)
                if (nt == 0 || tx[nt - 1] != p->env_x[i]) {
                        tx[nt] = p->env_x[i];
                        ty[nt] = p->env_kb[i];
                        nt++;
                }
        widest = sen_band(tx, ty, nt, r, buf);
        b = sen_band(p->x, p->kb, p->n, r, buf);
        if (b > widest)
                widest = b;
        for (long k = 0; k < nt; k++) {
                double res = ty[k] - r * tx[k];
                if (res < lo)
                        lo = res;
                if (res > hi)
                        hi = res;
        }
        b = nt >= 2 && span_sec > 0 ? (hi - lo) / span_sec : INFINITY;
        return b > widest ? b : widest;
}

void growth_estimate(const GrowthHistory *h, GrowthEstimate *ret)
{
        Points p;
        uint64_t from;

        *ret = (GrowthEstimate){.current_kb = h->last_kb, .current_usec = h->last_usec,
                                .band_kb_per_hour = INFINITY};
        if (!h->used)
                return;
        load(h, &p);
        ret->buckets = (unsigned)p.n;
        /* From the oldest bucket's start: a shrinking series' minimum is
         * late in its bucket, but the bucket is covered. */
        from = p.bucket[0] * width_usec(h);
        ret->span_usec = h->last_usec - from;
        if (ret->span_usec * 2 < growth_window_usec(h) || !split(&p, from, ret->span_usec))
                return;
        envelope(&p);
        ret->valid = true;
        double r = rate(&p);
        ret->kb_per_hour = 3600 * r;
        ret->band_kb_per_hour = 3600 * band(&p, r, (double)ret->span_usec / 1e6);
}

/* Growth is vouched for only by an estimate within a quarter of its rate. */
static bool within_quarter(const GrowthEstimate *e)
{
        return e->band_kb_per_hour <= e->kb_per_hour / 4;
}

double growth_low(const GrowthEstimate *e)
{
        if (!e->valid)
                return 0;
        double low = e->kb_per_hour - e->band_kb_per_hour;
        if (low > 0 && !within_quarter(e))
                return 0;
        return low;
}

bool growth_suspect(const GrowthEstimate *e)
{
        return e->valid && e->kb_per_hour > 0 && !within_quarter(e);
}

double growth_high(const GrowthEstimate *e)
{
        if (!e->valid)
                return INFINITY;
        return e->kb_per_hour + e->band_kb_per_hour;
}

uint64_t growth_eta_usec(const GrowthEstimate *e, uint64_t limit_kb)
{
        return e->valid ? growth_eta_at(e, e->kb_per_hour, limit_kb) : GROWTH_ETA_NEVER;
}

uint64_t growth_eta_at(const GrowthEstimate *e, double kb_per_hour, uint64_t limit_kb)
{
        double usec;

        if (!e->valid || !(kb_per_hour > 0))
                return GROWTH_ETA_NEVER;
        if (e->current_kb >= limit_kb)
                return 0;
        usec = (double)(limit_kb - e->current_kb) / kb_per_hour * 3600e6;
        /* 1.8e19 < 2^64: the cast below is defined. */
        if (!(usec < 1.8e19))
                return GROWTH_ETA_NEVER;
        return (uint64_t)usec;
}
