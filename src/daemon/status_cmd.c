/* status_cmd.c — `memguard status` (status_cmd.h). */
#include "daemon/status_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "read/proc.h"
#include "report/render.h"
#include "report/status.h"
#include "sample/sample.h"
#include "util/cleanup.h"
#include "util/procroot.h"

static void usage(FILE *out)
{
        fputs("Usage: memguard status [--json] [--all | --top N] [--sample [-c PATH]] [--state PATH]\n"
              "Show memory as the running memguard sees it: the units and processes that\n"
              "hold the most, their growth, every rule's state and the last actions.\n\n"
              "  --json        the same as JSON, for scripts\n"
              "  --all         every unit and process in the view (default: the top 10)\n"
              "  --top N       the top N units and processes\n"
              "  --sample      take one sample now instead (no daemon needed; no growth,\n"
              "                no rule states)\n"
              "  -c, --config PATH  the configuration --sample judges by (rules, budgets)\n"
              "  --state PATH  the daemon's state file (default $RUNTIME_DIRECTORY/status,\n"
              "                else /run/memguard/status)\n"
              "Exit status: 0 shown, 3 memguard is not running, 1 error.\n",
              out);
}

/* True if the daemon that wrote H still runs: its pid names the process
 * that started at the same time (a pid is reused). */
static bool writer_alive(const StatusHeader *h)
{
        char buf[1024];
        ProcStat st;
        int fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        bool alive;

        if (fd < 0)
                return true; /* cannot tell: show it */
        alive = proc_read_stat(fd, h->pid, buf, sizeof buf, &st) >= 0 &&
                st.start_time == h->pid_start_time;
        close(fd);
        return alive;
}

/* Asks the daemon that wrote *F for a view of now (SIGUSR1) and waits up
 * to a second for it; *F is replaced when it comes. The daemon may be
 * stuck (the box thrashing, the loop hung): then the view it left stands,
 * with its age. Returns whether a fresh view came. */
static bool fresh_view(const char *path, StatusFile **f)
{
        uint64_t before = (*f)->header.written_usec;

        if (kill((*f)->header.pid, SIGUSR1) < 0)
                return false;
        for (int i = 0; i < 100; i++) {
                StatusFile *g = NULL;
                struct timespec ts = { 0, 10 * 1000 * 1000 };
                nanosleep(&ts, NULL);
                if (status_read(path, &g) < 0)
                        continue;
                if (g->header.pid == (*f)->header.pid && g->header.written_usec > before) {
                        status_free(*f);
                        *f = g;
                        return true;
                }
                status_free(g);
        }
        return false;
}

/* One sample of this box, taken now, as a view (no rules' states). */
static int sample_now(const char *config_path, StatusFile **ret)
{
        Config *config = NULL;
        _cleanup_free_ char *errors = NULL;
        ProcRoot root = { -1, -1 };
        Sampler *s = NULL;
        Snapshot snap = { .self_pid = getpid() };
        char *buf = NULL;
        size_t len = 0;
        int r = config_load(config_path, &config, &errors);

        if (r < 0) {
                fprintf(stderr, "memguard status: %s", errors ? errors : "");
                if (!errors)
                        fprintf(stderr, "%s: %s\n", config_path, strerror(-r));
                return r;
        }
        r = procroot_open(NULL, "/sys/fs/cgroup", &root);
        if (r < 0)
                r = procroot_open(NULL, NULL, &root);
        if (r >= 0)
                r = sampler_new(&root, &s);
        if (r >= 0)
                r = sampler_system(s, monotonic_usec(), true, &snap.sys);
        if (r >= 0)
                r = sampler_full(s, config, true, NULL, monotonic_usec(), &snap);
        if (r >= 0) {
                FILE *out = open_memstream(&buf, &len);
                StatusSource src = { .config = config, .snap = &snap, .config_path = config_path };
                r = out ? status_write(out, &src) : -ENOMEM;
                if (out && fclose(out) != 0 && r >= 0)
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = status_parse(buf, len, ret);
        else
                fprintf(stderr, "memguard status: cannot sample: %s\n", strerror(-r));
        free(buf);
        snapshot_clear(&snap);
        sampler_free(s);
        procroot_close(&root);
        config_free(config);
        return r;
}

int status_command(int argc, char **argv, const char *config_path)
{
        enum { OPT_ALL = 0x100, OPT_TOP, OPT_SAMPLE, OPT_STATE };
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "all", no_argument, NULL, OPT_ALL },
                { "top", required_argument, NULL, OPT_TOP },
                { "sample", no_argument, NULL, OPT_SAMPLE },
                { "state", required_argument, NULL, OPT_STATE },
                { "config", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        RenderOptions o = { .top = 10 };
        bool json = false;
        char path[512];
        const char *state = NULL;
        StatusFile *f = NULL;
        int r;

        optind = 0; /* glibc: start afresh on this argv */
        for (int c; (c = getopt_long(argc, argv, "c:jh", options, NULL)) >= 0;) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'c':
                        config_path = optarg;
                        break;
                case OPT_ALL:
                        o.top = 0;
                        break;
                case OPT_TOP: {
                        char *end;
                        long n = strtol(optarg, &end, 10);
                        if (*end || n < 1 || n > 100000) {
                                fprintf(stderr, "memguard status: --top %s: give a number from 1\n", optarg);
                                return 2;
                        }
                        o.top = (size_t)n;
                        break;
                }
                case OPT_SAMPLE:
                        o.sampled = true;
                        break;
                case OPT_STATE:
                        state = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "memguard status: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        o.now_realtime_usec = realtime_usec();
        if (o.sampled) {
                if (sample_now(config_path, &f) < 0)
                        return 1;
        } else {
                if (!state) {
                        snprintf(path, sizeof path, "%s/%s", status_dir(), STATUS_FILE);
                        state = path;
                }
                r = status_read(state, &f);
                if (r == -ENOENT) {
                        fprintf(stderr, "memguard is not running (no %s); `memguard status --sample` "
                                        "takes a sample without it\n", state);
                        return STATUS_EXIT_NOT_RUNNING;
                }
                if (r == -EACCES) {
                        fprintf(stderr, "memguard status: %s: permission denied: run it as root\n", state);
                        return 1;
                }
                if (r == -EPROTO) {
                        fprintf(stderr, "memguard status: %s was written by another version of "
                                        "memguard: restart the daemon (systemctl restart memguard)\n",
                                state);
                        return 1;
                }
                if (r < 0) {
                        fprintf(stderr, "memguard status: %s: %s\n", state, strerror(-r));
                        return 1;
                }
                if (!writer_alive(&f->header)) {
                        fprintf(stderr, "memguard is not running (pid %d, which wrote %s, is gone)\n",
                                (int)f->header.pid, state);
                        status_free(f);
                        return STATUS_EXIT_NOT_RUNNING;
                }
                if (!fresh_view(state, &f))
                        fprintf(stderr, "memguard status: memguard (pid %d) did not answer within "
                                        "1 s: showing the view it left\n", (int)f->header.pid);
        }
        status_sort(f);
        if (json)
                status_render_json(stdout, f, &o);
        else
                status_render_text(stdout, f, &o);
        status_free(f);
        return fflush(stdout) == 0 ? 0 : 1;
}
