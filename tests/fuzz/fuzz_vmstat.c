/* fuzz_vmstat.c — vmstat_parse_oom_kills() (read/vmstat.h) on
 * /proc/vmstat text: LEN bytes, no NUL, a line may end at the end. Checks:
 * 0, -ENODATA or -EBADMSG; RET untouched on error; -ENODATA exactly when
 * no line starts with "oom_kill " followed by something. */
#include <errno.h>

#include "fuzz.h"
#include "read/vmstat.h"

/* A line that starts with "oom_kill " and has more after it. */
static bool has_line(const char *buf, size_t size)
{
        const char *p = buf, *end = buf + size;
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                if (!eol)
                        eol = end;
                if ((size_t)(eol - p) > 9 && memcmp(p, "oom_kill ", 9) == 0)
                        return true;
                p = eol + 1;
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        uint64_t v;
        int r = FUZZ_PARSE(v, vmstat_parse_oom_kills(buf, size, &v));
        FUZZ_CHECK(r == 0 || r == -ENODATA || r == -EBADMSG);
        FUZZ_CHECK((r == -ENODATA) == !has_line(buf, size));
        free(buf);
        return 0;
}
