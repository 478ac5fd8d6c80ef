/* describe.h — a few words about a process for the operator, read once
 * per action.
 *
 * This is where memguard uses libproc2: one process, once per action, so
 * its cost (~100 µs, 5x the raw reads, DESIGN §6) does not matter, and it
 * brings what the raw readers do not have: the effective uid and the
 * elapsed run time (from the start time, the clock ticks and the uptime).
 * The owner is a number, not a name: a name would come from NSS, which may
 * read /etc/passwd or ask sssd or LDAP, and block, on a box that is
 * thrashing, on the event loop, right after a SIGTERM. Never on a sampling
 * path. Reads the live /proc, whatever --proc-root says (actions only ever
 * target live processes). */
#ifndef MEMGUARD_DESCRIBE_H
#define MEMGUARD_DESCRIBE_H

#include <stddef.h>
#include <sys/types.h>

/* Writes "uid 1000, running for 3 h 12 min" (the effective uid) into BUF
 * (SIZE bytes). Asks nothing of NSS.
 * Returns 0, or -errno (the process is gone: -ESRCH; BUF is then ""). */
int describe_process(pid_t pid, char *buf, size_t size);

/* Does at start-up what describe_process() would do on its first call
 * only: libproc2 then dlopen()s libnuma, which reads sysfs and whose
 * constructor exits the process (status 1, "Out of memory allocating
 * bitmask") when an allocation fails. In the kill path, right after a
 * SIGTERM, on a box short of memory, that ended the daemon. Call once,
 * before the first action; a failure here is ignored (the first action
 * tries again). */
void describe_init(void);

#endif
