/* fuzz_config_duration.c — config_parse_duration() (config/config.h) on a
 * value as inih hands it over: NUL-terminated. Checks: 0, -EINVAL,
 * -ERANGE or -ENOMEM; the output untouched on error; the same answer for
 * the value with blanks around it and in upper case; and "Nms" never more
 * than "Ns" (N the value's number, when it is a bare one). */
#include <errno.h>

#include "config/config.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size);
        uint64_t u, u2;
        int r = FUZZ_PARSE(u, config_parse_duration(s, &u));
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE || r == -ENOMEM);
        value_check_u64(config_parse_duration, s, r, &u);
        if (r == 0 && size > 0 && strspn(s, "0123456789.") == size) {
                /* a bare number is seconds */
                size_t n = strlen(s);
                char *ms = malloc(n + 3);
                if (!ms)
                        abort();
                memcpy(ms, s, n);
                memcpy(ms + n, "ms", 3);
                FUZZ_CHECK(config_parse_duration(ms, &u2) == 0 && u2 <= u);
                free(ms);
        }
        free(s);
        return 0;
}
