/* test_kmsg.c — kmsg_parse() on records shaped as /dev/kmsg hands them
 * out: the kernel's OOM lines of Debian 12's 6.1 (a cgroup OOM and a
 * system-wide one), of 4.19/5.0 (padded pid, no memcg part) and of older
 * kernels, hostile comms and cgroup paths, records cut at every length,
 * and garbage. Each input is copied into a heap buffer of its exact size,
 * so that under ASan (make check-san) a read past LEN is caught. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#include "read/kmsg.h"
#include "util/cleanup.h"

/* Debian 12 (6.1.0), a unit over its MemoryMax=200M. */
#define CG_SUMMARY                                                                                 \
        "6,1874,38117362,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"         \
        "mems_allowed=0,oom_memcg=/system.slice/mg-budget.service,"                               \
        "task_memcg=/system.slice/mg-budget.service,task=mg-leak,pid=812,uid=0\n"
#define CG_KILLED                                                                                  \
        "3,1875,38117390,-;Memory cgroup out of memory: Killed process 812 (mg-leak) "            \
        "total-vm:208340kB, anon-rss:202752kB, file-rss:1024kB, shmem-rss:0kB, UID:0 "            \
        "pgtables:452kB oom_score_adj:0\n"
/* ... the whole box (6.1.0), with the dictionary lines some records carry. */
#define SYS_SUMMARY                                                                                \
        "6,2210,95321007,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,"          \
        "mems_allowed=0,global_oom,task_memcg=/user.slice/user-0.slice/session-1.scope,"          \
        "task=python3,pid=1201,uid=0\n"
#define SYS_KILLED                                                                                 \
        "3,2211,95321042,-;Out of memory: Killed process 1201 (python3) total-vm:1893424kB, "     \
        "anon-rss:1801232kB, file-rss:2048kB, shmem-rss:12kB, UID:0 pgtables:3620kB "             \
        "oom_score_adj:0\n SUBSYSTEM=memory\n DEVICE=+memory:x\n"

static int parse(const char *s, size_t len, KmsgRecord *r)
{
        char *b = malloc(len ? len : 1);
        assert_non_null(b);
        memcpy(b, s, len);
        int k = kmsg_parse(b, len, r);
        free(b);
        return k;
}

static int parse_str(const char *s, KmsgRecord *r)
{
        return parse(s, strlen(s), r);
}

static void test_cgroup_oom(void **state)
{
        (void)state;
        KmsgRecord r;

        assert_int_equal(parse_str(CG_SUMMARY, &r), 0);
        assert_int_equal(r.kind, KMSG_OOM_SUMMARY);
        assert_int_equal(r.facility, 0);
        assert_int_equal(r.level, 6);
        assert_int_equal(r.seq, 1874);
        assert_int_equal(r.ts_usec, 38117362);
        assert_int_equal(r.scope, KMSG_SCOPE_CGROUP);
        assert_string_equal(r.constraint, "CONSTRAINT_MEMCG");
        assert_string_equal(r.oom_cgroup, "/system.slice/mg-budget.service");
        assert_string_equal(r.task_cgroup, "/system.slice/mg-budget.service");
        assert_string_equal(r.comm, "mg-leak");
        assert_int_equal(r.pid, 812);
        assert_true(r.has_uid);
        assert_int_equal(r.uid, 0);

        assert_int_equal(parse_str(CG_KILLED, &r), 0);
        assert_int_equal(r.kind, KMSG_OOM_KILLED);
        assert_int_equal(r.level, 3);
        assert_int_equal(r.scope, KMSG_SCOPE_CGROUP);
        assert_int_equal(r.pid, 812);
        assert_string_equal(r.comm, "mg-leak");
        assert_true(r.has_rss);
        assert_int_equal(r.total_vm_kb, 208340);
        assert_int_equal(r.anon_rss_kb, 202752);
        assert_int_equal(r.file_rss_kb, 1024);
        assert_int_equal(r.shmem_rss_kb, 0);
}

static void test_system_oom(void **state)
{
        (void)state;
        KmsgRecord r;

        assert_int_equal(parse_str(SYS_SUMMARY, &r), 0);
        assert_int_equal(r.kind, KMSG_OOM_SUMMARY);
        assert_int_equal(r.scope, KMSG_SCOPE_SYSTEM);
        assert_string_equal(r.oom_cgroup, "");
        assert_string_equal(r.task_cgroup, "/user.slice/user-0.slice/session-1.scope");
        assert_string_equal(r.comm, "python3");
        assert_int_equal(r.pid, 1201);

        assert_int_equal(parse_str(SYS_KILLED, &r), 0);
        assert_int_equal(r.kind, KMSG_OOM_KILLED);
        assert_int_equal(r.scope, KMSG_SCOPE_SYSTEM);
        assert_int_equal(r.pid, 1201);
        assert_int_equal(r.anon_rss_kb, 1801232);
        assert_int_equal(r.shmem_rss_kb, 12);

        /* the allocating task killed (vm.oom_kill_allocating_task) */
        assert_int_equal(parse_str("3,9,9,-;Out of memory (oom_kill_allocating_task): Killed process "
                                   "77 (a) total-vm:10kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, "
                                   "UID:1000 pgtables:40kB oom_score_adj:0\n",
                                   &r),
                         0);
        assert_int_equal(r.scope, KMSG_SCOPE_SYSTEM);
        assert_int_equal(r.pid, 77);
}

/* Older and newer shapes of the same lines. */
static void test_versions(void **state)
{
        (void)state;
        KmsgRecord r;

        /* 4.19: no memcg part, "%5d" padding */
        assert_int_equal(parse_str("6,5,5,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),"
                                   "cpuset=/,mems_allowed=0,task=leak,pid=  812,uid=    0\n",
                                   &r),
                         0);
        assert_int_equal(r.pid, 812);
        assert_string_equal(r.comm, "leak");
        assert_string_equal(r.task_cgroup, "");
        assert_int_equal(r.scope, KMSG_SCOPE_SYSTEM);
        /* 4.9-5.0 Killed line: no UID, pgtables, oom_score_adj */
        assert_int_equal(parse_str("3,6,6,-;Out of memory: Killed process 812 (leak) total-vm:100kB, "
                                   "anon-rss:90kB, file-rss:4kB, shmem-rss:0kB\n",
                                   &r),
                         0);
        assert_true(r.has_rss);
        assert_int_equal(r.anon_rss_kb, 90);
        /* before 4.19: no "MESSAGE: ", no shmem-rss */
        assert_int_equal(parse_str("3,7,7,-;Killed process 812 (leak) total-vm:100kB, anon-rss:90kB, "
                                   "file-rss:4kB\n",
                                   &r),
                         0);
        assert_int_equal(r.scope, KMSG_SCOPE_UNKNOWN);
        assert_int_equal(r.pid, 812);
        assert_int_equal(r.shmem_rss_kb, 0);
        /* an "OOM[N]: " prefix, and a caller field in the header */
        assert_int_equal(parse_str("6,8,8,-,caller=T812;OOM[3]: oom-kill:constraint=CONSTRAINT_MEMCG,"
                                   "nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,"
                                   "task_memcg=/a/b,task=x,pid=9,uid=0\n",
                                   &r),
                         0);
        assert_int_equal(r.kind, KMSG_OOM_SUMMARY);
        assert_string_equal(r.oom_cgroup, "/a");
        assert_string_equal(r.task_cgroup, "/a/b");
        assert_int_equal(r.pid, 9);
        /* a record without a trailing newline (as a read may cut it) */
        assert_int_equal(parse(LIT("3,9,9,-;Out of memory: Killed process 5 (z) total-vm:1kB, "
                                   "anon-rss:1kB, file-rss:0kB"),
                               &r),
                         0);
        assert_int_equal(r.pid, 5);
        assert_true(r.has_rss);
}

/* comm is whatever the process set: spaces, parentheses, commas, '=',
 * a look-alike of the kernel's own fields; and escaped bytes stay \xNN. */
static void test_hostile_comm(void **state)
{
        (void)state;
        KmsgRecord r;

        assert_int_equal(parse_str("3,1,1,-;Out of memory: Killed process 42 (a) total-vm:1kB) "
                                   "total-vm:208kB, anon-rss:200kB, file-rss:8kB, shmem-rss:0kB, "
                                   "UID:0 pgtables:4kB oom_score_adj:0\n",
                                   &r),
                         0);
        assert_string_equal(r.comm, "a) total-vm:1kB");
        assert_int_equal(r.anon_rss_kb, 200);
        assert_int_equal(parse_str("3,1,1,-;Out of memory: Killed process 42 (my (app) x) total-vm:8kB, "
                                   "anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB "
                                   "oom_score_adj:0\n",
                                   &r),
                         0);
        assert_string_equal(r.comm, "my (app) x");

        assert_int_equal(parse_str("6,1,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
                                   "cpuset=/,mems_allowed=0,oom_memcg=/system.slice/a.service,"
                                   "task_memcg=/system.slice/a.service,task=a,task=b,pid=1,"
                                   "pid=42,uid=0\n",
                                   &r),
                         0);
        assert_string_equal(r.comm, "a,task=b,pid=1");
        assert_int_equal(r.pid, 42);
        assert_string_equal(r.task_cgroup, "/system.slice/a.service");
        /* a comm that looks like the memcg part: the paths must agree */
        assert_int_equal(parse_str("6,1,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
                                   "cpuset=/,mems_allowed=0,oom_memcg=/u.slice,"
                                   "task_memcg=/u.slice/x,task=,task_memcg=/,pid=7,uid=0\n",
                                   &r),
                         0);
        assert_string_equal(r.task_cgroup, "/u.slice/x");
        assert_string_equal(r.comm, ",task_memcg=/");
        /* a cgroup directory with ",task=" in its name (a delegated user
         * may make one); its comm would be too long to be a comm */
        assert_int_equal(parse_str("6,1,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
                                   "cpuset=/,mems_allowed=0,oom_memcg=/d,task_memcg=/d/x,task=y "
                                   "long enough/z,task=real,pid=8,uid=0\n",
                                   &r),
                         0);
        assert_string_equal(r.task_cgroup, "/d/x,task=y long enough/z");
        assert_string_equal(r.comm, "real");
        /* the kernel escapes control bytes and '\': kept as it wrote them */
        assert_int_equal(parse_str("3,1,1,-;Out of memory: Killed process 3 (a\\x0ab\\x5c) "
                                   "total-vm:8kB, anon-rss:4kB, file-rss:0kB\n",
                                   &r),
                         0);
        assert_string_equal(r.comm, "a\\x0ab\\x5c");
}

/* Records that are not OOM records, or not the kernel's. */
static void test_other(void **state)
{
        (void)state;
        KmsgRecord r;

        assert_int_equal(parse_str("6,1,1,-;usb 1-1: new high-speed USB device\n", &r), 0);
        assert_int_equal(r.kind, KMSG_OTHER);
        /* the kernel's other OOM lines */
        assert_int_equal(parse_str("4,1,1,-;mg-leak invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), "
                                   "order=0, oom_score_adj=0\n",
                                   &r),
                         0);
        assert_int_equal(r.kind, KMSG_OTHER);
        assert_int_equal(parse_str("6,1,1,-;oom_reaper: reaped process 812 (mg-leak), now "
                                   "anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n",
                                   &r),
                         0);
        assert_int_equal(r.kind, KMSG_OTHER);
        /* a kernel line quoting a name a user chose (an executable's): the
         * kill is read only after the OOM killer's own messages */
        assert_int_equal(parse_str("4,1,1,-;process 'x: Killed process 1 (systemd) total-vm:1kB, "
                                   "anon-rss:1kB, file-rss:0kB' started with executable stack\n",
                                   &r),
                         0);
        assert_int_equal(r.kind, KMSG_OTHER);
        assert_int_equal(parse_str("3,1,1,-;Out of memoryX: Killed process 1 (a) total-vm:1kB\n", &r), 0);
        assert_int_equal(r.kind, KMSG_OTHER);
        /* written to /dev/kmsg by a program: facility 1 (user), never the
         * kernel's, whatever it says */
        assert_int_equal(parse_str("11,1,1,-;Out of memory: Killed process 1 (systemd) "
                                   "total-vm:1kB, anon-rss:1kB, file-rss:0kB\n",
                                   &r),
                         0);
        assert_int_equal(r.kind, KMSG_OTHER);
        assert_int_equal(r.facility, 1);
}

static void test_malformed(void **state)
{
        (void)state;
        KmsgRecord r = { .pid = 99 };

        assert_int_equal(parse(LIT(""), &r), -EBADMSG);
        assert_int_equal(parse_str("garbage\n", &r), -EBADMSG);
        assert_int_equal(parse_str("6,1,1-;x\n", &r), -EBADMSG);
        assert_int_equal(parse_str("6,1,1,-\nx;y\n", &r), -EBADMSG); /* ';' after the line */
        assert_int_equal(parse_str("99999,1,1,-;x\n", &r), -EBADMSG);
        assert_int_equal(parse_str("6,1,99999999999999999999999,-;x\n", &r), -EBADMSG);
        /* OOM records cut before their pid, or with a pid that is not one */
        assert_int_equal(parse_str("6,1,1,-;oom-kill:constraint=CONSTRAINT_NONE,task=a\n", &r), -EBADMSG);
        assert_int_equal(parse_str("6,1,1,-;oom-kill:constraint=\n", &r), -EBADMSG);
        assert_int_equal(parse_str("6,1,1,-;oom-kill:constraint=X,task=a,pid=0,uid=0\n", &r), -EBADMSG);
        assert_int_equal(parse_str("3,1,1,-;Out of memory: Killed process (a) total-vm:1kB\n", &r),
                         -EBADMSG);
        assert_int_equal(parse_str("3,1,1,-;Out of memory: Killed process 99999999999 (a) total-vm:1kB\n",
                                   &r),
                         -EBADMSG);
        assert_int_equal(parse_str("3,1,1,-;Out of memory: Killed process 5 (a total-vm:1kB\n", &r),
                         -EBADMSG);
        assert_int_equal(r.pid, 99); /* written only on success */
        /* numbers cut short: the record is read, the sizes are not */
        assert_int_equal(parse_str("3,1,1,-;Out of memory: Killed process 5 (a) total-vm:1kB, "
                                   "anon-rss:12\n",
                                   &r),
                         0);
        assert_false(r.has_rss);
        assert_int_equal(r.anon_rss_kb, 0);
}

/* Every prefix of every sample, and bytes flipped one at a time: parsed
 * or refused, never a read past the end (ASan) or a crash. */
static void test_every_cut(void **state)
{
        (void)state;
        static const char *const samples[] = { CG_SUMMARY, CG_KILLED, SYS_SUMMARY, SYS_KILLED };
        KmsgRecord r;

        for (size_t i = 0; i < ELEMENTSOF(samples); i++) {
                size_t len = strlen(samples[i]);
                for (size_t n = 0; n <= len; n++) {
                        int k = parse(samples[i], n, &r);
                        assert_true(k == 0 || k == -EBADMSG);
                }
                char *b = malloc(len);
                assert_non_null(b);
                for (size_t at = 0; at < len; at++) {
                        static const char flips[] = { '\0', '\n', ',', ';', '(', ')', '=', '/', '9', ' ' };
                        for (size_t f = 0; f < sizeof flips; f++) {
                                memcpy(b, samples[i], len);
                                b[at] = flips[f];
                                int k = kmsg_parse(b, len, &r);
                                assert_true(k == 0 || k == -EBADMSG);
                        }
                }
                free(b);
        }
        /* random bytes after a valid header */
        unsigned seed = 17;
        char buf[300];
        for (int round = 0; round < 20000; round++) {
                size_t n = (size_t)(rand_r(&seed) % (int)sizeof buf);
                int h = snprintf(buf, sizeof buf, "%s", round & 1 ? "6,1,1,-;oom-kill:constraint=" :
                                                                    "3,1,1,-;Out of memory: Killed process 1 (");
                for (size_t k = (size_t)h; k < n; k++)
                        buf[k] = "a,=()/ \\xpidtask_memcg0123456789:kB"[rand_r(&seed) % 36];
                (void)parse(buf, n, &r);
        }
}

static void test_record_len(void **state)
{
        (void)state;
        assert_int_equal(kmsg_record_len(LIT(SYS_KILLED)), strlen(SYS_KILLED));
        assert_int_equal(kmsg_record_len(LIT(CG_SUMMARY CG_KILLED)), strlen(CG_SUMMARY));
        assert_int_equal(kmsg_record_len(LIT("6,1,1,-;no end")), strlen("6,1,1,-;no end"));
        assert_int_equal(kmsg_record_len(LIT("")), 0);
}

/* Records as the guest's kernel (Debian 12, 6.1) handed them out through
 * /dev/kmsg, captured in the system tests (tests/fixtures/kmsg/CAPTURE):
 * a cgroup OOM and a system-wide one, each a summary and its kill. */
static void test_captured(void **state)
{
        (void)state;
        FILE *in = fopen(TEST_PATH("fixtures/kmsg/debian12-6.1.kmsg"), "re");
        char line[KMSG_RECORD_MAX];
        KmsgRecord r[4];
        size_t n = 0;

        assert_non_null(in);
        while (n < 4 && fgets(line, sizeof line, in))
                assert_int_equal(parse_str(line, &r[n++]), 0);
        fclose(in);
        assert_int_equal(n, 4);

        assert_int_equal(r[0].kind, KMSG_OOM_SUMMARY);
        assert_int_equal(r[0].scope, KMSG_SCOPE_CGROUP);
        assert_int_equal(r[0].pid, 486);
        assert_string_equal(r[0].comm, "mg-capped");
        assert_string_equal(r[0].oom_cgroup, "/system.slice/mg-capped.service");
        assert_string_equal(r[0].task_cgroup, "/system.slice/mg-capped.service");
        assert_int_equal(r[1].kind, KMSG_OOM_KILLED);
        assert_int_equal(r[1].scope, KMSG_SCOPE_CGROUP);
        assert_int_equal(r[1].pid, 486);
        assert_int_equal(r[1].anon_rss_kb, 204104);
        assert_int_equal(r[1].file_rss_kb, 1400);

        assert_int_equal(r[2].kind, KMSG_OOM_SUMMARY);
        assert_int_equal(r[2].scope, KMSG_SCOPE_SYSTEM);
        assert_int_equal(r[2].pid, 574);
        assert_string_equal(r[2].comm, "mg-spike");
        assert_string_equal(r[2].oom_cgroup, "");
        assert_string_equal(r[2].task_cgroup, "/system.slice/mg-spike.service");
        assert_int_equal(r[3].kind, KMSG_OOM_KILLED);
        assert_int_equal(r[3].scope, KMSG_SCOPE_SYSTEM);
        assert_int_equal(r[3].pid, 574);
        assert_int_equal(r[3].anon_rss_kb, 1910592);
        for (size_t i = 0; i < 4; i++)
                assert_int_equal(r[i].facility, 0);
}

/* The same on the development host's 6.18, a cgroup v1 memory cgroup's
 * limit (tests/fixtures/kmsg/CAPTURE). */
static void test_captured_618(void **state)
{
        (void)state;
        FILE *in = fopen(TEST_PATH("fixtures/kmsg/host-6.18-memcg-v1.kmsg"), "re");
        char line[KMSG_RECORD_MAX];
        KmsgRecord r[2];
        size_t n = 0;

        assert_non_null(in);
        while (n < 2 && fgets(line, sizeof line, in))
                assert_int_equal(parse_str(line, &r[n++]), 0);
        fclose(in);
        assert_int_equal(n, 2);
        assert_int_equal(r[0].kind, KMSG_OOM_SUMMARY);
        assert_int_equal(r[0].scope, KMSG_SCOPE_CGROUP);
        assert_int_equal(r[0].pid, 18657);
        assert_int_equal(r[0].ts_usec, UINT64_C(45233007015));
        assert_string_equal(r[0].oom_cgroup, "/mg-kmsg-capture");
        assert_int_equal(r[1].kind, KMSG_OOM_KILLED);
        assert_int_equal(r[1].scope, KMSG_SCOPE_CGROUP);
        assert_int_equal(r[1].pid, 18657);
        assert_string_equal(r[1].comm, "mg-capture");
        assert_int_equal(r[1].anon_rss_kb, 32512);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cgroup_oom),   cmocka_unit_test(test_system_oom),
                cmocka_unit_test(test_versions),     cmocka_unit_test(test_hostile_comm),
                cmocka_unit_test(test_other),        cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_every_cut),    cmocka_unit_test(test_record_len),
                cmocka_unit_test(test_captured),     cmocka_unit_test(test_captured_618),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
