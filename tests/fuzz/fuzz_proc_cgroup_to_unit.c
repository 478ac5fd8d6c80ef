/* fuzz_proc_cgroup_to_unit.c — proc_cgroup_to_unit() (read/proc.h) on a
 * cgroup path, NUL-terminated as proc_cgroup_parse() hands it over.
 * Checks: 0, -ENODATA or -ENAMETOOLONG; RET untouched on error; on
 * success the name and owner NUL-terminated within PROC_UNIT_MAX, the
 * unit's cgroup a prefix of the path that ends at a '/' or the end, whose
 * last component the name is (one '_' escape dropped) and which
 * proc_cgroup_name_is_unit() calls a unit (cgwatch.h relies on the two
 * agreeing), the owner's cgroup a prefix of that, and an owner exactly
 * when it has a cgroup. */
#include <errno.h>

#include "fuzz.h"
#include "read/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *path = fuzz_string(data, size);
        size_t len = strlen(path);
        CgroupUnit u;
        memset(&u, FUZZ_FILL, sizeof u);
        int r = proc_cgroup_to_unit(path, &u);
        FUZZ_CHECK(r == 0 || r == -ENODATA || r == -ENAMETOOLONG);
        if (r < 0)
                FUZZ_CHECK(fuzz_untouched(&u, sizeof u));
        else {
                FUZZ_CHECK(fuzz_terminated(u.name, sizeof u.name));
                FUZZ_CHECK(fuzz_terminated(u.owner, sizeof u.owner));
                FUZZ_CHECK(u.cgroup_len > 0 && u.cgroup_len <= len);
                FUZZ_CHECK(path[u.cgroup_len] == '\0' || path[u.cgroup_len] == '/');
                FUZZ_CHECK(u.owner_cgroup_len <= u.cgroup_len);
                FUZZ_CHECK((u.owner[0] != '\0') == (u.owner_cgroup_len > 0));
                /* the component that ends at cgroup_len */
                size_t start = u.cgroup_len;
                while (start > 0 && path[start - 1] != '/')
                        start--;
                char comp[PROC_CGROUP_MAX * 8];
                size_t n = u.cgroup_len - start;
                FUZZ_CHECK(n < sizeof comp);
                memcpy(comp, path + start, n);
                comp[n] = '\0';
                FUZZ_CHECK(proc_cgroup_name_is_unit(comp));
                const char *unesc = n > 1 && comp[0] == '_' ? comp + 1 : comp;
                FUZZ_CHECK(strcmp(unesc, u.name) == 0);
        }
        free(path);
        return 0;
}
