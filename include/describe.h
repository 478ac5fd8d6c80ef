/* describe.h — a few words about a process for the operator, read once
 * per action.
 *
 * This is where memguard uses libproc2: one process, once per action, so
 * its cost (~100 µs, 5x the raw reads, DESIGN §6) does not matter, and it
 * brings what the raw readers do not have: the user name (through NSS) and
 * the elapsed run time. Never on a sampling path. Reads the live /proc,
 * whatever --proc-root says (actions only ever target live processes). */
#ifndef MEMGUARD_DESCRIBE_H
#define MEMGUARD_DESCRIBE_H

#include <stddef.h>
#include <sys/types.h>

/* Writes "user www-data, running for 3 h 12 min" into BUF (SIZE bytes).
 * Returns 0, or -errno (the process is gone: -ESRCH; BUF is then ""). */
int describe_process(pid_t pid, char *buf, size_t size);

/* Formats SECONDS as "45 s", "12 min", "3 h 12 min", "2 d 4 h". */
void describe_duration(double seconds, char *buf, size_t size);

#endif
