/* sleepcap.c — LD_PRELOAD shim that caps nanosleep() at SLEEPCAP_MS
 * (default 100) milliseconds.
 *
 * earlyoom 1.7 has no poll-interval option: it sleeps between 100 and
 * 1000 ms, the time the available memory above its SIGTERM threshold would
 * last at 6000 MiB/s (sleep_time_ms() in its main.c), so on a host with
 * plenty free it polls once a second. bench/idle.sh runs it under this shim
 * to compare it with memguard at memguard's fast interval (100 ms), with
 * its thresholds untouched, so that it never comes near acting. */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

int nanosleep(const struct timespec *req, struct timespec *rem)
{
        static int (*real)(const struct timespec *, struct timespec *);
        static long cap_ns = -1;

        if (!real)
                real = (int (*)(const struct timespec *, struct timespec *))dlsym(RTLD_NEXT,
                                                                                  "nanosleep");
        if (cap_ns < 0) {
                const char *e = getenv("SLEEPCAP_MS");
                long ms = e ? strtol(e, NULL, 10) : 100;
                cap_ns = (ms > 0 && ms < 1000 ? ms : 100) * 1000000L;
        }
        if (!real)
                return -1;
        if (req && (req->tv_sec > 0 || req->tv_nsec > cap_ns)) {
                struct timespec capped = { .tv_sec = 0, .tv_nsec = cap_ns };
                return real(&capped, rem);
        }
        return real(req, rem);
}
