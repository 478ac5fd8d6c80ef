/* fuzz_memory_events.c — memory_events_parse() (read/vmstat.h) on a
 * cgroup v2 memory.events: LEN bytes, no NUL. Checks: 0, -ENODATA or
 * -EBADMSG; both outputs untouched on error; on success "oom " and
 * "oom_kill " in the text. */
#include <errno.h>

#include "fuzz.h"
#include "read/vmstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        uint64_t v[2];
        int r = FUZZ_PARSE(v, memory_events_parse(buf, size, &v[0], &v[1]));
        FUZZ_CHECK(r == 0 || r == -ENODATA || r == -EBADMSG);
        if (r == 0)
                FUZZ_CHECK(memmem(buf, size, "oom ", 4) && memmem(buf, size, "oom_kill ", 9));
        free(buf);
        return 0;
}
