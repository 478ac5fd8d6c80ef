/* fuzz_proc_int.c — proc_int_parse() (read/proc.h) on oom_score and
 * oom_score_adj: LEN bytes, no NUL. Checks: 0 or -EBADMSG; RET untouched
 * on error; on success the text is exactly an optional '-', digits and
 * an optional '\n', and its value (read again with strtoll) is RET. */
#include <errno.h>
#include <limits.h>

#include "fuzz.h"
#include "read/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        int v;
        int r = FUZZ_PARSE(v, proc_int_parse(buf, size, &v));
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r == 0) {
                size_t i = 0, n = size;
                if (n > 0 && data[n - 1] == '\n')
                        n--;
                if (i < n && data[i] == '-')
                        i++;
                FUZZ_CHECK(i < n);
                for (; i < n; i++)
                        FUZZ_CHECK(data[i] >= '0' && data[i] <= '9');
                char *s = fuzz_string(data, size);
                errno = 0;
                long long ref = strtoll(s, NULL, 10);
                FUZZ_CHECK(errno == 0 && ref == v);
                free(s);
        }
        free(buf);
        return 0;
}
