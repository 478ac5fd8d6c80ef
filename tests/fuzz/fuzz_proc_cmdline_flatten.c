/* fuzz_proc_cmdline_flatten.c — proc_cmdline_flatten() (read/proc.h) on
 * /proc/PID/cmdline as read: LEN bytes, no NUL after them (the reader
 * terminates the result). Checks: the new length is at most LEN and only
 * NULs were dropped from the end; the line has no control character
 * left; every other byte is kept, a NUL becoming ' ' and a control
 * character '?'. */
#include "fuzz.h"
#include "read/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        size_t n = proc_cmdline_flatten(buf, size);
        FUZZ_CHECK(n <= size);
        for (size_t i = n; i < size; i++)
                FUZZ_CHECK(data[i] == '\0');
        for (size_t i = 0; i < n; i++) {
                unsigned char in = data[i], out = (unsigned char)buf[i];
                FUZZ_CHECK(out >= 0x20 && out != 0x7f);
                if (in == '\0')
                        FUZZ_CHECK(out == ' ');
                else if (in < 0x20 || in == 0x7f)
                        FUZZ_CHECK(out == '?');
                else
                        FUZZ_CHECK(out == in);
        }
        free(buf);
        return 0;
}
