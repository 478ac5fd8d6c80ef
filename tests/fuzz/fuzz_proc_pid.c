/* fuzz_proc_pid.c — proc_pid_parse() (read/proc.h) on a name of the proc
 * directory, NUL-terminated as readdir() gives it. Checks: a name is
 * taken only if it is digits without a leading zero, then RET is its
 * value (read again with strtoll), a pid in 1..INT_MAX; RET untouched
 * otherwise. */
#include <errno.h>
#include <limits.h>

#include "fuzz.h"
#include "read/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *name = fuzz_string(data, size);
        pid_t pid;
        memset(&pid, FUZZ_FILL, sizeof pid);
        if (proc_pid_parse(name, &pid)) {
                FUZZ_CHECK(name[0] >= '1' && name[0] <= '9');
                for (const char *c = name; *c; c++)
                        FUZZ_CHECK(*c >= '0' && *c <= '9');
                errno = 0;
                long long ref = strtoll(name, NULL, 10);
                FUZZ_CHECK(errno == 0 && ref >= 1 && ref <= INT_MAX);
                FUZZ_CHECK(ref == pid);
        } else
                FUZZ_CHECK(fuzz_untouched(&pid, sizeof pid));
        free(name);
        return 0;
}
