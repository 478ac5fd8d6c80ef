/* test_proc.c — the per-process parsers on literal text: real lines from
 * this host, and the hostile, truncated and malformed ones. The *_read()
 * functions are tested in test_readers.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

#include "read/proc.h"

/* Real /proc/PID/stat lines captured on this host (6.18). */
#define STAT_INIT                                                                                  \
        "1 (process_api) S 0 0 0 0 -1 4194560 37020 362825 0 220 117 395 1114 818 10 -10 13 0 19 " \
        "43085824 3110 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 0 0 0 0 0 0 0 0 0 0 " \
        "0 0 0 0\n"
#define STAT_KWORKER                                                                               \
        "10 (kworker/0:0H-events_highpri) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 19 0 0 " \
        "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
#define STAT_HOSTILE                                                                               \
        "5338 (a) Z 1 (x) S 5326 5322 2439 0 -1 4194304 125 0 0 0 0 0 0 0 20 0 1 0 177964 "        \
        "2990080 427 "                                                                             \
        "18446744073709551615 94071404400640 94071404418569 140729099189200 0 0 0 0 0 0 1 0 0 17 " \
        "0 0 0 0 "                                                                                 \
        "0 0 94071404432656 94071404433920 94072362016768 140729099196846 140729099196865 "        \
        "140729099196865 140729099198426 0\n"
/* Fields 3.. after the comm, for building hostile lines around any comm. */
#define STAT_TAIL                                                                                  \
        " S 45 45 45 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 0 777 1000 55 18446744073709551615 1 1 "  \
        "0\n"

/* Every parse goes through an exact-size heap copy: ASan reports any read
 * past LEN, which a string literal's NUL would hide. */
static char *dup_exact(const char *s, size_t len)
{
        char *p = malloc(len ? len : 1);

        assert_non_null(p);
        memcpy(p, s, len);
        return p;
}

static int stat_parse(const char *s, size_t len, ProcStat *ret)
{
        char *p = dup_exact(s, len);
        int r = proc_stat_parse(p, len, ret);

        free(p);
        return r;
}

static int status_parse(const char *s, size_t len, ProcStatus *ret)
{
        char *p = dup_exact(s, len);
        int r = proc_status_parse(p, len, ret);

        free(p);
        return r;
}

static int rollup_parse(const char *s, size_t len, ProcRollup *ret)
{
        char *p = dup_exact(s, len);
        int r = proc_smaps_rollup_parse(p, len, ret);

        free(p);
        return r;
}

static int cgroup_parse(const char *s, size_t len, char *ret, size_t size)
{
        char *p = dup_exact(s, len);
        int r = proc_cgroup_parse(p, len, ret, size);

        free(p);
        return r;
}

static int int_parse(const char *s, size_t len, int *ret)
{
        char *p = dup_exact(s, len);
        int r = proc_int_parse(p, len, ret);

        free(p);
        return r;
}

/* ---- stat ---- */

static void test_stat_init(void **state)
{
        (void)state;
        ProcStat st;

        assert_int_equal(stat_parse(LIT(STAT_INIT), &st), 0);
        assert_int_equal(st.pid, 1);
        assert_string_equal(st.comm, "process_api");
        assert_int_equal(st.state, 'S');
        assert_int_equal(st.ppid, 0);
        assert_int_equal(st.flags, 4194560);
        assert_false(st.flags & PROC_PF_KTHREAD);
        assert_int_equal(st.start_time, 19);
        assert_int_equal(st.rss_pages, 3110);
}

static void test_stat_kthread_long_comm(void **state)
{
        (void)state;
        ProcStat st;

        /* A 6.x workqueue worker: comm past TASK_COMM_LEN, nice -20, idle. */
        assert_int_equal(stat_parse(LIT(STAT_KWORKER), &st), 0);
        assert_string_equal(st.comm, "kworker/0:0H-events_highpri");
        assert_int_equal(st.state, 'I');
        assert_int_equal(st.ppid, 2);
        assert_true(st.flags & PROC_PF_KTHREAD);
        assert_int_equal(st.rss_pages, 0);
}

static void test_stat_hostile_captured(void **state)
{
        (void)state;
        ProcStat st;

        /* A real process whose executable is named "a) Z 1 (x". */
        assert_int_equal(stat_parse(LIT(STAT_HOSTILE), &st), 0);
        assert_int_equal(st.pid, 5338);
        assert_string_equal(st.comm, "a) Z 1 (x");
        assert_int_equal(st.state, 'S');
        assert_int_equal(st.ppid, 5326);
        assert_int_equal(st.start_time, 177964);
        assert_int_equal(st.rss_pages, 427);
}

static void test_stat_hostile_comms(void **state)
{
        (void)state;
        static const struct {
                const char *line, *comm;
        } cases[] = {
                {"123 (a) Z 1)" STAT_TAIL, "a) Z 1"},
                {"123 ((()" STAT_TAIL, "(("},
                {"123 (((()" STAT_TAIL, "((("},
                {"123 ())" STAT_TAIL, ")"},
                {"123 ()" STAT_TAIL, ""},
                {"123 ( )" STAT_TAIL, " "},
                {"123 (x) S 1 2 3)" STAT_TAIL, "x) S 1 2 3"},
                {"123 (new\nline)" STAT_TAIL, "new\nline"},
                {"123 ())))))))))))))" STAT_TAIL, ")))))))))))))"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ProcStat st;

                assert_int_equal(stat_parse(cases[i].line, strlen(cases[i].line), &st), 0);
                assert_int_equal(st.pid, 123);
                assert_string_equal(st.comm, cases[i].comm);
                assert_int_equal(st.state, 'S');
                assert_int_equal(st.ppid, 45);
                assert_int_equal(st.flags, 4194304);
                assert_int_equal(st.start_time, 777);
                assert_int_equal(st.rss_pages, 55);
        }
}

static void test_stat_comm_too_long(void **state)
{
        (void)state;
        char line[512], comm[200];
        ProcStat st;

        memset(comm, 'c', 150);
        comm[150] = '\0';
        snprintf(line, sizeof(line), "9 (%s)" STAT_TAIL, comm);
        assert_int_equal(stat_parse(line, strlen(line), &st), 0);
        assert_int_equal(strlen(st.comm), PROC_COMM_MAX - 1);
        assert_int_equal(st.rss_pages, 55);

        comm[PROC_COMM_MAX - 1] = '\0';
        snprintf(line, sizeof(line), "9 (%s)" STAT_TAIL, comm);
        assert_int_equal(stat_parse(line, strlen(line), &st), 0);
        assert_string_equal(st.comm, comm);
}

static void test_stat_truncated(void **state)
{
        (void)state;
        static const char text[] = STAT_HOSTILE;
        /* Field 24 (rss) is "427", followed by the separator at CUT. */
        const char *rss = strstr(text, " 427 ");
        size_t cut = (size_t)(rss - text) + 4;
        ProcStat st, keep;

        memset(&st, 0x5a, sizeof(st));
        keep = st;
        for (size_t len = 0; len <= cut; len++)
                assert_int_equal(stat_parse(text, len, &st), -EBADMSG);
        assert_memory_equal(&st, &keep, sizeof(st));
        /* Cut just after the separator: all we need is there. */
        assert_int_equal(stat_parse(text, cut + 1, &st), 0);
        assert_int_equal(st.rss_pages, 427);
}

static void test_stat_truncated_inside_comm(void **state)
{
        (void)state;
        /* Cut inside a hostile comm: the last ')' in the buffer is the
         * comm's own, and what follows it is too short to be a stat line. */
        ProcStat st;

        assert_int_equal(stat_parse(LIT("123 (a) Z 1"), &st), -EBADMSG);
        assert_int_equal(
                stat_parse(LIT("123 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"),
                           &st),
                -EBADMSG);
}

static void test_stat_overflow(void **state)
{
        (void)state;
        ProcStat st;

        assert_int_equal(stat_parse(LIT("9 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
                                        "18446744073709551616 0 5 0\n"),
                                    &st),
                         -EBADMSG);
        assert_int_equal(stat_parse(LIT("9 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 "
                                        "18446744073709551616 0\n"),
                                    &st),
                         -EBADMSG);
        assert_int_equal(
                stat_parse(LIT("9 (x) S 2147483648 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 5 0\n"),
                           &st),
                -EBADMSG);
        assert_int_equal(
                stat_parse(LIT("9 (x) S 1 1 1 0 -1 4294967296 0 0 0 0 0 0 0 0 20 0 1 0 1 0 5 0\n"),
                           &st),
                -EBADMSG);
        assert_int_equal(
                stat_parse(LIT("2147483648 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 5 0\n"),
                           &st),
                -EBADMSG);
        /* The largest values that fit. */
        assert_int_equal(stat_parse(LIT("2147483647 (x) S 2147483647 1 1 0 -1 4294967295 0 0 0 0 0 "
                                        "0 0 0 20 0 1 0 "
                                        "18446744073709551615 0 18446744073709551615 0\n"),
                                    &st),
                         0);
        assert_int_equal(st.pid, 2147483647);
        assert_int_equal(st.ppid, 2147483647);
        assert_true(st.flags == 4294967295u);
        assert_true(st.start_time == UINT64_MAX);
        assert_true(st.rss_pages == UINT64_MAX);
}

static void test_stat_malformed(void **state)
{
        (void)state;
        static const char *const bad[] = {
                "",
                "\n",
                "123",
                "123 ",
                "123 (",
                "123 (x",
                "123 (x)",
                "123 (x) ",
                "(x)" STAT_TAIL,
                "0 (x)" STAT_TAIL,
                "-1 (x)" STAT_TAIL,
                "123(x)" STAT_TAIL,
                "123  (x)" STAT_TAIL,
                "123 x)" STAT_TAIL,
                "123 (x)S 45 45 45 0 -1 0 1 0 0 0 0 0 0 0 20 0 1 0 777 1000 55 0\n",
                "123 (x)  S 45 45 45 0 -1 0 1 0 0 0 0 0 0 0 20 0 1 0 777 1000 55 0\n",
                "123 (x) S  45 45 45 0 -1 0 1 0 0 0 0 0 0 0 20 0 1 0 777 1000 55 0\n",
                "123 (x) S -45 45 45 0 -1 0 1 0 0 0 0 0 0 0 20 0 1 0 777 1000 55 0\n",
                "123 (x) S 45 45 45 0 -1 0x10 1 0 0 0 0 0 0 0 20 0 1 0 777 1000 55 0\n",
                "123 (x) S 45 45 45 0 -1 0 1 0 0 0 0 0 0 0 20 0 1 0 -777 1000 55 0\n",
                "123 (x) S 45 45 45 0 -1 0 1 0 0 0 0 0 0 0 20 0 1 0 777 1000 5a5 0\n",
                "123 (x) S 45 45 45 0 -1 0 1 0 0 0 0 0 0 0 20 0 1 0 777 1000 55\t0\n",
                /* 23 fields: one missing before rss */
                "123 (x) S 45 45 45 0 -1 0 1 0 0 0 0 0 0 0 20 0 1 777 1000 55\n",
                /* 24 fields and then nothing: rss may be cut */
                "123 (x) S 45 45 45 0 -1 0 1 0 0 0 0 0 0 0 20 0 1 0 777 1000 55",
        };
        ProcStat st;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (stat_parse(bad[i], strlen(bad[i]), &st) != -EBADMSG)
                        fail_msg("accepted: \"%s\"", bad[i]);
}

/* ---- status ---- */

#define STATUS_HEAD(name)                                                                          \
        "Name:\t" name "\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t5338\nNgid:\t0\nPid:\t5338\n" \
        "PPid:\t5326\nTracerPid:\t0\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\nFDSize:"      \
        "\t64\n"                                                                                   \
        "Groups:\t \nNStgid:\t5338\nNSpid:\t5338\nNSpgid:\t5322\nNSsid:\t2439\nKthread:\t0\n"
#define STATUS_VM                                                                                  \
        "VmPeak:\t    2920 kB\nVmSize:\t    2920 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n"   \
        "VmHWM:\t    1816 kB\nVmRSS:\t    1816 kB\nRssAnon:\t     108 kB\nRssFile:\t    1708 kB\n" \
        "RssShmem:\t       0 kB\nVmData:\t     360 kB\nVmStk:\t     132 kB\nVmExe:\t      20 kB\n" \
        "VmLib:\t    1528 kB\nVmPTE:\t      44 kB\nVmSwap:\t     256 kB\nHugetlbPages:\t       0 " \
        "kB\n"
#define STATUS_TAIL "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t1\nSigQ:\t0/96365\n"

static void test_status_process(void **state)
{
        (void)state;
        ProcStatus s;

        assert_int_equal(status_parse(LIT(STATUS_HEAD("a) Z 1 (x") STATUS_VM STATUS_TAIL), &s), 0);
        assert_int_equal(s.uid, 1000);
        assert_true(s.has_vm);
        assert_int_equal(s.rss_kb, 1816);
        assert_int_equal(s.swap_kb, 256);
}

static void test_status_kthread_and_zombie(void **state)
{
        (void)state;
        ProcStatus s;

        /* Kernel threads and zombies have no Vm* lines at all. */
        assert_int_equal(status_parse(LIT(STATUS_HEAD("kthreadd") STATUS_TAIL), &s), 0);
        assert_false(s.has_vm);
        assert_int_equal(s.rss_kb, 0);
        assert_int_equal(s.swap_kb, 0);
        assert_int_equal(s.uid, 1000);
}

static void test_status_hostile_name(void **state)
{
        (void)state;
        ProcStatus s;

        /* The kernel escapes '\n' in Name as the two characters "\n", so a
         * name cannot start a forged line; the look-alike stays in Name. */
        assert_int_equal(status_parse(LIT("Name:\tx\\nUid:\t0\t0\t0\t0\\nVmRSS:\t1 kB\n"
                                          "Uid:\t42\t42\t42\t42\nVmRSS:\t    7 kB\n"),
                                      &s),
                         0);
        assert_int_equal(s.uid, 42);
        assert_int_equal(s.rss_kb, 7);
        assert_int_equal(status_parse(LIT("Name:\tVmRSS:\t9 kB\nUid:\t5\t5\t5\t5\n"), &s), 0);
        assert_false(s.has_vm);
}

static void test_status_required(void **state)
{
        (void)state;
        ProcStatus s;

        memset(&s, 0x5a, sizeof(s));
        assert_int_equal(status_parse("", 0, &s), -EBADMSG);
        assert_int_equal(status_parse(LIT("Name:\tx\nVmRSS:\t1 kB\n"), &s), -EBADMSG);
        assert_int_equal(status_parse(LIT("Uid:\t0\t0\t0\t0\nVmRSS:\t1 kB\n"), &s), -EBADMSG);
        assert_int_equal(status_parse(LIT("Names:\tx\nUid:\t0\t0\t0\t0\n"), &s), -EBADMSG);
        assert_int_equal(s.uid, 0x5a5a5a5a);
}

static void test_status_truncated(void **state)
{
        (void)state;
        static const char text[] = STATUS_HEAD("sleep") STATUS_VM STATUS_TAIL;
        const char *vmrss = strstr(text, "VmRSS:");
        const char *uid = strstr(text, "Uid:");
        ProcStatus s;

        /* Cut inside Uid's line (before its first separator) or earlier. */
        for (size_t len = 0; len < (size_t)(uid - text) + 9; len++)
                assert_int_equal(status_parse(text, len, &s), -EBADMSG);
        /* Cut inside the VmRSS value: a partial number is malformed. */
        for (size_t len = (size_t)(vmrss - text) + 6; len < (size_t)(vmrss - text) + 18; len++)
                assert_int_equal(status_parse(text, len, &s), -EBADMSG);
        /* Cut right before VmRSS: indistinguishable from a kernel thread,
         * which is why readers hand in a buffer twice the file's size. */
        assert_int_equal(status_parse(text, (size_t)(vmrss - text), &s), 0);
        assert_false(s.has_vm);
}

static void test_status_malformed(void **state)
{
        (void)state;
        static const char *const bad[] = {
                "Name:\tx\nUid:\t\n",
                "Name:\tx\nUid:\t-1\t0\t0\t0\n",
                "Name:\tx\nUid:\t4294967296\t0\t0\t0\n",
                "Name:\tx\nUid:\t99999999999999999999\t0\t0\t0\n",
                "Name:\tx\nUid:\t1000",
                "Name:\tx\nUid:\tabc\t0\t0\t0\n",
                "Name:\tx\nUid:\t0\t0\t0\t0\nVmRSS:\t    12\n",
                "Name:\tx\nUid:\t0\t0\t0\t0\nVmRSS:\t    12 MB\n",
                "Name:\tx\nUid:\t0\t0\t0\t0\nVmRSS:\t    18446744073709551616 kB\n",
                "Name:\tx\nUid:\t0\t0\t0\t0\nVmRSS:\t    1 kB\nVmSwap:\t-1 kB\n",
        };
        ProcStatus s;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (status_parse(bad[i], strlen(bad[i]), &s) != -EBADMSG)
                        fail_msg("accepted: \"%s\"", bad[i]);
        assert_int_equal(status_parse(LIT("Name:\tx\nUid:\t4294967295\t0\t0\t0\n"), &s), 0);
        assert_true(s.uid == 4294967295u);
}

/* ---- smaps_rollup ---- */

#define ROLLUP                                                                                     \
        "5627d049d000-7ffc8cb56000 ---p 00000000 00:00 0                          [rollup]\n"      \
        "Rss:                1732 kB\nPss:                 451 kB\nPss_Dirty:           116 kB\n"  \
        "Pss_Anon:            116 kB\nPss_File:            335 kB\nPss_Shmem:             0 kB\n"  \
        "Shared_Clean:       1552 kB\nShared_Dirty:          0 kB\nPrivate_Clean:        64 kB\n"  \
        "Private_Dirty:       116 kB\nReferenced:         1732 kB\nAnonymous:           116 kB\n"  \
        "KSM:                   0 kB\nLazyFree:              0 kB\nAnonHugePages:         0 kB\n"  \
        "ShmemPmdMapped:        0 kB\nFilePmdMapped:         0 kB\nShared_Hugetlb:        0 kB\n"  \
        "Private_Hugetlb:       0 kB\nSwap:                 12 kB\nSwapPss:                6 kB\n" \
        "Locked:                0 kB\n"

static void test_rollup(void **state)
{
        (void)state;
        ProcRollup r;

        assert_int_equal(rollup_parse(LIT(ROLLUP), &r), 0);
        assert_int_equal(r.rss_kb, 1732);
        assert_int_equal(r.pss_kb, 451);
        assert_int_equal(r.swap_kb, 12);
        assert_int_equal(r.swap_pss_kb, 6);
}

static void test_rollup_empty(void **state)
{
        (void)state;
        ProcRollup r = { .rss_kb = 1, .pss_kb = 2, .swap_kb = 3, .swap_pss_kb = 4 };

        assert_int_equal(rollup_parse("", 0, &r), -ENODATA);
        assert_int_equal(r.pss_kb, 2);
}

static void test_rollup_missing_pss(void **state)
{
        (void)state;
        ProcRollup r = { .rss_kb = 1, .pss_kb = 2, .swap_kb = 3, .swap_pss_kb = 4 };

        /* Pss_* must not be taken for Pss. */
        assert_int_equal(
                rollup_parse(LIT("0-0 ---p 00000000 00:00 0 [rollup]\nRss: 5 kB\nPss_Anon: 3 kB\n"
                                 "Pss_File: 2 kB\nSwapPss: 1 kB\n"),
                             &r),
                -EBADMSG);
        assert_int_equal(
                rollup_parse(LIT("5627d049d000-7ffc8cb56000 ---p 00000000 00:00 0 [rollup]\n"), &r),
                -EBADMSG);
        assert_int_equal(rollup_parse(LIT("\n"), &r), -EBADMSG);
        assert_int_equal(r.pss_kb, 2);
}

static void test_rollup_only_pss(void **state)
{
        (void)state;
        ProcRollup r = { .rss_kb = 1, .pss_kb = 2, .swap_kb = 3, .swap_pss_kb = 4 };

        assert_int_equal(rollup_parse(LIT("Pss: 9 kB"), &r), 0);
        assert_int_equal(r.pss_kb, 9);
        assert_int_equal(r.rss_kb, 0);
        assert_int_equal(r.swap_kb, 0);
        assert_int_equal(r.swap_pss_kb, 0);
}

static void test_rollup_truncated(void **state)
{
        (void)state;
        static const char text[] = ROLLUP;
        const char *pss = strstr(text, "\nPss:") + 1;
        ProcRollup r;

        for (size_t len = 1; len < (size_t)(pss - text) + 27; len++)
                assert_int_equal(rollup_parse(text, len, &r), -EBADMSG);
        assert_int_equal(rollup_parse(text, (size_t)(pss - text) + 27, &r), 0);
        assert_int_equal(r.pss_kb, 451);
}

static void test_rollup_malformed(void **state)
{
        (void)state;
        ProcRollup r;

        assert_int_equal(rollup_parse(LIT("Pss: 18446744073709551616 kB\n"), &r), -EBADMSG);
        assert_int_equal(rollup_parse(LIT("Pss: 1 kB\nSwap: x kB\n"), &r), -EBADMSG);
        assert_int_equal(rollup_parse(LIT("Pss: 1 kB\nRss: 1 kB kB\n"), &r), -EBADMSG);
        assert_int_equal(rollup_parse(LIT("Pss: -1 kB\n"), &r), -EBADMSG);
}

/* ---- cgroup ---- */

static void test_cgroup_host_v1(void **state)
{
        (void)state;
        char path[PROC_CGROUP_MAX] = "untouched";

        /* This host: v1 hybrid, no systemd, so every unit-naming line is
         * "/"; the v1 memory line names a cgroup that is not a unit's. */
        assert_int_equal(
                cgroup_parse(
                        LIT("9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
                            "4:memory:/process_api/b5200af9571112962e64c6c08b61f5a2\n3:cpuset:/\n"
                            "2:cpuacct:/\n1:cpu:/\n0::/\n"),
                        path, sizeof(path)),
                -ENODATA);
        assert_string_equal(path, "untouched");
}

static void test_cgroup_hybrid_systemd(void **state)
{
        (void)state;
        char path[PROC_CGROUP_MAX];

        /* systemd in hybrid mode mirrors its tree into the v2 hierarchy. */
        assert_int_equal(cgroup_parse(LIT("12:memory:/system.slice/nginx.service\n"
                                          "1:name=systemd:/system.slice/nginx.service\n"
                                          "0::/system.slice/nginx.service\n"),
                                      path, sizeof(path)),
                         0);
        assert_string_equal(path, "/system.slice/nginx.service");
        /* Without the mirror, the name=systemd hierarchy names the unit. */
        assert_int_equal(cgroup_parse(LIT("12:memory:/system.slice/redis.service\n"
                                          "11:cpu,cpuacct:/system.slice/redis.service\n"
                                          "1:name=systemd:/system.slice/redis.service\n0::/\n"),
                                      path, sizeof(path)),
                         0);
        assert_string_equal(path, "/system.slice/redis.service");
}

static void test_cgroup_v1_legacy(void **state)
{
        (void)state;
        char path[PROC_CGROUP_MAX];

        assert_int_equal(cgroup_parse(LIT("3:memory:/system.slice/a.service\n1:name=systemd:/"
                                          "system.slice/a.service\n"),
                                      path, sizeof(path)),
                         0);
        assert_string_equal(path, "/system.slice/a.service");
        /* Co-mounted with another controller. */
        assert_int_equal(cgroup_parse(LIT("2:cpu,name=systemd:/init.scope\n"), path, sizeof(path)),
                         0);
        assert_string_equal(path, "/init.scope");
        /* name=systemd as a prefix of another name is not it. */
        assert_int_equal(cgroup_parse(LIT("2:name=systemdx:/a.service\n"), path, sizeof(path)),
                         -ENODATA);
}

static void test_cgroup_v2(void **state)
{
        (void)state;
        char path[PROC_CGROUP_MAX];

        assert_int_equal(cgroup_parse(LIT("0::/user.slice/user-1000.slice/user@1000.service/"
                                          "app.slice/x.service\n"),
                                      path, sizeof(path)),
                         0);
        assert_string_equal(path,
                            "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service");
        assert_int_equal(cgroup_parse(LIT("0::/init.scope\n"), path, sizeof(path)), 0);
        assert_string_equal(path, "/init.scope");
        assert_int_equal(cgroup_parse(LIT("0::/\n"), path, sizeof(path)), -ENODATA);
        /* The path is the rest of the line, colons included. */
        assert_int_equal(cgroup_parse(LIT("0::/system.slice/a:b.service\n"), path, sizeof(path)),
                         0);
        assert_string_equal(path, "/system.slice/a:b.service");
        /* A removed cgroup still holding a zombie. */
        assert_int_equal(
                cgroup_parse(LIT("0::/system.slice/gone.service (deleted)\n"), path, sizeof(path)),
                0);
        assert_string_equal(path, "/system.slice/gone.service");
}

static void test_cgroup_sizes(void **state)
{
        (void)state;
        char path[PROC_CGROUP_MAX] = "untouched";

        /* "/a.service" is 10 bytes and needs 11 with its NUL. */
        assert_int_equal(cgroup_parse(LIT("0::/a.service\n"), path, 1), -ENAMETOOLONG);
        assert_int_equal(cgroup_parse(LIT("0::/a.service\n"), path, 10), -ENAMETOOLONG);
        assert_string_equal(path, "untouched");
        assert_int_equal(cgroup_parse(LIT("0::/a.service\n"), path, 11), 0);
        assert_string_equal(path, "/a.service");
}

static void test_cgroup_malformed(void **state)
{
        (void)state;
        static const char *const bad[] = {
                "garbage\n",
                "0:\n",
                "0::\n",
                "0::relative.service\n",
                "1:name=systemd:\n",
                "1:name=systemd:x\n",
                /* the last line cut by the buffer */
                "0::/system.slice/ngi",
                "1:name=systemd:/\n0::/system.slice/ngi",
                "1:name=systemd:/x.service\n0",
        };
        char path[PROC_CGROUP_MAX] = "untouched";

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (cgroup_parse(bad[i], strlen(bad[i]), path, sizeof(path)) != -EBADMSG)
                        fail_msg("accepted: \"%s\"", bad[i]);
        assert_string_equal(path, "untouched");
        assert_int_equal(cgroup_parse("", 0, path, sizeof(path)), -ENODATA);

        /* A NUL in the path taken: it was copied whole and read as "/"
         * (found by fuzz_proc_cgroup); one in a line not taken is fine. */
        static const char nul_v1[] = "1:name=systemd:/\0system.slice/x.service\n";
        static const char nul_v2[] = "0::/system.slice/x\0.service\n";
        static const char nul_other[] = "2:pids:/\0\n0::/system.slice/x.service\n";
        assert_int_equal(cgroup_parse(nul_v1, sizeof nul_v1 - 1, path, sizeof(path)), -EBADMSG);
        assert_int_equal(cgroup_parse(nul_v2, sizeof nul_v2 - 1, path, sizeof(path)), -EBADMSG);
        assert_string_equal(path, "untouched");
        assert_int_equal(cgroup_parse(nul_other, sizeof nul_other - 1, path, sizeof(path)), 0);
        assert_string_equal(path, "/system.slice/x.service");
}

/* ---- cgroup path → unit ---- */

static void test_unit(void **state)
{
        (void)state;
        /* path, unit, owner ("" for the system's), the unit's own cgroup */
        static const struct {
                const char *path, *unit, *owner, *cgroup;
        } cases[] = {
                {"/system.slice/api.service", "api.service", "", "/system.slice/api.service"},
                {"/system.slice/api.service/worker", "api.service", "", "/system.slice/api.service"},
                {"/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", "",
                 "/system.slice/system-getty.slice/getty@tty1.service"},
                /* a user's units: same names as the system's, another owner */
                {"/user.slice/user-1000.slice/user@1000.service/app.slice/api.service", "api.service",
                 "user@1000.service", "/user.slice/user-1000.slice/user@1000.service/app.slice/api.service"},
                {"/user.slice/user-1000.slice/user@1000.service/app.slice/api.service/sub",
                 "api.service", "user@1000.service",
                 "/user.slice/user-1000.slice/user@1000.service/app.slice/api.service"},
                {"/user.slice/user-1000.slice/user@1000.service/app.slice/"
                 "app-gnome-firefox-1234.scope",
                 "app-gnome-firefox-1234.scope", "user@1000.service",
                 "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1234.scope"},
                /* user@'s own manager process: init.scope sits under a unit */
                {"/user.slice/user-1000.slice/user@1000.service/init.scope", "user@1000.service", "",
                 "/user.slice/user-1000.slice/user@1000.service"},
                {"/user.slice/user-1000.slice/session-3.scope", "session-3.scope", "",
                 "/user.slice/user-1000.slice/session-3.scope"},
                {"/init.scope", "init.scope", "", "/init.scope"},
                {"/top.service", "top.service", "", "/top.service"},
                {"/system.slice/dev-hugepages.mount", "dev-hugepages.mount", "",
                 "/system.slice/dev-hugepages.mount"},
                {"/system.slice/dbus.socket", "dbus.socket", "", "/system.slice/dbus.socket"},
                {"/system.slice/dev-zram0.swap", "dev-zram0.swap", "", "/system.slice/dev-zram0.swap"},
                /* a delegated subtree's inner names are not system units */
                {"/system.slice/docker.service/inner.service", "docker.service", "",
                 "/system.slice/docker.service"},
                {"/machine.slice/libpod-abc.scope/container/x.service", "libpod-abc.scope", "",
                 "/machine.slice/libpod-abc.scope"},
                /* a container's own manager: its units are its, not ours */
                {"/machine.slice/machine-web.scope/payload/system.slice/nginx.service", "nginx.service",
                 "machine-web.scope", "/machine.slice/machine-web.scope/payload/system.slice/nginx.service"},
                /* the escaped name: the cgroup keeps the '_' */
                {"/system.slice/_cpu.service", "cpu.service", "", "/system.slice/_cpu.service"},
                {"/system.slice/_cpu.service/w", "cpu.service", "", "/system.slice/_cpu.service"},
                {"//system.slice//api.service//", "api.service", "", "//system.slice//api.service"},
        };
        CgroupUnit cu;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                memset(&cu, 0, sizeof(cu));
                if (proc_cgroup_to_unit(cases[i].path, &cu) != 0)
                        fail_msg("no unit in %s", cases[i].path);
                assert_string_equal(cu.name, cases[i].unit);
                assert_string_equal(cu.owner, cases[i].owner);
                assert_int_equal(cu.cgroup_len, strlen(cases[i].cgroup));
                assert_memory_equal(cases[i].path, cases[i].cgroup, cu.cgroup_len);
        }
}

static void test_unit_none(void **state)
{
        (void)state;
        static const char *const none[] = {
                "/",
                "",
                "///",
                "/system.slice",
                "/user.slice/user-1000.slice",
                "/process_api/b5200af9571112962e64c6c08b61f5a2",
                "/system.slice/.service",
                "/system.slice/_",
                "/system.slice/api.services",
                "/system.slice/apiservice",
        };
        CgroupUnit cu = { .name = "untouched" };

        for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
                if (proc_cgroup_to_unit(none[i], &cu) != -ENODATA)
                        fail_msg("found a unit in \"%s\"", none[i]);
        assert_string_equal(cu.name, "untouched");
}

static void test_unit_size(void **state)
{
        (void)state;
        char path[PROC_UNIT_MAX + 64];
        CgroupUnit cu = { .name = "untouched" };

        /* a name of PROC_UNIT_MAX - 1 characters fits, one more does not */
        snprintf(path, sizeof path, "/system.slice/%0*d.service", PROC_UNIT_MAX - 8, 0);
        assert_int_equal(proc_cgroup_to_unit(path, &cu), -ENAMETOOLONG);
        assert_string_equal(cu.name, "untouched");
        snprintf(path, sizeof path, "/system.slice/%0*d.service", PROC_UNIT_MAX - 9, 0);
        assert_int_equal(proc_cgroup_to_unit(path, &cu), 0);
        assert_int_equal(strlen(cu.name), PROC_UNIT_MAX - 1);
}

/* ---- /proc entries ---- */

static void test_pid_name(void **state)
{
        (void)state;
        static const struct {
                const char *s;
                pid_t v;
        } good[] = {
                {"1", 1}, {"42", 42}, {"4194304", 4194304}, {"1073741823", 1073741823},
                {"2147483647", 2147483647},
        };
        static const char *const bad[] = {
                "", "0", "01", "-1", "+1", " 1", "1 ", "1a", "self", "thread-self", "sys",
                /* past INT_MAX: read as 4412411241 mod 2^32 = 117443945
                 * before the fix (found by fuzz_proc_pid) */
                "4412411241", "2147483648", "9999999999", "99999999999999999999",
        };
        pid_t pid;

        for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
                pid = 0;
                if (!proc_pid_parse(good[i].s, &pid) || pid != good[i].v)
                        fail_msg("'%s': %d", good[i].s, (int)pid);
        }
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                pid = 77;
                if (proc_pid_parse(bad[i], &pid) || pid != 77)
                        fail_msg("'%s' accepted", bad[i]);
        }
}

/* ---- oom_score, cmdline ---- */

static void test_int(void **state)
{
        (void)state;
        static const struct {
                const char *s;
                int v;
        } good[] = {
                {"0\n", 0},
                {"666\n", 666},
                {"-1000\n", -1000},
                {"1000", 1000},
                {"2147483647\n", 2147483647},
                {"-2147483648\n", -2147483647 - 1},
        };
        static const char *const bad[] = {
                "",
                "\n",
                "-",
                "-\n",
                " 5\n",
                "5 \n",
                "5\n\n",
                "5x",
                "+5",
                "0x10",
                "2147483648\n",
                "-2147483649\n",
                "99999999999999999999999\n",
        };
        int v;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                v = 12345;
                assert_int_equal(int_parse(good[i].s, strlen(good[i].s), &v), 0);
                assert_int_equal(v, good[i].v);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                v = 12345;
                if (int_parse(bad[i], strlen(bad[i]), &v) != -EBADMSG)
                        fail_msg("accepted: \"%s\"", bad[i]);
                assert_int_equal(v, 12345);
        }
}

static void assert_flatten(const char *in, size_t len, const char *want)
{
        char *buf = dup_exact(in, len);
        size_t n = proc_cmdline_flatten(buf, len);

        assert_int_equal(n, strlen(want));
        assert_memory_equal(buf, want, n);
        free(buf);
}

static void test_cmdline(void **state)
{
        (void)state;
        assert_flatten(LIT("/bin/bash\0tests/fixtures/capture.sh\0host-v1\0"),
                       "/bin/bash tests/fixtures/capture.sh host-v1");
        /* Kernel threads and zombies: empty. */
        assert_flatten("", 0, "");
        assert_flatten(LIT("\0\0\0"), "");
        /* Captured argv[0] with a tab: control characters become '?'. */
        assert_flatten(LIT("hostile\targv0\0"
                           "60\0"
                           "0\0"),
                       "hostile?argv0 60 0");
        /* Empty arguments keep their place. */
        assert_flatten(LIT("a\0\0b\0"), "a  b");
        /* setproctitle() style: one string, no NUL, padding kept. */
        assert_flatten(LIT("nginx: worker process  "), "nginx: worker process  ");
        assert_flatten(LIT("x\n\r\x1b[31m\x7f\0y"), "x???[31m? y");
        /* Bytes >= 0x80 (UTF-8) are left alone. */
        assert_flatten(LIT("caf\xc3\xa9\0"), "caf\xc3\xa9");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stat_init),
                cmocka_unit_test(test_stat_kthread_long_comm),
                cmocka_unit_test(test_stat_hostile_captured),
                cmocka_unit_test(test_stat_hostile_comms),
                cmocka_unit_test(test_stat_comm_too_long),
                cmocka_unit_test(test_stat_truncated),
                cmocka_unit_test(test_stat_truncated_inside_comm),
                cmocka_unit_test(test_stat_overflow),
                cmocka_unit_test(test_stat_malformed),
                cmocka_unit_test(test_status_process),
                cmocka_unit_test(test_status_kthread_and_zombie),
                cmocka_unit_test(test_status_hostile_name),
                cmocka_unit_test(test_status_required),
                cmocka_unit_test(test_status_truncated),
                cmocka_unit_test(test_status_malformed),
                cmocka_unit_test(test_rollup),
                cmocka_unit_test(test_rollup_empty),
                cmocka_unit_test(test_rollup_missing_pss),
                cmocka_unit_test(test_rollup_only_pss),
                cmocka_unit_test(test_rollup_truncated),
                cmocka_unit_test(test_rollup_malformed),
                cmocka_unit_test(test_cgroup_host_v1),
                cmocka_unit_test(test_cgroup_hybrid_systemd),
                cmocka_unit_test(test_cgroup_v1_legacy),
                cmocka_unit_test(test_cgroup_v2),
                cmocka_unit_test(test_cgroup_sizes),
                cmocka_unit_test(test_cgroup_malformed),
                cmocka_unit_test(test_unit),
                cmocka_unit_test(test_unit_none),
                cmocka_unit_test(test_unit_size),
                cmocka_unit_test(test_pid_name),
                cmocka_unit_test(test_int),
                cmocka_unit_test(test_cmdline),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
