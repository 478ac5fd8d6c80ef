/* inspect.h — one-shot views of the box as memguard judges it, for the
 * operator at a terminal (memguard(8), --list-protected). They take one
 * sample of their own and act on nothing. */
#ifndef MEMGUARD_INSPECT_H
#define MEMGUARD_INSPECT_H

#include <stdio.h>

#include "config/config.h"

/* Writes to OUT every process that no rule of CONFIG may act on, with the
 * reason the rule engine gives (shield_proc_why()): one table, pid
 * order, then the count of kernel threads (never acted on either). PROC
 * and CGROUP are the roots to read (NULL: /proc, /sys/fs/cgroup). Returns
 * 0 or -errno (the proc root cannot be read). */
int inspect_protected(const Config *config, const char *proc, const char *cgroup, FILE *out);

#endif
