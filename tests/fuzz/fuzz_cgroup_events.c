/* fuzz_cgroup_events.c — cgwatch_events_populated() (read/cgwatch.h) on
 * a cgroup.events: LEN bytes, no NUL. Checks the answer against the
 * contract: false exactly when the first "populated " is followed, within
 * LEN, by '0'. */
#include "fuzz.h"
#include "read/cgwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        bool pop = cgwatch_events_populated(buf, size);
        const char *p = memmem(buf, size, "populated ", 10);
        bool empty = p && (size_t)(p - buf) + 10 < size && p[10] == '0';
        FUZZ_CHECK(pop == !empty);
        free(buf);
        return 0;
}
