/* mg-sample — the bench's sampler (guest only): `mg-sample OUT.csv [PERIOD_MS]`.
 *
 * Every PERIOD_MS (default 100) appends "mono_us,avail_kb,some_us,full_us"
 * (CLOCK_MONOTONIC, MemAvailable, the some/full totals of
 * /proc/pressure/memory) to a locked in-memory buffer and writes it to OUT
 * on SIGTERM/SIGINT (or when the buffer is nearly full), so a memory stall
 * cannot block it on page cache or on the disk. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (1 << 20)

static char buf[BUF_SIZE];
static size_t used;
static volatile sig_atomic_t stop;
static int out_fd = -1;

static void on_stop(int sig)
{
        (void)sig;
        stop = 1;
}

static void flush_buf(void)
{
        size_t off = 0;
        while (off < used) {
                ssize_t n = write(out_fd, buf + off, used - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("mg-sample: write");
                        exit(1);
                }
                off += (size_t)n;
        }
        used = 0;
}

static long long field_after(const char *s, const char *key)
{
        const char *p = strstr(s, key);
        return p ? atoll(p + strlen(key)) : -1;
}

static ssize_t read_file(int fd, char *b, size_t len)
{
        ssize_t n = pread(fd, b, len - 1, 0);
        if (n < 0)
                return n;
        b[n] = 0;
        return n;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: mg-sample OUT.csv [PERIOD_MS]\n");
                return 2;
        }
        long period_ms = argc > 2 ? atol(argv[2]) : 100;
        out_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out_fd < 0) {
                perror("mg-sample: open");
                return 1;
        }
        int mi = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
        int psi = open("/proc/pressure/memory", O_RDONLY | O_CLOEXEC);
        if (mi < 0) {
                perror("mg-sample: /proc/meminfo");
                return 1;
        }
        struct sigaction sa = { .sa_handler = on_stop };
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        memset(buf, 0, sizeof buf);
        if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
                perror("mg-sample: mlockall");

        char m[8192], p[512];
        struct timespec next, now;
        clock_gettime(CLOCK_MONOTONIC, &next);
        while (!stop) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                long long avail = -1, some = -1, full = -1;
                if (read_file(mi, m, sizeof m) > 0)
                        avail = field_after(m, "MemAvailable:");
                if (psi >= 0 && read_file(psi, p, sizeof p) > 0) {
                        some = field_after(p, "total=");
                        char *f = strstr(p, "full ");
                        if (f)
                                full = field_after(f, "total=");
                }
                int n = snprintf(buf + used, BUF_SIZE - used, "%lld,%lld,%lld,%lld\n",
                                 (long long)now.tv_sec * 1000000LL + now.tv_nsec / 1000, avail, some, full);
                if (n > 0)
                        used += (size_t)n;
                if (used > BUF_SIZE - 256)
                        flush_buf();
                next.tv_nsec += period_ms * 1000000L;
                while (next.tv_nsec >= 1000000000L) {
                        next.tv_nsec -= 1000000000L;
                        next.tv_sec++;
                }
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        }
        flush_buf();
        close(out_fd);
        return 0;
}
