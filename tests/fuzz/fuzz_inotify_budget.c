/* fuzz_inotify_budget.c — cgwatch_budget_parse() (read/cgwatch.h) on
 * /proc/sys/fs/inotify/max_user_watches: LEN bytes, no NUL. Checks: the
 * budget is at most CGWATCH_MAX_WATCHES; it is 1024 when the text does
 * not start (after blanks) with a number; otherwise an eighth of the
 * number strtoull() reads there, capped. */
#include <errno.h>

#include "fuzz.h"
#include "read/cgwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        size_t b = cgwatch_budget_parse(buf, size);
        FUZZ_CHECK(b <= CGWATCH_MAX_WATCHES);
        if (!memchr(data, '\0', size)) {
                char *s = fuzz_string(data, size), *end;
                errno = 0;
                unsigned long long ref = strtoull(s, &end, 10);
                if (errno || end == s)
                        FUZZ_CHECK(b == 1024);
                else
                        FUZZ_CHECK(b == (ref / 8 < CGWATCH_MAX_WATCHES ? ref / 8 : CGWATCH_MAX_WATCHES));
                free(s);
        }
        free(buf);
        return 0;
}
