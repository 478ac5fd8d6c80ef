/* vmstat.c — the oom_kill counter of /proc/vmstat (vmstat.h). */
#include "read/vmstat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <stdio.h>

#include "read/proc.h"
#include "util/cleanup.h"
#include "util/procroot.h"

/* The value of the line P..EOL ("oom_kill 3"), if it is KEY's ("oom_kill "). */
static int line_value(const char *p, const char *eol, const char *key, uint64_t *ret)
{
        uint64_t v = 0;

        if ((size_t)(eol - p) <= strlen(key) || memcmp(p, key, strlen(key)) != 0)
                return -ENODATA;
        for (p += strlen(key); p < eol; p++) {
                unsigned d = (unsigned)(*p - '0');
                if (*p < '0' || *p > '9' || v > (UINT64_MAX - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

static int parse_counter(const char *buf, size_t len, const char *key, uint64_t *ret)
{
        const char *p = buf, *end = buf + len;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                if (!eol)
                        eol = end;
                int r = line_value(p, eol, key, ret);
                if (r != -ENODATA)
                        return r;
                p = eol + 1;
        }
        return -ENODATA;
}

int vmstat_parse_oom_kills(const char *buf, size_t len, uint64_t *ret)
{
        return parse_counter(buf, len, "oom_kill ", ret);
}

int memory_events_parse(const char *buf, size_t len, uint64_t *ret_oom, uint64_t *ret_oom_kill)
{
        uint64_t oom, kill;
        int r = parse_counter(buf, len, "oom ", &oom);
        if (r >= 0)
                r = parse_counter(buf, len, "oom_kill ", &kill);
        if (r < 0)
                return r;
        *ret_oom = oom;
        *ret_oom_kill = kill;
        return 0;
}

int memory_events_read(int cgroup_fd, const char *cgroup, uint64_t *ret_oom, uint64_t *ret_oom_kill)
{
        /* ~130 bytes on 6.x (low high max oom oom_kill oom_group_kill) */
        char buf[512], rel[PROC_CGROUP_MAX + 32];
        int n = snprintf(rel, sizeof rel, "%s/memory.events", cgroup[0] == '/' ? cgroup + 1 : cgroup);
        if (n < 0 || (size_t)n >= sizeof rel)
                return -ENAMETOOLONG;
        ssize_t len = procroot_read_file(cgroup_fd, rel[0] == '/' ? rel + 1 : rel, buf, sizeof buf);
        if (len < 0)
                return (int)len;
        return memory_events_parse(buf, (size_t)len, ret_oom, ret_oom_kill);
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
