/* test_readers.c — the *_read() functions: on the fixture tree captured
 * from this host (tests/fixtures/host-v1, see its CAPTURE file), on the live
 * /proc against libproc2 as an oracle, and the PSI trigger. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libproc2/pids.h>

#include "testutil.h"

#include "read/meminfo.h"
#include "read/proc.h"
#include "read/psi.h"
#include "util/procroot.h"

#define FIXTURE TEST_PATH("fixtures/host-v1")
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* PIDs of tests/fixtures/host-v1 and their roles, from its CAPTURE file. */
enum {
        FX_INIT = 1, /* the sandbox's init, not systemd */
        FX_KTHREADD = 2,
        FX_KWORKER = 10, /* a kernel thread with a 27-byte comm */
        FX_SHELL = 5326, /* the capturing bash */
        FX_ZOMBIE = 5334,
        FX_HOSTILE = 5338, /* comm "a) Z 1 (x", argv[0] with a tab */
        FX_ABSENT = 3,     /* a PID that was not captured: "vanished" */
};

static int fixture_root(void **state)
{
        ProcRoot *root = malloc(sizeof(*root));

        assert_non_null(root);
        assert_int_equal(procroot_open(FIXTURE "/proc", FIXTURE "/cgroup", root), 0);
        *state = root;
        return 0;
}

static int close_root(void **state)
{
        procroot_close(*state);
        free(*state);
        return 0;
}

static int live_root(void **state)
{
        ProcRoot *root = malloc(sizeof(*root));

        assert_non_null(root);
        assert_int_equal(procroot_open(NULL, NULL, root), 0);
        *state = root;
        return 0;
}

/* ---- procroot ---- */

static void test_procroot_fixture(void **state)
{
        (void)state;
        ProcRoot root;

        assert_int_equal(procroot_open(FIXTURE "/proc", FIXTURE "/cgroup", &root), 0);
        assert_true(root.proc_fd > 2);
        /* A v1 hybrid host: capture.sh stored no cgroup tree. */
        assert_int_equal(root.cgroup_fd, -1);
        procroot_close(&root);
        assert_int_equal(root.proc_fd, -1);
        assert_int_equal(root.cgroup_fd, -1);
        procroot_close(&root);
        procroot_close(NULL);
}

static void test_procroot_missing(void **state)
{
        (void)state;
        ProcRoot root = {77, 78};

        assert_int_equal(procroot_open(FIXTURE "/no-such-dir", NULL, &root), -ENOENT);
        assert_int_equal(procroot_open(FIXTURE "/CAPTURE", NULL, &root), -ENOTDIR);
        assert_int_equal(root.proc_fd, 77);
        assert_int_equal(root.cgroup_fd, 78);
}

static void test_procroot_zeroed(void **state)
{
        (void)state;
        ProcRoot root = {0, 0};
        int had_stdin = fcntl(0, F_GETFD) >= 0;

        procroot_close(&root);
        assert_int_equal(fcntl(0, F_GETFD) >= 0, had_stdin);
}

/* What procroot_open should decide for the live root, computed the other
 * way round: the filesystem type, then the controller list with stdio. */
static bool live_has_v2_memory(const char *dir)
{
        char path[256], word[64];
        struct statfs sfs;
        bool found = false;
        FILE *f;

        if (statfs(dir, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC)
                return false;
        snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fscanf(f, "%63s", word) == 1)
                if (strcmp(word, "memory") == 0)
                        found = true;
        fclose(f);
        return found;
}

static void test_procroot_live(void **state)
{
        (void)state;
        static const char *const roots[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
        ProcRoot root;

        for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
                bool want = live_has_v2_memory(roots[i]);

                assert_int_equal(procroot_open(NULL, roots[i], &root), 0);
                print_message("%s: cgroup v2 with memory: %s\n", roots[i], want ? "yes" : "no");
                assert_int_equal(root.cgroup_fd >= 0, want);
                procroot_close(&root);
        }
        assert_int_equal(procroot_open(NULL, NULL, &root), 0);
        assert_int_equal(root.cgroup_fd >= 0, live_has_v2_memory("/sys/fs/cgroup"));
        procroot_close(&root);
}

/* The controller-list check on its own, in a scratch directory. */
static void test_procroot_controllers(void **state)
{
        (void)state;
        static const struct {
                const char *text;
                bool keep;
        } cases[] = {
                {"cpuset cpu io memory hugetlb pids rdma misc\n", true},
                {"memory\n", true},
                {"memory", true},
                {"cpu memory", true},
                {"hugetlb\n", false}, /* the empty v2 mount of this host */
                {"memoryx hugetlb\n", false},
                {"xmemory\n", false},
                {"\n", false},
                {"", false},
        };
        char dir[] = "/tmp/memguard-test-XXXXXX", file[64];

        assert_non_null(mkdtemp(dir));
        snprintf(file, sizeof(file), "%s/cgroup.controllers", dir);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ProcRoot root;
                FILE *f = fopen(file, "we");

                assert_non_null(f);
                fputs(cases[i].text, f);
                assert_int_equal(fclose(f), 0);
                assert_int_equal(procroot_open(FIXTURE "/proc", dir, &root), 0);
                if ((root.cgroup_fd >= 0) != cases[i].keep)
                        fail_msg("controllers \"%s\": kept %d", cases[i].text, root.cgroup_fd >= 0);
                procroot_close(&root);
        }
        assert_int_equal(unlink(file), 0);
        /* No cgroup.controllers at all: a v1 root. */
        {
                ProcRoot root;

                assert_int_equal(procroot_open(FIXTURE "/proc", dir, &root), 0);
                assert_int_equal(root.cgroup_fd, -1);
                procroot_close(&root);
        }
        assert_int_equal(rmdir(dir), 0);
}

/* The same judgement as a pure function of the text: a whole word,
 * whatever separates the words, and never past LEN. */
static void test_controllers_parse(void **state)
{
        (void)state;
        static const char list[] = "cpu memory io";

        assert_true(procroot_controllers_have_memory(LIT("memory")));
        assert_true(procroot_controllers_have_memory(LIT("\tcpu\tmemory\n")));
        assert_true(procroot_controllers_have_memory(LIT("  memory  ")));
        assert_false(procroot_controllers_have_memory(LIT("memor")));
        assert_false(procroot_controllers_have_memory(LIT("memory-x")));
        assert_false(procroot_controllers_have_memory(LIT("cpu,memory")));
        assert_false(procroot_controllers_have_memory(LIT("")));
        assert_false(procroot_controllers_have_memory(LIT(" \n\t")));
        /* "memory" cut by LEN is a prefix, not the word */
        assert_false(procroot_controllers_have_memory(list, 9));
        assert_true(procroot_controllers_have_memory(list, 10));
        assert_false(procroot_controllers_have_memory(NULL, 0));
}

static void test_read_file(void **state)
{
        ProcRoot *root = *state;
        char buf[64];

        assert_int_equal(procroot_read_file(root->proc_fd, "meminfo", buf, 8), 7);
        assert_string_equal(buf, "MemTota");
        assert_int_equal(procroot_read_file(root->proc_fd, "1/oom_score", buf, sizeof(buf)), 2);
        assert_string_equal(buf, "0\n");
        assert_int_equal(procroot_read_file(root->proc_fd, "meminfo", buf, 0), -EINVAL);
        assert_int_equal(procroot_read_file(root->proc_fd, "no-such-file", buf, sizeof(buf)),
                         -ENOENT);
        assert_int_equal(procroot_read_file(root->proc_fd, "1", buf, sizeof(buf)), -EISDIR);
        /* An empty file (a kernel thread's cmdline) is 0 bytes, not an error. */
        buf[0] = 'x';
        assert_int_equal(procroot_read_file(root->proc_fd, "2/cmdline", buf, sizeof(buf)), 0);
        assert_int_equal(buf[0], '\0');
}

/* What a reader needs is whole (ProcrootWhole): one line; a v2-only
 * /proc/PID/cgroup; meminfo's five keys. */
static void test_whole_predicates(void **state)
{
        (void)state;
        assert_true(procroot_one_line("12 (a) S 1\n", 11, NULL));
        assert_false(procroot_one_line("12 (a) S 1", 10, NULL));
        assert_false(procroot_one_line("1\n2\n", 4, NULL));
        assert_false(procroot_one_line("", 0, NULL));
        static const char v2[] = "0::/system.slice/a.service\n";
        static const char hybrid[] = "1:name=systemd:/system.slice/a.service\n0::/\n";
        assert_true(proc_cgroup_whole(v2, sizeof v2 - 1, NULL));
        assert_false(proc_cgroup_whole(v2, sizeof v2 - 2, NULL));
        /* a hybrid file is whole with its last line, the v2 one, and not
         * before; a v1 file without it never (read to EOF) */
        assert_false(proc_cgroup_whole(hybrid, 39, NULL));
        assert_false(proc_cgroup_whole(hybrid, sizeof hybrid - 2, NULL));
        assert_true(proc_cgroup_whole(hybrid, sizeof hybrid - 1, NULL));
        static const char v1[] = "2:memory:/a\n1:name=systemd:/system.slice/a.service\n";
        assert_false(proc_cgroup_whole(v1, sizeof v1 - 1, NULL));
        assert_false(proc_cgroup_whole("0::\n", 3, NULL));
        assert_false(proc_cgroup_whole("1:cpu:/0::\n", 11, NULL));
        static const char mi[] = "MemTotal:        2027016 kB\nMemFree:          100000 kB\n"
                                 "MemAvailable:    1700000 kB\nBuffers:            1000 kB\n"
                                 "SwapTotal:             0 kB\nSwapFree:              0 kB\n"
                                 "Zswap:                 0 kB\n";
        size_t upto_avail = (size_t)(strstr(mi, "Buffers") - mi);
        size_t upto_swap = (size_t)(strstr(mi, "Zswap") - mi);
        assert_false(meminfo_whole(mi, upto_avail, NULL));
        assert_true(meminfo_whole(mi, upto_swap, NULL));
        assert_true(meminfo_whole(mi, sizeof mi - 1, NULL));
        assert_false(meminfo_whole("MemTotal: 1 kB\n", 15, NULL));
        static const char psi[] = "some avg10=1.50 avg60=0.25 avg300=0.00 total=17\n"
                                  "full avg10=0.75 avg60=0.00 avg300=0.00 total=9\n";
        size_t some_line = (size_t)(strchr(psi, '\n') + 1 - psi);
        assert_false(psi_whole(psi, some_line, NULL)); /* the some line alone */
        assert_true(psi_whole(psi, sizeof psi - 1, NULL));

        /* What a predicate keeps is the parse, so its reader does not parse
         * again; where it says not whole, it keeps nothing. */
        MemInfoWhole mk = { .whole = false };
        MemInfo mp;
        assert_false(meminfo_whole(mi, upto_avail, &mk));
        assert_false(mk.whole);
        assert_true(meminfo_whole(mi, upto_swap, &mk));
        assert_true(mk.whole);
        assert_int_equal(meminfo_parse(mi, upto_swap, &mp), 0);
        assert_memory_equal(&mk.info, &mp, sizeof mp);
        assert_int_equal(mk.info.available_kb, 1700000);
        PsiWhole pk = { .whole = false };
        assert_false(psi_whole(psi, some_line, &pk));
        assert_false(pk.whole);
        assert_true(psi_whole(psi, sizeof psi - 1, &pk));
        assert_true(pk.whole);
        assert_true(pk.info.has_full);
        assert_true(pk.info.some.avg10 == 1.5 && pk.info.some.avg60 == 0.25);
        assert_int_equal(pk.info.some.total_usec, 17);
        assert_true(pk.info.full.avg10 == 0.75);
        assert_int_equal(pk.info.full.total_usec, 9);
}

/* A file that comes in pieces and is never closed by its writer (a FIFO):
 * read until what the reader needs is whole, then no read() that waits
 * for EOF; a piece that ends inside a line is read on from. The alarm
 * ends the test if a read waits. */
static void test_read_until_pieces(void **state)
{
        (void)state;
        char dir[] = "/tmp/mg-until.XXXXXX", path[64], buf[256];
        int hold[2];
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/f", dir);
        assert_int_equal(mkfifo(path, 0600), 0);
        static const char *const pieces[][3] = {
                { "12 (a b) S", " 1 2\n", NULL },
                { "0::/system.sl", "ice/a.service\n", NULL },
                { "MemTotal:        2027016 kB\nMemFree:          100000 kB\nMemAvail",
                  "able:    1700000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n",
                  NULL },
                { "2:memory:/a\n1:name=systemd:/system.slice/a.service\n", "0::/\n", NULL },
        };
        const ProcrootWhole whole[] = { procroot_one_line, proc_cgroup_whole, meminfo_whole,
                                        proc_cgroup_whole };
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(pipe(hold), 0);
                pid_t w = fork();
                assert_true(w >= 0);
                if (w == 0) {
                        int fd = open(path, O_WRONLY);
                        for (size_t k = 0; fd >= 0 && pieces[i][k]; k++) {
                                if (write(fd, pieces[i][k], strlen(pieces[i][k])) < 0)
                                        _exit(1);
                                usleep(20000);
                        }
                        char c;
                        close(hold[1]);
                        (void)!read(hold[0], &c, 1); /* open until the reader is done */
                        _exit(0);
                }
                close(hold[0]);
                alarm(10);
                ssize_t n = procroot_read_file_until(AT_FDCWD, path, buf, sizeof buf, whole[i], NULL);
                alarm(0);
                close(hold[1]);
                assert_int_equal(waitpid(w, NULL, 0), w);
                char want[256];
                snprintf(want, sizeof want, "%s%s", pieces[i][0], pieces[i][1]);
                assert_int_equal(n, (ssize_t)strlen(want));
                assert_string_equal(buf, want);
        }
        unlink(path);
        rmdir(dir);
}

/* ---- the fixture: system files ---- */

static void test_fixture_meminfo(void **state)
{
        ProcRoot *root = *state;
        char buf[4096];
        MemInfo m;
        int fd = openat(root->proc_fd, "meminfo", O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(meminfo_read_fd(fd, buf, sizeof(buf), NULL, &m), 0);
        assert_int_equal(m.total_kb, 24683620);
        assert_int_equal(m.free_kb, 24485528);
        assert_int_equal(m.available_kb, 24419596);
        assert_int_equal(m.swap_total_kb, 0);
        assert_int_equal(m.swap_free_kb, 0);
        /* pread from 0 again: the same answer. */
        memset(&m, 0, sizeof(m));
        assert_int_equal(meminfo_read_fd(fd, buf, sizeof(buf), NULL, &m), 0);
        assert_int_equal(m.total_kb, 24683620);
        close(fd);
}

static void test_fixture_psi(void **state)
{
        ProcRoot *root = *state;
        char buf[256];
        PsiInfo p;
        int fd = openat(root->proc_fd, "pressure/memory", O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(psi_read_fd(fd, buf, sizeof(buf), &p), 0);
        assert_true(p.has_full);
        assert_true(p.some.avg10 == 0.0 && p.some.total_usec == 0);
        assert_true(p.full.avg300 == 0.0 && p.full.total_usec == 0);
        close(fd);
}

/* ---- the fixture: processes ---- */

static void test_fixture_init(void **state)
{
        ProcRoot *root = *state;
        char buf[4096], path[PROC_CGROUP_MAX];
        ProcStat st;
        ProcStatus s;
        ProcRollup r;
        int score = 7, adj = 7;

        assert_int_equal(proc_read_stat(root->proc_fd, FX_INIT, buf, sizeof(buf), &st), 0);
        assert_int_equal(st.pid, 1);
        assert_string_equal(st.comm, "process_api");
        assert_int_equal(st.ppid, 0);
        assert_false(st.flags & PROC_PF_KTHREAD);
        assert_int_equal(st.start_time, 19);
        assert_int_equal(proc_read_status(root->proc_fd, FX_INIT, buf, sizeof(buf), &s), 0);
        assert_true(s.has_vm);
        assert_int_equal(s.uid, 0);
        assert_int_equal(s.rss_kb, 12608);
        /* Not captured: even root got EACCES reading PID 1's smaps_rollup
         * (see CAPTURE), so the fixture has no file: -ENOENT, i.e. skip. */
        assert_int_equal(proc_read_smaps_rollup(root->proc_fd, FX_INIT, buf, sizeof(buf), &r),
                         -ENOENT);
        /* PID 1 is not systemd: name=systemd and v2 are both "/". */
        assert_int_equal(
                proc_read_cgroup(root->proc_fd, FX_INIT, buf, sizeof(buf), path, sizeof(path)),
                -ENODATA);
        assert_int_equal(proc_read_oom_score(root->proc_fd, FX_INIT, &score, &adj), 0);
        assert_int_equal(score, 0);
        assert_int_equal(adj, 0);
        assert_true(proc_read_cmdline(root->proc_fd, FX_INIT, buf, sizeof(buf)) > 0);
        assert_true(strncmp(buf, "/process_api --firecracker-init ", 32) == 0);
}

static void test_fixture_kthreads(void **state)
{
        ProcRoot *root = *state;
        static const struct {
                pid_t pid;
                const char *comm;
                char state;
                pid_t ppid;
        } kt[] = {
                {FX_KTHREADD, "kthreadd", 'S', 0},
                {FX_KWORKER, "kworker/0:0H-events_highpri", 'I', 2},
        };
        char buf[4096], path[PROC_CGROUP_MAX];

        for (size_t i = 0; i < sizeof(kt) / sizeof(kt[0]); i++) {
                ProcStat st;
                ProcStatus s;
                ProcRollup r;
                int score, adj;

                assert_int_equal(proc_read_stat(root->proc_fd, kt[i].pid, buf, sizeof(buf), &st),
                                 0);
                assert_string_equal(st.comm, kt[i].comm);
                assert_int_equal(st.state, kt[i].state);
                assert_int_equal(st.ppid, kt[i].ppid);
                assert_true(st.flags & PROC_PF_KTHREAD);
                assert_int_equal(st.rss_pages, 0);
                assert_int_equal(proc_read_status(root->proc_fd, kt[i].pid, buf, sizeof(buf), &s),
                                 0);
                assert_false(s.has_vm);
                assert_int_equal(s.rss_kb, 0);
                /* The kernel refused the read (ESRCH) during capture. */
                assert_int_equal(
                        proc_read_smaps_rollup(root->proc_fd, kt[i].pid, buf, sizeof(buf), &r),
                        -ENOENT);
                assert_int_equal(proc_read_cmdline(root->proc_fd, kt[i].pid, buf, sizeof(buf)), 0);
                assert_string_equal(buf, "");
                assert_int_equal(proc_read_cgroup(root->proc_fd, kt[i].pid, buf, sizeof(buf), path,
                                                  sizeof(path)),
                                 -ENODATA);
                assert_int_equal(proc_read_oom_score(root->proc_fd, kt[i].pid, &score, &adj), 0);
                assert_int_equal(score, 0);
                assert_int_equal(adj, 0);
        }
}

static void test_fixture_shell(void **state)
{
        ProcRoot *root = *state;
        char buf[4096], path[PROC_CGROUP_MAX];
        ProcStat st;
        ProcStatus s;
        ProcRollup r;
        int score, adj;

        assert_int_equal(proc_read_stat(root->proc_fd, FX_SHELL, buf, sizeof(buf), &st), 0);
        assert_string_equal(st.comm, "capture.sh");
        assert_int_equal(st.state, 'S');
        assert_int_equal(st.rss_pages, 769);
        assert_int_equal(proc_read_status(root->proc_fd, FX_SHELL, buf, sizeof(buf), &s), 0);
        assert_true(s.has_vm);
        assert_int_equal(s.rss_kb, 3260);
        assert_int_equal(s.swap_kb, 0);
        /* Not st.rss_pages * 4 (3076): stat reads the per-CPU RSS counters
         * without summing them, status sums them (see proc.h). */
        assert_int_equal(proc_read_smaps_rollup(root->proc_fd, FX_SHELL, buf, sizeof(buf), &r), 0);
        assert_int_equal(r.rss_kb, 3260);
        assert_int_equal(r.pss_kb, 649);
        assert_int_equal(r.swap_kb, 0);
        assert_int_equal(r.swap_pss_kb, 0);
        assert_int_equal(proc_read_cmdline(root->proc_fd, FX_SHELL, buf, sizeof(buf)), 43);
        assert_string_equal(buf, "/bin/bash tests/fixtures/capture.sh host-v1");
        /* Truncated by the caller's buffer, still NUL-terminated. */
        assert_int_equal(proc_read_cmdline(root->proc_fd, FX_SHELL, buf, 10), 9);
        assert_string_equal(buf, "/bin/bash");
        assert_int_equal(proc_read_cmdline(root->proc_fd, FX_SHELL, buf, 11), 9);
        assert_string_equal(buf, "/bin/bash");
        assert_int_equal(proc_read_cmdline(root->proc_fd, FX_SHELL, buf, 12), 11);
        assert_string_equal(buf, "/bin/bash t");
        /* Only the v1 memory hierarchy names a cgroup here. */
        assert_int_equal(
                proc_read_cgroup(root->proc_fd, FX_SHELL, buf, sizeof(buf), path, sizeof(path)),
                -ENODATA);
        /* oom_score is 0..1333 since 5.9 ((1000 + badness) * 2/3): a small
         * process with adj 0 scores about 666, not about 0. */
        assert_int_equal(proc_read_oom_score(root->proc_fd, FX_SHELL, &score, &adj), 0);
        assert_int_equal(score, 666);
        assert_int_equal(adj, 0);
}

static void test_fixture_zombie(void **state)
{
        ProcRoot *root = *state;
        char buf[4096];
        ProcStat st;
        ProcStatus s;
        ProcRollup r;

        assert_int_equal(proc_read_stat(root->proc_fd, FX_ZOMBIE, buf, sizeof(buf), &st), 0);
        assert_string_equal(st.comm, "sleep");
        assert_int_equal(st.state, 'Z');
        assert_false(st.flags & PROC_PF_KTHREAD);
        assert_int_equal(st.rss_pages, 0);
        assert_int_equal(proc_read_status(root->proc_fd, FX_ZOMBIE, buf, sizeof(buf), &s), 0);
        assert_false(s.has_vm);
        assert_int_equal(proc_read_smaps_rollup(root->proc_fd, FX_ZOMBIE, buf, sizeof(buf), &r),
                         -ENOENT);
        assert_int_equal(proc_read_cmdline(root->proc_fd, FX_ZOMBIE, buf, sizeof(buf)), 0);
}

static void test_fixture_hostile(void **state)
{
        ProcRoot *root = *state;
        char buf[4096];
        ProcStat st;
        ProcStatus s;
        ProcRollup r;

        assert_int_equal(proc_read_stat(root->proc_fd, FX_HOSTILE, buf, sizeof(buf), &st), 0);
        assert_int_equal(st.pid, FX_HOSTILE);
        assert_string_equal(st.comm, "a) Z 1 (x");
        assert_int_equal(st.state, 'S');
        assert_int_equal(st.ppid, FX_SHELL);
        assert_int_equal(st.start_time, 177964);
        assert_int_equal(st.rss_pages, 427);
        assert_int_equal(proc_read_status(root->proc_fd, FX_HOSTILE, buf, sizeof(buf), &s), 0);
        assert_int_equal(s.rss_kb, 1816);
        assert_int_equal(proc_read_smaps_rollup(root->proc_fd, FX_HOSTILE, buf, sizeof(buf), &r),
                         0);
        assert_int_equal(r.pss_kb, 336);
        assert_int_equal(proc_read_cmdline(root->proc_fd, FX_HOSTILE, buf, sizeof(buf)), 18);
        assert_string_equal(buf, "hostile?argv0 60 0");
}

static void assert_all_gone(int proc_fd, pid_t pid, int err)
{
        char buf[4096], path[PROC_CGROUP_MAX];
        ProcStat st;
        ProcStatus s;
        ProcRollup r;
        int score = 7, adj = 7;

        assert_int_equal(proc_read_stat(proc_fd, pid, buf, sizeof(buf), &st), err);
        assert_int_equal(proc_read_status(proc_fd, pid, buf, sizeof(buf), &s), err);
        assert_int_equal(proc_read_smaps_rollup(proc_fd, pid, buf, sizeof(buf), &r), err);
        assert_int_equal(proc_read_cgroup(proc_fd, pid, buf, sizeof(buf), path, sizeof(path)), err);
        assert_int_equal(proc_read_oom_score(proc_fd, pid, &score, &adj), err);
        assert_int_equal(score, 7);
        assert_int_equal(adj, 7);
        assert_int_equal(proc_read_cmdline(proc_fd, pid, buf, sizeof(buf)), err);
}

static void test_fixture_vanished(void **state)
{
        ProcRoot *root = *state;

        /* No PID directory in the fixture: the process is gone. */
        assert_all_gone(root->proc_fd, FX_ABSENT, -ENOENT);
        assert_all_gone(root->proc_fd, 999999, -ENOENT);
        assert_all_gone(root->proc_fd, INT32_MAX, -ENOENT);
        assert_all_gone(root->proc_fd, 0, -EINVAL);
        assert_all_gone(root->proc_fd, -1, -EINVAL);
}

/* ---- the live system ---- */

static void test_live_vanished(void **state)
{
        ProcRoot *root = *state;
        pid_t child = fork();

        assert_true(child >= 0);
        if (child == 0)
                _exit(0);
        assert_int_equal(waitpid(child, NULL, 0), child);
        assert_all_gone(root->proc_fd, child, -ENOENT);
}

static char live_state(int proc_fd, pid_t pid)
{
        char buf[1024];
        ProcStat st;

        if (proc_read_stat(proc_fd, pid, buf, sizeof(buf), &st) < 0)
                return '?';
        return st.state;
}

static void test_live_zombie(void **state)
{
        ProcRoot *root = *state;
        char buf[4096];
        ProcStatus s;
        ProcRollup r;
        pid_t child = fork();

        assert_true(child >= 0);
        if (child == 0)
                _exit(0);
        for (int i = 0; i < 500 && live_state(root->proc_fd, child) != 'Z'; i++)
                nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL);
        assert_int_equal(live_state(root->proc_fd, child), 'Z');

        /* The kernel answers smaps_rollup of a zombie with ESRCH; the reader
         * must not report it as gone while its PID directory exists. */
        assert_int_equal(proc_read_smaps_rollup(root->proc_fd, child, buf, sizeof(buf), &r),
                         -ENODATA);
        assert_int_equal(proc_read_status(root->proc_fd, child, buf, sizeof(buf), &s), 0);
        assert_false(s.has_vm);
        assert_int_equal(proc_read_cmdline(root->proc_fd, child, buf, sizeof(buf)), 0);

        assert_int_equal(waitpid(child, NULL, 0), child);
        assert_int_equal(proc_read_smaps_rollup(root->proc_fd, child, buf, sizeof(buf), &r),
                         -ENOENT);
}

static void test_live_kthread(void **state)
{
        ProcRoot *root = *state;
        char buf[4096];
        ProcStat st;
        ProcStatus s;
        ProcRollup r;

        /* In a PID namespace (a container) PID 2 is an ordinary process or
         * absent: then there is no kernel thread to look at. */
        if (proc_read_stat(root->proc_fd, 2, buf, sizeof(buf), &st) < 0 ||
            !(st.flags & PROC_PF_KTHREAD))
                SKIP("pid 2 is not a kernel thread here (a PID namespace?)");
        assert_int_equal(proc_read_smaps_rollup(root->proc_fd, 2, buf, sizeof(buf), &r), -ENODATA);
        assert_int_equal(proc_read_status(root->proc_fd, 2, buf, sizeof(buf), &s), 0);
        assert_false(s.has_vm);
        assert_int_equal(proc_read_cmdline(root->proc_fd, 2, buf, sizeof(buf)), 0);
}

/* The inode number readdir() gives for DIR/PID, 0 if it is not listed. */
static ino_t listed_ino(const char *dir, pid_t pid)
{
        char name[16];
        ino_t ino = 0;
        DIR *d = opendir(dir);

        if (!d)
                return 0;
        snprintf(name, sizeof(name), "%d", (int)pid);
        for (struct dirent *de; (de = readdir(d));)
                if (strcmp(de->d_name, name) == 0)
                        ino = de->d_ino;
        closedir(d);
        return ino;
}

static pid_t sleeper(void)
{
        pid_t pid = fork();

        if (pid == 0) {
                pause();
                _exit(0);
        }
        return pid;
}

/* In a new PID namespace, with its own procfs at DIR: pid 2 twice (through
 * ns_last_pid). Exit status 0: the two /proc/2 inodes differ; 1: the same;
 * 77: could not set it up. */
static int reuse_in_namespace(const char *dir)
{
        char path[256];
        pid_t a, b;
        ino_t ino_a, ino_b;
        int fd;

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("proc", dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return 77;
        a = sleeper();
        ino_a = listed_ino(dir, a);
        kill(a, SIGKILL);
        waitpid(a, NULL, 0);
        snprintf(path, sizeof(path), "%s/sys/kernel/ns_last_pid", dir);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || dprintf(fd, "%d", (int)a - 1) < 0)
                return 77;
        close(fd);
        b = sleeper();
        ino_b = listed_ino(dir, b);
        kill(b, SIGKILL);
        waitpid(b, NULL, 0);
        umount(dir);
        if (a != b || ino_a == 0 || ino_b == 0)
                return 77;
        return ino_a != ino_b ? 0 : 1;
}

/* What the sampler's kernel thread cache relies on (sample.c): procfs gives
 * a new task's /proc/PID a new inode number even when the pid is reused. */
static void test_live_pid_reuse_new_inode(void **state)
{
        char dir[] = "/tmp/memguard-test-proc.XXXXXX";
        int status;
        pid_t child;

        (void)state;
        assert_non_null(mkdtemp(dir));
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                pid_t init;

                if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0)
                        _exit(77); /* not root, or a sandbox that forbids it */
                init = fork();
                if (init == 0)
                        _exit(reuse_in_namespace(dir));
                if (init < 0 || waitpid(init, &status, 0) < 0 || !WIFEXITED(status))
                        _exit(77);
                _exit(WEXITSTATUS(status));
        }
        assert_int_equal(waitpid(child, &status, 0), child);
        rmdir(dir);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                SKIP("cannot set up a PID namespace with its own procfs (not root, or forbidden)");
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* libproc2's value must lie between ours read before and after it, give or
 * take SLACK_KB: the process allocates between the reads (ASan, cmocka,
 * libproc2 itself), so an absolute tolerance would be either loose or flaky. */
static void assert_bracketed(uint64_t before, uint64_t theirs, uint64_t after, uint64_t slack_kb,
                             const char *what)
{
        uint64_t lo = before < after ? before : after, hi = before < after ? after : before;

        lo = lo > slack_kb ? lo - slack_kb : 0;
        hi += slack_kb;
        if (theirs < lo || theirs > hi)
                fail_msg("%s: ours %" PRIu64 " then %" PRIu64 ", libproc2 %" PRIu64 " in between",
                         what, before, after, theirs);
}

/* libproc2 parses the same files independently: our results for this very
 * process must agree exactly on identity fields, and on sizes up to what
 * changed between the reads. */
static void test_live_libproc2_oracle(void **state)
{
        ProcRoot *root = *state;
        enum pids_item items[] = {
                PIDS_ID_PID,     PIDS_ID_PPID,   PIDS_CMD,     PIDS_STATE,   PIDS_FLAGS,
                PIDS_TICS_BEGAN, PIDS_ID_RUID,   PIDS_VM_RSS,  PIDS_VM_SWAP, PIDS_SMAP_RSS,
                PIDS_SMAP_PSS,   PIDS_SMAP_SWAP, PIDS_MEM_RES,
        };
        enum {
                R_PID,
                R_PPID,
                R_CMD,
                R_STATE,
                R_FLAGS,
                R_BEGAN,
                R_RUID,
                R_VMRSS,
                R_VMSWAP,
                R_SRSS,
                R_SPSS,
                R_SSWAP,
                R_RES
        };
        const uint64_t page_kb = (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
        struct pids_info *info = NULL;
        struct pids_fetch *fetch = NULL;
        struct pids_stack *stack;
        unsigned self = (unsigned)getpid();
        char buf[4096];
        ProcStat st[2];
        ProcStatus s[2];
        ProcRollup r[2];

        assert_int_equal(procps_pids_new(&info, items, (int)(sizeof(items) / sizeof(items[0]))), 0);
        for (int i = 0; i < 2; i++) {
                if (i == 1) {
                        fetch = procps_pids_select(info, &self, 1, PIDS_SELECT_PID);
                        assert_non_null(fetch);
                        assert_int_equal(fetch->counts->total, 1);
                }
                assert_int_equal(
                        proc_read_stat(root->proc_fd, (pid_t)self, buf, sizeof(buf), &st[i]), 0);
                assert_int_equal(
                        proc_read_status(root->proc_fd, (pid_t)self, buf, sizeof(buf), &s[i]), 0);
                assert_int_equal(
                        proc_read_smaps_rollup(root->proc_fd, (pid_t)self, buf, sizeof(buf), &r[i]),
                        0);
        }
        stack = fetch->stacks[0];

        assert_int_equal(st[0].pid, PIDS_VAL(R_PID, s_int, stack, info));
        assert_int_equal(st[0].ppid, PIDS_VAL(R_PPID, s_int, stack, info));
        assert_string_equal(st[0].comm, PIDS_VAL(R_CMD, str, stack, info));
        assert_int_equal(st[0].state, PIDS_VAL(R_STATE, s_ch, stack, info));
        assert_int_equal(st[0].flags, PIDS_VAL(R_FLAGS, ul_int, stack, info));
        assert_true(st[0].start_time == PIDS_VAL(R_BEGAN, ull_int, stack, info));
        assert_int_equal(s[0].uid, PIDS_VAL(R_RUID, u_int, stack, info));
        assert_true(s[0].has_vm);
        assert_bracketed(s[0].rss_kb, PIDS_VAL(R_VMRSS, ul_int, stack, info), s[1].rss_kb, 64,
                         "VmRSS");
        assert_bracketed(s[0].swap_kb, PIDS_VAL(R_VMSWAP, ul_int, stack, info), s[1].swap_kb, 64,
                         "VmSwap");
        assert_bracketed(r[0].rss_kb, PIDS_VAL(R_SRSS, ul_int, stack, info), r[1].rss_kb, 64,
                         "smaps Rss");
        assert_bracketed(r[0].pss_kb, PIDS_VAL(R_SPSS, ul_int, stack, info), r[1].pss_kb, 64,
                         "smaps Pss");
        assert_bracketed(r[0].swap_kb, PIDS_VAL(R_SSWAP, ul_int, stack, info), r[1].swap_kb, 64,
                         "smaps Swap");
        /* libproc2 takes resident from statm (exact); stat's field 24 is
         * the unsummed per-CPU counter: 64 pages per CPU of slack. */
        assert_bracketed(st[0].rss_pages * page_kb, PIDS_VAL(R_RES, ul_int, stack, info),
                         st[1].rss_pages * page_kb,
                         64 * page_kb * (uint64_t)sysconf(_SC_NPROCESSORS_CONF), "stat rss");
        print_message("self: VmRSS %" PRIu64 "/%lu/%" PRIu64 " kB, Pss %" PRIu64 "/%lu/%" PRIu64
                      " kB (ours/libproc2/ours)\n",
                      s[0].rss_kb, PIDS_VAL(R_VMRSS, ul_int, stack, info), s[1].rss_kb, r[0].pss_kb,
                      PIDS_VAL(R_SPSS, ul_int, stack, info), r[1].pss_kb);
        procps_pids_unref(&info);
}

static void test_live_oom_score_self(void **state)
{
        ProcRoot *root = *state;
        int score, adj, fd;

        assert_int_equal(proc_read_oom_score(root->proc_fd, getpid(), &score, &adj), 0);
        assert_true(score >= 0 && score <= 2000);
        assert_true(adj >= -1000 && adj <= 1000);
        /* Raising our own adj needs no privilege and must show up. */
        if (adj < 500) {
                fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
                assert_true(fd >= 0);
                assert_int_equal(write(fd, "500", 3), 3);
                close(fd);
                assert_int_equal(proc_read_oom_score(root->proc_fd, getpid(), &score, &adj), 0);
                assert_int_equal(adj, 500);
        }
}

/* ---- PSI trigger ---- */

static bool have_cap_sys_resource(void)
{
        char line[256];
        unsigned long long eff = 0;
        FILE *f = fopen("/proc/self/status", "re");

        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "CapEff: %llx", &eff) == 1)
                        break;
        fclose(f);
        return eff & (1ULL << 24); /* CAP_SYS_RESOURCE */
}

/* A registered trigger polls quiet; an fd without one polls POLLERR. */
static void assert_trigger_armed(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLPRI};

        assert_true(poll(&p, 1, 0) >= 0);
        assert_false(p.revents & (POLLERR | POLLNVAL));
}

static void test_trigger_2s_window(void **state)
{
        ProcRoot *root = *state;
        int fd = psi_trigger_open(root->proc_fd, 150 * 1000, 2 * 1000 * 1000);

        /* Before 6.5 writers need CAP_SYS_RESOURCE whatever the window;
         * ENOENT: no PSI in this kernel. Those are the kernel refusing. */
        if (fd == -EPERM || fd == -EACCES || fd == -ENOENT)
                SKIP("the kernel refused a PSI trigger: %s", strerror(-fd));
        assert_true(fd >= 0);
        assert_trigger_armed(fd);
        /* One trigger per fd: the kernel says EBUSY to a second. */
        assert_int_equal(write(fd, "some 150000 2000000", 20), -1);
        assert_int_equal(errno, EBUSY);
        close(fd);
}

static void test_trigger_1s_window(void **state)
{
        ProcRoot *root = *state;
        int fd = psi_trigger_open(root->proc_fd, 150 * 1000, 1000 * 1000);

        if (fd == -ENOENT)
                SKIP("no /proc/pressure/memory");
        if (have_cap_sys_resource()) {
                assert_true(fd >= 0);
                assert_trigger_armed(fd);
                close(fd);
        } else {
                /* 6.5+: unprivileged triggers only with 2 s windows (EINVAL);
                 * older kernels refuse the open itself (EPERM/EACCES). */
                print_message("no CAP_SYS_RESOURCE: %s\n", strerror(fd < 0 ? -fd : 0));
                assert_true(fd == -EINVAL || fd == -EPERM || fd == -EACCES);
        }
}

static void test_trigger_invalid(void **state)
{
        ProcRoot *root = *state;

        if (faccessat(root->proc_fd, "pressure/memory", F_OK, 0) < 0)
                SKIP("no /proc/pressure/memory");
        /* Stall longer than the window, zero stall, window over 10 s. */
        assert_int_equal(psi_trigger_open(root->proc_fd, 3 * 1000 * 1000, 2 * 1000 * 1000),
                         -EINVAL);
        assert_int_equal(psi_trigger_open(root->proc_fd, 0, 2 * 1000 * 1000), -EINVAL);
        assert_int_equal(psi_trigger_open(root->proc_fd, 150 * 1000, 12 * 1000 * 1000), -EINVAL);
}

static void test_trigger_fixture(void **state)
{
        (void)state;
        ProcRoot root;
        char before[256], after[256];
        ssize_t n1, n2;

        assert_int_equal(procroot_open(FIXTURE "/proc", NULL, &root), 0);
        n1 = procroot_read_file(root.proc_fd, "pressure/memory", before, sizeof(before));
        assert_true(n1 > 0);
        assert_int_equal(psi_trigger_open(root.proc_fd, 150000, 2000000), -EOPNOTSUPP);
        n2 = procroot_read_file(root.proc_fd, "pressure/memory", after, sizeof(after));
        assert_int_equal(n1, n2);
        assert_memory_equal(before, after, (size_t)n1);
        procroot_close(&root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_procroot_fixture),
                cmocka_unit_test(test_procroot_missing),
                cmocka_unit_test(test_procroot_zeroed),
                cmocka_unit_test(test_procroot_live),
                cmocka_unit_test(test_procroot_controllers),
                cmocka_unit_test(test_controllers_parse),
                cmocka_unit_test(test_whole_predicates),
                cmocka_unit_test(test_read_until_pieces),
                cmocka_unit_test_setup_teardown(test_read_file, fixture_root, close_root),
                cmocka_unit_test_setup_teardown(test_fixture_meminfo, fixture_root, close_root),
                cmocka_unit_test_setup_teardown(test_fixture_psi, fixture_root, close_root),
                cmocka_unit_test_setup_teardown(test_fixture_init, fixture_root, close_root),
                cmocka_unit_test_setup_teardown(test_fixture_kthreads, fixture_root, close_root),
                cmocka_unit_test_setup_teardown(test_fixture_shell, fixture_root, close_root),
                cmocka_unit_test_setup_teardown(test_fixture_zombie, fixture_root, close_root),
                cmocka_unit_test_setup_teardown(test_fixture_hostile, fixture_root, close_root),
                cmocka_unit_test_setup_teardown(test_fixture_vanished, fixture_root, close_root),
                cmocka_unit_test_setup_teardown(test_live_vanished, live_root, close_root),
                cmocka_unit_test_setup_teardown(test_live_zombie, live_root, close_root),
                cmocka_unit_test_setup_teardown(test_live_kthread, live_root, close_root),
                cmocka_unit_test(test_live_pid_reuse_new_inode),
                cmocka_unit_test_setup_teardown(test_live_libproc2_oracle, live_root, close_root),
                cmocka_unit_test_setup_teardown(test_live_oom_score_self, live_root, close_root),
                cmocka_unit_test_setup_teardown(test_trigger_2s_window, live_root, close_root),
                cmocka_unit_test_setup_teardown(test_trigger_1s_window, live_root, close_root),
                cmocka_unit_test_setup_teardown(test_trigger_invalid, live_root, close_root),
                cmocka_unit_test(test_trigger_fixture),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
