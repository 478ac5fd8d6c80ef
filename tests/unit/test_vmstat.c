/* test_vmstat.c — the oom_kill counter of /proc/vmstat: vmstat_parse_oom_kills()
 * on literal text, vmstat_read_oom_kills() on the fixture tree of this host
 * (tests/fixtures/host-v1), on a proc root without the file, on a file
 * longer than the reader's buffer, and on the live /proc. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "read/vmstat.h"
#include "util/procroot.h"

#define SENTINEL UINT64_C(0xdeadbeef)

static void test_parse(void **state)
{
        (void)state;
        uint64_t v = SENTINEL;

        assert_int_equal(vmstat_parse_oom_kills(LIT("nr_free_pages 1\noom_kill 7\nnr_foo 2\n"), &v), 0);
        assert_int_equal(v, 7);
        /* the last line without its newline */
        assert_int_equal(vmstat_parse_oom_kills(LIT("a 1\noom_kill 18446744073709551615"), &v), 0);
        assert_int_equal(v, UINT64_MAX);
        v = SENTINEL;
        /* absent: a kernel before 4.13, or a name that only starts the same */
        assert_int_equal(vmstat_parse_oom_kills(LIT("nr_free_pages 1\noom_kill_x 5\noom_kill\n"), &v),
                         -ENODATA);
        assert_int_equal(vmstat_parse_oom_kills(LIT(""), &v), -ENODATA);
        assert_int_equal(v, SENTINEL); /* written only on success */
        /* a value that is not one */
        assert_int_equal(vmstat_parse_oom_kills(LIT("oom_kill -1\n"), &v), -EBADMSG);
        assert_int_equal(vmstat_parse_oom_kills(LIT("oom_kill 12 kB\n"), &v), -EBADMSG);
        assert_int_equal(vmstat_parse_oom_kills(LIT("oom_kill 18446744073709551616\n"), &v), -EBADMSG);
        assert_int_equal(v, SENTINEL);
}

/* A unit's memory.events as 6.1 writes it, and on a tree in a directory. */
static void test_memory_events(void **state)
{
        (void)state;
        uint64_t oom = SENTINEL, kill = SENTINEL;

        assert_int_equal(memory_events_parse(LIT("low 0\nhigh 0\nmax 412\noom 3\noom_kill 2\n"
                                                 "oom_group_kill 0\n"),
                                             &oom, &kill),
                         0);
        assert_int_equal(oom, 3);
        assert_int_equal(kill, 2);
        oom = kill = SENTINEL;
        assert_int_equal(memory_events_parse(LIT("low 0\nhigh 0\nmax 0\noom 1\n"), &oom, &kill), -ENODATA);
        assert_int_equal(memory_events_parse(LIT("oom x\noom_kill 1\n"), &oom, &kill), -EBADMSG);
        assert_int_equal(oom, SENTINEL);

        char dir[] = "/tmp/mg-events.XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[128];
        snprintf(path, sizeof path, "%s/a.service", dir);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof path, "%s/a.service/memory.events", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n", f);
        fclose(f);
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(memory_events_read(fd, "/a.service", &oom, &kill), 0);
        assert_int_equal(kill, 1);
        assert_int_equal(memory_events_read(fd, "/gone.service", &oom, &kill), -ENOENT);
        close(fd);
        unlink(path);
        snprintf(path, sizeof path, "%s/a.service", dir);
        rmdir(path);
        rmdir(dir);
}

static void test_fixture(void **state)
{
        (void)state;
        ProcRoot root;
        uint64_t v = SENTINEL;

        assert_int_equal(procroot_open(TEST_PATH("fixtures/host-v1/proc"), TEST_PATH("fixtures/host-v1/no-cgroup"),
                                       &root), 0);
        assert_int_equal(vmstat_read_oom_kills(root.proc_fd, &v), 0);
        assert_int_equal(v, 0); /* as captured */
        procroot_close(&root);

        /* a proc root without the file: the metric is left out */
        assert_int_equal(procroot_open(TEST_PATH("fixtures/growth"), NULL, &root), 0);
        assert_int_equal(vmstat_read_oom_kills(root.proc_fd, &v), -ENOENT);
        procroot_close(&root);
}

/* A file several times the reader's buffer, the counter near its end and
 * a line cut by every chunk boundary somewhere: whole lines are parsed. */
static void test_long_file(void **state)
{
        (void)state;
        char dir[] = "/tmp/memguard-vmstat.XXXXXX", path[64];
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/vmstat", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (int i = 0; i < 1500; i++)
                fprintf(f, "nr_counter_%d %d\n", i, i * 7919);
        fprintf(f, "oom_kill 42\nnr_last 1\n");
        assert_int_equal(fclose(f), 0);

        int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        uint64_t v = SENTINEL;
        assert_true(fd >= 0);
        assert_int_equal(vmstat_read_oom_kills(fd, &v), 0);
        assert_int_equal(v, 42);

        /* and without it */
        f = fopen(path, "w");
        assert_non_null(f);
        for (int i = 0; i < 1500; i++)
                fprintf(f, "nr_counter_%d %d\n", i, i);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(vmstat_read_oom_kills(fd, &v), -ENODATA);
        assert_int_equal(v, 42);
        close(fd);
        unlink(path);
        rmdir(dir);
}

static void test_live(void **state)
{
        (void)state;
        uint64_t v = SENTINEL;
        int fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        int r = vmstat_read_oom_kills(fd, &v);
        close(fd);
        if (r == -ENODATA)
                SKIP("this kernel's /proc/vmstat has no oom_kill (before Linux 4.13)");
        assert_int_equal(r, 0);
        assert_true(v != SENTINEL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_memory_events),
                cmocka_unit_test(test_fixture),
                cmocka_unit_test(test_long_file),
                cmocka_unit_test(test_live),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
