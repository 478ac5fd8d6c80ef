/* test_oomkill.c — the kernel's kills as oomkill.h pairs and cross-checks
 * them, on a fake clock: records fed as the kernel writes them, counters
 * as memory.events would show them, and what is due when. */
#include "testutil.h"

#include "read/oomkill.h"
#include "util/cleanup.h"

#define SEC USEC_PER_SEC

static KmsgRecord rec(const char *text)
{
        KmsgRecord r;
        assert_int_equal(kmsg_parse(text, strlen(text), &r), 0);
        return r;
}

static void feed(OomKills *k, const char *text, uint64_t now)
{
        KmsgRecord r = rec(text);
        assert_true(oomkills_feed(k, &r, now));
}

#define SUMMARY(cg, comm, pid)                                                                      \
        "6,1,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"   \
        "oom_memcg=" cg ",task_memcg=" cg ",task=" comm ",pid=" pid ",uid=0\n"
#define KILLED(prefix, comm, pid)                                                                   \
        "3,2,2,-;" prefix ": Killed process " pid " (" comm ") total-vm:208340kB, "                  \
        "anon-rss:202752kB, file-rss:1024kB, shmem-rss:4kB, UID:0 pgtables:452kB oom_score_adj:0\n"

static void test_pair(void **state)
{
        (void)state;
        OomKills *k = oomkills_new();
        OomKill out[4];
        KmsgRecord other = rec("6,3,3,-;eth0: link up\n");

        assert_false(oomkills_feed(k, &other, 0));
        feed(k, SUMMARY("/system.slice/a.service", "leak", "812"), 10 * SEC);
        assert_int_equal(oomkills_take(k, 10 * SEC, out, 4), 0);
        assert_int_equal(oomkills_next_usec(k), 11 * SEC);
        feed(k, KILLED("Memory cgroup out of memory", "leak", "812"), 10 * SEC + 2000);
        /* due at once: the pair is whole */
        assert_int_equal(oomkills_take(k, 10 * SEC + 2000, out, 4), 1);
        assert_int_equal(out[0].source, OOMKILL_FROM_KMSG);
        assert_int_equal(out[0].scope, KMSG_SCOPE_CGROUP);
        assert_int_equal(out[0].pid, 812);
        assert_string_equal(out[0].comm, "leak");
        assert_string_equal(out[0].task_cgroup, "/system.slice/a.service");
        assert_string_equal(out[0].oom_cgroup, "/system.slice/a.service");
        assert_true(out[0].has_summary);
        assert_true(out[0].has_rss);
        assert_int_equal(out[0].anon_rss_kb, 202752);
        assert_int_equal(out[0].file_rss_kb, 1024);
        assert_int_equal(out[0].shmem_rss_kb, 4);
        assert_int_equal(oomkills_take(k, 20 * SEC, out, 4), 0);
        assert_int_equal(oomkills_next_usec(k), UINT64_MAX);
        oomkills_free(k);
}

/* A summary whose "Killed process" line never comes, a line without a
 * summary (rate-limited), two kills interleaved. */
static void test_alone(void **state)
{
        (void)state;
        OomKills *k = oomkills_new();
        OomKill out[4];

        feed(k, SUMMARY("/system.slice/a.service", "a", "1"), 5 * SEC);
        assert_int_equal(oomkills_take(k, 6 * SEC - 1, out, 4), 0);
        assert_int_equal(oomkills_take(k, 6 * SEC, out, 4), 1);
        assert_int_equal(out[0].pid, 1);
        assert_true(out[0].has_summary);
        assert_false(out[0].has_rss);

        feed(k, KILLED("Out of memory", "b c", "2"), 7 * SEC);
        assert_int_equal(oomkills_take(k, 7 * SEC, out, 4), 1);
        assert_int_equal(out[0].scope, KMSG_SCOPE_SYSTEM);
        assert_false(out[0].has_summary);
        assert_string_equal(out[0].comm, "b c");
        assert_string_equal(out[0].task_cgroup, "");

        feed(k, SUMMARY("/x.service", "x", "10"), 8 * SEC);
        feed(k, SUMMARY("/y.service", "y", "11"), 8 * SEC);
        feed(k, KILLED("Memory cgroup out of memory", "y", "11"), 8 * SEC);
        assert_int_equal(oomkills_take(k, 8 * SEC, out, 4), 1);
        assert_int_equal(out[0].pid, 11);
        assert_string_equal(out[0].task_cgroup, "/y.service");
        /* the same pid killed again later is another kill */
        feed(k, KILLED("Memory cgroup out of memory", "x", "10"), 8 * SEC + 1);
        feed(k, KILLED("Memory cgroup out of memory", "x", "10"), 8 * SEC + 2);
        assert_int_equal(oomkills_take(k, 8 * SEC + 2, out, 4), 2);
        assert_true(out[0].has_summary != out[1].has_summary);
        oomkills_free(k);
}

/* A burst: more summaries than the table holds. None is lost silently:
 * the oldest becomes due, and the one that found no room is left to the
 * counters. */
static void test_burst(void **state)
{
        (void)state;
        OomKills *k = oomkills_new();
        OomKill out[OOMKILL_PENDING_MAX + 2];
        char buf[256];

        for (int i = 0; i < OOMKILL_PENDING_MAX + 1; i++) {
                snprintf(buf, sizeof buf, SUMMARY("/a", "a", "%d"), 100 + i);
                feed(k, buf, (uint64_t)(1 + i));
        }
        size_t n = oomkills_take(k, OOMKILL_PENDING_MAX + 1, out, ELEMENTSOF(out));
        assert_int_equal(n, 1);
        assert_int_equal(out[0].pid, 100);
        n = oomkills_take(k, 10 * SEC, out, ELEMENTSOF(out));
        assert_int_equal(n, OOMKILL_PENDING_MAX - 1);
        oomkills_free(k);
}

static OomCounter ctr(const char *cg, uint64_t kills, uint64_t ooms)
{
        return (OomCounter){ cg, kills, ooms };
}

/* Counters: a first look is a baseline (kills from before are never
 * news); a kill kmsg reported explains its counter; one it did not is
 * reported after the grace, at the unit whose counter moved. */
static void test_counters(void **state)
{
        (void)state;
        OomKills *k = oomkills_new();
        OomKill out[4];
        OomCounter c[2];

        c[0] = ctr("/system.slice/a.service", 5, 5);
        c[1] = ctr("/system.slice/b.service", 0, 0);
        assert_int_equal(oomkills_check(k, c, 2, 1 * SEC, out, 4), 0);
        assert_true(oomkills_known(k, "/system.slice/a.service"));
        assert_false(oomkills_unexplained(k));

        /* reported from kmsg and credited: explained */
        oomkills_credit(k, "/system.slice/a.service");
        c[0] = ctr("/system.slice/a.service", 6, 6);
        assert_int_equal(oomkills_check(k, c, 2, 2 * SEC, out, 4), 0);
        assert_false(oomkills_unexplained(k));

        /* not in kmsg: waits for the grace, then reported with its count */
        c[1] = ctr("/system.slice/b.service", 2, 2);
        assert_int_equal(oomkills_check(k, c, 2, 3 * SEC, out, 4), 0);
        assert_true(oomkills_unexplained(k));
        assert_int_equal(oomkills_next_usec(k), 3 * SEC + OOMKILL_GRACE_USEC);
        assert_int_equal(oomkills_check(k, c, 2, 3 * SEC + OOMKILL_GRACE_USEC - 1, out, 4), 0);
        assert_int_equal(oomkills_check(k, c, 2, 3 * SEC + OOMKILL_GRACE_USEC, out, 4), 1);
        assert_int_equal(out[0].source, OOMKILL_FROM_COUNTER);
        assert_int_equal(out[0].count, 2);
        assert_int_equal(out[0].pid, 0);
        assert_string_equal(out[0].task_cgroup, "/system.slice/b.service");
        assert_int_equal(out[0].scope, KMSG_SCOPE_CGROUP); /* "oom" moved too */
        assert_string_equal(out[0].oom_cgroup, "/system.slice/b.service");
        assert_false(oomkills_unexplained(k));
        /* and only once */
        assert_int_equal(oomkills_check(k, c, 2, 10 * SEC, out, 4), 0);

        /* the kmsg line comes during the grace: nothing from the counter */
        c[1] = ctr("/system.slice/b.service", 3, 2);
        assert_int_equal(oomkills_check(k, c, 2, 11 * SEC, out, 4), 0);
        oomkills_credit(k, "/system.slice/b.service");
        assert_int_equal(oomkills_check(k, c, 2, 12 * SEC, out, 4), 0);
        assert_false(oomkills_unexplained(k));

        /* a kill whose cgroup kmsg did not name explains any unit's */
        c[1] = ctr("/system.slice/b.service", 4, 2);
        oomkills_credit(k, NULL);
        assert_int_equal(oomkills_check(k, c, 2, 13 * SEC, out, 4), 0);
        assert_false(oomkills_unexplained(k));

        /* "oom" did not move: the limit was not the unit's */
        c[1] = ctr("/system.slice/b.service", 5, 2);
        assert_int_equal(oomkills_check(k, c, 2, 14 * SEC, out, 4), 0);
        assert_int_equal(oomkills_check(k, c, 2, 20 * SEC, out, 4), 1);
        assert_int_equal(out[0].scope, KMSG_SCOPE_SYSTEM);
        assert_string_equal(out[0].oom_cgroup, "");

        /* a unit made again under the same path starts from 0: a baseline */
        c[1] = ctr("/system.slice/b.service", 0, 0);
        assert_int_equal(oomkills_check(k, c, 2, 21 * SEC, out, 4), 0);
        assert_false(oomkills_unexplained(k));
        oomkills_free(k);
}

/* A user's manager holds units of its own: its counter counts theirs. */
static void test_nested(void **state)
{
        (void)state;
        OomKills *k = oomkills_new();
        OomKill out[4];
        const char *mgr = "/user.slice/user-1000.slice/user@1000.service";
        const char *app = "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service";
        OomCounter c[2] = { ctr(mgr, 0, 0), ctr(app, 0, 0) };

        assert_int_equal(oomkills_check(k, c, 2, 1 * SEC, out, 4), 0);
        /* one kill in x.service, not in kmsg: one report, at x.service */
        c[0] = ctr(mgr, 1, 1);
        c[1] = ctr(app, 1, 1);
        assert_int_equal(oomkills_check(k, c, 2, 2 * SEC, out, 4), 0);
        assert_int_equal(oomkills_check(k, c, 2, 9 * SEC, out, 4), 1);
        assert_string_equal(out[0].task_cgroup, app);
        assert_int_equal(out[0].count, 1);
        /* one in x.service reported by kmsg, one in the manager's own
         * processes not: the manager's is reported */
        c[0] = ctr(mgr, 3, 3);
        c[1] = ctr(app, 2, 2);
        oomkills_credit(k, app);
        assert_int_equal(oomkills_check(k, c, 2, 10 * SEC, out, 4), 0);
        assert_int_equal(oomkills_check(k, c, 2, 20 * SEC, out, 4), 1);
        assert_string_equal(out[0].task_cgroup, mgr);
        oomkills_free(k);
}

/* Units found between checks get their baseline then; units gone are
 * forgotten. */
static void test_baseline(void **state)
{
        (void)state;
        OomKills *k = oomkills_new();
        OomKill out[4];
        OomCounter a = ctr("/a.service", 7, 7), b = ctr("/b.service", 0, 0);

        assert_int_equal(oomkills_baseline(k, &a), 0);
        a.oom_kill = 9; /* ignored: it has one */
        assert_int_equal(oomkills_baseline(k, &a), 0);
        a.oom_kill = 7;
        OomCounter c[2] = { a, b };
        assert_int_equal(oomkills_check(k, c, 2, SEC, out, 4), 0);
        assert_false(oomkills_unexplained(k));
        assert_int_equal(oomkills_check(k, &b, 1, 2 * SEC, out, 4), 0);
        assert_false(oomkills_known(k, "/a.service"));
        assert_true(oomkills_known(k, "/b.service"));
        oomkills_free(k);
}

/* The table follows the units: a unit gone from a sample is forgotten at
 * the sweep, so that thousands of transient units over a box's life never
 * fill it (the 30-minute soak found it growing by one counter per unit);
 * but not while counters wait for their explanation. */
static void test_sweep(void **state)
{
        (void)state;
        OomKills *k = oomkills_new();
        OomKill out[4];
        char cg[64];

        for (int i = 0; i < 3 * OOMKILL_COUNTERS_MAX; i++) {
                snprintf(cg, sizeof cg, "/system.slice/run-u%d.service", i);
                OomCounter unit = ctr(cg, 0, 0), api = ctr("/system.slice/api.service", 2, 2);
                assert_false(oomkills_mark(k, cg));
                assert_int_equal(oomkills_baseline(k, &unit), 0);
                assert_true(oomkills_mark(k, api.cgroup) || i == 0);
                if (i == 0)
                        assert_int_equal(oomkills_baseline(k, &api), 0);
                oomkills_sweep(k);
                assert_true(oomkills_known(k, cg));
                if (i > 0) {
                        snprintf(cg, sizeof cg, "/system.slice/run-u%d.service", i - 1);
                        assert_false(oomkills_known(k, cg)); /* gone from this sample */
                }
        }
        assert_true(oomkills_known(k, "/system.slice/api.service"));

        /* a kill the counters show and nothing explains yet: the unit
         * vanishing meanwhile does not drop the table under it */
        OomCounter c = ctr("/system.slice/api.service", 3, 3);
        assert_int_equal(oomkills_check(k, &c, 1, 10 * SEC, out, 4), 0); /* in its grace */
        assert_true(oomkills_unexplained(k));
        oomkills_sweep(k); /* nothing marked */
        assert_true(oomkills_known(k, "/system.slice/api.service"));
        oomkills_free(k);
}

/* A thousand units, met in no order: each is found again (the table is
 * searched in halves, so it must stay in order through baselines, sweeps
 * and checks), and one that was never met is not. */
static void test_many(void **state)
{
        (void)state;
        OomKills *k = oomkills_new();
        OomKill out[4];
        char cg[64];
        enum { N = 1000 };

        for (unsigned i = 0; i < N; i++) {
                snprintf(cg, sizeof cg, "/system.slice/mgu@%u.service", (i * 7919u) % N);
                OomCounter unit = ctr(cg, 0, 0);
                assert_int_equal(oomkills_baseline(k, &unit), 0);
        }
        oomkills_sweep(k); /* the sample that met them all */
        for (unsigned i = 0; i < N; i += 2) { /* the odd ones go */
                snprintf(cg, sizeof cg, "/system.slice/mgu@%u.service", i);
                assert_true(oomkills_mark(k, cg));
        }
        oomkills_sweep(k);
        for (unsigned i = 0; i < N; i++) {
                snprintf(cg, sizeof cg, "/system.slice/mgu@%u.service", i);
                assert_int_equal(oomkills_known(k, cg), i % 2 == 0);
        }
        /* a check that sees some of them: the others are forgotten, and the
         * rest still found */
        OomCounter seen[3] = { ctr("/system.slice/mgu@998.service", 0, 0),
                               ctr("/system.slice/mgu@0.service", 0, 0),
                               ctr("/system.slice/mgu@500.service", 0, 0) };
        assert_int_equal(oomkills_check(k, seen, 3, 10 * SEC, out, 4), 0);
        assert_true(oomkills_known(k, "/system.slice/mgu@0.service"));
        assert_true(oomkills_known(k, "/system.slice/mgu@500.service"));
        assert_true(oomkills_known(k, "/system.slice/mgu@998.service"));
        assert_false(oomkills_known(k, "/system.slice/mgu@2.service"));
        assert_false(oomkills_known(k, "/system.slice/mgu@1000.service"));
        OomCounter late = ctr("/system.slice/mgu@1.service", 0, 0);
        assert_int_equal(oomkills_baseline(k, &late), 0);
        assert_true(oomkills_known(k, "/system.slice/mgu@1.service"));
        assert_true(oomkills_known(k, "/system.slice/mgu@0.service"));
        assert_true(oomkills_known(k, "/system.slice/mgu@998.service"));
        oomkills_free(k);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pair),     cmocka_unit_test(test_alone),
                cmocka_unit_test(test_burst),    cmocka_unit_test(test_counters),
                cmocka_unit_test(test_sweep),    cmocka_unit_test(test_many),
                cmocka_unit_test(test_nested),   cmocka_unit_test(test_baseline),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
