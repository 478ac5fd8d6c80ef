/* vmstat.c — the oom_kill counter of /proc/vmstat (vmstat.h). */
#include "read/vmstat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

#define KEY "oom_kill "

/* The value of the line P..EOL ("oom_kill 3"), if it is that line. */
static int line_value(const char *p, const char *eol, uint64_t *ret)
{
        uint64_t v = 0;

        if ((size_t)(eol - p) <= strlen(KEY) || memcmp(p, KEY, strlen(KEY)) != 0)
                return -ENODATA;
        for (p += strlen(KEY); p < eol; p++) {
                unsigned d = (unsigned)(*p - '0');
                if (*p < '0' || *p > '9' || v > (UINT64_MAX - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int vmstat_parse_oom_kills(const char *buf, size_t len, uint64_t *ret)
{
        const char *p = buf, *end = buf + len;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                if (!eol)
                        eol = end;
                int r = line_value(p, eol, ret);
                if (r != -ENODATA)
                        return r;
                p = eol + 1;
        }
        return -ENODATA;
}

int vmstat_read_oom_kills(int proc_fd, uint64_t *ret)
{
        /* One read() of a seq_file recomputes every counter: a buffer that
         * holds the usual ~4 KiB takes one or two. */
        char buf[4096];
        size_t have = 0;
        _cleanup_close_ int fd = openat(proc_fd, "vmstat", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n = read(fd, buf + have, sizeof buf - have);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0) /* the last line, if it has no newline */
                        return vmstat_parse_oom_kills(buf, have, ret);
                have += (size_t)n;
                /* whole lines now; a cut one waits for the rest */
                const char *last = memrchr(buf, '\n', have);
                if (!last) {
                        if (have == sizeof buf)
                                return -EBADMSG; /* a 4 KiB line: not vmstat */
                        continue;
                }
                size_t whole = (size_t)(last - buf) + 1;
                int r = vmstat_parse_oom_kills(buf, whole, ret);
                if (r != -ENODATA)
                        return r;
                memmove(buf, buf + whole, have - whole);
                have -= whole;
        }
}
