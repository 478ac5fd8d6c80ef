/* procroot.c — the proc-root handle and the two raw read primitives every
 * reader builds on. */
#include "util/procroot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* "hugetlb" alone, as the empty v2 hierarchy of a hybrid host lists, must
 * not count: only the whole word. */
bool procroot_controllers_have_memory(const char *buf, size_t len)
{
        size_t i = 0;

        while (i < len) {
                size_t start;

                while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t'))
                        i++;
                start = i;
                while (i < len && buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t')
                        i++;
                if (i - start == 6 && memcmp(buf + start, "memory", 6) == 0)
                        return true;
        }
        return false;
}

/* The check is on cgroup.controllers rather than fstatfs(CGROUP2_SUPER_MAGIC)
 * so a fixture tree (a plain directory) is judged exactly like the live root.
 * A v1 or hybrid /sys/fs/cgroup (a tmpfs of per-controller mounts) has no
 * cgroup.controllers at all; the empty v2 mount of a hybrid host has one
 * without "memory" because that controller is bound to v1. */
static int cgroup_root_open(const char *path)
{
        _cleanup_close_ int fd = -1;
        char buf[256];
        ssize_t n;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = procroot_read_file(fd, "cgroup.controllers", buf, sizeof(buf));
        if (n < 0)
                return (int)n;
        if (!procroot_controllers_have_memory(buf, (size_t)n))
                return -ENODATA;
        return TAKE_FD(fd);
}

int procroot_open(const char *proc_path, const char *cgroup_path, ProcRoot *ret)
{
        _cleanup_close_ int proc_fd = -1;
        int cgroup_fd;

        proc_fd = open(proc_path ? proc_path : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return -errno;

        /* Any failure here only means "no v2 memory accounting": units are
         * then measured by summing process PSS, which works everywhere. */
        cgroup_fd = cgroup_root_open(cgroup_path ? cgroup_path : "/sys/fs/cgroup");
        if (cgroup_fd < 0)
                cgroup_fd = -1;

        ret->proc_fd = TAKE_FD(proc_fd);
        ret->cgroup_fd = cgroup_fd;
        return 0;
}

void procroot_close(ProcRoot *root)
{
        if (!root)
                return;
        /* "Safe on a zeroed root": fd 0 is stdin, never ours (systemd and
         * shells both hand the daemon an open stdin, so open() cannot have
         * returned 0 to us). */
        if (root->proc_fd > 0)
                (void)close(root->proc_fd);
        if (root->cgroup_fd > 0)
                (void)close(root->cgroup_fd);
        root->proc_fd = -1;
        root->cgroup_fd = -1;
}

/* Reads FD from offset 0 (pread()) or its position until EOF or until
 * BUF (SIZE-1 bytes) is full, and NUL-terminates it. procfs, sysfs and
 * cgroupfs files are seq_files whose read() copies min(whole text, count)
 * in one call, so the loop's second read() only finds EOF; but a file read
 * in pieces (a fixture tree on another file system, the fault tests' short
 * reads) must come whole or be seen as truncated, never as a shorter file:
 * "MemAvailable:    1" cut from "1048576 kB" parses as no value, but a
 * status cut after a line would read as a kernel thread's. The second
 * read() costs ~0.3 µs at EOF, next to ~5-12 µs for the open, read and
 * close of a /proc file (issue 19); WHOLE, when given, skips it once what
 * was read is all the reader needs (issue 20). */
static ssize_t read_whole(int fd, char *buf, size_t size, bool positional, ProcrootWhole whole,
                          void *userdata)
{
        size_t len = 0;

        if (size == 0)
                return -EINVAL;
        while (len < size - 1) {
                ssize_t n = positional ? pread(fd, buf + len, size - 1 - len, (off_t)len)
                                       : read(fd, buf + len, size - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
                if (whole && buf[len - 1] == '\n') {
                        buf[len] = '\0';
                        if (whole(buf, len, userdata))
                                return (ssize_t)len;
                }
        }
        buf[len] = '\0';
        return (ssize_t)len;
}

bool procroot_one_line(const char *buf, size_t len, void *userdata)
{
        (void)userdata;
        return len > 0 && memchr(buf, '\n', len) == buf + len - 1;
}

ssize_t procroot_read_file(int dirfd, const char *path, char *buf, size_t size)
{
        return procroot_read_file_until(dirfd, path, buf, size, NULL, NULL);
}

ssize_t procroot_read_file_until(int dirfd, const char *path, char *buf, size_t size,
                                 ProcrootWhole whole, void *userdata)
{
        _cleanup_close_ int fd = -1;

        if (size == 0)
                return -EINVAL;
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_whole(fd, buf, size, false, whole, userdata);
}

ssize_t procroot_pread(int fd, char *buf, size_t size)
{
        return read_whole(fd, buf, size, true, NULL, NULL);
}

ssize_t procroot_pread_until(int fd, char *buf, size_t size, ProcrootWhole whole,
                             void *userdata)
{
        return read_whole(fd, buf, size, true, whole, userdata);
}
