/* fuzz_controllers.c — procroot_controllers_have_memory() (util/procroot.h)
 * on a cgroup.controllers: LEN bytes, no NUL. Checks the answer against
 * the contract: true exactly when "memory" is one of the words that
 * blanks and newlines separate. */
#include "fuzz.h"
#include "util/procroot.h"

static bool sep(char c)
{
        return c == ' ' || c == '\t' || c == '\n';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        bool want = false;
        for (size_t i = 0; i + 6 <= size && !want; i++)
                want = memcmp(buf + i, "memory", 6) == 0 && (i == 0 || sep(buf[i - 1])) &&
                       (i + 6 == size || sep(buf[i + 6]));
        FUZZ_CHECK(procroot_controllers_have_memory(buf, size) == want);
        free(buf);
        return 0;
}
