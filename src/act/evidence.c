/* evidence.c — the victim's memory before an action; see evidence.h. */
#include "act/evidence.h"

#include <stdio.h>
#include <string.h>

#include "read/memstat.h"
#include "read/proc.h"

void evidence_collect(int proc_fd, int cgroup_fd, pid_t pid, uint64_t start_time,
                      const char *comm, const char *cgroup, LogMemory *ret)
{
        char buf[4096];
        *ret = (LogMemory){ .pid = pid };
        snprintf(ret->comm, sizeof ret->comm, "%s", comm ? comm : "");

        ProcStat st;
        if (pid > 0 && proc_read_stat(proc_fd, pid, buf, sizeof buf, &st) >= 0 &&
            st.start_time == start_time) {
                ProcRollup r;
                if (proc_read_smaps_rollup(proc_fd, pid, buf, sizeof buf, &r) >= 0) {
                        ret->has_proc = true;
                        ret->rss_kb = r.rss_kb;
                        ret->swap_kb = r.swap_kb;
                        ret->has_pss_split = r.has_pss_split;
                        ret->pss_anon_kb = r.pss_anon_kb;
                        ret->pss_file_kb = r.pss_file_kb;
                        ret->pss_shmem_kb = r.pss_shmem_kb;
                }
                long n = proc_count_fds(proc_fd, pid);
                if (n >= 0) {
                        ret->has_fds = true;
                        ret->fd_count = (uint64_t)n;
                }
        }
        MemStat m;
        if (cgroup_fd >= 0 && cgroup && cgroup[0] &&
            memstat_read(cgroup_fd, cgroup, buf, sizeof buf, &m) >= 0) {
                ret->has_unit = true;
                ret->unit_anon_kb = m.anon_bytes / 1024;
                ret->unit_file_kb = m.file_bytes / 1024;
                ret->unit_kernel_kb = m.kernel_bytes / 1024;
                ret->unit_shmem_kb = m.shmem_bytes / 1024;
                ret->unit_sock_kb = m.sock_bytes / 1024;
        }
}
