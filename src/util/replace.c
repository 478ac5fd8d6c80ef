#include "util/replace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_replace(const char *path, mode_t mode, int (*write)(FILE *out, const void *arg), const void *arg)
{
        const char *slash = strrchr(path, '/');
        const char *name = slash ? slash + 1 : path;
        int dir_len = slash ? (int)(slash - path) + 1 : 0;
        char tmp[512];

        if (!*name)
                return -EINVAL;
        if ((size_t)snprintf(tmp, sizeof tmp, "%.*s.%s.tmp", dir_len, path, name) >= sizeof tmp)
                return -ENAMETOOLONG;
        (void)unlink(tmp);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        FILE *out = NULL;
        int r = fchmod(fd, mode) < 0 ? -errno : 0;
        if (r == 0 && !(out = fdopen(fd, "w")))
                r = -errno;
        if (!out) {
                close(fd);
                unlink(tmp);
                return r;
        }
        char buf[4096];
        setvbuf(out, buf, _IOFBF, sizeof buf);
        r = write(out, arg);
        if (fclose(out) != 0 && r == 0)
                r = errno ? -errno : -EIO;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}
