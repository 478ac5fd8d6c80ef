/* mg-tickfloor — the least a daemon can do to watch MemAvailable at
 * memguard's shipped pace, for the guest idle bench (bench/guest-idle):
 * `mg-tickfloor [PERCENT]` (default 7, the shipped near-oom rule's).
 *
 * Each wake-up is one pread() of /proc/meminfo, kept open, and one
 * clock_nanosleep(): MemAvailable and MemTotal are picked out of the text
 * (nothing else is parsed, nothing is logged), and the sleep is the time
 * MemAvailable would take to fall to PERCENT of MemTotal at 6000 MiB/s,
 * within 100 ms and 2 s, as memguard's fast tier sizes it for its acting
 * rules (src/sample/schedule.c) and as earlyoom sizes its own. Its CPU
 * time is the floor beside which the bench reads both daemons'. It never
 * acts. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RATE_KB_PER_SEC (6000ULL * 1024)
#define MIN_USEC 100000ULL
#define MAX_USEC 2000000ULL

/* The value of the meminfo line that starts with KEY (with its ':'), in
 * kB; 0 when absent. */
static uint64_t field_kb(const char *buf, const char *key)
{
        const char *p = strstr(buf, key);
        uint64_t v = 0;

        if (!p)
                return 0;
        for (p += strlen(key); *p == ' '; p++)
                ;
        for (; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uint64_t)(*p - '0');
        return v;
}

int main(int argc, char **argv)
{
        uint64_t pct = argc > 1 ? strtoull(argv[1], NULL, 10) : 7;
        int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
        char buf[4096];

        if (fd < 0 || pct > 100) {
                fprintf(stderr, "usage: mg-tickfloor [PERCENT] (and /proc/meminfo readable)\n");
                return 2;
        }
        for (;;) {
                ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
                uint64_t sleep = MIN_USEC;

                if (n > 0) {
                        buf[n] = '\0';
                        uint64_t total = field_kb(buf, "MemTotal:");
                        uint64_t avail = field_kb(buf, "MemAvailable:");
                        uint64_t thr = total * pct / 100;
                        if (avail > thr)
                                sleep = (avail - thr) * 1000000 / RATE_KB_PER_SEC;
                }
                if (sleep < MIN_USEC)
                        sleep = MIN_USEC;
                if (sleep > MAX_USEC)
                        sleep = MAX_USEC;
                struct timespec ts = { .tv_sec = (time_t)(sleep / 1000000),
                                       .tv_nsec = (long)(sleep % 1000000) * 1000 };
                while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
                        ;
        }
}
