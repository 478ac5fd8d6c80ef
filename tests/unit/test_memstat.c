/* test_memstat.c — a unit's memory.stat (read/memstat.h) and the rest of
 * the evidence taken before an action (issue 17): the smaps_rollup split
 * and the count of open descriptors. memory.stat files are in
 * tests/fixtures/memstat (see its CAPTURE: the v1 file is this host's,
 * the v2 ones are written in the kernel's format until the guest
 * captures real ones). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "read/memstat.h"
#include "read/proc.h"
#include "util/log.h"

#define LIT(s) (s), (sizeof(s) - 1)
#define MIB (UINT64_C(1) << 20)

static size_t slurp(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        ssize_t n = read(fd, buf, size);
        assert_true(n >= 0 && (size_t)n < size);
        close(fd);
        return (size_t)n;
}

/* A real one: the guest's 6.1 kernel, a Node.js service just restarted
 * (tests/fixtures/memstat/CAPTURE). "kernel" is read as printed, not
 * summed from its parts (those add to 707336 here). */
static void test_v2_captured(void **state)
{
        (void)state;
        char buf[8192];
        size_t n = slurp(TEST_PATH("fixtures/memstat/guest-6.1-node.stat"), buf, sizeof buf);
        MemStat m;
        assert_int_equal(memstat_parse(buf, n, &m), 0);
        assert_int_equal(m.anon_bytes, 36450304);
        assert_int_equal(m.file_bytes, 0);
        assert_int_equal(m.kernel_bytes, 843776);
        assert_int_equal(m.shmem_bytes, 0);
        assert_int_equal(m.sock_bytes, 0);
}

static void test_v2_kernel(void **state)
{
        (void)state;
        char buf[4096];
        size_t n = slurp(TEST_PATH("fixtures/memstat/v2-kernel.stat"), buf, sizeof buf);
        MemStat m;
        assert_int_equal(memstat_parse(buf, n, &m), 0);
        assert_int_equal(m.anon_bytes, 380 * MIB);
        assert_int_equal(m.file_bytes, 20 * MIB);
        assert_int_equal(m.kernel_bytes, 6 * MIB); /* the "kernel" line, not the sum */
        assert_int_equal(m.shmem_bytes, 1 * MIB);
        assert_int_equal(m.sock_bytes, 2101248);
}

/* Without "kernel": its parts, as far as the kernel prints them. */
static void test_v2_no_kernel(void **state)
{
        (void)state;
        char buf[4096];
        size_t n = slurp(TEST_PATH("fixtures/memstat/v2-no-kernel.stat"), buf, sizeof buf);
        MemStat m;
        assert_int_equal(memstat_parse(buf, n, &m), 0);
        assert_int_equal(m.anon_bytes, 380 * MIB);
        assert_int_equal(m.kernel_bytes, 245760 + 17280 + 4513792);
        assert_int_equal(m.sock_bytes, 2101248);
}

/* This host's v1 memory.stat has no breakdown memguard reads ("rss",
 * "cache"), and is refused rather than read as zeros. */
static void test_v1_refused(void **state)
{
        (void)state;
        char buf[4096];
        size_t n = slurp(TEST_PATH("fixtures/memstat/host-v1.stat"), buf, sizeof buf);
        MemStat m = { .anon_bytes = 7 };
        assert_int_equal(memstat_parse(buf, n, &m), -EBADMSG);
        assert_int_equal(m.anon_bytes, 7);
}

static void test_malformed(void **state)
{
        (void)state;
        MemStat m = { .anon_bytes = 7 };
        static const char *const bad[] = {
                "",
                "\n",
                "anon 1\n",                        /* no file */
                "file 1\n",                        /* no anon */
                "anon 1\nfile 2",                  /* cut by the buffer */
                "anon -1\nfile 2\n",
                "anon 1x\nfile 2\n",
                "anon \nfile 2\n",
                "anon 1\nfile 18446744073709551616\n", /* 2^64 */
                "anon  1\nfile 2\n",               /* two blanks */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                if (memstat_parse(bad[i], strlen(bad[i]), &m) != -EBADMSG)
                        fail_msg("accepted: \"%s\"", bad[i]);
        assert_int_equal(m.anon_bytes, 7);
        /* unknown keys, even odd ones, and a cut unknown last line are fine;
         * a key that only starts like one read here is not it */
        assert_int_equal(memstat_parse(LIT("anon_thp 5\nanon 1\nfile 2\nkernelx 9\nsocks 4\nzz"), &m), 0);
        assert_int_equal(m.anon_bytes, 1);
        assert_int_equal(m.file_bytes, 2);
        assert_int_equal(m.kernel_bytes, 0);
        assert_int_equal(m.sock_bytes, 0);
        assert_int_equal(memstat_parse(LIT("anon 18446744073709551615\nfile 0\n"), &m), 0);
        assert_true(m.anon_bytes == UINT64_MAX);
}

static void test_read(void **state)
{
        (void)state;
        int dir = open(TEST_PATH("fixtures"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dir >= 0);
        char buf[4096];
        MemStat m;
        /* memstat_read takes a unit's cgroup: here the fixture folder */
        assert_int_equal(memstat_read(dir, "/memstat/none", buf, sizeof buf, &m), -ENOENT);
        close(dir);
}

/* Pss_Anon/_File/_Shmem are taken when all three are there (5.12+). */
static void test_rollup_split(void **state)
{
        (void)state;
        ProcRollup r;
        assert_int_equal(proc_smaps_rollup_parse(LIT("0-0 ---p 00000000 00:00 0 [rollup]\n"
                                                     "Rss: 1748 kB\nPss: 254 kB\nPss_Dirty: 112 kB\n"
                                                     "Pss_Anon: 112 kB\nPss_File: 142 kB\n"
                                                     "Pss_Shmem: 3 kB\nAnonymous: 112 kB\n"
                                                     "Swap: 0 kB\n"),
                                                 &r),
                         0);
        assert_true(r.has_pss_split);
        assert_int_equal(r.pss_anon_kb, 112);
        assert_int_equal(r.pss_file_kb, 142);
        assert_int_equal(r.pss_shmem_kb, 3);
        assert_int_equal(r.anonymous_kb, 112);
        assert_int_equal(proc_smaps_rollup_parse(LIT("Rss: 5 kB\nPss: 4 kB\nPss_Anon: 3 kB\n"), &r), 0);
        assert_false(r.has_pss_split);
}

/* Descriptors counted through /proc: this process's, two more after two
 * opens. */
static void test_count_fds(void **state)
{
        (void)state;
        int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(proc >= 0);
        long before = proc_count_fds(proc, getpid());
        assert_true(before >= 4); /* 0, 1, 2, proc, and the fd dir itself */
        int a = open("/dev/null", O_RDONLY | O_CLOEXEC), b = dup(a);
        assert_int_equal(proc_count_fds(proc, getpid()), before + 2);
        close(a);
        close(b);
        assert_int_equal(proc_count_fds(proc, 0), -EINVAL);
        /* a pid that is not there: this test's own reaped child */
        pid_t c = fork();
        if (c == 0)
                _exit(0);
        assert_int_equal(waitpid(c, NULL, 0), c);
        assert_int_equal(proc_count_fds(proc, c), -ENOENT);
        close(proc);
}

/* The clause the journal message carries. */
static void test_clause(void **state)
{
        (void)state;
        char buf[256];
        LogMemory m = { .has_proc = true, .pid = 812, .has_pss_split = true,
                        .pss_anon_kb = 380 * 1024, .pss_file_kb = 12 * 1024,
                        .has_fds = true, .fd_count = 1043, .has_unit = true,
                        .unit_anon_kb = 390 * 1024, .unit_file_kb = 20 * 1024,
                        .unit_kernel_kb = 6 * 1024 };
        snprintf(m.comm, sizeof m.comm, "node");
        assert_string_equal(log_memory_clause(&m, buf, sizeof buf),
                            "node (pid 812): anon 380 MiB, file 12 MiB, 1043 open files; unit anon "
                            "390 MiB, file 20 MiB, kernel 6.0 MiB");
        LogMemory u = { .has_unit = true, .unit_anon_kb = 1024 };
        assert_string_equal(log_memory_clause(&u, buf, sizeof buf),
                            "unit anon 1.0 MiB, file 0.0 MiB, kernel 0.0 MiB");
        LogMemory none = { 0 };
        assert_string_equal(log_memory_clause(&none, buf, sizeof buf), "");
}

/* memory.current: bytes, read as kB. */
static void test_memory_current(void **state)
{
        (void)state;
        uint64_t kb = 7;

        assert_int_equal(memory_current_parse(LIT("104857600\n"), &kb), 0);
        assert_int_equal(kb, 102400);
        assert_int_equal(memory_current_parse(LIT("1023"), &kb), 0);
        assert_int_equal(kb, 0);
        assert_int_equal(memory_current_parse(LIT("18446744073709551615\n"), &kb), 0);
        assert_int_equal(kb, UINT64_MAX / 1024);
        /* never past LEN: "4096" cut to "40" */
        assert_int_equal(memory_current_parse("4096\n", 2, &kb), 0);
        assert_int_equal(kb, 0);
        kb = 7;
        assert_int_equal(memory_current_parse(LIT("18446744073709551616\n"), &kb), -EBADMSG);
        assert_int_equal(memory_current_parse(LIT(""), &kb), -EBADMSG);
        assert_int_equal(memory_current_parse(LIT("\n"), &kb), -EBADMSG);
        assert_int_equal(memory_current_parse(LIT("max\n"), &kb), -EBADMSG);
        assert_int_equal(memory_current_parse(LIT("-"), &kb), -EBADMSG);
        /* the kernel's "N\n" only: strtoull() read "-4096" as 16 EiB
         * less 4 KiB, and let blanks and a tail pass */
        assert_int_equal(memory_current_parse(LIT("-4096\n"), &kb), -EBADMSG);
        assert_int_equal(memory_current_parse(LIT("+4096\n"), &kb), -EBADMSG);
        assert_int_equal(memory_current_parse(LIT(" 4096\n"), &kb), -EBADMSG);
        assert_int_equal(memory_current_parse(LIT("4096 kB\n"), &kb), -EBADMSG);
        assert_int_equal(memory_current_parse(LIT("4096\n\n"), &kb), -EBADMSG);
        assert_int_equal(kb, 7); /* untouched on error */
}

int main(void)
{
        log_open(true);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_v2_captured),  cmocka_unit_test(test_v2_kernel),
                cmocka_unit_test(test_memory_current),
                cmocka_unit_test(test_v2_no_kernel),
                cmocka_unit_test(test_v1_refused),    cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_read),          cmocka_unit_test(test_rollup_split),
                cmocka_unit_test(test_count_fds),     cmocka_unit_test(test_clause),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
