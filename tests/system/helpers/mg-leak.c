/* mg-leak — the guest's memory hog:
 * `mg-leak NAME RATE_MIB_S MAX_MIB [ignore-term | shed-usr1]`.
 *
 * Renames itself NAME (the comm memguard matches), then allocates and
 * touches anonymous memory at RATE MiB/s in 10 ms steps (RATE 0: all of
 * MAX at once) until it has allocated MAX MiB, and then sleeps until
 * killed. Once a second it prints how much it holds, so the journal shows
 * the rate the guest really achieved. With shed-usr1 it handles SIGUSR1
 * like a service dropping its cache: it frees half of what it holds and
 * says so (what a warn rule's notify asks of it). With MG_LEAK_TERM_PROBE
 * set to a file (bench/reaction.sh), a SIGTERM writes the CLOCK_MONOTONIC
 * time it arrived, in microseconds, into that file before it ends the
 * process as SIGTERM does. Guest only: it will happily exhaust the
 * machine. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
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

/* The chunks allocated and not shed, for shed-usr1. */
static struct {
        char *p;
        size_t len;
} *chunks;
static size_t n_chunks;
static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
        (void)sig;
        usr1++;
}

/* Frees the newer half of the chunks (held: what they hold), once for
 * each SIGUSR1 received since the last call. */
static void shed(const char *name, size_t *held)
{
        static sig_atomic_t seen;
        while (seen != usr1) {
                seen++;
                size_t freed = 0;
                for (size_t keep = n_chunks / 2; n_chunks > keep; n_chunks--) {
                        munmap(chunks[n_chunks - 1].p, chunks[n_chunks - 1].len);
                        freed += chunks[n_chunks - 1].len;
                }
                *held -= freed;
                printf("mg-leak %s: SIGUSR1 #%d: shed %zu MiB, holding %zu MiB\n", name, (int)seen, freed >> 20,
                       *held >> 20);
        }
}

/* The probe: opened and written once at the start, so that the handler
 * writes into a page that is there. */
static int probe_fd = -1;

static void on_term_probe(int sig)
{
        struct timespec ts;
        char b[24];
        int n = (int)sizeof b;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        unsigned long long us = (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
        b[--n] = '\n';
        do {
                b[--n] = (char)('0' + us % 10);
                us /= 10;
        } while (us && n > 0);
        (void)!pwrite(probe_fd, b + n, sizeof b - (size_t)n, 0);
        signal(sig, SIG_DFL);
        raise(sig);
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
                fprintf(stderr, "usage: mg-leak NAME RATE_MIB_S MAX_MIB [ignore-term | shed-usr1]\n");
                return 2;
        }
        prctl(PR_SET_NAME, argv[1], 0, 0, 0);
        if (argc > 4 && strcmp(argv[4], "ignore-term") == 0)
                signal(SIGTERM, SIG_IGN);
        else if (getenv("MG_LEAK_TERM_PROBE")) {
                probe_fd = open(getenv("MG_LEAK_TERM_PROBE"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                /* "0", padded: a first line of 0 says no SIGTERM came */
                static const char none[24] = "0                      \n";
                if (probe_fd < 0 || pwrite(probe_fd, none, sizeof none, 0) != (ssize_t)sizeof none) {
                        perror("mg-leak: MG_LEAK_TERM_PROBE");
                        return 1;
                }
                struct sigaction sa = { .sa_handler = on_term_probe };
                sigaction(SIGTERM, &sa, NULL);
        }
        bool shedding = argc > 4 && strcmp(argv[4], "shed-usr1") == 0;
        setvbuf(stdout, NULL, _IOLBF, 0);
        size_t rate = strtoul(argv[2], NULL, 10);
        size_t max = (size_t)strtoul(argv[3], NULL, 10) << 20;

        size_t held = 0;
        if (shedding) {
                size_t step = ((rate << 20) / 100 + 4095) & ~(size_t)4095;
                chunks = calloc(rate ? max / step + 1 : 1, sizeof *chunks);
                if (!chunks) {
                        perror("mg-leak: calloc");
                        return 1;
                }
                struct sigaction sa = { .sa_handler = on_usr1 };
                sigaction(SIGUSR1, &sa, NULL);
        }
        if (rate == 0) {
                char *p = chunk(max);
                touch(p, max);
                held = max;
                if (chunks)
                        chunks[n_chunks++] = (typeof(*chunks)){ p, max };
                printf("mg-leak %s: holding %zu MiB\n", argv[1], max >> 20);
        } else {
                /* bytes per 10 ms step, page-aligned */
                size_t step = ((rate << 20) / 100 + 4095) & ~(size_t)4095;
                size_t allocated = 0, last_report = 0;
                struct timespec t0, next, now;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                next = t0;
                while (allocated < max) {
                        size_t len = step < max - allocated ? step : max - allocated;
                        char *p = chunk(len);
                        touch(p, len);
                        allocated += len;
                        held += len;
                        if (chunks)
                                chunks[n_chunks++] = (typeof(*chunks)){ p, len };
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
                        if (chunks)
                                shed(argv[1], &held);
                        if (allocated - last_report >= rate << 20 || allocated >= max) {
                                printf("mg-leak %s: %zu MiB after %.2f s (%.0f MiB/s)\n", argv[1], held >> 20,
                                       el, el > 0 ? (double)(allocated >> 20) / el : 0.0);
                                last_report = allocated;
                        }
                        ts_add(&next, STEP_NSEC);
                        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
                }
                printf("mg-leak %s: holding %zu MiB\n", argv[1], held >> 20);
        }
        for (;;) {
                pause();
                if (chunks)
                        shed(argv[1], &held);
        }
}
