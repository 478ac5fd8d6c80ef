/* fuzz_proc_stat.c — proc_stat_parse() (read/proc.h) on /proc/PID/stat:
 * LEN bytes, no NUL. Checks: 0 or -EBADMSG; RET untouched on error; on
 * success a pid in 1..INT_MAX, a NUL-terminated comm that is the text
 * between the first '(' and the last ')' (cut to PROC_COMM_MAX - 1), and
 * a state byte that is neither blank nor newline. */
#include <errno.h>
#include <limits.h>

#include "fuzz.h"
#include "read/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        ProcStat st;
        int r = FUZZ_PARSE(st, proc_stat_parse(buf, size, &st));
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r == 0) {
                FUZZ_CHECK(st.pid > 0 && st.ppid >= 0);
                FUZZ_CHECK(fuzz_terminated(st.comm, sizeof st.comm));
                const char *l = memchr(buf, '(', size);
                const char *rp = memrchr(buf, ')', size);
                FUZZ_CHECK(l && rp && rp > l);
                size_t n = (size_t)(rp - l - 1);
                if (n > PROC_COMM_MAX - 1)
                        n = PROC_COMM_MAX - 1;
                FUZZ_CHECK(memcmp(st.comm, l + 1, n) == 0 && st.comm[n] == '\0');
                FUZZ_CHECK(st.state != ' ' && st.state != '\n');
        }
        free(buf);
        return 0;
}
