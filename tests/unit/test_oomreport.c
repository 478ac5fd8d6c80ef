/* test_oomreport.c — what the journal says about a kernel OOM kill
 * (report/oomreport.h): the unit and scope, whose limit, the victim's
 * sizes, what memguard knew (the unit's last size, the rules holding or
 * why none acted), built from a real config and a snapshot the engine has
 * judged. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "report/oomreport.h"
#include "util/cleanup.h"

#define SEC UINT64_C(1000000)
#define MIB UINT64_C(1024)

static const char conf[] = "[rule api-budget]\n"
                           "unit = api.service\n"
                           "when = unit.memory > 400M\n"
                           "for = 1m\n"
                           "action = restart\n"
                           "[rule near-oom]\n"
                           "when = mem.available < 5%\n"
                           "action = term\n";

typedef struct Fixture {
        Config *config;
        Snapshot snap;
        RulesState *st;
        UnitSample units[4];
        ProcSample procs[4];
        char cmdline[32];
} Fixture;

static void add_unit(Fixture *x, const char *cgroup, const char *name, const char *owner, uint64_t mib)
{
        UnitSample *u = &x->units[x->snap.n_units++];
        snprintf(u->name, sizeof u->name, "%s", name);
        snprintf(u->owner, sizeof u->owner, "%s", owner);
        snprintf(u->cgroup, sizeof u->cgroup, "%s", cgroup);
        u->memory_kb = mib * MIB;
        u->memory_from_cgroup = true;
        u->memory_usec = 990 * SEC;
}

static int setup(void **state)
{
        Fixture *x = calloc(1, sizeof *x);
        _cleanup_free_ char *errors = NULL;
        assert_int_equal(config_load_string(conf, "test.conf", &x->config, &errors), 0);
        x->snap.units = x->units;
        x->snap.procs = x->procs;
        x->snap.sys.mem.total_kb = 2048 * MIB;
        x->snap.sys.mem.available_kb = 1024 * MIB;
        x->snap.sys.usec = 1000 * SEC;
        x->snap.procs_usec = 1000 * SEC;
        add_unit(x, "/system.slice/api.service", "api.service", "", 450);
        add_unit(x, "/system.slice/web.service", "web.service", "", 120);
        add_unit(x, "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service", "x.service",
                 "user@1000.service", 10);
        ProcSample *p = &x->procs[x->snap.n_procs++];
        p->pid = 42;
        p->start_time = 142;
        snprintf(p->comm, sizeof p->comm, "node");
        snprintf(x->cmdline, sizeof x->cmdline, "node server.js");
        p->cmdline = x->cmdline;
        p->unit = 0;
        p->rss_kb = 440 * MIB;

        x->st = rules_state_new();
        Decision d[8];
        bool nf;
        assert_int_equal(rules_evaluate(x->config, &x->snap, x->st, 0, RULES_PROCS_FRESH, d, 8, &nf), 0);
        x->snap.sys.usec += 12 * SEC; /* api-budget held for 12 s of 60 */
        assert_int_equal(rules_evaluate(x->config, &x->snap, x->st, 0, RULES_PROCS_FRESH, d, 8, &nf), 0);
        *state = x;
        return 0;
}

static int teardown(void **state)
{
        Fixture *x = *state;
        rules_state_free(x->st);
        config_free(x->config);
        free(x);
        return 0;
}

static OomReportSource source(Fixture *x, bool dry_run)
{
        return (OomReportSource){ .config = x->config, .snap = &x->snap, .state = x->st, .dry_run = dry_run,
                                  .now_usec = x->snap.sys.usec };
}

static OomKill kill_of(const char *comm, pid_t pid, KmsgOomScope scope, const char *task, const char *oom)
{
        OomKill k = { .source = OOMKILL_FROM_KMSG, .scope = scope, .pid = pid, .has_summary = true,
                      .has_rss = true, .anon_rss_kb = 198 * MIB, .file_rss_kb = 1 * MIB };
        snprintf(k.comm, sizeof k.comm, "%s", comm);
        snprintf(k.task_cgroup, sizeof k.task_cgroup, "%s", task);
        snprintf(k.oom_cgroup, sizeof k.oom_cgroup, "%s", oom);
        snprintf(k.constraint, sizeof k.constraint, "%s",
                 scope == KMSG_SCOPE_CGROUP ? "CONSTRAINT_MEMCG" : "CONSTRAINT_NONE");
        return k;
}

/* A unit over its own MemoryMax=, a rule on it holding. */
static void test_own_limit(void **state)
{
        Fixture *x = *state;
        OomReportSource src = source(x, false);
        OomKill k = kill_of("node", 42, KMSG_SCOPE_CGROUP, "/system.slice/api.service",
                            "/system.slice/api.service");
        static OomReport r;

        oomreport_build(&src, &k, &r);
        assert_string_equal(r.message,
                            "kernel OOM killer killed node (pid 42) in api.service: the unit hit its own "
                            "memory limit (MemoryMax=, cgroup /system.slice/api.service), which the kernel "
                            "enforces itself; anon 198 MiB, file 1.0 MiB; memguard last saw the unit at 450 "
                            "MiB, 22 s before; rules holding: api-budget (holding for 12 s)");
        assert_string_equal(r.fields.kernel_oom_scope, "cgroup");
        assert_string_equal(r.fields.kernel_oom_source, "kmsg");
        assert_string_equal(r.fields.unit, "api.service");
        assert_string_equal(r.fields.user_unit, "");
        assert_int_equal(r.fields.pid, 42);
        assert_string_equal(r.fields.comm, "node");
        assert_string_equal(r.fields.cmdline, "node server.js");
        assert_string_equal(r.fields.oom_cgroup, "/system.slice/api.service");
        assert_string_equal(r.fields.rules, "api-budget");
        assert_true(r.fields.has_rss);
        assert_int_equal(r.fields.anon_rss_kb, 198 * MIB);
        assert_true(r.fields.has_unit_memory);
        assert_int_equal(r.fields.unit_memory_kb, 450 * MIB);
        assert_false(r.fields.dry_run);

        /* the slice's limit, in dry run, on a unit no rule covers */
        src = source(x, true);
        k = kill_of("nginx", 77, KMSG_SCOPE_CGROUP, "/system.slice/web.service", "/system.slice");
        oomreport_build(&src, &k, &r);
        assert_non_null(strstr(r.message, "in web.service: system.slice hit its memory limit (MemoryMax=, "
                                          "cgroup /system.slice); "));
        assert_non_null(strstr(r.message, "memguard is in dry run and acts on nothing; no rule covers this unit"));
        assert_null(r.fields.cmdline); /* the walk did not see pid 77 */
        assert_string_equal(r.fields.rules, "");
        assert_true(r.fields.dry_run);
}

/* The whole box ran out: the system rules were not holding. */
static void test_system(void **state)
{
        Fixture *x = *state;
        OomReportSource src = source(x, false);
        OomKill k = kill_of("python3", 1201, KMSG_SCOPE_SYSTEM, "/system.slice/web.service", "");
        static OomReport r;

        oomreport_build(&src, &k, &r);
        assert_non_null(strstr(r.message, "killed python3 (pid 1201) in web.service: the system ran out of "
                                          "memory; anon 198 MiB"));
        assert_non_null(strstr(r.message, "no rule was holding: memory ran out before a rule's condition held"));
        assert_string_equal(r.fields.kernel_oom_scope, "system");
        assert_string_equal(r.fields.oom_cgroup, "");

        /* a user's unit: named as journald names it */
        k = kill_of("x", 5, KMSG_SCOPE_SYSTEM,
                    "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service/sub", "");
        oomreport_build(&src, &k, &r);
        assert_non_null(strstr(r.message, "killed x (pid 5) in x.service (user 1000): "));
        assert_string_equal(r.fields.unit, "user@1000.service");
        assert_string_equal(r.fields.user_unit, "x.service");
        assert_int_equal(r.fields.unit_memory_kb, 10 * MIB);

        /* a cgroup that is no unit, and one memguard never sampled */
        k = kill_of("y", 6, KMSG_SCOPE_SYSTEM, "/", "");
        oomreport_build(&src, &k, &r);
        assert_non_null(strstr(r.message, "killed y (pid 6) in cgroup /: the system ran out"));
        assert_false(r.fields.has_unit_memory);
        k = kill_of("z", 7, KMSG_SCOPE_SYSTEM, "/system.slice/new.service", "");
        oomreport_build(&src, &k, &r);
        assert_non_null(strstr(r.message, "in new.service: the system ran out of memory; anon 198 MiB, "
                                          "file 1.0 MiB; memguard had not sampled the unit; "));
}

/* Seen by the counters only: no pid, no comm, no sizes. */
static void test_counter(void **state)
{
        Fixture *x = *state;
        OomReportSource src = source(x, false);
        OomKill k = { .source = OOMKILL_FROM_COUNTER, .scope = KMSG_SCOPE_SYSTEM, .count = 3 };
        static OomReport r;

        snprintf(k.task_cgroup, sizeof k.task_cgroup, "/system.slice/web.service");
        oomreport_build(&src, &k, &r);
        assert_non_null(strstr(r.message, "kernel OOM killer killed 3 processes in web.service (counted in "
                                          "its memory.events; the kernel log did not show them): the "
                                          "system, or a slice above the unit, ran out of memory; memguard "
                                          "last saw"));
        assert_string_equal(r.fields.kernel_oom_source, "memory.events");
        assert_int_equal(r.fields.kernel_oom_kills, 3);
        assert_int_equal(r.fields.pid, 0);
        assert_false(r.fields.has_rss);
}

/* A victim the kernel named without its cgroup gets the unit memguard's
 * last walk found it in, if the walk saw that pid with that comm. */
static void test_resolve(void **state)
{
        Fixture *x = *state;
        OomReportSource src = source(x, false);
        OomKill k = kill_of("node", 42, KMSG_SCOPE_SYSTEM, "", "");

        oomreport_resolve(&src, &k);
        assert_string_equal(k.task_cgroup, "/system.slice/api.service");
        k = kill_of("other", 42, KMSG_SCOPE_SYSTEM, "", ""); /* the pid taken by another */
        oomreport_resolve(&src, &k);
        assert_string_equal(k.task_cgroup, "");
        k = kill_of("node", 42, KMSG_SCOPE_SYSTEM, "/kept", "");
        oomreport_resolve(&src, &k);
        assert_string_equal(k.task_cgroup, "/kept");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_own_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_system, setup, teardown),
                cmocka_unit_test_setup_teardown(test_counter, setup, teardown),
                cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
