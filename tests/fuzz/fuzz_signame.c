/* fuzz_signame.c — signame_parse() (util/signame.h), the value of a
 * rule's `before =` and `notify =`, NUL-terminated as inih hands it over.
 * Checks: a signal 1..SIGRTMAX or -EINVAL; the signal named again by
 * signame_format() (NUL-terminated within 16 bytes) and that name read
 * back as the same signal; the same answer in upper case. */
#include <errno.h>
#include <signal.h>

#include "util/signame.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_string(data, size);
        int sig = signame_parse(s);
        FUZZ_CHECK(sig == -EINVAL || (sig >= 1 && sig <= SIGRTMAX));
        if (sig > 0) {
                char name[16];
                memset(name, FUZZ_FILL, sizeof name);
                FUZZ_CHECK(signame_format(sig, name, sizeof name) == name);
                FUZZ_CHECK(fuzz_terminated(name, sizeof name));
                FUZZ_CHECK(signame_parse(name) == sig);
        }
        char *u = value_upper(s);
        FUZZ_CHECK(signame_parse(u) == sig);
        free(u);
        free(s);
        return 0;
}
