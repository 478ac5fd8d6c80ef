/* mg-leak — the guest's memory hog: `mg-leak NAME RATE_MIB_S MAX_MIB [ignore-term]`.
 *
 * Renames itself NAME (the comm memguard matches), then allocates and
 * touches anonymous memory at RATE MiB/s in 10 ms steps (RATE 0: all of
 * MAX at once) until it holds MAX MiB, and then sleeps until killed. Once
 * a second it prints how much it holds, so the journal shows the rate the
 * guest really achieved. Guest only: it will happily exhaust the machine. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define STEP_NSEC 10000000L /* 10 ms */

static void touch(char *p, size_t len)
{
        for (size_t i = 0; i < len; i += 4096)
                p[i] = 0x5a;
}

static char *chunk(size_t len)
{
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
                perror("mg-leak: mmap");
                exit(1);
        }
        return p;
}

static void ts_add(struct timespec *t, long nsec)
{
        t->tv_nsec += nsec;
        while (t->tv_nsec >= 1000000000L) {
                t->tv_nsec -= 1000000000L;
                t->tv_sec++;
        }
}

int main(int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: mg-leak NAME RATE_MIB_S MAX_MIB [ignore-term]\n");
                return 2;
        }
        prctl(PR_SET_NAME, argv[1], 0, 0, 0);
        if (argc > 4 && strcmp(argv[4], "ignore-term") == 0)
                signal(SIGTERM, SIG_IGN);
        setvbuf(stdout, NULL, _IOLBF, 0);
        size_t rate = strtoul(argv[2], NULL, 10);
        size_t max = (size_t)strtoul(argv[3], NULL, 10) << 20;

        if (rate == 0) {
                touch(chunk(max), max);
                printf("mg-leak %s: holding %zu MiB\n", argv[1], max >> 20);
        } else {
                /* bytes per 10 ms step, page-aligned */
                size_t step = ((rate << 20) / 100 + 4095) & ~(size_t)4095;
                size_t held = 0, last_report = 0;
                struct timespec t0, next, now;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                next = t0;
                while (held < max) {
                        size_t len = step < max - held ? step : max - held;
                        touch(chunk(len), len);
                        held += len;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
                        if (held - last_report >= rate << 20 || held >= max) {
                                printf("mg-leak %s: %zu MiB after %.2f s (%.0f MiB/s)\n", argv[1], held >> 20,
                                       el, el > 0 ? (double)(held >> 20) / el : 0.0);
                                last_report = held;
                        }
                        ts_add(&next, STEP_NSEC);
                        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
                }
                printf("mg-leak %s: holding %zu MiB\n", argv[1], held >> 20);
        }
        for (;;)
                pause();
}
