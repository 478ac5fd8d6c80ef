/* describe.c — see describe.h. */
#include "act/describe.h"

#include "util/format.h"

#include <errno.h>
#include <stdio.h>
#include <libproc2/pids.h>

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
                format_span(PIDS_VAL(I_ELAPSED, real, st, info) * 1e6, up, sizeof up);
                snprintf(buf, size, "uid %u, running for %s", PIDS_VAL(I_EUID, u_int, st, info),
                         up);
                r = 0;
        }
        procps_pids_unref(&info);
        return r;
}

void describe_init(void)
{
        enum pids_item items[] = { PIDS_ID_EUID };
        struct pids_info *info = NULL;
        if (procps_pids_new(&info, items, 1) >= 0)
                procps_pids_unref(&info);
}
