/* signame.c — signal names; see signame.h. */
#include "util/signame.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
        const char *name; /* without "SIG" */
        int sig;
} names[] = {
        { "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "ILL", SIGILL },
        { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS },   { "FPE", SIGFPE },
        { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
        { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
        { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
        { "TTOU", SIGTTOU }, { "URG", SIGURG },   { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
        { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
        { "PWR", SIGPWR },   { "SYS", SIGSYS },
};

/* N: 0..99, digits only. */
static int small_number(const char *s)
{
        if (!*s || strlen(s) > 2)
                return -1;
        int n = 0;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -1;
                n = n * 10 + (*s - '0');
        }
        return n;
}

int signame_parse(const char *s)
{
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcasecmp(s, names[i].name) == 0)
                        return names[i].sig;
        /* SIGRTMIN is glibc's (it keeps the first two for threads), read
         * at run time as the kernel's programs see it. */
        int base, n;
        if (strncasecmp(s, "RTMIN", 5) == 0) {
                base = SIGRTMIN;
                n = s[5] == '\0' ? 0 : s[5] == '+' ? small_number(s + 6) : -1;
                if (n >= 0 && base + n <= SIGRTMAX)
                        return base + n;
        } else if (strncasecmp(s, "RTMAX", 5) == 0) {
                base = SIGRTMAX;
                n = s[5] == '\0' ? 0 : s[5] == '-' ? small_number(s + 6) : -1;
                if (n >= 0 && base - n >= SIGRTMIN)
                        return base - n;
        }
        return -EINVAL;
}

const char *signame_format(int sig, char *buf, size_t size)
{
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (names[i].sig == sig) {
                        snprintf(buf, size, "SIG%s", names[i].name);
                        return buf;
                }
        if (sig >= SIGRTMIN && sig <= SIGRTMAX)
                snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
        else
                snprintf(buf, size, "SIG%d", sig);
        return buf;
}
