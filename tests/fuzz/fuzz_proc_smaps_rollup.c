/* fuzz_proc_smaps_rollup.c — proc_smaps_rollup_parse() (read/proc.h) on
 * /proc/PID/smaps_rollup: LEN bytes, no NUL. Checks: -ENODATA exactly
 * for an empty buffer, else 0 or -EBADMSG; RET untouched on error; on
 * success a Pss line in the text, and the split only with all three of
 * its lines. */
#include <errno.h>

#include "fuzz.h"
#include "read/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        ProcRollup ro;
        int r = FUZZ_PARSE(ro, proc_smaps_rollup_parse(buf, size, &ro));
        FUZZ_CHECK(size == 0 ? r == -ENODATA : (r == 0 || r == -EBADMSG));
        if (r == 0) {
                FUZZ_CHECK(memmem(buf, size, "Pss:", 4));
                if (ro.has_pss_split)
                        FUZZ_CHECK(memmem(buf, size, "Pss_Anon:", 9) &&
                                   memmem(buf, size, "Pss_File:", 9) &&
                                   memmem(buf, size, "Pss_Shmem:", 10));
        }
        free(buf);
        return 0;
}
