/* fuzz_meminfo.c — meminfo_parse() (read/meminfo.h) on /proc/meminfo as
 * the fast tier reads it: LEN bytes, no NUL. Checks: 0 or -EBADMSG; on
 * error RET untouched; on success the three required keys are in the
 * text and no field came from nowhere; where meminfo_whole() stops the
 * fast tier's read, the text parses, with all five keys in it, to what
 * meminfo_whole() kept for meminfo_read_fd(); and read at the places a
 * kernel's text put the keys (MemInfoLayout), a text that holds each key
 * once and parses gives what the parse gives. */
#include <errno.h>

#include "fuzz.h"
#include "read/meminfo.h"

/* The places of the keys in a kernel's text (this host's, kernel 6.18). */
static const MemInfoLayout *kernel_layout(void)
{
        static MemInfoLayout layout;
        static const char text[] = "MemTotal:       24683620 kB\nMemFree:        24351656 kB\n"
                                   "MemAvailable:   24358060 kB\nBuffers:            1652 kB\n"
                                   "Cached:           192344 kB\nSwapCached:            0 kB\n"
                                   "SwapTotal:             0 kB\nSwapFree:              0 kB\n";
        if (!layout.known) {
                MemInfoWhole keep = { .layout = &layout };
                FUZZ_CHECK(meminfo_whole(text, sizeof text - 1, &keep) && layout.known);
        }
        return &layout;
}

/* Whether KEY followed by ':' starts exactly one line of BUF. */
static bool once(const char *buf, size_t size, const char *key)
{
        size_t klen = strlen(key), n = 0;
        for (size_t at = 0; at + klen < size; at++)
                if ((at == 0 || buf[at - 1] == '\n') && buf[at + klen] == ':' &&
                    memcmp(buf + at, key, klen) == 0)
                        n++;
        return n == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        MemInfo m;
        int r = FUZZ_PARSE(m, meminfo_parse(buf, size, &m));
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r == 0) {
                FUZZ_CHECK(memmem(buf, size, "MemTotal:", 9));
                FUZZ_CHECK(memmem(buf, size, "MemFree:", 8));
                FUZZ_CHECK(memmem(buf, size, "MemAvailable:", 13));
                if (!memmem(buf, size, "SwapTotal:", 10))
                        FUZZ_CHECK(m.swap_total_kb == 0);
                if (!memmem(buf, size, "SwapFree:", 9))
                        FUZZ_CHECK(m.swap_free_kb == 0);
        }
        MemInfoWhole keep = { .whole = false };
        bool whole = size && buf[size - 1] == '\n' && meminfo_whole(buf, size, &keep);
        FUZZ_CHECK(whole == keep.whole);
        if (whole) {
                MemInfo w;
                FUZZ_CHECK(meminfo_parse(buf, size, &w) == 0);
                FUZZ_CHECK(memcmp(&w, &keep.info, sizeof w) == 0);
                FUZZ_CHECK(memmem(buf, size, "SwapTotal:", 10) && memmem(buf, size, "SwapFree:", 9));
        }
        MemInfoLayout layout = *kernel_layout();
        MemInfoWhole at = { .layout = &layout, .whole = false };
        bool whole_at = size && buf[size - 1] == '\n' && meminfo_whole(buf, size, &at);
        FUZZ_CHECK(whole_at == at.whole);
        if (whole_at && r == 0 && once(buf, size, "MemTotal") && once(buf, size, "MemFree") &&
            once(buf, size, "MemAvailable") && once(buf, size, "SwapTotal") &&
            once(buf, size, "SwapFree"))
                FUZZ_CHECK(memcmp(&at.info, &m, sizeof m) == 0);
        free(buf);
        return 0;
}
