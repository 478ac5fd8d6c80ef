/* test_sample.c — both sampling tiers on a proc tree captured from a real
 * machine (tests/fixtures/host-v1: cgroup v1 hybrid, PID 1 not systemd). */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>

#include "config.h"
#include "procroot.h"
#include "rules.h"
#include "sample.h"
#include "snapshot.h"

typedef struct Fx {
        ProcRoot root;
        Sampler *sampler;
} Fx;

static int setup(void **state)
{
        Fx *fx = calloc(1, sizeof *fx);
        assert_non_null(fx);
        assert_int_equal(procroot_open(TEST_PATH("fixtures/host-v1/proc"),
                                       TEST_PATH("fixtures/host-v1/no-cgroup"), &fx->root),
                         0);
        assert_int_equal(fx->root.cgroup_fd, -1);
        assert_int_equal(sampler_new(&fx->root, &fx->sampler), 0);
        *state = fx;
        return 0;
}

static int teardown(void **state)
{
        Fx *fx = *state;
        sampler_free(fx->sampler);
        procroot_close(&fx->root);
        free(fx);
        return 0;
}

static Config *load(const char *text)
{
        Config *c = NULL;
        char *errors = NULL;
        int r = config_load_string(text, "test.conf", &c, &errors);
        if (r < 0)
                fail_msg("config: %s", errors ? errors : "?");
        return c;
}

static void test_system_tier(void **state)
{
        Fx *fx = *state;
        SystemSample s;
        assert_int_equal(sampler_system(fx->sampler, 42, &s), 0);
        assert_int_equal(s.usec, 42);
        assert_int_equal(s.mem.total_kb, 24683620);
        assert_int_equal(s.mem.available_kb, 24419596);
        assert_true(s.has_psi);
        assert_true(s.psi.has_full);
        /* kept-open descriptors: a second read gives the same answer */
        SystemSample again;
        assert_int_equal(sampler_system(fx->sampler, 43, &again), 0);
        assert_int_equal(again.mem.available_kb, s.mem.available_kb);
}

static void test_full_tier(void **state)
{
        Fx *fx = *state;
        Config *c = load("[rule shell]\nprocess = capture.sh\nwhen = proc.pss > 1G\naction = warn\n");
        Snapshot snap = { 0 };
        assert_int_equal(sampler_full(fx->sampler, c, false, NULL, 7, &snap), 0);
        assert_int_equal(snap.procs_usec, 7);

        /* kthreadd (2) and a kworker (10) are kernel threads, 5334 a
         * zombie: none of them is a candidate, so none is sampled. */
        assert_int_equal(snap.n_procs, 3);
        const ProcSample *init = snapshot_find_proc(&snap, 1, 19);
        const ProcSample *sh = snapshot_find_proc(&snap, 5326, 177959);
        const ProcSample *hostile = snapshot_find_proc(&snap, 5338, 177964);
        assert_non_null(init);
        assert_non_null(sh);
        assert_non_null(hostile);
        assert_null(snapshot_find_proc(&snap, 5334, 177962));
        assert_null(snapshot_find_proc(&snap, 5326, 1)); /* pid reused: another process */

        assert_string_equal(hostile->comm, "a) Z 1 (x");
        assert_string_equal(hostile->cmdline, "hostile?argv0 60 0");
        assert_string_equal(sh->cmdline, "/bin/bash tests/fixtures/capture.sh host-v1");
        assert_int_equal(sh->oom_score, 666);
        assert_int_equal(sh->oom_score_adj, 0);
        assert_false(sh->kthread);
        assert_int_equal(sh->rss_kb, 769 * 4);

        /* PSS only where a rule needs it: the matching shell */
        assert_true(sh->has_pss);
        assert_int_equal(sh->pss_kb, 649);
        assert_false(hostile->has_pss);
        assert_false(init->has_pss);

        /* every process here sits in cgroup "/": no unit */
        assert_int_equal(snap.n_units, 0);
        assert_int_equal(sh->unit, -1);

        /* the next sample takes cmdline over from the previous one */
        Snapshot next = { 0 };
        const char *moved = sh->cmdline;
        assert_int_equal(sampler_full(fx->sampler, c, true, &snap, 8, &next), 0);
        const ProcSample *sh2 = snapshot_find_proc(&next, 5326, 177959);
        assert_non_null(sh2);
        assert_ptr_equal(sh2->cmdline, moved);
        /* all_pss: every process whose smaps_rollup is readable; PID 1's
         * was not (EACCES when captured) and is simply left without PSS */
        assert_true(snapshot_find_proc(&next, 5338, 177964)->has_pss);
        assert_false(snapshot_find_proc(&next, 1, 19)->has_pss);

        snapshot_clear(&snap);
        snapshot_clear(&next);
        config_free(c);
}

static void test_missing_root(void **state)
{
        (void)state;
        ProcRoot root;
        assert_int_equal(procroot_open(TEST_PATH("fixtures/does-not-exist"), NULL, &root), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_system_tier, setup, teardown),
                cmocka_unit_test_setup_teardown(test_full_tier, setup, teardown),
                cmocka_unit_test(test_missing_root),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
