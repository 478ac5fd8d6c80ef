/* cgwatch.h — tells when systemd units may have gained or lost processes,
 * without polling the cgroup tree or walking /proc.
 *
 * With the cgroup v2 memory controller the unit tier reads a unit's memory
 * from its cgroup (sample.h), so a walk of /proc is needed only to learn
 * which units exist and which processes they hold. This module makes that
 * walk event-driven: inotify watches every directory of the cgroup tree
 * for new subdirectories (IN_CREATE, IN_MOVED_TO), and the cgroup.events
 * file of every unit cgroup for IN_MODIFY, which the kernel raises when the
 * cgroup's "populated" flag changes (its first process arrives, its last
 * one leaves). A unit cgroup is a directory that proc_cgroup_to_unit()
 * would name a unit: a .service, .scope, ... right under a slice or the
 * root. A new unit cgroup already populated when its watch is set up counts
 * as a change too, so a unit started between mkdir() and the watch is not
 * missed.
 *
 * Removal: before Linux 7.1 a removed cgroup directory raises no
 * IN_IGNORED on its own watch (kernfs keeps its link count), so removals
 * are taken from the parent's IN_DELETE (and IN_MOVED_FROM: cgroup v2 may
 * rename), and the removed directory's watches are dropped then.
 *
 * Cost: nothing while units do not come and go; one watch per cgroup
 * directory and one per unit cgroup (kernel memory). Watches count against
 * fs.inotify.max_user_watches, which root shares with the service manager,
 * itself a heavy user: memguard takes at most the budget it is given
 * (cgwatch_budget(): an eighth of the limit). Trees deeper than
 * CGWATCH_MAX_DEPTH are watched to that depth; a tree that needs more
 * watches than the budget fails the watch, and the caller falls back to
 * walking /proc periodically. */
#ifndef MEMGUARD_CGWATCH_H
#define MEMGUARD_CGWATCH_H

#include <stdbool.h>
#include <stddef.h>

#define CGWATCH_MAX_DEPTH 32
/* The budget's ceiling, and its value where the limit cannot be read (the
 * kernel's smallest default is 8192). */
#define CGWATCH_MAX_WATCHES 8192

typedef struct CgWatch CgWatch;

/* The watches memguard may take: an eighth of fs.inotify.max_user_watches
 * (read from PROC_SYS_PATH, NULL: /proc/sys/fs/inotify/max_user_watches),
 * at most CGWATCH_MAX_WATCHES; 1024 where it cannot be read. */
size_t cgwatch_budget(const char *proc_sys_path);

/* The budget LEN bytes of BUF (that file's text, no NUL needed) give:
 * the number at its start, after blanks and as strtoull() reads it, an
 * eighth of it, at most CGWATCH_MAX_WATCHES; 1024 for text that does not
 * start with a number or whose number does not fit 64 bits. Pure. */
size_t cgwatch_budget_parse(const char *buf, size_t len);

/* Whether LEN bytes of a unit cgroup's cgroup.events (no NUL needed) say
 * the cgroup holds a process: false only when its first "populated "
 * is followed by '0'. Text without one counts as yes (a walk settles
 * it), as does "populated " at the end of BUF. Pure. */
bool cgwatch_events_populated(const char *buf, size_t len);

/* Watches the cgroup tree at PATH (its root directory) with at most
 * MAX_WATCHES watches. Returns 0, or -errno: -ENOSPC past MAX_WATCHES or
 * the kernel's limit, -EMFILE without an inotify instance, -ENOENT when
 * PATH cannot be watched. */
int cgwatch_new(const char *path, size_t max_watches, CgWatch **ret);
void cgwatch_free(CgWatch *w);

/* The inotify descriptor: readable when cgwatch_process() has work. */
int cgwatch_fd(const CgWatch *w);

/* Reads the pending events and watches the directories they announce.
 * Returns 1 when the units that hold processes may have changed (a unit
 * cgroup's populated flag changed, a populated unit cgroup appeared, the
 * kernel's event queue overflowed and the tree was watched afresh), 0 when
 * not (an empty cgroup came or went), or -errno when the watch can no
 * longer be trusted (the limits above, the tree unmounted): the caller
 * frees it and walks /proc periodically instead. */
int cgwatch_process(CgWatch *w);

/* Directories and unit cgroups watched (each one watch), for the journal
 * and tests. */
size_t cgwatch_n_dirs(const CgWatch *w);
size_t cgwatch_n_units(const CgWatch *w);

#endif
