/* inspect.c — see inspect.h. */
#include "daemon/inspect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "read/snapshot.h"
#include "sample/sample.h"
#include "select/protect.h"
#include "util/log.h"
#include "util/procroot.h"

/* Kernel threads are left out of a snapshot; count them from /proc. */
static size_t count_kthreads(const ProcRoot *root)
{
        char buf[1024];
        size_t n = 0;
        int fd = openat(root->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        for (struct dirent *de; (de = readdir(d));) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                ProcStat st;
                if (*end || pid <= 0 || pid > INT32_MAX)
                        continue;
                if (proc_read_stat(root->proc_fd, (pid_t)pid, buf, sizeof buf, &st) >= 0 &&
                    (st.flags & PROC_PF_KTHREAD))
                        n++;
        }
        closedir(d);
        return n;
}

int inspect_protected(const Config *config, const char *proc, const char *cgroup, FILE *out)
{
        ProcRoot root = { -1, -1 };
        Sampler *s = NULL;
        /* This is not the daemon: its own unit is no "memguard's unit".
         * The daemon's is, which the footer says. */
        Snapshot snap = { .self_pid = 0 };
        size_t shown = 0;
        int r = procroot_open(proc, cgroup, &root);

        if (r < 0)
                return r;
        r = sampler_new(&root, &s);
        if (r >= 0)
                r = sampler_full(s, config, false, NULL, 0, &snap);
        if (r < 0)
                goto out;
        fprintf(out, "%7s %6s  %-16s %-32s %s\n", "PID", "UID", "COMM", "UNIT", "NEVER ACTED ON: WHY");
        for (size_t i = 0; i < snap.n_procs; i++) {
                const ProcSample *p = &snap.procs[i];
                const UnitSample *u = p->unit >= 0 ? &snap.units[p->unit] : NULL;
                char why[PROC_UNIT_MAX + 64], unit[PROC_UNIT_MAX + 32], uid[16] = "-", buf[4096];
                ProcStatus ps;

                /* protection from every rule; system rules also skip
                 * oom_score_adj -1000, said as such */
                if (!shield_proc_why(config, &snap, p, true, why, sizeof why))
                        continue;
                if (proc_read_status(root.proc_fd, p->pid, buf, sizeof buf, &ps) >= 0)
                        snprintf(uid, sizeof uid, "%u", (unsigned)ps.uid);
                /* names are their owners' choice: escaped as in the journal */
                char comm[4 * PROC_COMM_MAX], unit_esc[4 * sizeof unit];
                log_escape(p->comm, comm, sizeof comm);
                log_escape(u ? unit_label(u->name, u->owner, unit, sizeof unit) : "-", unit_esc,
                           sizeof unit_esc);
                fprintf(out, "%7d %6s  %-16s %-32s %s\n", (int)p->pid, uid, comm, unit_esc, why);
                shown++;
        }
        fprintf(out, "%zu of %zu processes, and every kernel thread (%zu now)%s; the memguard "
                     "daemon and every process of its unit are never acted on either\n",
                shown, snap.n_procs, count_kthreads(&root),
                r > 0 ? "; some processes could not be read" : "");
        if (geteuid() != 0)
                fprintf(out, "(not root: the executables of other users' processes cannot be read, "
                             "so name and path entries are not shown for them)\n");
        r = 0;
out:
        snapshot_clear(&snap);
        sampler_free(s);
        procroot_close(&root);
        return r;
}
