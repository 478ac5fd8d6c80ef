/* fuzz_config_size.c — config_parse_size() (config/config.h) on a value
 * as inih hands it over: NUL-terminated. Checks: 0, -EINVAL, -ERANGE or
 * -ENOMEM; the outputs untouched on error; a percentage 0..100 with kB 0,
 * or kB at most UINT64_MAX / 1024 with no percentage; the same answer for
 * the value with blanks around it and in upper case. */
#include <errno.h>

#include "config/config.h"
#include "value.h"

typedef struct Out {
        uint64_t kb;
        bool is_percent;
        double percent;
} Out;

static int parse(const char *s, Out *o)
{
        memset(o, FUZZ_FILL, sizeof *o);
        return config_parse_size(s, &o->kb, &o->is_percent, &o->percent);
}

static bool same(int r1, const Out *a, int r2, const Out *b)
{
        return r1 == r2 && (r1 < 0 || (a->kb == b->kb && a->is_percent == b->is_percent &&
                                       a->percent == b->percent));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size);
        Out o, o2;
        int r = parse(s, &o);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE || r == -ENOMEM);
        if (r < 0)
                FUZZ_CHECK(fuzz_untouched(&o, sizeof o));
        else if (o.is_percent)
                FUZZ_CHECK(o.kb == 0 && o.percent >= 0 && o.percent <= 100);
        else
                FUZZ_CHECK(o.kb <= UINT64_MAX / 1024 && o.percent == 0);
        char *v = value_padded(s);
        FUZZ_CHECK(same(r, &o, parse(v, &o2), &o2));
        free(v);
        v = value_upper(s);
        FUZZ_CHECK(same(r, &o, parse(v, &o2), &o2));
        free(v);
        free(s);
        return 0;
}
