/* format.h — how memguard writes sizes, rates and times for people: one
 * style everywhere (the journal's sentences, sd_notify STATUS=, the words
 * about a process), appended to a bounded buffer.
 *
 *  - sizes in MiB, as `free -m` users read them: "412 MiB", one decimal
 *    under 10 MiB ("9.8 MiB");
 *  - growth per hour: "38 MiB/h", "2.5 MiB/h", "1.9 GiB/h", and its band
 *    after it in the rate's unit: " (±6)", " (±0.3)", " (±?)" unknown;
 *  - a time held, exact: "45 s", "2 min", "2 min 30 s";
 *  - a span or an ETA, as people say it: "45 s", "25 min", "2 h 20 min",
 *    "3 d 4 h", and "never".
 * The config's own syntax ("90s", "400M") is printed by the config, not
 * here: that is the inverse of its parser. */
#ifndef MEMGUARD_FORMAT_H
#define MEMGUARD_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* A string being built in a fixed buffer: P (SIZE bytes) holds LEN bytes
 * and a NUL. What does not fit is cut, never overflowed. */
typedef struct Buf {
        char *p;
        size_t size, len;
} Buf;

/* Starts an empty string in BUF (SIZE > 0). */
static inline Buf buf_on(char *buf, size_t size)
{
        buf[0] = '\0';
        return (Buf){ buf, size, 0 };
}

/* Appends, printf-style. */
__attribute__((format(printf, 2, 3))) void bprintf(Buf *b, const char *fmt, ...);

void fmt_size(Buf *b, double kb);
/* LABEL, then the size: "; anon 12 MiB" from ("; anon ", 12288). */
void fmt_labelled_size(Buf *b, const char *label, double kb);
void fmt_rate(Buf *b, double kb_per_hour);
/* The band of a rate just written with fmt_rate(RATE): INFINITY is "±?". */
void fmt_band(Buf *b, double rate_kb_per_hour, double band_kb_per_hour);
void fmt_held(Buf *b, uint64_t usec);
/* USEC may be INFINITY ("never"); below 0 counts as 0. */
void fmt_span(Buf *b, double usec);

/* The same into BUF (SIZE bytes), which is returned. */
const char *format_size(double kb, char *buf, size_t size);
const char *format_span(double usec, char *buf, size_t size);

#endif
