/* meminfo.c — /proc/meminfo for the fast tier: one pread, one linear scan,
 * no allocation, no stdio. */
#include "read/meminfo.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "util/procroot.h"

/* Parses the value of a meminfo line from P, which the kernel prints as
 * "%*lu kB" (show_val_kb): padding spaces, digits, " kB". Returns where
 * the " kB" ends (the caller checks what follows), or NULL for anything
 * else, including a value cut by END. The fast tier reads five values a
 * tick: no library call, one test a padding byte or digit. */
static const char *parse_kb_at(const char *p, const char *end, uint64_t *ret)
{
        uint64_t v = 0;
        const char *digits, *unchecked;

        /* the kernel pads the five keys' values to their column with 3 to
         * 15 spaces: skipped eight at a time, the first other byte found
         * by its bit */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (end - p >= 8) {
                uint64_t w;
                memcpy(&w, p, sizeof w);
                w ^= 0x2020202020202020ULL;
                if (w) {
                        p += __builtin_ctzll(w) / 8;
                        break;
                }
                p += 8;
        }
#endif
        while (p < end && *p == ' ')
                p++;
        digits = p;
        /* 19 digits cannot overflow, and the kernel's have at most 10: only
         * a longer value is checked digit by digit */
        unchecked = end - p > 19 ? p + 19 : end;
        while (p < unchecked && (unsigned)(*p - '0') < 10)
                v = v * 10 + (unsigned)(*p++ - '0');
        while (p < end && (unsigned)(*p - '0') < 10) {
                unsigned d = (unsigned)(*p - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return NULL;
                v = v * 10 + d;
                p++;
        }
        if (p == digits || end - p < 3 || p[0] != ' ' || p[1] != 'k' || p[2] != 'B')
                return NULL;
        *ret = v;
        return p + 3;
}

/* The value of a meminfo line [P, END): nothing may follow its " kB" but
 * END or a newline. */
static int parse_kb(const char *p, const char *end, uint64_t *ret)
{
        p = parse_kb_at(p, end, ret);
        return p && (p == end || *p == '\n') ? 0 : -EBADMSG;
}

enum {
        F_TOTAL = 1 << 0,
        F_FREE = 1 << 1,
        F_AVAILABLE = 1 << 2,
        F_SWAP_TOTAL = 1 << 3,
        F_SWAP_FREE = 1 << 4,
        F_REQUIRED = F_TOTAL | F_FREE | F_AVAILABLE,
        F_ALL = F_REQUIRED | F_SWAP_TOTAL | F_SWAP_FREE,
};

static const struct {
        const char *key;
        size_t len;
        unsigned flag;
        size_t offset;
} fields[] = { /* in MemInfoLayout.line's order, which parse_at() spells out */
#define FIELD(k, f, m)                                                                             \
        {                                                                                          \
                k, sizeof(k) - 1, f, offsetof(MemInfo, m)                                          \
        }
        FIELD("MemTotal", F_TOTAL, total_kb),
        FIELD("MemFree", F_FREE, free_kb),
        FIELD("MemAvailable", F_AVAILABLE, available_kb),
        FIELD("SwapTotal", F_SWAP_TOTAL, swap_total_kb),
        FIELD("SwapFree", F_SWAP_FREE, swap_free_kb),
#undef FIELD
};

/* Parses the five keys into *RET; returns the keys seen (F_*), or
 * -EBADMSG. LINE, when not NULL, gets where each seen key's line began. */
static int parse_keys(const char *buf, size_t len, MemInfo *ret, uint32_t *line)
{
        MemInfo m = {0};
        const char *p = buf, *end = buf + len;
        unsigned seen = 0;

        while (p < end && seen != F_ALL) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));

                if (!eol)
                        eol = end;
                /* The five keys all start with 'M' or 'S' and sit in the first
                 * 16 lines; the first-byte test skips the other lines without
                 * a string compare. */
                if (*p == 'M' || *p == 'S') {
                        size_t llen = (size_t)(eol - p);

                        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                                size_t klen = fields[i].len;
                                uint64_t v;

                                if (llen <= klen || p[klen] != ':' || memcmp(p, fields[i].key, klen) != 0)
                                        continue;
                                if (seen & fields[i].flag)
                                        return -EBADMSG; /* a duplicate: not the kernel's text */
                                if (parse_kb(p + klen + 1, eol, &v) < 0)
                                        return -EBADMSG;
                                memcpy((char *)&m + fields[i].offset, &v, sizeof(v));
                                seen |= fields[i].flag;
                                if (line)
                                        line[i] = (uint32_t)(p - buf);
                                break;
                        }
                }
                if (eol == end)
                        break;
                p = eol + 1;
        }

        *ret = m;
        return (int)seen;
}

int meminfo_parse(const char *buf, size_t len, MemInfo *ret)
{
        MemInfo m;
        int seen = parse_keys(buf, len, &m, NULL);

        if (seen < 0 || ((unsigned)seen & F_REQUIRED) != F_REQUIRED)
                return -EBADMSG;
        *ret = m;
        return 0;
}

/* KEY (KLEN bytes, a constant where inlined) at offset AT of BUF, at the
 * start of a line, and its value whole: its " kB" then a newline before
 * LEN. */
static inline __attribute__((always_inline)) bool
value_at(const char *buf, size_t len, size_t at, const char *key, size_t klen, uint64_t *ret)
{
        const char *p = buf + at, *after;

        if (at >= len || len - at <= klen || (at > 0 && buf[at - 1] != '\n') || p[klen] != ':' ||
            memcmp(p, key, klen) != 0)
                return false;
        after = parse_kb_at(p + klen + 1, buf + len, ret);
        return after && after < buf + len && *after == '\n';
}

/* The five keys read at LAYOUT's places, each at the start of a line of
 * BUF and its value whole before LEN; false when any is not there. The
 * keys are spelt out, not looped over, so that each compare is inline. */
static bool parse_at(const char *buf, size_t len, const MemInfoLayout *layout, MemInfo *ret)
{
        MemInfo m;
        const uint32_t *at = layout->line;

#define AT(i, k, member) value_at(buf, len, at[i], k, sizeof(k) - 1, &m.member)
        if (!AT(0, "MemTotal", total_kb) || !AT(1, "MemFree", free_kb) ||
            !AT(2, "MemAvailable", available_kb) || !AT(3, "SwapTotal", swap_total_kb) ||
            !AT(4, "SwapFree", swap_free_kb))
                return false;
#undef AT
        *ret = m;
        return true;
}

bool meminfo_whole(const char *buf, size_t len, void *userdata)
{
        MemInfoWhole *keep = userdata;
        MemInfoLayout *layout = keep ? keep->layout : NULL;
        uint32_t line[5];
        MemInfo m;

        /* asked only when what was read ends in '\n': each line of it,
         * the five keys' included, is whole */
        if (layout && layout->known && parse_at(buf, len, layout, &m)) {
                keep->info = m;
                keep->whole = true;
                return true;
        }
        int seen = parse_keys(buf, len, &m, line);
        if (seen < 0 || (unsigned)seen != F_ALL)
                return false;
        if (layout) {
                memcpy(layout->line, line, sizeof line);
                layout->known = true;
        }
        if (keep) {
                keep->info = m; /* all five keys: meminfo_parse()'s result */
                keep->whole = true;
        }
        return true;
}

int meminfo_read_fd(int fd, char *buf, size_t size, MemInfoLayout *layout, MemInfo *ret)
{
        MemInfoWhole keep = { .layout = layout, .whole = false };
        ssize_t n = procroot_pread_until(fd, buf, size, meminfo_whole, &keep);

        if (n < 0)
                return (int)n;
        if (keep.whole) {
                *ret = keep.info;
                return 0;
        }
        return meminfo_parse(buf, (size_t)n, ret);
}
