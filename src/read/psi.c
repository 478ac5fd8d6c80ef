/* psi.c — pressure stall information: the fast tier's second read, and the
 * trigger that wakes the loop early. */
#include "read/psi.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/procroot.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* Consumes the literal S at *P. */
static int expect(const char **p, const char *end, const char *s, size_t n)
{
        if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
                return -EBADMSG;
        *p += n;
        return 0;
}

static int parse_u64(const char **p, const char *end, uint64_t *ret)
{
        const char *s = *p;
        uint64_t v = 0;

        while (s < end && *s >= '0' && *s <= '9') {
                unsigned d = (unsigned)(*s - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return -EBADMSG;
                v = v * 10 + d;
                s++;
        }
        if (s == *p)
                return -EBADMSG;
        *p = s;
        *ret = v;
        return 0;
}

/* The kernel prints averages as "%lu.%02lu" (LOAD_INT/LOAD_FRAC). Scaling an
 * exact integer once, (int * 10^n + frac) / 10^n, rounds exactly like
 * strtod() would, without strtod's locale or need for a NUL. Up to 6
 * fraction digits keep the integer exact in a double; 0..100 is enforced
 * because the kernel clamps each sample to its period. */
static int parse_pct(const char **p, const char *end, double *ret)
{
        uint64_t ip, frac = 0, scale = 1;

        if (parse_u64(p, end, &ip) < 0 || ip > 100)
                return -EBADMSG;
        if (*p < end && **p == '.') {
                const char *s = ++*p;

                while (*p < end && **p >= '0' && **p <= '9') {
                        if (*p - s >= 6)
                                return -EBADMSG;
                        frac = frac * 10 + (uint64_t)(**p - '0');
                        scale *= 10;
                        ++*p;
                }
                if (*p == s)
                        return -EBADMSG;
        }
        if (ip == 100 && frac != 0)
                return -EBADMSG;
        *ret = (double)(ip * scale + frac) / (double)scale;
        return 0;
}

/* Parses the part of a line after "some "/"full ", up to EOL. */
static int parse_line(const char *p, const char *eol, PsiLine *ret)
{
        PsiLine l;

        if (expect(&p, eol, "avg10=", 6) < 0 || parse_pct(&p, eol, &l.avg10) < 0 ||
            expect(&p, eol, " avg60=", 7) < 0 || parse_pct(&p, eol, &l.avg60) < 0 ||
            expect(&p, eol, " avg300=", 8) < 0 || parse_pct(&p, eol, &l.avg300) < 0 ||
            expect(&p, eol, " total=", 7) < 0 || parse_u64(&p, eol, &l.total_usec) < 0 || p != eol)
                return -EBADMSG;
        *ret = l;
        return 0;
}

int psi_parse(const char *buf, size_t len, PsiInfo *ret)
{
        PsiInfo info = {0};
        bool has_some = false;
        const char *p = buf, *end = buf + len;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));

                /* The kernel ends every line with '\n': a line without one
                 * was cut by the buffer, maybe inside total's digits. */
                if (!eol)
                        return -EBADMSG;
                if (eol - p >= 5 && memcmp(p, "some ", 5) == 0) {
                        if (has_some || parse_line(p + 5, eol, &info.some) < 0)
                                return -EBADMSG;
                        has_some = true;
                } else if (eol - p >= 5 && memcmp(p, "full ", 5) == 0) {
                        if (info.has_full || parse_line(p + 5, eol, &info.full) < 0)
                                return -EBADMSG;
                        info.has_full = true;
                }
                /* Other lines are ignored so a future kernel may add some. */
                p = eol + 1;
        }

        if (!has_some)
                return -EBADMSG;
        *ret = info;
        return 0;
}

bool psi_whole(const char *buf, size_t len, void *userdata)
{
        PsiWhole *keep = userdata;
        PsiInfo info;

        if (psi_parse(buf, len, &info) < 0 || !info.has_full)
                return false;
        if (keep) {
                keep->info = info;
                keep->whole = true;
        }
        return true;
}

int psi_read_fd(int fd, char *buf, size_t size, PsiInfo *ret)
{
        PsiWhole keep = { .whole = false };
        ssize_t n = procroot_pread_until(fd, buf, size, psi_whole, &keep);

        if (n < 0)
                return (int)n;
        if (keep.whole) {
                *ret = keep.info;
                return 0;
        }
        return psi_parse(buf, (size_t)n, ret);
}

int psi_trigger_open(int proc_fd, uint64_t stall_usec, uint64_t window_usec)
{
        _cleanup_close_ int fd = -1;
        struct statfs sfs;
        char cmd[64], digits[20];
        size_t len = 0;
        ssize_t n;

        fd = openat(proc_fd, "pressure/memory", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Writing a trigger into a fixture tree (a regular file) would
         * "succeed", corrupt the fixture and yield an fd that never signals. */
        if (fstatfs(fd, &sfs) < 0)
                return -errno;
        if (sfs.f_type != PROC_SUPER_MAGIC)
                return -EOPNOTSUPP;

        /* "some STALL WINDOW" with its NUL: psi_write() overwrites the last
         * byte written with a NUL, so without ours the window loses a digit. */
        memcpy(cmd, "some ", 5);
        len = 5;
        for (int k = 0; k < 2; k++) {
                uint64_t v = k == 0 ? stall_usec : window_usec;
                size_t nd = 0;

                do {
                        digits[nd++] = (char)('0' + v % 10);
                        v /= 10;
                } while (v);
                while (nd)
                        cmd[len++] = digits[--nd];
                cmd[len++] = k == 0 ? ' ' : '\0';
        }

        n = write(fd, cmd, len);
        if (n < 0)
                return -errno;
        if ((size_t)n != len)
                return -EIO;
        return TAKE_FD(fd);
}
