/* floor.c — memguard's sampling cost against the floor, in one run.
 *
 *   floor [--children LIST] [--iterations N] [--config PATH] [--callgrind]
 *
 * For each child count in LIST (default "0,1000": the host as it is, then
 * with 1000 extra sleeping processes from ./forker, in a memory cgroup of
 * 256 MiB, or ~160 KiB a child beyond 1600, killed at the end) it times,
 * interleaved so that drift on this
 * shared machine hits all alike:
 *
 *   memguard   sampler_full() with the shipped configuration (all_pss
 *              false), PREV carried from the sample before as the daemon
 *              does, and the snapshot_clear() of PREV that follows it;
 *   needed     the floor: readdir of /proc, then open/read/close into a
 *              stack buffer, no parsing, of exactly the files memguard needs
 *              per process: stat, oom_score, oom_score_adj and cgroup of
 *              every user process, nothing of a kernel thread;
 *   naive      the same plus the stat of every kernel thread (what a walk
 *              that must read stat to tell a kernel thread pays);
 *
 * and for the fast tier sampler_system() against two pread()s of
 * /proc/meminfo and /proc/pressure/memory on descriptors kept open.
 *
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID: user + kernel,
 * not the time other tenants held the CPU), median over N; "per process"
 * divides by every pid directory in /proc (user processes and kernel
 * threads). Ratios are memguard / floor from the same run.
 *
 * Output, tab-separated: "time METHOD CHILDREN PIDS USER KTHREADS VALUE
 * UNIT" and "ratio NAME ... VALUE x" rows; bench/floor.sh collects them.
 *
 * --callgrind: run under valgrind --tool=callgrind; each method runs N
 * times (the fast tier 20 N) between CALLGRIND_ZERO_STATS and
 * CALLGRIND_DUMP_STATS_AT(NAME), and "irmeta NAME METHOD CHILDREN PIDS USER
 * KTHREADS CALLS" rows say how to divide each dump's total. Callgrind counts
 * user-space instructions only: what memguard adds on top of the system
 * calls, not what the kernel spends in them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <valgrind/callgrind.h>

#include "config/config.h"
#include "read/snapshot.h"
#include "sample/sample.h"
#include "util/procroot.h"

#define PID_LIMIT (1u << 22) /* pid_max can be at most 4194304 */

typedef struct Bench {
        ProcRoot root;
        Sampler *sampler;
        Config *config;
        Snapshot prev;
        DIR *dir;                /* our own /proc handle for the floor */
        int proc_fd;
        int meminfo_fd, psi_fd;
        unsigned char *kthread;  /* bitmap by pid, from the census */
        size_t n_total, n_kthreads, n_user;
} Bench;

static uint64_t cpu_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

static uint64_t median(uint64_t *v, size_t n)
{
        qsort(v, n, sizeof *v, cmp_u64);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool is_kthread(const Bench *b, unsigned pid)
{
        return pid < PID_LIMIT && (b->kthread[pid / 8] >> (pid % 8) & 1);
}

static unsigned dir_pid(const char *name)
{
        unsigned v = 0;
        if (name[0] < '1' || name[0] > '9')
                return 0;
        for (; *name; name++) {
                if (*name < '0' || *name > '9')
                        return 0;
                v = v * 10 + (unsigned)(*name - '0');
        }
        return v;
}

/* open/read/close of PID/FILE through the proc fd, the bytes ignored. */
static void floor_read(int proc_fd, const char *pid, const char *file)
{
        char path[64], buf[4096];
        size_t l = strlen(pid), f = strlen(file);
        memcpy(path, pid, l);
        path[l] = '/';
        memcpy(path + l + 1, file, f + 1);
        int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        (void)n;
        close(fd);
}

/* Classifies every pid now in /proc once (a stat read each), outside any
 * timing: the floor loops then know a kernel thread without reading. */
static void census(Bench *b)
{
        memset(b->kthread, 0, PID_LIMIT / 8);
        b->n_total = b->n_kthreads = b->n_user = 0;
        rewinddir(b->dir);
        for (struct dirent *de; (de = readdir(b->dir));) {
                unsigned pid = dir_pid(de->d_name);
                if (!pid || pid >= PID_LIMIT)
                        continue;
                char path[64], buf[4096];
                snprintf(path, sizeof path, "%u/stat", pid);
                ssize_t n = procroot_read_file(b->proc_fd, path, buf, sizeof buf);
                if (n < 0)
                        continue;
                const char *rp = strrchr(buf, ')');
                unsigned long flags = 0;
                /* ") S ppid pgrp session tty tpgid flags" */
                if (rp && sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags) == 1 &&
                    (flags & 0x00200000u)) {
                        b->kthread[pid / 8] |= (unsigned char)(1u << (pid % 8));
                        b->n_kthreads++;
                } else {
                        b->n_user++;
                }
                b->n_total++;
        }
}

__attribute__((noinline)) static void bench_floor_full(Bench *b, bool kthread_stat)
{
        rewinddir(b->dir);
        for (struct dirent *de; (de = readdir(b->dir));) {
                unsigned pid = dir_pid(de->d_name);
                if (!pid)
                        continue;
                if (is_kthread(b, pid)) {
                        if (kthread_stat)
                                floor_read(b->proc_fd, de->d_name, "stat");
                        continue;
                }
                floor_read(b->proc_fd, de->d_name, "stat");
                floor_read(b->proc_fd, de->d_name, "oom_score");
                floor_read(b->proc_fd, de->d_name, "oom_score_adj");
                floor_read(b->proc_fd, de->d_name, "cgroup");
        }
}

__attribute__((noinline)) static int bench_memguard_full(Bench *b)
{
        Snapshot next = { 0 };
        int r = sampler_full(b->sampler, b->config, false, &b->prev, 0, &next);
        if (r < 0) {
                snapshot_clear(&next);
                return r;
        }
        snapshot_clear(&b->prev);
        b->prev = next;
        return 0;
}

__attribute__((noinline)) static int bench_memguard_system(Bench *b)
{
        SystemSample s;
        return sampler_system(b->sampler, 0, true, &s);
}

__attribute__((noinline)) static void bench_floor_system(Bench *b)
{
        char buf[4096];
        ssize_t n = pread(b->meminfo_fd, buf, sizeof buf - 1, 0);
        if (b->psi_fd >= 0)
                n = pread(b->psi_fd, buf, sizeof buf - 1, 0);
        (void)n;
}

enum { M_MEMGUARD, M_NEEDED, M_NAIVE, M_SYS_MEMGUARD, M_SYS_FLOOR, N_METHODS };
static const char *const method_name[N_METHODS] = { "memguard_full", "floor_needed",
                                                    "floor_naive", "memguard_system",
                                                    "floor_system" };

static void run_one(Bench *b, int m)
{
        switch (m) {
        case M_MEMGUARD:
                if (bench_memguard_full(b) < 0) {
                        fprintf(stderr, "floor: sampler_full failed\n");
                        exit(1);
                }
                break;
        case M_NEEDED:
                bench_floor_full(b, false);
                break;
        case M_NAIVE:
                bench_floor_full(b, true);
                break;
        case M_SYS_MEMGUARD:
                if (bench_memguard_system(b) < 0) {
                        fprintf(stderr, "floor: sampler_system failed\n");
                        exit(1);
                }
                break;
        case M_SYS_FLOOR:
                bench_floor_system(b);
                break;
        default:
                break;
        }
}

/* Starts ./forker with N children next to this binary; returns its pid and
 * leaves its "ready" line in LINE. */
static pid_t forker_start(long n, char *line, size_t size)
{
        char self[512], exe[600], arg[32], lim[32];
        ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
        if (l < 0)
                return -1;
        self[l] = '\0';
        char *slash = strrchr(self, '/');
        if (slash)
                *slash = '\0';
        snprintf(exe, sizeof exe, "%s/forker", self);
        snprintf(arg, sizeof arg, "%ld", n);
        /* ~125 KiB a child (forker.c), with room: 256 MiB up to 1600 */
        long mib = n * 160 / 1024 + 64;
        snprintf(lim, sizeof lim, "%ld", mib < 256 ? 256 : mib);

        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -1;
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                dup2(fds[1], STDOUT_FILENO);
                execl(exe, "forker", "-n", arg, "-l", lim, "-t", "1800", (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        FILE *f = fdopen(fds[0], "r");
        if (!f || !fgets(line, (int)size, f) || strncmp(line, "ready ", 6) != 0) {
                fprintf(stderr, "floor: forker did not start\n");
                kill(pid, SIGTERM);
                waitpid(pid, NULL, 0);
                return -1;
        }
        fclose(f);
        line[strcspn(line, "\n")] = '\0';
        return pid;
}

static void forker_stop(pid_t pid)
{
        if (pid <= 0)
                return;
        kill(pid, SIGTERM);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

static void measure(Bench *b, long children, unsigned iters, bool callgrind)
{
        /* Warm up: the first samples read every cmdline and grow buffers. */
        for (int m = 0; m < N_METHODS; m++)
                for (int i = 0; i < 3; i++)
                        run_one(b, m);

        if (callgrind) {
                for (int m = 0; m < N_METHODS; m++) {
                        unsigned n = m >= M_SYS_MEMGUARD ? iters * 20 : iters;
                        char name[64];
                        snprintf(name, sizeof name, "%s_%ld", method_name[m], children);
                        CALLGRIND_ZERO_STATS;
                        for (unsigned i = 0; i < n; i++)
                                run_one(b, m);
                        CALLGRIND_DUMP_STATS_AT(name);
                        printf("irmeta\t%s\t%s\t%ld\t%zu\t%zu\t%zu\t%u\n", name,
                               method_name[m], children, b->n_total, b->n_user, b->n_kthreads,
                               n);
                }
                return;
        }

        uint64_t *t[N_METHODS];
        unsigned n_full = iters, n_sys = iters * 20;
        for (int m = 0; m < N_METHODS; m++)
                t[m] = calloc(n_sys, sizeof **t);
        /* Interleaved: one of each per round, order rotated. */
        for (unsigned i = 0; i < n_sys; i++) {
                for (int k = 0; k < N_METHODS; k++) {
                        int m = (int)((i + (unsigned)k) % N_METHODS);
                        if (m < M_SYS_MEMGUARD && i >= n_full)
                                continue;
                        uint64_t t0 = cpu_ns();
                        run_one(b, m);
                        t[m][i] = cpu_ns() - t0;
                }
        }
        uint64_t med[N_METHODS];
        for (int m = 0; m < N_METHODS; m++) {
                med[m] = median(t[m], m < M_SYS_MEMGUARD ? n_full : n_sys);
                free(t[m]);
        }
        printf("# %ld extra children: %zu pids in /proc (%zu user, %zu kernel threads), "
               "%u full / %u fast iterations\n",
               children, b->n_total, b->n_user, b->n_kthreads, n_full, n_sys);
        for (int m = 0; m < N_METHODS; m++) {
                const char *row = "time\t%s\t%ld\t%zu\t%zu\t%zu\t%.0f\t%s\n";
                if (m < M_SYS_MEMGUARD) {
                        printf(row, method_name[m], children, b->n_total, b->n_user,
                               b->n_kthreads, (double)med[m], "ns/sample");
                        printf(row, method_name[m], children, b->n_total, b->n_user,
                               b->n_kthreads, (double)med[m] / (double)b->n_total, "ns/pid");
                } else {
                        printf(row, method_name[m], children, b->n_total, b->n_user,
                               b->n_kthreads, (double)med[m], "ns/call");
                }
        }
        const char *ratio = "ratio\t%s\t%ld\t%zu\t%zu\t%zu\t%.2f\tx\n";
        printf(ratio, "time_full_vs_needed", children, b->n_total, b->n_user, b->n_kthreads,
               (double)med[M_MEMGUARD] / (double)med[M_NEEDED]);
        printf(ratio, "time_full_vs_naive", children, b->n_total, b->n_user, b->n_kthreads,
               (double)med[M_MEMGUARD] / (double)med[M_NAIVE]);
        printf(ratio, "time_system_vs_floor", children, b->n_total, b->n_user, b->n_kthreads,
               (double)med[M_SYS_MEMGUARD] / (double)med[M_SYS_FLOOR]);
        fflush(stdout);
}

int main(int argc, char **argv)
{
        const char *config_path = "conf/memguard.conf";
        const char *children_list = "0,1000";
        unsigned iters = 200;
        bool callgrind = false;
        static const struct option opts[] = {
                { "children", required_argument, NULL, 'c' },
                { "iterations", required_argument, NULL, 'i' },
                { "config", required_argument, NULL, 'f' },
                { "callgrind", no_argument, NULL, 'g' },
                { 0 },
        };
        for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
                switch (c) {
                case 'c':
                        children_list = optarg;
                        break;
                case 'i':
                        iters = (unsigned)strtoul(optarg, NULL, 10);
                        break;
                case 'f':
                        config_path = optarg;
                        break;
                case 'g':
                        callgrind = true;
                        break;
                default:
                        fprintf(stderr, "usage: floor [--children 0,1000] [--iterations N] "
                                        "[--config PATH] [--callgrind]\n");
                        return 2;
                }
        }
        if (iters == 0)
                iters = 1;

        Bench b = { .psi_fd = -1 };
        char *errors = NULL;
        if (config_load(config_path, &b.config, &errors) < 0) {
                fprintf(stderr, "floor: %s: %s", config_path, errors ? errors : "cannot load\n");
                return 1;
        }
        if (procroot_open(NULL, NULL, &b.root) < 0 || sampler_new(&b.root, &b.sampler) < 0) {
                fprintf(stderr, "floor: cannot open /proc\n");
                return 1;
        }
        b.proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        b.dir = fdopendir(open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        b.meminfo_fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
        b.psi_fd = open("/proc/pressure/memory", O_RDONLY | O_CLOEXEC);
        b.kthread = calloc(PID_LIMIT / 8, 1);
        if (b.proc_fd < 0 || !b.dir || b.meminfo_fd < 0 || !b.kthread) {
                fprintf(stderr, "floor: setup failed: %m\n");
                return 1;
        }

        char list[256];
        snprintf(list, sizeof list, "%s", children_list);
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
                long children = strtol(tok, NULL, 10);
                pid_t forker = 0;
                char ready[700] = "";
                if (children > 0) {
                        forker = forker_start(children, ready, sizeof ready);
                        if (forker < 0)
                                return 1;
                        printf("# forker: %s\n", ready);
                }
                census(&b);
                snapshot_clear(&b.prev);
                measure(&b, children, iters, callgrind);
                snapshot_clear(&b.prev);
                forker_stop(forker);
        }

        sampler_free(b.sampler);
        procroot_close(&b.root);
        config_free(b.config);
        closedir(b.dir);
        close(b.proc_fd);
        close(b.meminfo_fd);
        if (b.psi_fd >= 0)
                close(b.psi_fd);
        free(b.kthread);
        return 0;
}
