/* cgwatch.c — inotify on the cgroup tree; see cgwatch.h. */
#include "read/cgwatch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "read/proc.h"
#include "util/cleanup.h"
#include "util/procroot.h"

#define DIR_MASK \
        (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR | IN_DONT_FOLLOW)

typedef struct Dir {
        int wd;        /* the directory's watch */
        int events_wd; /* its cgroup.events' watch (a unit cgroup), or -1 */
        bool slice;    /* a slice or the root: its unit children count */
        unsigned depth;
        unsigned gen;  /* the last scan that saw it (after an overflow) */
        char *rel;     /* path below the root; "" for the root */
} Dir;

struct CgWatch {
        int fd;
        char *root;
        Dir *dirs;
        size_t n_dirs, cap_dirs, n_units, max_watches;
        unsigned gen;
};

static Dir *dir_by_wd(CgWatch *w, int wd)
{
        for (size_t i = 0; i < w->n_dirs; i++)
                if (w->dirs[i].wd == wd)
                        return &w->dirs[i];
        return NULL;
}

/* A "/" B, or B alone when A is "" (the root's relative path). */
static int join(char *buf, size_t size, const char *a, const char *b)
{
        int n = snprintf(buf, size, "%s%s%s", a, *a ? "/" : "", b);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int full_path(const CgWatch *w, const char *rel, const char *leaf, char *buf, size_t size)
{
        int n = snprintf(buf, size, "%s%s%s%s%s", w->root, *rel ? "/" : "", rel, leaf ? "/" : "",
                         leaf ? leaf : "");
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool cgwatch_events_populated(const char *buf, size_t len)
{
        static const char key[] = "populated ";
        const char *p = memmem(buf, len, key, sizeof key - 1);
        size_t at = p ? (size_t)(p - buf) + sizeof key - 1 : 0;
        return !p || at >= len || buf[at] != '0';
}

/* Whether the unit cgroup at PATH holds a process now. Unknown (the file
 * unreadable, the cgroup gone) counts as yes: a walk settles it. */
static bool populated(const char *path)
{
        char buf[256];
        ssize_t n = procroot_read_file(AT_FDCWD, path, buf, sizeof buf);
        if (n < 0)
                return n != -ENOENT;
        return cgwatch_events_populated(buf, (size_t)n);
}

/* Watches REL (a child of a directory that is a slice when PARENT_SLICE)
 * and everything below it. *CHANGED is set when a unit cgroup found there
 * is populated. A directory gone meanwhile is not an error. */
static int watch_tree(CgWatch *w, const char *rel, bool parent_slice, unsigned depth,
                      bool *changed)
{
        char path[PATH_MAX];
        int r = full_path(w, rel, NULL, path, sizeof path);
        if (r < 0)
                return 0; /* deeper than PATH_MAX: not a systemd unit */
        int wd = inotify_add_watch(w->fd, path, DIR_MASK);
        if (wd < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;

        const char *name = strrchr(rel, '/');
        name = name ? name + 1 : rel;
        bool is_root = !*rel;
        Dir *d = dir_by_wd(w, wd);
        if (!d) {
                if (w->n_dirs + w->n_units >= w->max_watches) {
                        (void)inotify_rm_watch(w->fd, wd);
                        return -ENOSPC;
                }
                if (w->n_dirs == w->cap_dirs) {
                        size_t cap = w->cap_dirs ? w->cap_dirs * 2 : 32;
                        Dir *n = realloc(w->dirs, cap * sizeof *n);
                        if (!n) {
                                (void)inotify_rm_watch(w->fd, wd);
                                return -ENOMEM;
                        }
                        w->dirs = n;
                        w->cap_dirs = cap;
                }
                char *copy = strdup(rel);
                if (!copy) {
                        (void)inotify_rm_watch(w->fd, wd);
                        return -ENOMEM;
                }
                d = &w->dirs[w->n_dirs++];
                *d = (Dir){ .wd = wd, .events_wd = -1, .depth = depth, .rel = copy,
                            .slice = is_root || proc_cgroup_name_is_slice(name) };
        }
        d->gen = w->gen;
        if (!is_root && parent_slice && proc_cgroup_name_is_unit(name) && d->events_wd < 0) {
                char events[PATH_MAX];
                if (w->n_dirs + w->n_units >= w->max_watches)
                        return -ENOSPC;
                if (full_path(w, rel, "cgroup.events", events, sizeof events) == 0) {
                        int ewd = inotify_add_watch(w->fd, events, IN_MODIFY | IN_DONT_FOLLOW);
                        if (ewd >= 0) {
                                d->events_wd = ewd;
                                w->n_units++;
                        } else if (errno != ENOENT)
                                return -errno;
                        /* After the watch: a process that arrived before it
                         * raised no event we could see. */
                        if (populated(events))
                                *changed = true;
                }
        }
        bool slice = d->slice;
        if (depth >= CGWATCH_MAX_DEPTH)
                return 0;

        /* d may move as children are added: nothing below uses it. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        DIR *dir = fdopendir(fd);
        if (!dir)
                return -errno;
        fd = -1;
        r = 0;
        struct dirent *de;
        while (r >= 0 && (de = readdir(dir))) {
                if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
                    strcmp(de->d_name, "..") == 0)
                        continue;
                char child[PATH_MAX];
                if (join(child, sizeof child, rel, de->d_name) < 0)
                        continue;
                r = watch_tree(w, child, slice, depth + 1, changed);
        }
        closedir(dir);
        return r;
}

size_t cgwatch_budget_parse(const char *buf, size_t len)
{
        /* As strtoull() reads it: blanks, a sign, digits; more is ignored. */
        size_t i = 0;
        while (i < len && (buf[i] == ' ' || (buf[i] >= '\t' && buf[i] <= '\r')))
                i++;
        bool neg = i < len && buf[i] == '-';
        if (i < len && (buf[i] == '-' || buf[i] == '+'))
                i++;
        size_t start = i;
        uint64_t n = 0;
        for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
                unsigned d = (unsigned)(buf[i] - '0');
                if (n > (UINT64_MAX - d) / 10)
                        return 1024;
                n = n * 10 + d;
        }
        if (i == start)
                return 1024;
        if (neg)
                n = -n;
        n /= 8;
        return n < CGWATCH_MAX_WATCHES ? (size_t)n : CGWATCH_MAX_WATCHES;
}

size_t cgwatch_budget(const char *proc_sys_path)
{
        char buf[32];
        ssize_t n = procroot_read_file(AT_FDCWD,
                                       proc_sys_path ? proc_sys_path
                                                     : "/proc/sys/fs/inotify/max_user_watches",
                                       buf, sizeof buf);
        if (n <= 0)
                return 1024;
        return cgwatch_budget_parse(buf, (size_t)n);
}

int cgwatch_new(const char *path, size_t max_watches, CgWatch **ret)
{
        CgWatch *w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->max_watches = max_watches;
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        w->root = strdup(path);
        if (w->fd < 0 || !w->root) {
                int r = w->fd < 0 ? -errno : -ENOMEM;
                cgwatch_free(w);
                return r;
        }
        bool changed = false;
        int r = watch_tree(w, "", true, 0, &changed);
        if (r >= 0 && w->n_dirs == 0)
                r = -ENOENT; /* the root itself */
        if (r < 0) {
                cgwatch_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

void cgwatch_free(CgWatch *w)
{
        if (!w)
                return;
        if (w->fd >= 0)
                (void)close(w->fd);
        for (size_t i = 0; i < w->n_dirs; i++)
                free(w->dirs[i].rel);
        free(w->dirs);
        free(w->root);
        free(w);
}

int cgwatch_fd(const CgWatch *w)
{
        return w->fd;
}

size_t cgwatch_n_dirs(const CgWatch *w)
{
        return w->n_dirs;
}

size_t cgwatch_n_units(const CgWatch *w)
{
        return w->n_units;
}

/* Drops entry I and its watches. */
static void drop_at(CgWatch *w, size_t i)
{
        Dir *d = &w->dirs[i];
        if (d->wd >= 0)
                (void)inotify_rm_watch(w->fd, d->wd);
        if (d->events_wd >= 0) {
                (void)inotify_rm_watch(w->fd, d->events_wd);
                w->n_units--;
        }
        free(d->rel);
        *d = w->dirs[--w->n_dirs];
}

/* The directory REL was removed or renamed: drops it and what was below
 * it. Its watches raise IN_IGNORED afterwards, which find nothing. */
static void drop_tree(CgWatch *w, const char *rel)
{
        size_t n = strlen(rel);
        for (size_t i = 0; i < w->n_dirs;) {
                const char *r = w->dirs[i].rel;
                if (strncmp(r, rel, n) == 0 && (r[n] == '\0' || r[n] == '/'))
                        drop_at(w, i); /* the last entry moved to I */
                else
                        i++;
        }
}

/* A watch is gone (IN_IGNORED): its directory or cgroup.events was
 * removed (Linux 7.1+, other file systems), or drop_tree() removed it. */
static void forget(CgWatch *w, int wd)
{
        for (size_t i = 0; i < w->n_dirs; i++) {
                Dir *d = &w->dirs[i];
                if (d->events_wd == wd) {
                        d->events_wd = -1;
                        w->n_units--;
                        return;
                }
                if (d->wd == wd) {
                        d->wd = -1; /* gone: nothing to remove */
                        drop_at(w, i);
                        return;
                }
        }
}

/* Events were lost: watches what is there now, drops what is not. */
static int rescan(CgWatch *w)
{
        bool changed = false;
        w->gen++;
        int r = watch_tree(w, "", true, 0, &changed);
        if (r < 0)
                return r;
        for (size_t i = 0; i < w->n_dirs;) {
                if (w->dirs[i].gen != w->gen)
                        drop_at(w, i);
                else
                        i++;
        }
        return 1;
}

/* One event. Returns 1 (changed), 0, or -errno. */
static int handle(CgWatch *w, const struct inotify_event *e)
{
        if (e->mask & IN_Q_OVERFLOW)
                return rescan(w);
        if (e->mask & IN_UNMOUNT)
                return -ENODEV;
        if (e->mask & IN_IGNORED) {
                forget(w, e->wd);
                return 0;
        }
        if (e->mask & IN_MODIFY)
                return 1; /* a cgroup.events: populated (or frozen) changed */
        if (!(e->mask & IN_ISDIR) || !e->len)
                return 0;
        Dir *parent = dir_by_wd(w, e->wd);
        if (!parent)
                return 0;
        char rel[PATH_MAX];
        if (join(rel, sizeof rel, parent->rel, e->name) < 0)
                return 0;
        if (e->mask & (IN_DELETE | IN_MOVED_FROM)) {
                /* its last process left before: that said it already */
                drop_tree(w, rel);
                return 0;
        }
        if (!(e->mask & (IN_CREATE | IN_MOVED_TO)) || parent->depth >= CGWATCH_MAX_DEPTH)
                return 0;
        bool changed = false;
        int r = watch_tree(w, rel, parent->slice, parent->depth + 1, &changed);
        return r < 0 ? r : changed;
}

int cgwatch_process(CgWatch *w)
{
        /* Aligned for struct inotify_event; room for many at once. */
        char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
        int changed = 0;
        for (;;) {
                ssize_t n = read(w->fd, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return changed;
                        return -errno;
                }
                if (n == 0)
                        return changed;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *)p;
                        int r = handle(w, e);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                changed = 1;
                        p += sizeof *e + e->len;
                }
        }
}
