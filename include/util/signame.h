/* signame.h — signal names as memguard.conf(5) and the journal write them.
 *
 * Names are the kernel's, with or without "SIG" ("SIGUSR2", "USR2"), in
 * any case; the real-time signals as SIGRTMIN+N or SIGRTMAX-N. Numbers
 * are not accepted: they differ between architectures (SIGUSR1 is 10 on
 * x86 and 30 on alpha/sparc), and a config should read the same on all. */
#ifndef MEMGUARD_SIGNAME_H
#define MEMGUARD_SIGNAME_H

#include <stddef.h>

/* The signal S names (see above), or -EINVAL. Pure: no allocation. */
int signame_parse(const char *s);

/* SIG's name into BUF (SIZE >= 16 always fits): "SIGUSR2",
 * "SIGRTMIN+3"; "SIG<number>" for one without a name. Returns BUF. */
const char *signame_format(int sig, char *buf, size_t size);

#endif
