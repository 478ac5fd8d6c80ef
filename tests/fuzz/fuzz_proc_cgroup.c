/* fuzz_proc_cgroup.c — proc_cgroup_parse() (read/proc.h) on
 * /proc/PID/cgroup, LEN bytes without a NUL, into an output of SIZE
 * bytes (1..PROC_CGROUP_MAX, taken from the input's first byte; the
 * block is SIZE bytes so that ASan sees a write past it). Checks: 0,
 * -ENODATA, -ENAMETOOLONG or -EBADMSG; the output untouched on error; on
 * success a path starting with '/', NUL-terminated within SIZE, that is
 * in the text. */
#include <errno.h>

#include "fuzz.h"
#include "read/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        size_t out_size = 1 + (size_t)data[0] * 2 % PROC_CGROUP_MAX;
        char *buf = fuzz_copy(data + 1, size - 1);
        char *out = malloc(out_size);
        if (!out)
                abort();
        memset(out, FUZZ_FILL, out_size);
        int r = proc_cgroup_parse(buf, size - 1, out, out_size);
        FUZZ_CHECK(r == 0 || r == -ENODATA || r == -ENAMETOOLONG || r == -EBADMSG);
        if (r < 0)
                FUZZ_CHECK(fuzz_untouched(out, out_size));
        else {
                FUZZ_CHECK(fuzz_terminated(out, out_size));
                size_t n = strlen(out);
                FUZZ_CHECK(n > 1 && out[0] == '/');
                FUZZ_CHECK(memmem(buf, size - 1, out, n));
        }
        free(out);
        free(buf);
        return 0;
}
