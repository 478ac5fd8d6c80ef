/* mg-ws — the bench's file-backed working set (guest only): `mg-ws FILE [PERIOD_MS]`.
 *
 * A service that keeps re-reading a file, as a server keeps touching its
 * code, its mmap'd database or its static files: maps FILE shared, read-only,
 * and reads one byte of every page once per PERIOD_MS (default 1000). Once
 * the first pass is done it prints "mg-ws: warm ..."; afterwards it prints a
 * line for every pass that took longer than 1 s (its pages were evicted and
 * had to come back from disk: the stall a user would see). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: mg-ws FILE [PERIOD_MS]\n");
                return 2;
        }
        double period = (argc > 2 ? atof(argv[2]) : 1000.0) / 1000.0;
        setvbuf(stdout, NULL, _IOLBF, 0);
        int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                perror("mg-ws: open");
                return 1;
        }
        size_t len = (size_t)st.st_size;
        const volatile unsigned char *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
                perror("mg-ws: mmap");
                return 1;
        }
        unsigned long sum = 0;
        for (unsigned long pass = 0;; pass++) {
                double t0 = now_s();
                for (size_t i = 0; i < len; i += 4096)
                        sum += p[i];
                double el = now_s() - t0;
                if (pass == 0)
                        printf("mg-ws: warm: %zu MiB in %.2f s (%lu)\n", len >> 20, el, sum & 1);
                else if (el > 1.0)
                        printf("mg-ws: slow pass %lu: %.2f s\n", pass, el);
                if (pass == 0) {
                        FILE *f = fopen("/run/mg-ws.warm", "w");
                        if (f)
                                fclose(f);
                }
                if (el < period) {
                        struct timespec d = { 0, (long)((period - el) * 1e9) };
                        while (d.tv_nsec >= 1000000000L) {
                                d.tv_nsec -= 1000000000L;
                                d.tv_sec++;
                        }
                        nanosleep(&d, NULL);
                }
        }
}
