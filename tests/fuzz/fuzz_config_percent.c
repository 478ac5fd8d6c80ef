/* fuzz_config_percent.c — parse_psi_percent(), the value of a PSI
 * condition ("psi.some.avg10 > 20%"), on a value as the `when` parser
 * hands it over: NUL-terminated. It is declared in config/parser.h, the
 * config parser's internal header, which only src/config/ includes: this
 * harness does too, to reach the function the daemon runs. Checks: 0,
 * -EINVAL or -ERANGE; the output untouched on error; 0..100 on success;
 * the same answer with blanks around the value. */
#include <errno.h>

#include "config/parser.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size);
        double v, v2;
        int r = FUZZ_PARSE(v, parse_psi_percent(s, &v));
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r == 0)
                FUZZ_CHECK(v >= 0 && v <= 100);
        char *p = value_padded(s);
        int r2 = parse_psi_percent(p, &v2);
        FUZZ_CHECK(r2 == r && (r < 0 || v2 == v));
        free(p);
        free(s);
        return 0;
}
