/* forker.c — N sleeping children for the benchmarks, in a memory-limited
 * cgroup, and nothing else.
 *
 *   forker -n N [-l LIMIT_MIB] [-t TIMEOUT_S]
 *
 * Creates a memory cgroup below its own (v1 "memory" hierarchy, or v2 when
 * the memory controller is there), caps it at LIMIT_MIB (default 256: the
 * most a test may take on the shared host outside such a cgroup; up to
 * 2048 for bench/scale.sh's 10,000 children, and then only inside the
 * cgroup: without one it refuses), moves itself in, forks N
 * children that pause() until killed, then prints one line
 *
 *   ready N USAGE_BYTES CGROUP_DIR
 *
 * (USAGE_BYTES -1 and CGROUP_DIR "-" when no cgroup could be made) and waits
 * for SIGTERM, SIGINT, SIGHUP or the timeout (default 3600 s, so that a
 * benchmark killed hard leaves nothing behind for long). It then SIGKILLs
 * exactly the children it forked (their pids are kept), reaps them, moves
 * back to its parent cgroup and removes the one it made. The children also
 * die with the forker (PR_SET_PDEATHSIG), whatever kills it.
 *
 * Each child is a copy-on-write fork of this small program: kernel stack,
 * page tables, task and a few copied pages, ~125 KiB as a v1 memory cgroup
 * counts it on 6.18, so 1000 children take ~125 MiB (the printed usage). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char cg_dir[512];    /* the cgroup we made, "" if none */
static char cg_parent[512]; /* where we came from */
static char cg_usage[32];   /* the usage file's name in it */

static int write_str(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, text, strlen(text));
        int r = n < 0 ? -errno : 0;
        close(fd);
        return r;
}

static long long read_ll(const char *path)
{
        char buf[64];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        return strtoll(buf, NULL, 10);
}

/* Finds our memory cgroup directory: the v1 "memory" line of
 * /proc/self/cgroup, else the v2 "0::" line if v2 has the controller. */
static int own_memory_cgroup(char *ret, size_t size, bool *ret_v2)
{
        char buf[4096];
        int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        const char *v2 = NULL;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = '\0';
                const char *ctrl = c1 + 1, *path = c2 + 1;
                if (strcmp(ctrl, "memory") == 0 || strstr(ctrl, "memory,") ||
                    strstr(ctrl, ",memory")) {
                        snprintf(ret, size, "/sys/fs/cgroup/memory%s", path);
                        *ret_v2 = false;
                        return 0;
                }
                if (strcmp(line, "0") == 0 && ctrl[0] == '\0')
                        v2 = path;
        }
        if (!v2)
                return -ENOENT;
        char cbuf[512];
        int cfd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
        if (cfd < 0)
                return -ENOENT;
        ssize_t m = read(cfd, cbuf, sizeof cbuf - 1);
        close(cfd);
        cbuf[m > 0 ? m : 0] = '\0';
        if (!strstr(cbuf, "memory"))
                return -ENOENT;
        snprintf(ret, size, "/sys/fs/cgroup%s", v2);
        *ret_v2 = true;
        return 0;
}

static int cgroup_enter(unsigned limit_mib)
{
        char path[600], num[32];
        bool v2 = false;
        int r = own_memory_cgroup(cg_parent, sizeof cg_parent, &v2);
        if (r < 0)
                return r;
        /* "/sys/fs/cgroup/memory/" + "/" for a process in the root */
        size_t l = strlen(cg_parent);
        if (l > 0 && cg_parent[l - 1] == '/')
                cg_parent[l - 1] = '\0';
        snprintf(cg_dir, sizeof cg_dir, "%s/memguard-bench.%d", cg_parent, (int)getpid());
        if (mkdir(cg_dir, 0755) < 0) {
                r = -errno;
                cg_dir[0] = '\0';
                return r;
        }
        snprintf(num, sizeof num, "%llu\n", (unsigned long long)limit_mib << 20);
        snprintf(path, sizeof path, "%s/%s", cg_dir, v2 ? "memory.max" : "memory.limit_in_bytes");
        r = write_str(path, num);
        if (r == 0) {
                snprintf(cg_usage, sizeof cg_usage, "%s",
                         v2 ? "memory.current" : "memory.usage_in_bytes");
                snprintf(path, sizeof path, "%s/cgroup.procs", cg_dir);
                snprintf(num, sizeof num, "%d\n", (int)getpid());
                r = write_str(path, num);
        }
        if (r < 0) {
                rmdir(cg_dir);
                cg_dir[0] = '\0';
        }
        return r;
}

static void cgroup_leave(void)
{
        char path[600], num[32];
        if (!cg_dir[0])
                return;
        snprintf(path, sizeof path, "%s/cgroup.procs", cg_parent);
        snprintf(num, sizeof num, "%d\n", (int)getpid());
        if (write_str(path, num) < 0 || rmdir(cg_dir) < 0)
                fprintf(stderr, "forker: cannot remove %s: %m\n", cg_dir);
}

int main(int argc, char **argv)
{
        long n = 0, limit_mib = 256, timeout_s = 3600;
        for (int c; (c = getopt(argc, argv, "n:l:t:")) != -1;) {
                switch (c) {
                case 'n':
                        n = strtol(optarg, NULL, 10);
                        break;
                case 'l':
                        limit_mib = strtol(optarg, NULL, 10);
                        break;
                case 't':
                        timeout_s = strtol(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr, "usage: forker -n N [-l LIMIT_MIB] [-t TIMEOUT_S]\n");
                        return 2;
                }
        }
        if (n < 0 || n > 100000 || limit_mib <= 0 || limit_mib > 2048 || timeout_s <= 0) {
                fprintf(stderr, "forker: bad arguments (limit at most 2048 MiB)\n");
                return 2;
        }

        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGALRM);
        sigprocmask(SIG_BLOCK, &set, NULL);

        /* Whatever ends our parent (a benchmark killed hard) ends us, and
         * through the children's own PDEATHSIG, them. */
        const pid_t parent = getppid();
        (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
                return 1;

        int r = cgroup_enter((unsigned)limit_mib);
        if (r < 0 && limit_mib > 256) {
                fprintf(stderr, "forker: no memory cgroup (%s): more than 256 MiB only inside one\n",
                        strerror(-r));
                return 1;
        }
        if (r < 0)
                fprintf(stderr, "forker: no memory cgroup (%s); children stay unlimited\n",
                        strerror(-r));

        pid_t *kids = calloc((size_t)n + 1, sizeof *kids);
        if (!kids)
                return 1;
        const pid_t self = getpid();
        long made = 0;
        for (; made < n; made++) {
                pid_t pid = fork();
                if (pid < 0) {
                        fprintf(stderr, "forker: fork %ld: %m\n", made);
                        break;
                }
                if (pid == 0) {
                        sigprocmask(SIG_UNBLOCK, &set, NULL);
                        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                        if (getppid() != self)
                                _exit(0);
                        for (;;)
                                pause();
                }
                kids[made] = pid;
        }

        long long usage = -1;
        if (cg_dir[0]) {
                char path[600];
                snprintf(path, sizeof path, "%s/%s", cg_dir, cg_usage);
                usage = read_ll(path);
        }
        printf("ready %ld %lld %s\n", made, usage, cg_dir[0] ? cg_dir : "-");
        fflush(stdout);

        if (made == n) {
                alarm((unsigned)timeout_s);
                int sig;
                sigwait(&set, &sig);
        }

        for (long i = 0; i < made; i++)
                kill(kids[i], SIGKILL);
        for (long i = 0; i < made; i++)
                while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
                        ;
        free(kids);
        cgroup_leave();
        return made == n ? 0 : 1;
}
