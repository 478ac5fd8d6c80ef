/* fuzz_memory_current.c — memory_current_parse() (read/memstat.h) on a
 * cgroup v2 memory.current: LEN bytes (the reader's buffer is
 * NUL-terminated, the parser must not need it). Checks: 0 or -EBADMSG;
 * RET untouched on error; on success the text is digits and an optional
 * '\n', and RET its number (read again with strtoull) / 1024. */
#include <errno.h>

#include "fuzz.h"
#include "read/memstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        uint64_t kb;
        int r = FUZZ_PARSE(kb, memory_current_parse(buf, size, &kb));
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r == 0) {
                size_t n = size > 0 && data[size - 1] == '\n' ? size - 1 : size;
                FUZZ_CHECK(n > 0);
                for (size_t i = 0; i < n; i++)
                        FUZZ_CHECK(data[i] >= '0' && data[i] <= '9');
                char *s = fuzz_string(data, size), *end;
                errno = 0;
                unsigned long long ref = strtoull(s, &end, 10);
                FUZZ_CHECK(errno == 0 && end == s + n && ref / 1024 == kb);
                free(s);
        }
        free(buf);
        return 0;
}
