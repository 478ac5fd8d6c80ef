/* test_sample.c — both sampling tiers on a proc tree captured from a real
 * machine (tests/fixtures/host-v1: cgroup v1 hybrid, PID 1 not systemd). */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "read/snapshot.h"
#include "sample/sample.h"
#include "select/match.h"
#include "util/procroot.h"

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
        assert_int_equal(sampler_system(fx->sampler, 42, true, &s), 0);
        assert_int_equal(s.usec, 42);
        assert_int_equal(s.mem.total_kb, 24683620);
        assert_int_equal(s.mem.available_kb, 24419596);
        assert_true(s.has_psi);
        assert_true(s.psi.has_full);
        /* kept-open descriptors: a second read gives the same answer */
        SystemSample again;
        assert_int_equal(sampler_system(fx->sampler, 43, true, &again), 0);
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

/* --- scratch proc trees: fixture files copied, one thing changed ------- */

#define FIXTURE TEST_PATH("fixtures/host-v1/proc")

typedef struct Scratch {
        char dir[64]; /* the mkdtemp directory; DIR/proc is the proc root */
        ProcRoot root;
        Sampler *sampler;
} Scratch;

static void write_file(const char *path, const char *text, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        assert_int_equal(close(fd), 0);
}

/* Copies fixture file SRC ("5326/stat") into S as DST ("10/stat"), with the
 * first FROM replaced by TO when FROM is not NULL. */
static void scratch_copy_as(const Scratch *s, const char *src_rel, const char *dst_rel,
                            const char *from, const char *to)
{
        char src[512], dst[512], buf[8192], out[8192];
        snprintf(src, sizeof src, "%s/%s", FIXTURE, src_rel);
        snprintf(dst, sizeof dst, "%s/proc/%s", s->dir, dst_rel);
        int fd = open(src, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        ssize_t n = read(fd, buf, sizeof buf - 1);
        assert_true(n >= 0 && (size_t)n < sizeof buf - 1);
        close(fd);
        buf[n] = '\0';
        size_t len = (size_t)n;
        if (from) {
                const char *at = strstr(buf, from);
                assert_non_null(at);
                size_t head = (size_t)(at - buf), flen = strlen(from), tlen = strlen(to);
                assert_true(len - flen + tlen < sizeof out);
                memcpy(out, buf, head);
                memcpy(out + head, to, tlen);
                memcpy(out + head + tlen, at + flen, len - head - flen);
                len = len - flen + tlen;
        } else {
                memcpy(out, buf, len);
        }
        write_file(dst, out, len);
}

/* Copies fixture file REL into S, FROM replaced by TO as above. */
static void scratch_copy(const Scratch *s, const char *rel, const char *from, const char *to)
{
        scratch_copy_as(s, rel, rel, from, to);
}

/* Writes TEXT as PID's file NAME in S. */
static void scratch_write(const Scratch *s, pid_t pid, const char *name, const char *text,
                          size_t len)
{
        char dst[512];
        snprintf(dst, sizeof dst, "%s/proc/%d/%s", s->dir, (int)pid, name);
        write_file(dst, text, len);
}

static const char *const pid_files[] = { "cgroup",        "cmdline", "oom_score",
                                         "oom_score_adj", "smaps_rollup", "stat",
                                         "status" };

/* A proc tree holding the fixture's meminfo, PSI and the processes PIDS
 * (copied unchanged: tests edit them afterwards). */
static void scratch_open(Scratch *s, const pid_t *pids, size_t n_pids)
{
        char path[512];
        snprintf(s->dir, sizeof s->dir, "/tmp/memguard-test-sample.XXXXXX");
        assert_non_null(mkdtemp(s->dir));
        snprintf(path, sizeof path, "%s/proc", s->dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/proc/pressure", s->dir);
        assert_int_equal(mkdir(path, 0755), 0);
        scratch_copy(s, "meminfo", NULL, NULL);
        scratch_copy(s, "pressure/memory", NULL, NULL);
        for (size_t i = 0; i < n_pids; i++) {
                snprintf(path, sizeof path, "%s/proc/%d", s->dir, (int)pids[i]);
                assert_int_equal(mkdir(path, 0755), 0);
                for (size_t f = 0; f < sizeof pid_files / sizeof *pid_files; f++) {
                        char rel[64], src[512];
                        snprintf(rel, sizeof rel, "%d/%s", (int)pids[i], pid_files[f]);
                        snprintf(src, sizeof src, "%s/%s", FIXTURE, rel);
                        if (access(src, F_OK) == 0) /* PID 1 has no smaps_rollup */
                                scratch_copy(s, rel, NULL, NULL);
                }
        }
        snprintf(path, sizeof path, "%s/proc", s->dir);
        assert_int_equal(procroot_open(path, TEST_PATH("fixtures/host-v1/no-cgroup"), &s->root), 0);
        assert_int_equal(s->root.cgroup_fd, -1);
        assert_int_equal(sampler_new(&s->root, &s->sampler), 0);
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
        (void)sb;
        (void)type;
        (void)ftw;
        return remove(path);
}

static void scratch_close(Scratch *s)
{
        sampler_free(s->sampler);
        procroot_close(&s->root);
        assert_int_equal(nftw(s->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* The system tier reads PSI once per kernel averaging period unless asked
 * for a fresh read, and carries the last values in between. */
static void test_psi_read_once_per_period(void **state)
{
        (void)state;
        Scratch s;
        SystemSample x;
        char path[512];
        static const char p55[] = "some avg10=55.00 avg60=0.00 avg300=0.00 total=1\n"
                                  "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        static const char p66[] = "some avg10=66.00 avg60=0.00 avg300=0.00 total=2\n"
                                  "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        scratch_open(&s, NULL, 0);
        snprintf(path, sizeof path, "%s/proc/pressure/memory", s.dir);
        assert_int_equal(sampler_system(s.sampler, 10 * SAMPLER_PSI_PERIOD_USEC, false, &x), 0);
        assert_true(x.has_psi);
        assert_true(x.psi.some.avg10 == 0.0);
        write_file(path, LIT(p55)); /* same inode: the sampler's fd sees it */
        uint64_t t = 10 * SAMPLER_PSI_PERIOD_USEC + SAMPLER_PSI_PERIOD_USEC / 2;
        assert_int_equal(sampler_system(s.sampler, t, false, &x), 0);
        assert_true(x.has_psi);
        assert_true(x.psi.some.avg10 == 0.0); /* carried */
        assert_int_equal(sampler_system(s.sampler, t, true, &x), 0);
        assert_true(x.psi.some.avg10 == 55.0); /* asked for */
        write_file(path, LIT(p66));
        assert_int_equal(sampler_system(s.sampler, t + SAMPLER_PSI_PERIOD_USEC - 1, false, &x), 0);
        assert_true(x.psi.some.avg10 == 55.0);
        assert_int_equal(sampler_system(s.sampler, t + SAMPLER_PSI_PERIOD_USEC, false, &x), 0);
        assert_true(x.psi.some.avg10 == 66.0); /* a period on */
        write_file(path, LIT(p55));
        assert_int_equal(sampler_system(s.sampler, t, false, &x), 0);
        assert_true(x.psi.some.avg10 == 55.0); /* the clock went back: read */
        scratch_close(&s);
}

static const char sh_stat_comm[] = "5326 (capture.sh) ";
static const char sh_cmdline[] = "/bin/bash tests/fixtures/capture.sh host-v1";

static void test_exec_invalidates_cmdline(void **state)
{
        (void)state;
        Scratch sc;
        const pid_t pids[] = { 5326 };
        scratch_open(&sc, pids, 1);
        Config *c = load("");

        Snapshot a = { 0 }, b = { 0 }, d = { 0 };
        assert_int_equal(sampler_full(sc.sampler, c, false, NULL, 1, &a), 0);
        assert_int_equal(a.n_procs, 1);
        assert_string_equal(a.procs[0].cmdline, sh_cmdline);

        /* Same comm: the cmdline is carried, the file is not read again. */
        scratch_write(&sc, 5326, "cmdline", "prog\0--flag\0", 12);
        assert_int_equal(sampler_full(sc.sampler, c, false, &a, 2, &b), 0);
        assert_int_equal(b.n_procs, 1);
        assert_string_equal(b.procs[0].cmdline, sh_cmdline);
        snapshot_clear(&a);

        /* exec renames: same pid and start time, new comm, new cmdline. */
        scratch_copy(&sc, "5326/stat", sh_stat_comm, "5326 (prog) ");
        assert_int_equal(sampler_full(sc.sampler, c, false, &b, 3, &d), 0);
        assert_int_equal(d.n_procs, 1);
        assert_string_equal(d.procs[0].comm, "prog");
        assert_int_equal(d.procs[0].start_time, 177959);
        assert_string_equal(d.procs[0].cmdline, "prog --flag");
        /* PREV's string was not moved, so clearing PREV frees it. */
        assert_string_equal(b.procs[0].cmdline, sh_cmdline);

        snapshot_clear(&b);
        snapshot_clear(&d);
        config_free(c);
        scratch_close(&sc);
}

static void test_cgroup_change_updates_unit(void **state)
{
        (void)state;
        Scratch sc;
        const pid_t pids[] = { 5326, 5338 };
        scratch_open(&sc, pids, 2);
        Config *c = load("");

        static const char ssh[] = "0::/system.slice/ssh.service/child\n";
        static const char scope[] = "0::/user.slice/user-1000.slice/session-3.scope\n";
        scratch_write(&sc, 5326, "cgroup", ssh, sizeof ssh - 1);
        Snapshot a = { 0 }, b = { 0 };
        assert_int_equal(sampler_full(sc.sampler, c, false, NULL, 1, &a), 0);
        const ProcSample *p = snapshot_find_proc(&a, 5326, 177959);
        assert_non_null(p);
        assert_int_equal(a.n_units, 1);
        assert_int_equal(p->unit, 0);
        assert_string_equal(a.units[0].name, "ssh.service");
        assert_string_equal(a.units[0].cgroup, "/system.slice/ssh.service");
        assert_int_equal(snapshot_find_proc(&a, 5338, 177964)->unit, -1);

        /* pam_systemd moved it: the next sample sees the new unit, and the
         * old one, now empty, is not in the snapshot at all. */
        scratch_write(&sc, 5326, "cgroup", scope, sizeof scope - 1);
        assert_int_equal(sampler_full(sc.sampler, c, false, &a, 2, &b), 0);
        p = snapshot_find_proc(&b, 5326, 177959);
        assert_non_null(p);
        assert_int_equal(b.n_units, 1);
        assert_true(p->unit >= 0);
        assert_string_equal(b.units[p->unit].name, "session-3.scope");
        assert_string_equal(b.units[p->unit].cgroup, "/user.slice/user-1000.slice/session-3.scope");
        assert_int_equal(b.units[p->unit].main_pid, 5326);
        assert_null(snapshot_find_unit(&b, "ssh.service"));
        assert_string_equal(p->cmdline, sh_cmdline); /* still carried */

        snapshot_clear(&a);
        snapshot_clear(&b);
        config_free(c);
        scratch_close(&sc);
}

/* PIDs 1, 5326 and 5338 of the fixture, the last two in api.service and
 * web.service. */
static void scratch_two_units(Scratch *sc)
{
        const pid_t pids[] = { 1, 5326, 5338 };
        static const char api[] = "0::/system.slice/api.service\n";
        static const char web[] = "0::/system.slice/web.service\n";

        scratch_open(sc, pids, 3);
        scratch_write(sc, 5326, "cgroup", api, sizeof api - 1);
        scratch_write(sc, 5338, "cgroup", web, sizeof web - 1);
}

/* Out of memory midway through a walk: what was read is kept and the walk
 * says it is partial (1); every process in it is whole (a process whose
 * unit could not be recorded is left out, never kept without the unit
 * that may protect it), and nothing leaks (ASan). */
static void test_partial_on_oom(void **state)
{
        (void)state;
        Scratch sc;
        /* Units make unit_get allocate midway through the walk. */
        scratch_two_units(&sc);
        Config *c = load("");
        /* An exec in PID 1 after the first walk: its cmdline is read afresh
         * (one more strdup). */
        Snapshot first = { 0 };
        assert_int_equal(sampler_full(sc.sampler, c, false, NULL, 1, &first), 0);
        scratch_copy(&sc, "1/stat", "1 (process_api) ", "1 (init) ");
        scratch_write(&sc, 1, "cmdline", "/sbin/init\0", 11);

        unsigned partial = 0;
        for (unsigned n = 1;; n++) {
                assert_true(n < 100);
                Snapshot prev = { 0 }, next = { 0 };
                sampler_set_fail_after(sc.sampler, 0);
                scratch_copy(&sc, "1/stat", NULL, NULL);
                assert_int_equal(sampler_full(sc.sampler, c, false, NULL, 1, &prev), 0);
                scratch_copy(&sc, "1/stat", "1 (process_api) ", "1 (init) ");

                sampler_set_fail_after(sc.sampler, n);
                int r = sampler_full(sc.sampler, c, false, &prev, 2, &next);
                sampler_set_fail_after(sc.sampler, 0);
                assert_true(r == 0 || r == 1);
                assert_true(next.n_procs <= 3);
                for (size_t i = 0; i < next.n_procs; i++) {
                        const ProcSample *p = &next.procs[i];
                        if (p->pid == 5326 || p->pid == 5338) {
                                assert_true(p->unit >= 0 && (size_t)p->unit < next.n_units);
                                assert_string_equal(next.units[p->unit].name,
                                                    p->pid == 5326 ? "api.service" : "web.service");
                        }
                        if (p->pid == 1 && p->cmdline)
                                assert_string_equal(p->cmdline, "/sbin/init");
                        if (p->pid == 5326)
                                assert_string_equal(p->cmdline, sh_cmdline);
                }
                snapshot_clear(&prev);
                if (r == 0) {
                        assert_int_equal(next.n_procs, 3);
                        assert_string_equal(snapshot_find_proc(&next, 1, 19)->cmdline, "/sbin/init");
                        snapshot_clear(&next);
                        break;
                }
                partial++;
                snapshot_clear(&next);
        }
        /* The process table, the unit table, PID 1's new cmdline (the
         * unit index is the sampler's, made by the first walk): each
         * failure gave a partial walk, none an error. */
        assert_int_equal(partial, 3);

        /* Into the tables of an earlier walk, emptied (as tick_full()
         * does), a walk that meets no new process allocates nothing: the
         * failure armed for its first allocation never comes, and it is
         * whole. Short of memory, memguard still holds every process. */
        Snapshot second = { 0 };
        assert_int_equal(sampler_full(sc.sampler, c, false, &first, 2, &second), 0);
        snapshot_empty(&first);
        assert_int_equal(first.n_procs, 0);
        assert_true(first.procs_cap >= 3 && first.units_cap >= 2);
        sampler_set_fail_after(sc.sampler, 1);
        assert_int_equal(sampler_full(sc.sampler, c, false, &second, 3, &first), 0);
        sampler_set_fail_after(sc.sampler, 0);
        assert_int_equal(first.n_procs, 3);
        assert_int_equal(first.n_units, 2);
        assert_string_equal(snapshot_find_proc(&first, 1, 19)->cmdline, "/sbin/init");
        snapshot_clear(&second);

        snapshot_clear(&first);
        config_free(c);
        scratch_close(&sc);
}

/* The next walk's tables after a burst (tick_full()): cut to twice what
 * the last whole walk held once it held under a quarter of them, never
 * below their first size; grown back as before; and a walk into the cut
 * tables reads everything. */
static void test_tables_fit(void **state)
{
        (void)state;
        assert_int_equal(snapshot_fit_rows(10, 16384, SNAPSHOT_FIRST_PROCS), SNAPSHOT_FIRST_PROCS);
        assert_int_equal(snapshot_fit_rows(900, 4096, 256), 1800);
        assert_int_equal(snapshot_fit_rows(1024, 4096, 256), 4096); /* a quarter: kept */
        assert_int_equal(snapshot_fit_rows(0, 256, 256), 256);
        assert_int_equal(snapshot_fit_rows(3, 1024, SNAPSHOT_FIRST_UNITS), SNAPSHOT_FIRST_UNITS);
        assert_int_equal(snapshot_fit_rows(100, 1024, 32), 200);

        Snapshot s = { 0 };
        bool shrunk = true;
        assert_int_equal(snapshot_fit(&s, 4096, 1024, &shrunk), 0);
        assert_false(shrunk);
        assert_true(s.procs_cap == 4096 && s.units_cap == 1024 && s.procs && s.units);
        assert_int_equal(snapshot_fit(&s, 256, 32, &shrunk), 0);
        assert_true(shrunk);
        assert_true(s.procs_cap == 256 && s.units_cap == 32 && s.procs && s.units);
        assert_int_equal(snapshot_fit(&s, 256, 64, &shrunk), 0);
        assert_false(shrunk);
        assert_int_equal(s.units_cap, 64);

        Scratch sc;
        scratch_two_units(&sc);
        Config *c = load("");
        assert_int_equal(snapshot_fit(&s, SNAPSHOT_FIRST_PROCS, SNAPSHOT_FIRST_UNITS, NULL), 0);
        assert_int_equal(sampler_full(sc.sampler, c, false, NULL, 1, &s), 0);
        assert_int_equal(s.n_procs, 3);
        assert_int_equal(s.n_units, 2);
        assert_int_equal(s.procs_cap, SNAPSHOT_FIRST_PROCS);
        snapshot_clear(&s);
        config_free(c);
        scratch_close(&sc);
}

/* Out of descriptors: the sampler gives back the spare one it holds and
 * reads on, so the walk is whole. (RLIMIT_NOFILE is lowered to what is open
 * now, for this process only, and restored.) */
static void test_walk_without_descriptors(void **state)
{
        (void)state;
        Scratch sc;
        const pid_t pids[] = { 1, 5326, 5338 };
        scratch_open(&sc, pids, 3);
        Config *c = load("");

        FdsFull full;
        fds_fill(&full);
        Snapshot a = { 0 };
        int r = sampler_full(sc.sampler, c, false, NULL, 1, &a);
        fds_give_back(&full);
        assert_int_equal(r, 0);
        assert_int_equal(a.n_procs, 3);
        snapshot_clear(&a);

        /* and the spare is taken back for the next time short of them */
        fds_fill(&full);
        r = sampler_full(sc.sampler, c, false, NULL, 2, &a);
        fds_give_back(&full);
        assert_int_equal(r, 0);
        assert_int_equal(a.n_procs, 3);
        snapshot_clear(&a);
        config_free(c);
        scratch_close(&sc);
}

static void test_exiting_skipped(void **state)
{
        (void)state;
        Scratch sc;
        const pid_t pids[] = { 5326, 5338 };
        scratch_open(&sc, pids, 2);
        Config *c = load("");

        /* flags 0x400000 (PF_RANDOMIZE) | 0x4 (PF_EXITING); RSS reads 0 as
         * it does after exit_mm(). */
        scratch_copy(&sc, "5326/stat", " 4194304 4341 ", " 4194308 4341 ");
        Snapshot a = { 0 };
        assert_int_equal(sampler_full(sc.sampler, c, true, NULL, 1, &a), 0);
        assert_int_equal(a.n_procs, 1);
        assert_null(snapshot_find_proc(&a, 5326, 177959));
        assert_non_null(snapshot_find_proc(&a, 5338, 177964));

        snapshot_clear(&a);
        config_free(c);
        scratch_close(&sc);
}

/* Kernel thread 10's start time (stat field 22) is 19 ticks in the fixture;
 * 0 is older than the settling time however recently the test host booted. */
static const char kworker_start[] = " 1 0 19 0 0 ";
static const char kworker_boot[] = " 1 0 0 0 0 ";

static ino_t scratch_ino(const Scratch *s, const char *rel)
{
        char path[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/proc/%s", s->dir, rel);
        assert_int_equal(stat(path, &st), 0);
        return st.st_ino;
}

static void test_kthread_known_until_pid_reused(void **state)
{
        (void)state;
        Scratch sc;
        const pid_t pids[] = { 10, 5326 };
        scratch_open(&sc, pids, 2);
        scratch_copy(&sc, "10/stat", kworker_start, kworker_boot);
        Config *c = load("");

        Snapshot a = { 0 }, b = { 0 }, d = { 0 }, e = { 0 };
        assert_int_equal(sampler_full(sc.sampler, c, false, NULL, 1, &a), 0);
        assert_int_equal(a.n_procs, 1);
        assert_non_null(snapshot_find_proc(&a, 5326, 177959));

        /* Known now, by pid and directory inode: its stat is not read
         * again, so even one that no longer says "kernel thread" (which a
         * live kernel never shows) leaves it out. */
        scratch_copy_as(&sc, "5326/stat", "10/stat", sh_stat_comm, "10 (stale) ");
        assert_int_equal(sampler_full(sc.sampler, c, false, &a, 2, &b), 0);
        assert_int_equal(b.n_procs, 1);
        assert_null(snapshot_find_proc(&b, 10, 177959));

        /* A partial sample keeps what the last whole walk knew. */
        sampler_set_fail_after(sc.sampler, 1);
        assert_int_equal(sampler_full(sc.sampler, c, false, &b, 3, &d), 1);
        sampler_set_fail_after(sc.sampler, 0);
        snapshot_clear(&d);
        assert_int_equal(sampler_full(sc.sampler, c, false, &b, 4, &d), 0);
        assert_int_equal(d.n_procs, 1);

        /* The kernel thread exits and a user process gets pid 10: procfs
         * makes a new /proc/10 inode for it. Here the new directory is made
         * while the old one still exists, so its inode differs too. */
        char from[512], to[512];
        snprintf(to, sizeof to, "%s/proc/10.new", sc.dir);
        assert_int_equal(mkdir(to, 0755), 0);
        static const char *const user_files[] = { "cgroup", "cmdline", "oom_score",
                                                  "oom_score_adj", "status" };
        for (size_t f = 0; f < sizeof user_files / sizeof *user_files; f++) {
                char src[64], dst[64];
                snprintf(src, sizeof src, "5326/%s", user_files[f]);
                snprintf(dst, sizeof dst, "10.new/%s", user_files[f]);
                scratch_copy_as(&sc, src, dst, NULL, NULL);
        }
        scratch_copy_as(&sc, "5326/stat", "10.new/stat", sh_stat_comm, "10 (reused) ");
        assert_true(scratch_ino(&sc, "10.new") != scratch_ino(&sc, "10"));
        snprintf(from, sizeof from, "%s/proc/10", sc.dir);
        snprintf(to, sizeof to, "%s/proc/10.old", sc.dir); /* not a pid: not walked */
        assert_int_equal(rename(from, to), 0);
        snprintf(to, sizeof to, "%s/proc/10.new", sc.dir);
        assert_int_equal(rename(to, from), 0);

        assert_int_equal(sampler_full(sc.sampler, c, false, &d, 5, &e), 0);
        assert_int_equal(e.n_procs, 2);
        const ProcSample *p = snapshot_find_proc(&e, 10, 177959);
        assert_non_null(p);
        assert_string_equal(p->comm, "reused");
        assert_string_equal(p->cmdline, sh_cmdline);

        snapshot_clear(&a);
        snapshot_clear(&b);
        snapshot_clear(&d);
        snapshot_clear(&e);
        config_free(c);
        scratch_close(&sc);
}

static void test_young_kthread_read_again(void **state)
{
        (void)state;
        Scratch sc;
        const pid_t pids[] = { 10, 5326 };
        scratch_open(&sc, pids, 2);
        /* Started "now" (far in the future of any test host's clock). */
        scratch_copy(&sc, "10/stat", kworker_start, " 1 0 99999999999 0 0 ");
        Config *c = load("");

        Snapshot a = { 0 }, b = { 0 };
        assert_int_equal(sampler_full(sc.sampler, c, false, NULL, 1, &a), 0);
        assert_int_equal(a.n_procs, 1);

        /* On older kernels a user-mode helper is a kernel thread until its
         * exec, with the same pid and /proc inode after it: a young kernel
         * thread is read every time, so the exec'd helper shows up. */
        scratch_copy_as(&sc, "5326/stat", "10/stat", sh_stat_comm, "10 (modprobe) ");
        assert_int_equal(sampler_full(sc.sampler, c, false, &a, 2, &b), 0);
        assert_int_equal(b.n_procs, 2);
        assert_non_null(snapshot_find_proc(&b, 10, 177959));

        snapshot_clear(&a);
        snapshot_clear(&b);
        config_free(c);
        scratch_close(&sc);
}

static void write_rel(const char *dir, const char *rel, const char *text)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        write_file(path, text, strlen(text));
}

/* The unit tier re-reads memory.current of the units the last walk found,
 * on a fake cgroup v2 root; a unit whose cgroup went away keeps its value
 * and time; without cgroup v2 there is no unit tier. */
static void test_unit_tier(void **state)
{
        Fx *fx = *state;
        char dir[] = "/tmp/memguard-cg-XXXXXX", path[512];
        ProcRoot root = { .proc_fd = -1, .cgroup_fd = -1 };
        Sampler *s = NULL;
        UnitSample units[2] = { 0 };
        Snapshot snap = { .units = units, .n_units = 2 };

        Config *c = load("[rule api]\nunit = api.service\nwhen = unit.memory > 1G\naction = warn\n"
                         "[rule gone]\nunit = gone.service\nwhen = unit.memory > 1G\naction = warn\n");
        assert_int_equal(sampler_units(fx->sampler, c, 5, &snap), -EOPNOTSUPP);

        assert_non_null(mkdtemp(dir));
        write_rel(dir, "cgroup.controllers", "cpu io memory pids\n");
        snprintf(path, sizeof path, "%s/system.slice", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/system.slice/api.service", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        write_rel(dir, "system.slice/api.service/memory.current", "419430400\n");
        assert_int_equal(procroot_open(TEST_PATH("fixtures/host-v1/proc"), dir, &root), 0);
        assert_true(root.cgroup_fd >= 0);
        assert_int_equal(sampler_new(&root, &s), 0);

        snprintf(units[0].name, sizeof units[0].name, "api.service");
        snprintf(units[0].cgroup, sizeof units[0].cgroup, "/system.slice/api.service");
        units[0].memory_from_cgroup = true;
        units[0].memory_kb = 1;
        units[0].memory_usec = 1;
        snprintf(units[1].name, sizeof units[1].name, "gone.service");
        snprintf(units[1].cgroup, sizeof units[1].cgroup, "/system.slice/gone.service");
        units[1].memory_from_cgroup = true;
        units[1].memory_kb = 7;
        units[1].memory_usec = 1;

        assert_int_equal(sampler_units(s, c, 100, &snap), 1);
        assert_int_equal(units[0].memory_kb, 400 * 1024);
        assert_int_equal(units[0].memory_usec, 100);
        assert_int_equal(units[1].memory_kb, 7);
        assert_int_equal(units[1].memory_usec, 1);

        write_rel(dir, "system.slice/api.service/memory.current", "524288000\n");
        assert_int_equal(sampler_units(s, c, 200, &snap), 1);
        assert_int_equal(units[0].memory_kb, 500 * 1024);
        assert_int_equal(units[0].memory_usec, 200);

        /* only the units some rule looks at are read */
        config_free(c);
        c = load("[rule other]\nunit = web.service\nwhen = unit.memory > 1G\naction = warn\n");
        write_rel(dir, "system.slice/api.service/memory.current", "104857600\n");
        assert_int_equal(sampler_units(s, c, 300, &snap), 0);
        assert_int_equal(units[0].memory_kb, 500 * 1024);
        assert_int_equal(units[0].memory_usec, 200);
        /* a system rule on growth ranks every unit */
        config_free(c);
        c = load("[rule ex]\nwhen = mem.exhaustion < 10m\ntarget = fastest-growing\n"
                 "action = restart\n");
        assert_int_equal(sampler_units(s, c, 400, &snap), 1);
        assert_int_equal(units[0].memory_kb, 100 * 1024);
        config_free(c);

        sampler_free(s);
        procroot_close(&root);
        assert_int_equal(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}


/* A user's api.service and the system's api.service are two units (issue
 * 14): keyed by cgroup, each with its owner, its own size and its own
 * largest process, both with PSS sums (no cgroup v2) and with each
 * cgroup's memory.current (cgroup v2). */
#define USER_API_CG "/user.slice/user-1000.slice/user@1000.service/app.slice/api.service"
static void test_same_named_units(void **state)
{
        (void)state;
        Scratch sc;
        const pid_t pids[] = { 1, 5326, 5338 };
        scratch_open(&sc, pids, 3);
        static const char sys_cg[] = "0::/system.slice/api.service\n";
        static const char user_cg[] = "0::" USER_API_CG "/worker\n";
        scratch_write(&sc, 5326, "cgroup", sys_cg, sizeof sys_cg - 1);
        scratch_write(&sc, 5338, "cgroup", user_cg, sizeof user_cg - 1);
        Config *c = load("[rule sys]\nunit = api.service\nwhen = unit.memory > 1G\naction = warn\n"
                         "[rule user]\nuser-unit = api.service\nwhen = unit.memory > 1G\n"
                         "action = warn\n");

        for (int v2 = 0; v2 < 2; v2++) {
                char cg[] = "/tmp/memguard-cg-XXXXXX", path[512];
                if (v2) {
                        /* the same processes, units measured by their cgroups */
                        assert_non_null(mkdtemp(cg));
                        write_rel(cg, "cgroup.controllers", "cpu io memory pids\n");
                        const char *dirs[] = { "/system.slice", "/system.slice/api.service",
                                               "/user.slice", "/user.slice/user-1000.slice",
                                               "/user.slice/user-1000.slice/user@1000.service",
                                               "/user.slice/user-1000.slice/user@1000.service/app.slice",
                                               USER_API_CG };
                        for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
                                snprintf(path, sizeof path, "%s%s", cg, dirs[i]);
                                assert_int_equal(mkdir(path, 0755), 0);
                        }
                        write_rel(cg, "system.slice/api.service/memory.current", "104857600\n");
                        write_rel(cg, USER_API_CG "/memory.current" + 1, "629145600\n");
                        sampler_free(sc.sampler);
                        procroot_close(&sc.root);
                        snprintf(path, sizeof path, "%s/proc", sc.dir);
                        assert_int_equal(procroot_open(path, cg, &sc.root), 0);
                        assert_true(sc.root.cgroup_fd >= 0);
                        assert_int_equal(sampler_new(&sc.root, &sc.sampler), 0);
                }
                Snapshot a = { 0 };
                assert_int_equal(sampler_full(sc.sampler, c, false, NULL, 1, &a), 0);
                assert_int_equal(a.n_units, 2);
                const UnitSample *sys = snapshot_find_unit(&a, "/system.slice/api.service");
                const UnitSample *user = snapshot_find_unit(&a, USER_API_CG);
                assert_non_null(sys);
                assert_non_null(user);
                assert_string_equal(sys->name, "api.service");
                assert_string_equal(user->name, "api.service");
                assert_string_equal(sys->owner, "");
                assert_string_equal(user->owner, "user@1000.service");
                assert_int_equal(sys->main_pid, 5326);
                assert_int_equal(user->main_pid, 5338);
                assert_int_equal(sys->n_procs, 1);
                assert_int_equal(user->n_procs, 1);
                if (v2) {
                        assert_int_equal(sys->memory_kb, 100 * 1024);
                        assert_int_equal(user->memory_kb, 600 * 1024);
                } else {
                        /* the sums of each unit's own processes' PSS */
                        assert_int_equal(sys->memory_kb, 649);
                        assert_int_equal(user->memory_kb, 336);
                }
                assert_true(match_unit(&c->rules[0], sys));
                assert_false(match_unit(&c->rules[0], user));
                assert_false(match_unit(&c->rules[1], sys));
                assert_true(match_unit(&c->rules[1], user));
                snapshot_clear(&a);
                if (v2)
                        assert_int_equal(nftw(cg, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
        }
        config_free(c);
        scratch_close(&sc);
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
                cmocka_unit_test(test_same_named_units),
                cmocka_unit_test_setup_teardown(test_system_tier, setup, teardown),
                cmocka_unit_test_setup_teardown(test_full_tier, setup, teardown),
                cmocka_unit_test(test_exec_invalidates_cmdline),
                cmocka_unit_test(test_cgroup_change_updates_unit),
                cmocka_unit_test(test_partial_on_oom),
                cmocka_unit_test(test_walk_without_descriptors),
                cmocka_unit_test(test_tables_fit),
                cmocka_unit_test(test_exiting_skipped),
                cmocka_unit_test(test_kthread_known_until_pid_reused),
                cmocka_unit_test(test_young_kthread_read_again),
                cmocka_unit_test(test_missing_root),
                cmocka_unit_test(test_psi_read_once_per_period),
                cmocka_unit_test_setup_teardown(test_unit_tier, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
