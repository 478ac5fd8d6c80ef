/* fuzz_config_rate.c — config_parse_rate() (config/config.h) on a value
 * as inih hands it over: NUL-terminated. Checks: 0, -EINVAL, -ERANGE or
 * -ENOMEM; the output untouched on error; a rate of at most
 * UINT64_MAX / 1024 kB an hour; the same answer for the value with blanks
 * around it and in upper case; and "SIZE/h" the size config_parse_size()
 * reads in SIZE. */
#include <errno.h>

#include "config/config.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size);
        uint64_t k;
        int r = FUZZ_PARSE(k, config_parse_rate(s, &k));
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE || r == -ENOMEM);
        if (r == 0)
                FUZZ_CHECK(k <= UINT64_MAX / 1024);
        value_check_u64(config_parse_rate, s, r, &k);
        char *slash = strrchr(s, '/');
        if (r == 0 && slash && strcmp(slash, "/h") == 0 && slash == strchr(s, '/')) {
                uint64_t kb;
                bool pct;
                double p;
                *slash = '\0';
                FUZZ_CHECK(config_parse_size(s, &kb, &pct, &p) == 0 && !pct && kb == k);
        }
        free(s);
        return 0;
}
