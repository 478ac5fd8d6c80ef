/* fuzz_proc_status.c — proc_status_parse() (read/proc.h) on
 * /proc/PID/status: LEN bytes, no NUL. Checks: 0 or -EBADMSG; RET
 * untouched on error; on success Name and Uid lines were there, and
 * without a VmRSS line has_vm is false and the RSS 0. */
#include <errno.h>

#include "fuzz.h"
#include "read/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        ProcStatus s;
        int r = FUZZ_PARSE(s, proc_status_parse(buf, size, &s));
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r == 0) {
                FUZZ_CHECK(memmem(buf, size, "Name:", 5) && memmem(buf, size, "Uid:", 4));
                if (!memmem(buf, size, "VmRSS:", 6))
                        FUZZ_CHECK(!s.has_vm && s.rss_kb == 0);
                if (!memmem(buf, size, "VmSwap:", 7))
                        FUZZ_CHECK(s.swap_kb == 0);
        }
        free(buf);
        return 0;
}
