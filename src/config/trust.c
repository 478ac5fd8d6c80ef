/* trust.c — the trust judgement of configuration files: may a file (or
 * the drop-in directory) be read at all, and if not, why.
 *
 * The configuration is code that root runs (it decides what is killed), so
 * it is read only if nobody but root could have written it: see
 * config_load() in config.h for the rules, which are those of sshd's
 * StrictModes and of sudo. Files are judged by fstat() of the descriptor
 * that is then read, so a file swapped after the check is never read;
 * directories are judged as the path is resolved, one component at a time,
 * and the resolved file must be the one that was opened. */
#include "config/parser.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Root, or the user memguard runs as: a developer's own checkout when the
 * tests run unprivileged. As root, this is root alone. */
static bool owner_trusted(uid_t uid)
{
        return uid == 0 || uid == geteuid();
}

static const char *file_type(mode_t m)
{
        return S_ISDIR(m)    ? "directory"
               : S_ISFIFO(m) ? "fifo"
               : S_ISCHR(m)  ? "character device"
               : S_ISBLK(m)  ? "block device"
               : S_ISSOCK(m) ? "socket"
               : S_ISLNK(m)  ? "symlink"
                             : "special file";
}

/* Judges ST as KIND. WHAT names it in the reason ("directory /srv",
 * "its target /x.conf"), NULL for the file as given. Sets *RET_REASON to
 * NULL if trusted, else to why not and what would make it trusted.
 * Returns 0 or -ENOMEM. */
int trust_judge(const struct stat *st, TrustKind kind, const char *what, char **ret_reason)
{
        const bool owner_ok = owner_trusted(st->st_uid);
        mode_t w = st->st_mode & (S_IWGRP | S_IWOTH);
        char owner[48], writable[40], tail[96];
        int r;

        *ret_reason = NULL;
        if (kind == TRUST_FILE && !S_ISREG(st->st_mode)) {
                r = asprintf(ret_reason, "%s%sa %s, not a regular file", what ? what : "",
                             what ? " is " : "", file_type(st->st_mode));
                return r < 0 ? (*ret_reason = NULL, -ENOMEM) : 0;
        }
        if (kind == TRUST_PARENT && (st->st_mode & S_ISVTX))
                w = 0; /* nobody can rename or delete what is not theirs */
        if (owner_ok && !w)
                return 0;

        snprintf(owner, sizeof(owner), "owned by uid %u", (unsigned)st->st_uid);
        snprintf(writable, sizeof(writable), "writable by %s",
                 w == (S_IWGRP | S_IWOTH) ? "group and others"
                 : w == S_IWGRP           ? "group"
                                          : "others");
        if (geteuid() == 0)
                snprintf(tail, sizeof(tail), "it must be owned by root and writable only by root");
        else
                snprintf(tail, sizeof(tail),
                         "it must be owned by root or uid %u (who runs memguard) and writable "
                         "only by its owner",
                         (unsigned)geteuid());
        r = asprintf(ret_reason, "%s%s%s%s%s (mode %04o); %s", what ? what : "", what ? " is " : "",
                     owner_ok ? "" : owner, !owner_ok && w ? " and " : "", w ? writable : "",
                     (unsigned)(st->st_mode & 07777), tail);
        if (r < 0) {
                *ret_reason = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int trust_judge_dir(const char *dir, const struct stat *st, char **ret_reason)
{
        _cleanup_free_ char *what = NULL;

        if (asprintf(&what, "directory %s", dir) < 0) {
                what = NULL;
                return -ENOMEM;
        }
        return trust_judge(st, TRUST_PARENT, what, ret_reason);
}

static int readlink_malloc(const char *path, char **ret)
{
        for (size_t size = 256;; size *= 2) {
                char *buf = malloc(size);
                ssize_t n;

                if (!buf)
                        return -ENOMEM;
                n = readlink(path, buf, size);
                if (n < 0) {
                        int e = errno;
                        free(buf);
                        return -e;
                }
                if ((size_t)n < size) {
                        buf[n] = '\0';
                        *ret = buf;
                        return 0;
                }
                free(buf);
                if (size > 65536)
                        return -ENAMETOOLONG;
        }
}

/* Resolves PATH (relative to the working directory) one component at a
 * time, as the kernel does, and judges every directory it passes through:
 * those on the real path, and those that hold a symlink on the way
 * (whoever can write them can point the link elsewhere; the link itself
 * has no permissions that matter). On success returns 0 with *RET_REAL
 * (malloc'd) the real path of what PATH names, *RET_ST its lstat() and
 * *RET_HOPS the number of symlinks followed, and *RET_REASON NULL or the
 * reason the first untrusted directory (from / down) is not trusted, the
 * other outputs then unset. -errno if the path cannot be resolved (ELOOP
 * after 40 symlinks, as the kernel). */
static int trust_walk(const char *path, char **ret_real, struct stat *ret_st, unsigned *ret_hops,
                      char **ret_reason)
{
        _cleanup_free_ char *cur = NULL, *rest = NULL;
        const char *q;
        struct stat st;
        unsigned hops = 0;
        int r;

        *ret_reason = NULL;
        if (path[0] == '/')
                rest = strdup(path);
        else {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);
                if (!cwd)
                        return -errno;
                if (asprintf(&rest, "%s/%s", cwd, path) < 0)
                        rest = NULL;
        }
        cur = strdup("/");
        if (!rest || !cur)
                return -ENOMEM;
        if (lstat("/", &st) < 0)
                return -errno;
        r = trust_judge_dir("/", &st, ret_reason);
        if (r < 0 || *ret_reason)
                return r;

        for (q = rest;;) {
                _cleanup_free_ char *next = NULL;
                const char *comp, *t;
                size_t n;
                bool last;

                while (*q == '/')
                        q++;
                if (!*q) {
                        /* PATH ended in "/", "." or "..": it names cur */
                        if (lstat(cur, &st) < 0)
                                return -errno;
                        break;
                }
                comp = q;
                n = strcspn(q, "/");
                q += n;
                for (t = q; *t == '/'; t++)
                        ;
                last = !*t;
                if (n == 1 && comp[0] == '.')
                        continue;
                if (n == 2 && comp[0] == '.' && comp[1] == '.') {
                        char *slash = strrchr(cur, '/');
                        slash[slash == cur] = '\0'; /* "/a/b" -> "/a", "/a" -> "/" */
                        continue;
                }
                if (asprintf(&next, "%s%s%.*s", cur, cur[1] ? "/" : "", (int)n, comp) < 0) {
                        next = NULL;
                        return -ENOMEM;
                }
                if (lstat(next, &st) < 0)
                        return -errno;
                if (S_ISLNK(st.st_mode)) {
                        _cleanup_free_ char *target = NULL;
                        char *spliced;
                        if (++hops > 40)
                                return -ELOOP;
                        r = readlink_malloc(next, &target);
                        if (r < 0)
                                return r;
                        /* The target's components come next; a relative one
                         * starts from the directory holding the link. */
                        if (asprintf(&spliced, "%s%s", target, q) < 0)
                                return -ENOMEM;
                        free(rest);
                        rest = spliced;
                        q = rest;
                        if (target[0] == '/')
                                cur[1] = '\0'; /* cur[0] is '/' */
                        continue;
                }
                if (last) {
                        free(cur);
                        cur = TAKE_PTR(next);
                        break;
                }
                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                r = trust_judge_dir(next, &st, ret_reason);
                if (r < 0 || *ret_reason)
                        return r;
                free(cur);
                cur = TAKE_PTR(next);
        }
        *ret_real = TAKE_PTR(cur);
        *ret_st = st;
        *ret_hops = hops;
        return 0;
}

/* Judges FD, opened from PATH, as KIND: its directories, and the open file
 * itself. Sets *RET_REASON to NULL if trusted, else to why not. Returns 0,
 * -ENOMEM, or -errno if PATH could not be resolved. */
int trust_check(int fd, const char *path, TrustKind kind, char **ret_reason)
{
        _cleanup_free_ char *real = NULL, *what = NULL;
        struct stat st, walked = {0};
        unsigned hops = 0;
        int r;

        *ret_reason = NULL;
        if (fstat(fd, &st) < 0)
                return -errno;
        r = trust_walk(path, &real, &walked, &hops, ret_reason);
        if (r < 0 || *ret_reason)
                return r;
        if (walked.st_dev != st.st_dev || walked.st_ino != st.st_ino) {
                *ret_reason = strdup("replaced while it was being checked; try again");
                return *ret_reason ? 0 : -ENOMEM;
        }
        if (hops > 0 && asprintf(&what, "its target %s", real) < 0) {
                what = NULL;
                return -ENOMEM;
        }
        return trust_judge(&st, kind, what, ret_reason);
}
