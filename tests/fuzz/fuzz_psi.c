/* fuzz_psi.c — psi_parse() (read/psi.h) on a pressure file: LEN bytes,
 * no NUL. Checks: 0 or -EBADMSG; RET untouched on error; on success the
 * averages within 0..100, "full" zero unless has_full, and a "some" line
 * in the text; where psi_whole() stops psi_read_fd()'s read, it kept
 * what psi_parse() gives. */
#include <errno.h>

#include "fuzz.h"
#include "read/psi.h"

static bool line_ok(const PsiLine *l)
{
        return l->avg10 >= 0 && l->avg10 <= 100 && l->avg60 >= 0 && l->avg60 <= 100 &&
               l->avg300 >= 0 && l->avg300 <= 100;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        PsiInfo p;
        int r = FUZZ_PARSE(p, psi_parse(buf, size, &p));
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r == 0) {
                FUZZ_CHECK(memmem(buf, size, "some ", 5));
                FUZZ_CHECK(line_ok(&p.some));
                FUZZ_CHECK(line_ok(&p.full));
                if (!p.has_full)
                        FUZZ_CHECK(p.full.avg10 == 0 && p.full.avg60 == 0 && p.full.avg300 == 0 &&
                                   p.full.total_usec == 0);
        }
        PsiWhole keep = { .whole = false };
        bool whole = size && buf[size - 1] == '\n' && psi_whole(buf, size, &keep);
        FUZZ_CHECK(whole == keep.whole);
        if (whole) {
                FUZZ_CHECK(r == 0 && p.has_full && keep.info.has_full);
                FUZZ_CHECK(keep.info.some.total_usec == p.some.total_usec &&
                           keep.info.full.total_usec == p.full.total_usec &&
                           keep.info.some.avg10 == p.some.avg10 && keep.info.full.avg300 == p.full.avg300);
        }
        free(buf);
        return 0;
}
