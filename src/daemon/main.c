/* main.c — command line and exit codes of memguard(8).
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 usage, 78 configuration
 * (EX_CONFIG).
 *
 * Built twice: build/memguard, the daemon that is installed, and
 * build/memguard-test (-DMEMGUARD_TEST_HOOKS), which also takes
 * --proc-root, --cgroup-root and --kmsg so that tests can feed it fixture
 * trees and kernel log records.
 * The production binary has no such options: a fixture tree names pids
 * and units that are real on this box, and a daemon that has read one must
 * never act on them (issue 14). memguard-test, given either root, is
 * sandboxed (actions_set_sandboxed()); it is never installed. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config/config.h"
#include "daemon/inspect.h"
#include "daemon/manager.h"
#include "daemon/status_cmd.h"
#include "util/cleanup.h"
#include "util/log.h"

#define DEFAULT_CONFIG MEMGUARD_SYSCONFDIR "/memguard.conf"

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: memguard [OPTIONS]\n"
                "       memguard [-c PATH] status [--json] [--all] [--sample]\n"
                "Watch memory and act before the kernel OOM killer does.\n\n"
                "  -c, --config PATH   configuration file (default %s)\n"
                "                      drop-ins are read from PATH.d/*.conf\n"
                "  -n, --dry-run       log what would be done, do nothing\n"
                "      --check-config  check the configuration and exit\n"
                "      --list-protected\n"
                "                      list the processes no rule may act on, and why\n"
                "  -V, --version       print the version and exit\n"
                "  -h, --help          print this help and exit\n"
#ifdef MEMGUARD_TEST_HOOKS
                "test build only (sandboxed: signals only processes started by its parent,\n"
                "restarts units only on $DBUS_SYSTEM_BUS_ADDRESS):\n"
                "      --proc-root DIR    read processes and meminfo from DIR\n"
                "      --cgroup-root DIR  read cgroups from DIR\n"
                "      --kmsg PATH        read the kernel's log from PATH (a FIFO)\n"
                "      --cgroup-watches N the cgroup tree watch's budget of inotify watches\n"
#endif
                "\nCommands:\n"
                "  status              what the running memguard sees (memguard status --help)\n"
                "\nSignals: SIGHUP reloads the configuration, SIGTERM stops.\n"
                "See memguard(8) and memguard.conf(5).\n",
                DEFAULT_CONFIG);
}

#ifdef MEMGUARD_TEST_HOOKS
#define BUILD_NOTE " (test build: --proc-root, --cgroup-root, --kmsg)"
#else
#define BUILD_NOTE ""
#endif

enum { OPT_CHECK = 0x100, OPT_LIST_PROTECTED, OPT_PROC_ROOT, OPT_CGROUP_ROOT, OPT_KMSG,
       OPT_CGROUP_WATCHES };

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "dry-run", no_argument, NULL, 'n' },
                { "check-config", no_argument, NULL, OPT_CHECK },
                { "list-protected", no_argument, NULL, OPT_LIST_PROTECTED },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
#ifdef MEMGUARD_TEST_HOOKS
                { "proc-root", required_argument, NULL, OPT_PROC_ROOT },
                { "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
                { "kmsg", required_argument, NULL, OPT_KMSG },
                { "cgroup-watches", required_argument, NULL, OPT_CGROUP_WATCHES },
#endif
                {},
        };
        ManagerOptions opts = { .config_path = DEFAULT_CONFIG };
        bool check = false, list_protected = false;

        for (int c; (c = getopt_long(argc, argv, "+c:nVh", options, NULL)) >= 0;) {
                switch (c) {
                case 'c':
                        opts.config_path = optarg;
                        break;
                case 'n':
                        opts.force_dry_run = true;
                        break;
                case OPT_CHECK:
                        check = true;
                        break;
                case OPT_LIST_PROTECTED:
                        list_protected = true;
                        break;
#ifdef MEMGUARD_TEST_HOOKS
                case OPT_PROC_ROOT:
                        opts.proc_root = optarg;
                        break;
                case OPT_CGROUP_ROOT:
                        opts.cgroup_root = optarg;
                        break;
                case OPT_KMSG:
                        opts.kmsg_path = optarg;
                        break;
                case OPT_CGROUP_WATCHES:
                        opts.cgroup_watches = (size_t)strtoul(optarg, NULL, 10);
                        break;
#endif
                case 'V':
                        printf("memguard %s%s\n", MEMGUARD_VERSION, BUILD_NOTE);
                        return EXIT_SUCCESS;
                case 'h':
                        usage(stdout);
                        return EXIT_SUCCESS;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc && strcmp(argv[optind], "status") == 0)
                return status_command(argc - optind, argv + optind, opts.config_path);
        if (optind < argc) {
                fprintf(stderr, "memguard: unexpected argument '%s'\n", argv[optind]);
                usage(stderr);
                return 2;
        }

        log_open(check || list_protected);

        Config *config = NULL;
        _cleanup_free_ char *errors = NULL;
        int r = config_load(opts.config_path, &config, &errors);
        if (r == -ENOMEM) {
                /* not the operator's to fix: said as such, and not 78,
                 * which tells systemd and scripts the file is wrong */
                fprintf(stderr, "memguard: %s: out of memory while reading the configuration\n",
                        opts.config_path);
                return EXIT_FAILURE;
        }
        if (r < 0) {
                if (errors)
                        fputs(errors, stderr);
                else
                        fprintf(stderr, "%s: %s\n", opts.config_path, strerror(-r));
                if (!check && !list_protected)
                        fprintf(stderr, "memguard: not started: fix the configuration\n");
                return EX_CONFIG;
        }
        if (check) {
                printf("configuration OK\n");
                config_free(config);
                return EXIT_SUCCESS;
        }
        if (list_protected) {
                r = inspect_protected(config, opts.proc_root, opts.cgroup_root, stdout);
                config_free(config);
                if (r < 0) {
                        fprintf(stderr, "memguard: cannot read processes: %s\n", strerror(-r));
                        return EXIT_FAILURE;
                }
                return EXIT_SUCCESS;
        }

        Manager *m = NULL;
        r = manager_new(&opts, config, &m);
        if (r < 0)
                return EXIT_FAILURE; /* manager_new() said why */
        r = manager_run(m);
        manager_free(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS; /* manager_run() said why */
}
