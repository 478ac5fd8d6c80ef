/* test_cgwatch.c — the cgroup tree watch, with real inotify on a tree
 * shaped like systemd's (a temporary directory: cgroupfs cannot be written
 * here). On cgroupfs a cgroup.events exists from mkdir() on and the kernel
 * modifies it; here a unit cgroup is built aside and renamed into place,
 * and cgroup.events is rewritten. The real cgroup file system is covered
 * by test_cgroupfs() where the test may write it, and by the system tests
 * (tests/system/scenarios/unit-budget). */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "read/cgwatch.h"

static char top[64];
static char root[96];
static char aside[96];

static void mkdir_at(const char *base, const char *rel)
{
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", base, rel);
        assert_int_equal(mkdir(p, 0755), 0);
}

static void write_at(const char *base, const char *rel, const char *text)
{
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", base, rel);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

/* A unit cgroup NAME, populated or not, built aside and renamed to REL. */
static void unit_into(const char *rel, bool populated)
{
        char from[PATH_MAX], to[PATH_MAX];
        snprintf(from, sizeof from, "%s/u", aside);
        assert_int_equal(mkdir(from, 0755), 0);
        write_at(aside, "u/cgroup.events", populated ? "populated 1\nfrozen 0\n"
                                                     : "populated 0\nfrozen 0\n");
        snprintf(to, sizeof to, "%s/%s", root, rel);
        assert_int_equal(rename(from, to), 0);
}

static int rm_tree(const char *p)
{
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
        return system(cmd);
}

static int setup(void **state)
{
        (void)state;
        snprintf(top, sizeof top, "/tmp/memguard-cgwatch.XXXXXX");
        if (!mkdtemp(top))
                return -1;
        snprintf(root, sizeof root, "%s/cgroup", top);
        snprintf(aside, sizeof aside, "%s/aside", top);
        if (mkdir(root, 0755) < 0 || mkdir(aside, 0755) < 0)
                return -1;
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        return rm_tree(top) == 0 ? 0 : -1;
}

/* systemd's layout: slices hold units; below a unit only a delegated
 * subtree, whose units count where it has slices of its own. */
static void build_tree(void)
{
        mkdir_at(root, "init.scope");
        write_at(root, "init.scope/cgroup.events", "populated 1\n");
        mkdir_at(root, "system.slice");
        mkdir_at(root, "system.slice/api.service");
        write_at(root, "system.slice/api.service/cgroup.events", "populated 1\n");
        mkdir_at(root, "system.slice/api.service/worker");
        mkdir_at(root, "user.slice");
        mkdir_at(root, "user.slice/user-1000.slice");
        mkdir_at(root, "user.slice/user-1000.slice/user@1000.service");
        write_at(root, "user.slice/user-1000.slice/user@1000.service/cgroup.events", "populated 1\n");
        mkdir_at(root, "user.slice/user-1000.slice/user@1000.service/init.scope");
        mkdir_at(root, "user.slice/user-1000.slice/user@1000.service/app.slice");
        mkdir_at(root, "user.slice/user-1000.slice/user@1000.service/app.slice/x.service");
        write_at(root, "user.slice/user-1000.slice/user@1000.service/app.slice/x.service/cgroup.events",
                 "populated 1\n");
}

static void test_tree(void **state)
{
        (void)state;
        build_tree();
        CgWatch *w = NULL;
        assert_int_equal(cgwatch_new(root, 1024, &w), 0);
        /* the root, 2 slices, 1 user slice, 2 delegated dirs, app.slice, and
         * the units init.scope, api.service, user@1000.service, x.service;
         * user@1000.service/init.scope is no unit (its parent is not a slice) */
        assert_int_equal(cgwatch_n_dirs(w), 11);
        assert_int_equal(cgwatch_n_units(w), 4);
        assert_true(cgwatch_fd(w) >= 0);
        assert_int_equal(cgwatch_process(w), 0);

        /* a unit's last process leaves, and comes back */
        write_at(root, "system.slice/api.service/cgroup.events", "populated 0\n");
        assert_int_equal(cgwatch_process(w), 1);
        assert_int_equal(cgwatch_process(w), 0);
        /* nested: a user's service */
        write_at(root, "user.slice/user-1000.slice/user@1000.service/app.slice/x.service/cgroup.events",
                 "populated 0\n");
        assert_int_equal(cgwatch_process(w), 1);

        /* a unit that arrives populated (started before its watch) */
        unit_into("system.slice/web.service", true);
        assert_int_equal(cgwatch_process(w), 1);
        assert_int_equal(cgwatch_n_units(w), 5);
        /* one that arrives empty says nothing until its first process */
        unit_into("system.slice/job.service", false);
        assert_int_equal(cgwatch_process(w), 0);
        assert_int_equal(cgwatch_n_units(w), 6);
        write_at(root, "system.slice/job.service/cgroup.events", "populated 1\n");
        assert_int_equal(cgwatch_process(w), 1);

        /* below a unit, a unit-like name is a delegated cgroup, not a unit */
        unit_into("system.slice/api.service/worker/child.service", true);
        assert_int_equal(cgwatch_process(w), 0);
        assert_int_equal(cgwatch_n_units(w), 6);
        /* ... unless it sits under a slice there (a nested manager) */
        mkdir_at(root, "system.slice/api.service/worker/inner.slice");
        assert_int_equal(cgwatch_process(w), 0);
        unit_into("system.slice/api.service/worker/inner.slice/y.service", true);
        assert_int_equal(cgwatch_process(w), 1);
        assert_int_equal(cgwatch_n_units(w), 7);
        /* '_' escaping: "_cpu.service" is the unit cpu.service */
        unit_into("system.slice/_cpu.service", true);
        assert_int_equal(cgwatch_process(w), 1);
        assert_int_equal(cgwatch_n_units(w), 8);
        /* a new slice with a unit made in one go */
        mkdir_at(aside, "s.slice");
        mkdir_at(aside, "s.slice/z.service");
        write_at(aside, "s.slice/z.service/cgroup.events", "populated 1\n");
        char from[PATH_MAX], to[PATH_MAX];
        snprintf(from, sizeof from, "%s/s.slice", aside);
        snprintf(to, sizeof to, "%s/system.slice/s.slice", root);
        assert_int_equal(rename(from, to), 0);
        assert_int_equal(cgwatch_process(w), 1);
        assert_int_equal(cgwatch_n_units(w), 9);
        size_t dirs = cgwatch_n_dirs(w);

        /* units removed: their watches are forgotten, nothing to walk for
         * (the last process leaving said it already) */
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/system.slice/web.service", root);
        assert_int_equal(rm_tree(p), 0);
        snprintf(p, sizeof p, "%s/system.slice/s.slice", root);
        assert_int_equal(rm_tree(p), 0);
        assert_int_equal(cgwatch_process(w), 0);
        assert_int_equal(cgwatch_n_units(w), 7);
        assert_int_equal(cgwatch_n_dirs(w), dirs - 3);
        /* files and plain writes elsewhere are not events */
        write_at(root, "system.slice/notes", "x\n");
        assert_int_equal(cgwatch_process(w), 0);
        cgwatch_free(w);
        cgwatch_free(NULL);
}

/* Events lost to a full queue: the tree is watched afresh and a walk asked
 * for, and what appeared meanwhile is watched. */
static void test_overflow(void **state)
{
        (void)state;
        mkdir_at(root, "system.slice");
        unit_into("system.slice/old.service", true);
        CgWatch *w = NULL;
        assert_int_equal(cgwatch_new(root, 1024, &w), 0);
        assert_int_equal(cgwatch_n_dirs(w), 3);
        FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
        unsigned max = 0;
        assert_non_null(f);
        assert_int_equal(fscanf(f, "%u", &max), 1);
        fclose(f);
        if (max > 100000) {
                cgwatch_free(w);
                SKIP("fs.inotify.max_queued_events is %u: too large to overflow here", max);
        }
        /* files raise IN_CREATE too (the mask cannot tell them apart) */
        for (unsigned i = 0; i <= max; i++) {
                char name[32];
                snprintf(name, sizeof name, "system.slice/f%u", i);
                write_at(root, name, "");
        }
        unit_into("system.slice/late.service", false);
        /* and one goes whose removal may be lost with the rest */
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/system.slice/old.service", root);
        assert_int_equal(rm_tree(p), 0);
        assert_int_equal(cgwatch_process(w), 1);
        assert_int_equal(cgwatch_n_dirs(w), 3);
        assert_int_equal(cgwatch_n_units(w), 1);
        assert_int_equal(cgwatch_process(w), 0);
        cgwatch_free(w);
}

/* Past its budget of watches: an error the daemon falls back from. */
static void test_limits(void **state)
{
        (void)state;
        build_tree(); /* 11 directories, 4 of them units: 15 watches */
        CgWatch *w = NULL;
        assert_int_equal(cgwatch_new(root, 14, &w), -ENOSPC);
        assert_null(w);
        assert_int_equal(cgwatch_new(root, 15, &w), 0);
        assert_int_equal(cgwatch_n_dirs(w) + cgwatch_n_units(w), 15);
        /* the same limit reached by a cgroup that comes later */
        mkdir_at(root, "system.slice/late");
        assert_int_equal(cgwatch_process(w), -ENOSPC);
        cgwatch_free(w);

        /* deeper than CGWATCH_MAX_DEPTH: watched to that depth */
        char rel[PATH_MAX] = "deep";
        for (unsigned i = 0; i < CGWATCH_MAX_DEPTH + 5; i++) {
                mkdir_at(root, rel);
                strcat(rel, "/d");
        }
        assert_int_equal(cgwatch_new(root, 1024, &w), 0);
        assert_int_equal(cgwatch_n_dirs(w), 12 + CGWATCH_MAX_DEPTH);
        cgwatch_free(w);

        /* no such tree */
        w = NULL;
        assert_int_equal(cgwatch_new("/nonexistent-cgroup-root", 1024, &w), -ENOENT);
        assert_null(w);
}

/* An eighth of the kernel's limit, within bounds. */
static void test_budget(void **state)
{
        (void)state;
        write_at(top, "limit", "16384\n");
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/limit", top);
        assert_int_equal(cgwatch_budget(p), 2048);
        write_at(top, "limit", "1048576\n");
        assert_int_equal(cgwatch_budget(p), CGWATCH_MAX_WATCHES);
        write_at(top, "limit", "junk\n");
        assert_int_equal(cgwatch_budget(p), 1024);
        assert_int_equal(cgwatch_budget("/nonexistent"), 1024);
        assert_true(cgwatch_budget(NULL) > 0);
}

/* The limit's text as the budget reads it: strtoull()'s number. */
static void test_budget_parse(void **state)
{
        (void)state;
        assert_int_equal(cgwatch_budget_parse(LIT("16384\n")), 2048);
        assert_int_equal(cgwatch_budget_parse(LIT("16384")), 2048);
        assert_int_equal(cgwatch_budget_parse(LIT(" 8192x")), 1024);
        assert_int_equal(cgwatch_budget_parse(LIT("+800")), 100);
        assert_int_equal(cgwatch_budget_parse(LIT("7\n")), 0);
        assert_int_equal(cgwatch_budget_parse(LIT("1048576\n")), CGWATCH_MAX_WATCHES);
        assert_int_equal(cgwatch_budget_parse(LIT("18446744073709551615")), CGWATCH_MAX_WATCHES);
        assert_int_equal(cgwatch_budget_parse(LIT("18446744073709551616")), 1024);
        assert_int_equal(cgwatch_budget_parse(LIT("junk\n")), 1024);
        assert_int_equal(cgwatch_budget_parse(LIT("-")), 1024);
        assert_int_equal(cgwatch_budget_parse(LIT("")), 1024);
        assert_int_equal(cgwatch_budget_parse(LIT("\n")), 1024);
        /* never past LEN: "16384" cut to "16" */
        assert_int_equal(cgwatch_budget_parse("16384", 2), 2);
}

/* cgroup.events: only "populated 0" says empty. */
static void test_events_populated(void **state)
{
        (void)state;
        assert_true(cgwatch_events_populated(LIT("populated 1\nfrozen 0\n")));
        assert_false(cgwatch_events_populated(LIT("populated 0\nfrozen 0\n")));
        assert_false(cgwatch_events_populated(LIT("frozen 1\npopulated 0\n")));
        assert_false(cgwatch_events_populated(LIT("populated 0")));
        /* unknown counts as yes: a walk settles it */
        assert_true(cgwatch_events_populated(LIT("")));
        assert_true(cgwatch_events_populated(LIT("frozen 0\n")));
        assert_true(cgwatch_events_populated(LIT("populated ")));
        assert_true(cgwatch_events_populated(LIT("populated\n0")));
        /* never past LEN: the '0' is not in the buffer */
        assert_true(cgwatch_events_populated("populated 0\n", 10));
        assert_false(cgwatch_events_populated("populated 0\n", 11));
}

/* ---- the real cgroup v2 file system ----------------------------------- */

static char cg_self[2100];  /* our own cgroup's directory */
static char cg_test[2200];  /* the test's cgroup below it */
static pid_t cg_child;

/* The cgroup2 mount point, from mountinfo. */
static int cgroup2_mount(char *ret, size_t size)
{
        FILE *f = fopen("/proc/self/mountinfo", "r");
        char line[4096];
        int r = -ENOENT;
        while (f && r < 0 && fgets(line, sizeof line, f)) {
                char mnt[PATH_MAX], fstype[64];
                /* ID PARENT MAJ:MIN ROOT MOUNT OPTS [OPTIONAL...] - TYPE ... */
                const char *dash = strstr(line, " - ");
                if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
                    sscanf(dash, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2") != 0)
                        continue;
                snprintf(ret, size, "%.1000s", mnt);
                r = 0;
        }
        if (f)
                fclose(f);
        return r;
}

static bool wait_event(CgWatch *w)
{
        struct pollfd p = { .fd = cgwatch_fd(w), .events = POLLIN };
        return poll(&p, 1, 5000) == 1; /* kernfs notifies from a work queue */
}

static void move_to(const char *dir, pid_t pid)
{
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%.2200s/cgroup.procs", dir);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fprintf(f, "%d\n", (int)pid);
        assert_int_equal(fclose(f), 0);
}

static int cg_setup(void **state)
{
        (void)state;
        char mnt[1024], self[1024] = "";
        cg_test[0] = '\0';
        cg_child = 0;
        FILE *f = fopen("/proc/self/cgroup", "r");
        char line[PATH_MAX];
        while (f && fgets(line, sizeof line, f))
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(self, sizeof self, "%.1000s", line + 3);
                }
        if (f)
                fclose(f);
        if (cgroup2_mount(mnt, sizeof mnt) < 0 || !self[0])
                return 0;
        snprintf(cg_self, sizeof cg_self, "%.1000s%.1000s", mnt, strcmp(self, "/") ? self : "");
        snprintf(cg_test, sizeof cg_test, "%.2050s/memguard-test-%d.slice", cg_self, (int)getpid());
        if (mkdir(cg_test, 0755) < 0)
                cg_test[0] = '\0'; /* not root, read-only, or delegated elsewhere */
        return 0;
}

static int cg_teardown(void **state)
{
        (void)state;
        if (cg_child > 0) {
                kill(cg_child, SIGKILL);
                waitpid(cg_child, NULL, 0);
        }
        if (cg_test[0]) {
                char p[PATH_MAX];
                snprintf(p, sizeof p, "%.2200s/u.service", cg_test);
                (void)rmdir(p);
                (void)rmdir(cg_test);
        }
        return 0;
}

/* kernfs raises IN_MODIFY on cgroup.events when "populated" flips, and
 * before Linux 7.1 no IN_IGNORED for a removed directory: its watches are
 * dropped on the parent's IN_DELETE. Skipped where no cgroup2 is mounted
 * or the test may not write it (it runs on the CI host). */
static void test_cgroupfs(void **state)
{
        (void)state;
        if (!cg_test[0])
                SKIP("no writable cgroup2 mount for a test cgroup");
        CgWatch *w = NULL;
        assert_int_equal(cgwatch_new(cg_test, 64, &w), 0);
        assert_int_equal(cgwatch_n_dirs(w), 1);

        char unit[PATH_MAX];
        snprintf(unit, sizeof unit, "%.2200s/u.service", cg_test);
        assert_int_equal(mkdir(unit, 0755), 0);
        assert_true(wait_event(w));
        assert_int_equal(cgwatch_process(w), 0); /* empty */
        assert_int_equal(cgwatch_n_dirs(w), 2);
        assert_int_equal(cgwatch_n_units(w), 1);

        cg_child = fork();
        assert_true(cg_child >= 0);
        if (cg_child == 0) {
                pause();
                _exit(0);
        }
        move_to(unit, cg_child);
        assert_true(wait_event(w));
        assert_int_equal(cgwatch_process(w), 1); /* its first process */
        move_to(cg_self, cg_child);
        assert_true(wait_event(w));
        assert_int_equal(cgwatch_process(w), 1); /* its last left */

        assert_int_equal(rmdir(unit), 0);
        assert_true(wait_event(w));
        assert_int_equal(cgwatch_process(w), 0);
        assert_int_equal(cgwatch_n_dirs(w), 1);
        assert_int_equal(cgwatch_n_units(w), 0);
        cgwatch_free(w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_tree, setup, teardown),
                cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
                cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
                cmocka_unit_test(test_budget_parse),
                cmocka_unit_test(test_events_populated),
                cmocka_unit_test_setup_teardown(test_cgroupfs, cg_setup, cg_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
