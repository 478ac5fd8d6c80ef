/* sample.c — the two sampling tiers; see sample.h. */
#include "sample/sample.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "read/memstat.h"
#include "read/proc.h"
#include "select/demand.h"
#include "select/protect.h"
#include "util/cleanup.h"

/* The kernel's PF_EXITING (include/linux/sched.h), set in do_exit() before
 * exit_mm(): from then on stat's RSS reads 0 although the memory is not yet
 * freed, which would look like a target falling back under its budget.
 * Local because proc.h is another module's contract. */
#define SAMPLE_PF_EXITING 0x00000004u

/* /proc/PID/cgroup, whole: a line per hierarchy, each up to PATH_MAX. */
#define CGROUP_FILE_MAX 16384

/* Marks a RET process whose cmdline was freshly allocated rather than moved
 * from PREV. */
#define FROM_NOWHERE SIZE_MAX

/* How old a kernel thread must be before the walk stops reading its stat.
 * On older kernels a user-mode helper (modprobe, a core_pattern pipe) ran
 * as a kernel thread until its exec cleared PF_KTHREAD (flush_old_exec()),
 * keeping its pid and /proc inode: such a task, caught before its exec,
 * must not stay hidden. That exec follows the fork within milliseconds;
 * a real kernel thread read for its first half minute costs little. */
#define KTHREAD_SETTLE_SEC 30

/* A kernel thread seen by the last walk: its pid and the inode number
 * readdir() gave for its /proc/PID directory. procfs numbers each new
 * /proc/PID inode from a counter (get_next_ino()), and the inode lives as
 * long as the task, so a pid taken by a new process shows another number:
 * the pair names the task without reading anything. (The inode may also be
 * dropped and renumbered under memory pressure: that only costs a read.) */
typedef struct KthreadKey {
        pid_t pid;
        ino_t ino;
} KthreadKey;

/* The walk's index of RET's units by cgroup (unit_get()): open addressing,
 * kept across walks like the tables it indexes, emptied at each. */
typedef struct UnitIndex {
        int *slots;   /* index into units, -1 empty */
        size_t n_slots; /* power of two */
} UnitIndex;

struct Sampler {
        const ProcRoot *root;
        int meminfo_fd;
        MemInfoLayout meminfo_layout; /* where its keys were last read */
        int psi_fd;        /* -1 without PSI */
        /* The last PSI read, carried by system samples in between: the
         * kernel recomputes the averages every 2 s (PSI_FREQ), so reading
         * them 4 times a second on a small box only costs a syscall. */
        PsiInfo psi;
        bool has_psi;
        bool psi_read; /* PSI and PSI_USEC are set */
        uint64_t psi_usec;
        DIR *proc_dir;     /* kept open; rewound per walk */
        int spare_fd;      /* given back to read on when out of descriptors */
        uint64_t page_kb;
        char sysbuf[4096]; /* meminfo is ~1.5 KiB, pressure ~0.2 KiB */
        char buf[4096];    /* per-process files */
        char cmdline[4096];
        /* A cgroup path (a delegated subtree's owner may nest its cgroups
         * to PATH_MAX), then, once the unit is known, an executable's path. */
        char cgroup[4096];
        /* /proc/PID/cgroup when it does not fit buf (a hybrid host lists a
         * dozen hierarchies): made on first need, kept. */
        char *cgroup_file;
        /* Per RET process of the running sampler_full: the index in PREV
         * its cmdline was moved from, or FROM_NOWHERE; what a failed sample
         * uses to give the strings back. Kept across ticks: no allocation
         * once it has grown to the process count. */
        size_t *moved_from;
        size_t moved_cap;
        /* Kernel threads are ~60 of the ~80 pids of a small server, and
         * reading stat only to learn that each one is a kernel thread was
         * ~40% of a full sample (bench/floor.c). KTHREADS holds those of the
         * last walk, sorted by pid; the walk collects the current ones in
         * KTHREADS_NEXT and the two swap when it succeeds. The cache is an
         * optimisation only: when it cannot grow, stat is read as before. */
        KthreadKey *kthreads, *kthreads_next;
        size_t n_kthreads, n_kthreads_next, kthreads_cap, kthreads_next_cap;
        UnitIndex units_ix;
        uint64_t clk_tck;
        unsigned fail_after; /* test hook, see sampler_set_fail_after() */
};

static void spare_take(Sampler *s);

int sampler_new(const ProcRoot *root, Sampler **ret)
{
        _cleanup_free_ Sampler *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->root = root;
        s->psi_fd = -1;
        s->spare_fd = -1;
        long ps = sysconf(_SC_PAGESIZE);
        s->page_kb = ps > 0 ? (uint64_t)ps / 1024 : 4;
        long tck = sysconf(_SC_CLK_TCK);
        s->clk_tck = tck > 0 ? (uint64_t)tck : 100;

        s->meminfo_fd = openat(root->proc_fd, "meminfo", O_RDONLY | O_CLOEXEC);
        if (s->meminfo_fd < 0)
                return -errno;
        s->psi_fd = openat(root->proc_fd, "pressure/memory", O_RDONLY | O_CLOEXEC);

        int dfd = openat(root->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || !(s->proc_dir = fdopendir(dfd))) {
                int r = -errno;
                if (dfd >= 0)
                        close(dfd);
                close(s->meminfo_fd);
                if (s->psi_fd >= 0)
                        close(s->psi_fd);
                return r;
        }
        spare_take(s);
        *ret = TAKE_PTR(s);
        return 0;
}

void sampler_free(Sampler *s)
{
        if (!s)
                return;
        if (s->meminfo_fd >= 0)
                close(s->meminfo_fd);
        if (s->psi_fd >= 0)
                close(s->psi_fd);
        if (s->proc_dir)
                closedir(s->proc_dir);
        if (s->spare_fd >= 0)
                close(s->spare_fd);
        free(s->moved_from);
        free(s->cgroup_file);
        free(s->kthreads);
        free(s->kthreads_next);
        free(s->units_ix.slots);
        free(s);
}

void sampler_set_fail_after(Sampler *s, unsigned n)
{
        s->fail_after = n;
}

/* True when the test hook says this allocation fails. */
static bool fail_injected(Sampler *s)
{
        return s->fail_after > 0 && --s->fail_after == 0;
}

int sampler_system(Sampler *s, uint64_t now_usec, bool fresh_psi, SystemSample *ret)
{
        SystemSample out = { .usec = now_usec };
        int r = meminfo_read_fd(s->meminfo_fd, s->sysbuf, sizeof s->sysbuf, &s->meminfo_layout,
                                &out.mem);
        if (r < 0)
                return r;
        if (s->psi_fd >= 0 && (fresh_psi || !s->psi_read || now_usec < s->psi_usec ||
                               now_usec - s->psi_usec >= SAMPLER_PSI_PERIOD_USEC)) {
                s->has_psi = psi_read_fd(s->psi_fd, s->sysbuf, sizeof s->sysbuf, &s->psi) >= 0;
                s->psi_read = true;
                s->psi_usec = now_usec;
        }
        out.has_psi = s->has_psi;
        out.psi = s->psi;
        *ret = out;
        return 0;
}

/* --- unit table: a small open-addressing index by name ------------------ */

static uint32_t name_hash(const char *s)
{
        uint32_t h = 2166136261u; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 16777619u;
        return h;
}

static int unit_index_grow(Sampler *s, UnitIndex *ix, const UnitSample *units, size_t n_units)
{
        size_t n = ix->n_slots ? ix->n_slots * 2 : 64;
        int *slots = fail_injected(s) ? NULL : malloc(n * sizeof *slots);
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                slots[i] = -1;
        for (size_t u = 0; u < n_units; u++) {
                size_t i = name_hash(units[u].cgroup) & (n - 1);
                while (slots[i] >= 0)
                        i = (i + 1) & (n - 1);
                slots[i] = (int)u;
        }
        free(ix->slots);
        ix->slots = slots;
        ix->n_slots = n;
        return 0;
}

/* Returns the index in SNAP of the unit CU of the cgroup path PATH,
 * adding it if new; -ENOMEM on failure. Units are keyed by their cgroup:
 * a user's api.service is not the system's (proc.h). */
static int unit_get(Sampler *s, Snapshot *snap, UnitIndex *ix, const CgroupUnit *cu,
                    const char *path)
{
        char cgroup[PROC_CGROUP_MAX];
        snprintf(cgroup, sizeof cgroup, "%.*s", (int)cu->cgroup_len, path);
        if (ix->n_slots == 0 || snap->n_units * 2 >= ix->n_slots) {
                int r = unit_index_grow(s, ix, snap->units, snap->n_units);
                if (r < 0)
                        return r;
        }
        size_t i = name_hash(cgroup) & (ix->n_slots - 1);
        for (; ix->slots[i] >= 0; i = (i + 1) & (ix->n_slots - 1))
                if (strcmp(snap->units[ix->slots[i]].cgroup, cgroup) == 0)
                        return ix->slots[i];

        if (snap->n_units == snap->units_cap) {
                size_t ncap = snap->units_cap ? snap->units_cap * 2 : SNAPSHOT_FIRST_UNITS;
                UnitSample *u = fail_injected(s) ? NULL : realloc(snap->units, ncap * sizeof *u);
                if (!u)
                        return -ENOMEM;
                snap->units = u;
                snap->units_cap = ncap;
        }
        UnitSample *u = &snap->units[snap->n_units];
        memset(u, 0, sizeof *u);
        snprintf(u->name, sizeof u->name, "%s", cu->name);
        snprintf(u->owner, sizeof u->owner, "%s", cu->owner);
        memcpy(u->cgroup, cgroup, sizeof u->cgroup);
        ix->slots[i] = (int)snap->n_units;
        return (int)snap->n_units++;
}

static int cmp_pid(const void *a, const void *b)
{
        pid_t x = ((const ProcSample *)a)->pid, y = ((const ProcSample *)b)->pid;
        return (x > y) - (x < y);
}

static bool procs_sorted(const Snapshot *snap)
{
        for (size_t i = 1; i < snap->n_procs; i++)
                if (snap->procs[i - 1].pid >= snap->procs[i].pid)
                        return false;
        return true;
}

static ProcSample *prev_find(Snapshot *prev, pid_t pid, uint64_t start_time)
{
        if (!prev || prev->n_procs == 0)
                return NULL;
        ProcSample key = { .pid = pid };
        ProcSample *p = bsearch(&key, prev->procs, prev->n_procs, sizeof key, cmp_pid);
        return p && p->start_time == start_time ? p : NULL;
}

/* Reads the memory.current of the unit cgroup PATH ("/system.slice/x"). */
static int read_memory_current(Sampler *s, const char *path, uint64_t *ret_kb)
{
        char rel[PROC_CGROUP_MAX + 32];
        snprintf(rel, sizeof rel, "%s/memory.current", path[0] == '/' ? path + 1 : path);
        ssize_t n = procroot_read_file(s->root->cgroup_fd, rel, s->buf, sizeof s->buf);
        if (n < 0)
                return (int)n;
        return memory_current_parse(s->buf, (size_t)n, ret_kb);
}

/* Grows RET's process table and S->moved_from to hold one more process. */
static int procs_reserve(Sampler *s, Snapshot *ret)
{
        if (ret->n_procs == ret->procs_cap) {
                size_t ncap = ret->procs_cap ? ret->procs_cap * 2 : SNAPSHOT_FIRST_PROCS;
                ProcSample *np = fail_injected(s) ? NULL : realloc(ret->procs, ncap * sizeof *np);
                if (!np)
                        return -ENOMEM;
                ret->procs = np;
                ret->procs_cap = ncap;
        }
        if (ret->n_procs == s->moved_cap) {
                size_t ncap = s->moved_cap ? s->moved_cap * 2 : 256;
                size_t *nm = fail_injected(s) ? NULL : realloc(s->moved_from, ncap * sizeof *nm);
                if (!nm)
                        return -ENOMEM;
                s->moved_from = nm;
                s->moved_cap = ncap;
        }
        return 0;
}

/* --- kernel threads known from the last walk ---------------------------- */

static int cmp_kthread(const void *a, const void *b)
{
        pid_t x = ((const KthreadKey *)a)->pid, y = ((const KthreadKey *)b)->pid;
        return (x > y) - (x < y);
}

/* True if PID, whose /proc directory has inode INO, is a kernel thread the
 * last walk saw. */
static bool kthread_known(const Sampler *s, pid_t pid, ino_t ino)
{
        if (s->n_kthreads == 0 || ino == 0)
                return false;
        KthreadKey key = { .pid = pid };
        const KthreadKey *k = bsearch(&key, s->kthreads, s->n_kthreads, sizeof key, cmp_kthread);
        return k && k->ino == ino;
}

/* Notes PID for the next walk. No room is no error: it is read again. */
static void kthread_remember(Sampler *s, pid_t pid, ino_t ino)
{
        if (ino == 0)
                return;
        if (s->n_kthreads_next == s->kthreads_next_cap) {
                size_t ncap = s->kthreads_next_cap ? s->kthreads_next_cap * 2 : 128;
                KthreadKey *k = realloc(s->kthreads_next, ncap * sizeof *k);
                if (!k)
                        return;
                s->kthreads_next = k;
                s->kthreads_next_cap = ncap;
        }
        s->kthreads_next[s->n_kthreads_next++] = (KthreadKey){ .pid = pid, .ino = ino };
}

/* After a whole walk: the kernel threads it saw become the known ones
 * (those that exited drop out). Live /proc lists pids in ascending order,
 * so the sort is a check; a fixture directory may list them in any. */
static void kthreads_commit(Sampler *s)
{
        KthreadKey *k = s->kthreads_next;
        size_t n = s->n_kthreads_next;
        for (size_t i = 1; i < n; i++)
                if (k[i - 1].pid >= k[i].pid) {
                        qsort(k, n, sizeof *k, cmp_kthread);
                        break;
                }
        s->kthreads_next = s->kthreads;
        s->kthreads = k;
        size_t cap = s->kthreads_next_cap;
        s->kthreads_next_cap = s->kthreads_cap;
        s->kthreads_cap = cap;
        s->n_kthreads = n;
        s->n_kthreads_next = 0;
}

/* Clock ticks since boot, the unit of stat's start_time. */
static uint64_t boot_ticks(const Sampler *s)
{
        struct timespec ts;
        if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
                return 0;
        return (uint64_t)ts.tv_sec * s->clk_tck +
               (uint64_t)ts.tv_nsec / (1000000000u / s->clk_tck);
}

/* An error that says memguard itself is short of something (memory,
 * descriptors), not that the process vanished or hides: the walk is then
 * partial, not a picture of the system. */
static bool resource_error(long r)
{
        return r == -ENOMEM || r == -EMFILE || r == -ENFILE;
}

/* The spare descriptor (sampler_new()): out of descriptors, give it back
 * and read again. Every read opens and closes one file, so one free slot
 * is enough for the whole walk. */
static bool spare_give(Sampler *s, long r)
{
        if ((r != -EMFILE && r != -ENFILE) || s->spare_fd < 0)
                return false;
        close(s->spare_fd);
        s->spare_fd = -1;
        return true;
}

static void spare_take(Sampler *s)
{
        if (s->spare_fd < 0)
                s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* EXPR, a reader returning -errno, again after giving back the spare
 * descriptor if it failed for want of one. */
#define READ_SPARED(s, expr)                                                   \
        ({                                                                     \
                __typeof__(expr) _r_ = (expr);                                 \
                if (spare_give((s), (long)_r_))                                \
                        _r_ = (expr);                                          \
                _r_;                                                           \
        })

int sampler_full(Sampler *s, const Config *config, bool all_pss, Snapshot *prev,
                 uint64_t now_usec, Snapshot *ret)
{
        const int proc_fd = s->root->proc_fd;
        const bool unit_from_pss = s->root->cgroup_fd < 0;
        UnitIndex *ix = &s->units_ix;
        for (size_t i = 0; i < ix->n_slots; i++)
                ix->slots[i] = -1;
        bool partial = false;
        int r = 0;

        /* Live /proc lists pids in ascending order, so PREV, written in
         * walk order, is sorted already: checking is linear, glibc's merge
         * sort is not. */
        if (prev && !procs_sorted(prev))
                qsort(prev->procs, prev->n_procs, sizeof *prev->procs, cmp_pid);

        const uint64_t now_ticks = boot_ticks(s), settle = KTHREAD_SETTLE_SEC * s->clk_tck;
        const uint64_t settled = now_ticks > settle ? now_ticks - settle : 0;
        s->n_kthreads_next = 0;
        rewinddir(s->proc_dir);
        errno = 0;
        for (struct dirent *de; (de = readdir(s->proc_dir)); errno = 0) {
                pid_t pid;
                if (!proc_pid_parse(de->d_name, &pid))
                        continue;
                if (kthread_known(s, pid, de->d_ino)) {
                        kthread_remember(s, pid, de->d_ino);
                        continue;
                }

                ProcStat st;
                int rc = READ_SPARED(s, proc_read_stat(proc_fd, pid, s->buf, sizeof s->buf, &st));
                if (rc < 0) {
                        /* gone, or unreadable: not a candidate */
                        partial |= resource_error(rc);
                        continue;
                }
                /* Kernel threads are never candidates; zombies hold no
                 * memory, and an exiting process reads as holding none. */
                if (st.flags & PROC_PF_KTHREAD) {
                        if (st.start_time <= settled)
                                kthread_remember(s, pid, de->d_ino);
                        continue;
                }
                if ((st.flags & SAMPLE_PF_EXITING) || st.state == 'Z' || st.state == 'X')
                        continue;

                /* Out of memory for the table: keep what was read. System
                 * rules may act on it; a process not in it is not a
                 * candidate, which errs on the side of sparing. */
                if (procs_reserve(s, ret) < 0) {
                        partial = true;
                        break;
                }
                /* Until the n_procs++ below, P owns nothing: a failure in
                 * between has nothing to free or give back. */
                ProcSample *p = &ret->procs[ret->n_procs];
                memset(p, 0, sizeof *p);
                p->pid = pid;
                p->start_time = st.start_time;
                p->unit = -1;
                /* Same size, NUL-terminated: a copy, not a printf per process. */
                _Static_assert(sizeof p->comm == sizeof st.comm, "comm sizes differ");
                memcpy(p->comm, st.comm, sizeof p->comm);
                p->rss_kb = st.rss_pages * s->page_kb;

                rc = READ_SPARED(s, proc_read_oom_score(proc_fd, pid, &p->oom_score,
                                                        &p->oom_score_adj));
                if (rc < 0) {
                        partial |= resource_error(rc);
                        continue; /* vanished between reads */
                }

                /* The unit is read every time: pam_systemd moves a session
                 * child from ssh.service into its session scope, and a child
                 * sampled in systemd's fork window is still in the manager's
                 * cgroup. The file is small and its read takes no mmap_lock.
                 * A process whose unit cannot be read for want of memory or
                 * descriptors is left out: its unit may protect it. One
                 * whose file does not parse (a name with a newline, which
                 * only a delegated subtree's owner can make) is kept with
                 * no unit: no unit there protects its processes, and being
                 * left out would make it immune. */
                CgroupUnit cu;
                rc = READ_SPARED(s, proc_read_cgroup(proc_fd, pid, s->buf, sizeof s->buf,
                                                     s->cgroup, sizeof s->cgroup));
                if (rc == -EBADMSG && (s->cgroup_file ||
                                       (s->cgroup_file = malloc(CGROUP_FILE_MAX))))
                        rc = READ_SPARED(s, proc_read_cgroup(proc_fd, pid, s->cgroup_file,
                                                             CGROUP_FILE_MAX, s->cgroup,
                                                             sizeof s->cgroup));
                if (rc == -ENOENT || rc == -ESRCH)
                        continue;
                if (resource_error(rc)) {
                        partial = true;
                        continue;
                }
                /* A file that could not be read at all (EACCES, EIO) says
                 * nothing of the unit, which may protect the process: left
                 * out too. Kept with no unit, a process of a protected unit
                 * would be a candidate like any other. */
                if (rc < 0 && rc != -EBADMSG && rc != -ENODATA && rc != -ENAMETOOLONG)
                        continue;
                bool has_unit = rc >= 0 && proc_cgroup_to_unit(s->cgroup, &cu) >= 0;
                /* A unit's cgroup is its key (PROC_CGROUP_MAX): one nested
                 * deeper than that in a delegated subtree counts as its
                 * owner, the system unit it runs in, whose units are not
                 * told apart then, and where nothing but a user manager is
                 * shielded. */
                if (has_unit && cu.cgroup_len >= PROC_CGROUP_MAX) {
                        if (!cu.owner[0] || cu.owner_cgroup_len >= PROC_CGROUP_MAX)
                                continue; /* a system unit that deep: root made it; left out */
                        memcpy(cu.name, cu.owner, sizeof cu.name);
                        cu.owner[0] = '\0';
                        cu.cgroup_len = cu.owner_cgroup_len;
                        cu.owner_cgroup_len = 0;
                }

                /* The cmdline is carried over unless the comm changed: exec
                 * sets the comm to the new program's name. An exec that
                 * keeps the name (bash exec'ing bash) goes unnoticed, and a
                 * prctl(PR_SET_NAME) costs one needless read. (Protection
                 * never rests on it: protect.h.) */
                ProcSample *old = prev_find(prev, pid, st.start_time);
                bool carry = old && old->cmdline && strcmp(old->comm, st.comm) == 0;
                ssize_t n = 0;
                if (!carry) {
                        n = READ_SPARED(s, proc_read_cmdline(proc_fd, pid, s->cmdline,
                                                             sizeof s->cmdline));
                        if (n == -ENOENT || n == -ESRCH)
                                continue;
                        partial |= resource_error(n);
                }

                if (has_unit) {
                        int u = unit_get(s, ret, ix, &cu, s->cgroup);
                        if (u < 0) {
                                partial = true;
                                continue;
                        }
                        p->unit = u;
                }

                /* Protection by name or path is judged on the executable,
                 * read afresh here, never carried over (protect.h); a
                 * process whose executable cannot be read is not protected
                 * by such an entry (its unit still may be), unless memguard
                 * itself is short of resources: then it is left out. */
                const UnitSample *pu = p->unit >= 0 ? &ret->units[p->unit] : NULL;
                if (protect_needs_exe(config, p->comm, pu)) {
                        bool root_owned = false;
                        ProcStatus ps = { .uid = (uid_t)-1 };
                        /* s->cgroup is free again: the unit is in RET */
                        char *exe = s->cgroup;
                        ssize_t e = READ_SPARED(s, proc_read_exe(proc_fd, pid, exe, sizeof s->cgroup,
                                                                 &root_owned));
                        int u = e < 0 ? 0 : READ_SPARED(s, proc_read_status(proc_fd, pid, s->buf,
                                                                               sizeof s->buf, &ps));
                        if (resource_error(e) || resource_error(u)) {
                                partial = true;
                                continue;
                        }
                        if (e >= 0 && u >= 0) {
                                const Protect *by = protect_by_exe(config, p->comm, exe,
                                                                  root_owned, ps.uid);
                                p->protected_by = by ? (unsigned)(by - config->protect) + 1 : 0;
                                p->user_manager =
                                        protect_user_manager(pu, exe, root_owned, st.ppid);
                        }
                }

                if (all_pss || demand_pss(config, p, pu, unit_from_pss)) {
                        ProcRollup ru = { 0 };
                        /* A failure here (gone, EACCES on PID 1 seen on
                         * a 6.18 host) leaves the process ranked by RSS; a
                         * process that vanished is dropped by the next
                         * sample, and actions re-check it through a pidfd. */
                        if (READ_SPARED(s, proc_read_smaps_rollup(proc_fd, pid, s->buf, sizeof s->buf,
                                                                  &ru)) >= 0) {
                                p->pss_kb = ru.pss_kb;
                                p->swap_kb = ru.swap_kb;
                                p->has_pss = true;
                        }
                }

                /* Last, so that nothing after it can fail. A cmdline that
                 * cannot be copied is left unknown (NULL): the walk is then
                 * partial, and process rules, which match on it, wait. */
                if (carry) {
                        p->cmdline = TAKE_PTR(old->cmdline);
                        s->moved_from[ret->n_procs] = (size_t)(old - prev->procs);
                } else {
                        p->cmdline = fail_injected(s) ? NULL : strdup(n > 0 ? s->cmdline : "");
                        partial |= !p->cmdline;
                        s->moved_from[ret->n_procs] = FROM_NOWHERE;
                }
                ret->n_procs++;
        }

        /* readdir() returns NULL at the end and on an error alike */
        if (errno != 0)
                partial = true;

        /* Unit memory: the cgroup's own count where cgroup v2 has the memory
         * controller (it includes page cache and kernel memory charged to the
         * unit, as systemd-oomd and the kernel see it); else the sum of its
         * processes' PSS (RSS where PSS was not read). */
        for (size_t i = 0; i < ret->n_procs; i++) {
                const ProcSample *p = &ret->procs[i];
                if (p->unit < 0)
                        continue;
                UnitSample *u = &ret->units[p->unit];
                uint64_t size = p->has_pss ? p->pss_kb : p->rss_kb;
                u->n_procs++;
                u->memory_kb += size;
                if (u->main_pid == 0 || size > u->main_kb) {
                        u->main_pid = p->pid;
                        u->main_kb = size;
                }
        }
        for (size_t i = 0; i < ret->n_units; i++) {
                UnitSample *u = &ret->units[i];
                uint64_t kb = 0;
                if (!unit_from_pss && READ_SPARED(s, read_memory_current(s, u->cgroup, &kb)) >= 0) {
                        u->memory_kb = kb;
                        u->memory_from_cgroup = true;
                }
                u->memory_usec = now_usec;
        }
        ret->procs_usec = now_usec;
        if (partial)
                r = 1;
        else
                kthreads_commit(s);
        spare_take(s);
        return r;
}

int sampler_units(Sampler *s, const Config *config, uint64_t now_usec, Snapshot *snap)
{
        int n = 0;
        if (s->root->cgroup_fd < 0)
                return -EOPNOTSUPP;
        for (size_t i = 0; i < snap->n_units; i++) {
                UnitSample *u = &snap->units[i];
                uint64_t kb;
                if (!u->memory_from_cgroup || !demand_unit(config, u) ||
                    read_memory_current(s, u->cgroup, &kb) < 0)
                        continue; /* gone since the walk: its series waits for the next */
                u->memory_kb = kb;
                u->memory_usec = now_usec;
                n++;
        }
        return n;
}
