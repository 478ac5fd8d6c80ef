/* format.c — sizes, rates and times for people; see format.h. */
#include "util/format.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

void bprintf(Buf *b, const char *fmt, ...)
{
        va_list ap;
        int r;

        if (b->len + 1 >= b->size)
                return;
        va_start(ap, fmt);
        r = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
        va_end(ap);
        if (r < 0)
                return;
        b->len += (size_t)r;
        if (b->len >= b->size)
                b->len = b->size - 1; /* truncated: keep what fits */
}

void fmt_size(Buf *b, double kb)
{
        double mib = kb / 1024.0;

        if (mib < 9.95)
                bprintf(b, "%.1f MiB", mib);
        else
                bprintf(b, "%.0f MiB", mib);
}

void fmt_labelled_size(Buf *b, const char *label, double kb)
{
        bprintf(b, "%s", label);
        fmt_size(b, kb);
}

void fmt_held(Buf *b, uint64_t usec)
{
        unsigned long long sec = (unsigned long long)(usec / 1000000);

        if (sec < 120)
                bprintf(b, "%llu s", sec);
        else if (sec % 60 == 0)
                bprintf(b, "%llu min", sec / 60);
        else
                bprintf(b, "%llu min %llu s", sec / 60, sec % 60);
}

void fmt_rate(Buf *b, double kb_per_hour)
{
        double mib = kb_per_hour / 1024.0;

        if (fabs(mib) >= 1024)
                bprintf(b, "%.1f GiB/h", mib / 1024.0);
        else if (fabs(mib) < 9.95)
                bprintf(b, "%.1f MiB/h", mib);
        else
                bprintf(b, "%.0f MiB/h", mib);
}

void fmt_band(Buf *b, double rate_kb_per_hour, double band_kb_per_hour)
{
        double mib = fabs(rate_kb_per_hour) / 1024.0, band = band_kb_per_hour / 1024.0;

        if (isinf(band_kb_per_hour))
                bprintf(b, " (\u00b1?)");
        else if (mib >= 1024)
                bprintf(b, " (\u00b1%.1f)", band / 1024.0);
        else if (mib < 9.95 && band < 9.95)
                bprintf(b, " (\u00b1%.1f)", band);
        else
                bprintf(b, " (\u00b1%.0f)", band);
}

void fmt_span(Buf *b, double usec)
{
        if (isinf(usec)) {
                bprintf(b, "never");
                return;
        }
        unsigned long long sec = usec > 0 ? (unsigned long long)(usec / 1e6) : 0;
        unsigned long long min = sec / 60, h = min / 60, d = h / 24;

        if (sec < 120)
                bprintf(b, "%llu s", sec);
        else if (min < 120)
                bprintf(b, "%llu min", min);
        else if (h < 48)
                bprintf(b, min % 60 ? "%llu h %llu min" : "%llu h", h, min % 60);
        else
                bprintf(b, h % 24 ? "%llu d %llu h" : "%llu d", d, h % 24);
}

const char *format_size(double kb, char *buf, size_t size)
{
        Buf b = buf_on(buf, size);
        fmt_size(&b, kb);
        return buf;
}

const char *format_span(double usec, char *buf, size_t size)
{
        Buf b = buf_on(buf, size);
        fmt_span(&b, usec);
        return buf;
}
