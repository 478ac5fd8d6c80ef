/* fuzz_memstat.c — memstat_parse() (read/memstat.h) on a cgroup v2
 * memory.stat: LEN bytes, no NUL. Checks: 0 or -EBADMSG; RET untouched on
 * error; on success "anon " and "file " lines in the text. */
#include <errno.h>

#include "fuzz.h"
#include "read/memstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        MemStat m;
        int r = FUZZ_PARSE(m, memstat_parse(buf, size, &m));
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r == 0)
                FUZZ_CHECK(memmem(buf, size, "anon ", 5) && memmem(buf, size, "file ", 5));
        free(buf);
        return 0;
}
