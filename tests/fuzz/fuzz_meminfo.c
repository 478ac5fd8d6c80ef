/* fuzz_meminfo.c — meminfo_parse() (read/meminfo.h) on /proc/meminfo as
 * the fast tier reads it: LEN bytes, no NUL. Checks: 0 or -EBADMSG; on
 * error RET untouched; on success the three required keys are in the
 * text and no field came from nowhere; where meminfo_whole() stops the
 * fast tier's read, the text parses, with all five keys in it, to what
 * meminfo_whole() kept for meminfo_read_fd(). */
#include <errno.h>

#include "fuzz.h"
#include "read/meminfo.h"

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
        free(buf);
        return 0;
}
