/* describe.c — see describe.h. */
#include "act/describe.h"

#include <errno.h>
#include <stdio.h>
#include <libproc2/pids.h>

void describe_duration(double seconds, char *buf, size_t size)
{
        unsigned long s = seconds > 0 ? (unsigned long)seconds : 0;
        if (s < 60)
                snprintf(buf, size, "%lu s", s);
        else if (s < 3600)
                snprintf(buf, size, "%lu min", s / 60);
        else if (s < 86400)
                snprintf(buf, size, "%lu h %lu min", s / 3600, s % 3600 / 60);
        else
                snprintf(buf, size, "%lu d %lu h", s / 86400, s % 86400 / 3600);
}

int describe_process(pid_t pid, char *buf, size_t size)
{
        /* PIDS_ID_EUID, not PIDS_ID_EUSER: the name would come from NSS
         * (getpwuid: /etc/passwd, or sssd/LDAP over the network), which can
         * block on a thrashing box, on the event loop, right after a
         * SIGTERM. The uid is in /proc/PID/status. */
        enum pids_item items[] = { PIDS_ID_EUID, PIDS_TIME_ELAPSED };
        enum { I_EUID, I_ELAPSED };
        struct pids_info *info = NULL;
        buf[0] = '\0';
        if (procps_pids_new(&info, items, 2) < 0)
                return -ENOMEM;
        unsigned want = (unsigned)pid;
        struct pids_fetch *f = procps_pids_select(info, &want, 1, PIDS_SELECT_PID);
        int r = -ESRCH;
        if (f && f->counts->total == 1) {
                struct pids_stack *st = f->stacks[0];
                char up[32];
                describe_duration(PIDS_VAL(I_ELAPSED, real, st, info), up, sizeof up);
                snprintf(buf, size, "uid %u, running for %s", PIDS_VAL(I_EUID, u_int, st, info),
                         up);
                r = 0;
        }
        procps_pids_unref(&info);
        return r;
}
