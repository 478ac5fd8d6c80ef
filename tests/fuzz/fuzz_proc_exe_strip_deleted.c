/* fuzz_proc_exe_strip_deleted.c — proc_exe_strip_deleted() (read/proc.h)
 * on an executable's path, LEN bytes and NUL-terminated as readlink()'s
 * result is by its reader. Checks: the new length is LEN, or LEN less
 * " (deleted)" when the path ended in it; the path is terminated there
 * and otherwise unchanged. */
#include "fuzz.h"
#include "read/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char deleted[] = " (deleted)";
        const size_t dn = sizeof deleted - 1;
        char *path = fuzz_string(data, size);
        size_t n = proc_exe_strip_deleted(path, size);
        bool suffix = size > dn && memcmp(data + size - dn, deleted, dn) == 0;
        FUZZ_CHECK(n == (suffix ? size - dn : size));
        FUZZ_CHECK(path[n] == '\0');
        FUZZ_CHECK(n == 0 || memcmp(path, data, n) == 0);
        free(path);
        return 0;
}
