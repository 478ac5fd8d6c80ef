/* test_status.c — the view `memguard status` shows (report/status.h,
 * render.h): written by the daemon's code from a real config and a
 * snapshot the engine has judged, read back, rendered as a table and as
 * JSON; a file cut short or of another layout refused, names that
 * processes chose escaped. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "read/snapshot.h"
#include "report/render.h"
#include "report/status.h"
#include "rules/rules.h"
#include "sample/history.h"
#include "util/cleanup.h"

#define SEC UINT64_C(1000000)
#define MIB UINT64_C(1024)

static const char conf[] =
        "[rule api-budget]\n"
        "unit = api.service\n"
        "when = unit.memory > 400M\n"
        "for = 30s\n"
        "action = warn\n"
        "[rule near-oom]\n"
        "when = mem.available < 5%\n"
        "action = term\n";

static void add_unit(Snapshot *s, const char *name, uint64_t mib)
{
        UnitSample *u = &s->units[s->n_units++];
        memset(u, 0, sizeof *u);
        snprintf(u->name, sizeof u->name, "%s", name);
        snprintf(u->cgroup, sizeof u->cgroup, "/system.slice/%s", name);
        u->memory_kb = mib * MIB;
        u->memory_from_cgroup = true;
}

static void add_proc(Snapshot *s, pid_t pid, const char *comm, int unit, uint64_t mib)
{
        ProcSample *p = &s->procs[s->n_procs++];
        memset(p, 0, sizeof *p);
        p->pid = pid;
        p->start_time = 100 + (uint64_t)pid;
        snprintf(p->comm, sizeof p->comm, "%s", comm);
        p->cmdline = NULL;
        p->unit = unit;
        p->rss_kb = p->pss_kb = mib * MIB;
        p->has_pss = true;
}

typedef struct Fixture {
        Config *config;
        Snapshot snap;
        RulesState *st;
        ActionLog log;
        char *buf;
        size_t len;
} Fixture;

static char *render(const StatusFile *f, bool json, size_t top)
{
        char *out = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&out, &len);
        RenderOptions o = { .top = top, .now_realtime_usec = f->header.written_realtime_usec + 3 * SEC };
        assert_non_null(m);
        if (json)
                status_render_json(m, f, &o);
        else
                status_render_text(m, f, &o);
        assert_int_equal(fclose(m), 0);
        return out;
}

static int setup(void **state)
{
        Fixture *x = calloc(1, sizeof *x);
        _cleanup_free_ char *errors = NULL;
        assert_int_equal(config_load_string(conf, "test.conf", &x->config, &errors), 0);

        static UnitSample units[4];
        static ProcSample procs[400];
        x->snap.units = units;
        x->snap.procs = procs;
        x->snap.sys.mem.total_kb = 2048 * MIB;
        x->snap.sys.mem.available_kb = 1024 * MIB;
        x->snap.sys.has_psi = true;
        x->snap.sys.psi.some.avg10 = 1.5;
        x->snap.sys.usec = 1000 * SEC;
        x->snap.procs_usec = 1000 * SEC;
        x->snap.self_pid = 7;
        add_unit(&x->snap, "web.service", 120);
        add_unit(&x->snap, "api.service", 450);
        add_proc(&x->snap, 7, "memguard", -1, 3);
        add_proc(&x->snap, 42, "node", 1, 440);
        /* a name its process chose: an escape, a newline, bytes that are
         * not UTF-8 */
        add_proc(&x->snap, 43, "ev\x1b[31mil\n\xff\xfe", 0, 100);
        /* many small ones: only the largest STATUS_MAX_PROCS are kept */
        for (int i = 0; i < 300; i++)
                add_proc(&x->snap, 1000 + i, "worker", 0, 1 + (uint64_t)i % 7);

        x->st = rules_state_new();
        Decision d[8];
        bool nf;
        assert_int_equal(rules_evaluate(x->config, &x->snap, x->st, 0, RULES_PROCS_FRESH, d, 8, &nf), 0);
        x->snap.sys.usec += 12 * SEC; /* held for 12 s of 30 */
        assert_int_equal(rules_evaluate(x->config, &x->snap, x->st, 0, RULES_PROCS_FRESH, d, 8, &nf), 0);

        Decision act = { .kind = DECISION_FIRE, .rule = &x->config->rules[1], .action = ACTION_TERM,
                         .pid = 42 };
        snprintf(act.comm, sizeof act.comm, "node");
        actionlog_add(&x->log, &act, RULES_BUSY_SYSTEM, 1796320000 * SEC, ACTION_RESULT_IN_PROGRESS, NULL);
        actionlog_result(&x->log, RULES_BUSY_SYSTEM, ACTION_RESULT_DONE);

        FILE *m = open_memstream(&x->buf, &x->len);
        static const uint64_t reported[2] = { 1, 2 }; /* system, cgroup */
        StatusSource src = { .config = x->config, .snap = &x->snap, .state = x->st, .log = &x->log,
                             .config_path = "test.conf", .started_realtime_usec = 1796300000 * SEC,
                             .now_usec = x->snap.sys.usec, .now_realtime_usec = 1796320000 * SEC,
                             .oom_reported = reported };
        assert_int_equal(status_write(m, &src), 0);
        assert_int_equal(fclose(m), 0);
        *state = x;
        return 0;
}

static int teardown(void **state)
{
        Fixture *x = *state;
        rules_state_free(x->st);
        config_free(x->config);
        free(x->buf);
        free(x);
        return 0;
}

static void test_round_trip(void **state)
{
        Fixture *x = *state;
        StatusFile *f = NULL;

        assert_int_equal(status_parse(x->buf, x->len, &f), 0);
        status_sort(f);
        assert_int_equal(f->header.pid, 7);
        assert_int_equal(f->header.pid_start_time, 107);
        assert_string_equal(f->header.config_path, "test.conf");
        assert_int_equal(f->system.mem.available_kb, 1024 * MIB);
        assert_int_equal(f->system.n_procs, 303);
        assert_int_equal(f->n_units, 2);
        assert_string_equal(f->units[0].name, "api.service"); /* largest first */
        assert_int_equal(f->units[0].budget_kb, 400 * MIB);
        assert_false(f->units[0].growth.valid); /* no history given */
        assert_int_equal(f->units[1].budget_kb, 0);
        assert_int_equal(f->n_procs, STATUS_MAX_PROCS);
        assert_int_equal(f->procs[0].pid, 42);
        assert_int_equal(f->procs[1].pid, 43);
        assert_int_equal(f->procs[STATUS_MAX_PROCS - 1].size_kb, 5 * MIB); /* the cut is by size */
        assert_int_equal(f->n_rules, 2);
        assert_string_equal(f->rules[0].name, "api-budget");
        assert_true(f->rules[0].view.active);
        assert_false(f->rules[0].view.fired);
        assert_int_equal(f->rules[0].view.n_targets, 1);
        assert_string_equal(f->rules[0].view.target, "api.service");
        assert_false(f->rules[1].view.active);
        assert_int_equal(f->n_actions, 1);
        assert_string_equal(f->actions[0].target, "node (pid 42)");
        assert_string_equal(f->actions[0].result, "done");
        status_free(f);
}

static void test_text(void **state)
{
        Fixture *x = *state;
        StatusFile *f = NULL;
        assert_int_equal(status_parse(x->buf, x->len, &f), 0);
        status_sort(f);
        char *t = render(f, false, 3);
        if (getenv("VERBOSE"))
                fputs(t, stderr);
        /* the rule holding, for how long of its `for`, on what */
        assert_non_null(strstr(t, "api-budget               unit     warn     holding for 12 s of 30 s: api.service"));
        assert_non_null(strstr(t, "near-oom                 system   term     quiet"));
        /* the kernel's OOM kills memguard reported, and where to read them */
        assert_non_null(strstr(t, "kernel    the OOM killer killed 3 since memguard started (1 system-wide, "
                                  "2 at a cgroup's limit): journalctl -u memguard MESSAGE_ID="));
        char row[128];
        snprintf(row, sizeof row, "%-32s %10s  %-22s %10s  %s\n", "api.service", "450 MiB", "-",
                 "400 MiB", "-");
        assert_non_null(strstr(t, row));
        assert_non_null(strstr(t, "400 MiB"));
        assert_non_null(strstr(t, "1024 MiB available of 2048 MiB (50%)"));
        assert_non_null(strstr(t, "(125 more: --all)\n(the view keeps the 128 largest of 303 processes)"));
        assert_non_null(strstr(t, "up 5 h 33 min; its view of 3 s ago"));
        assert_non_null(strstr(t, "near-oom             term     node (pid 42): done"));
        /* no control character of the process's name reaches the terminal */
        assert_null(strchr(t, '\x1b'));
        assert_non_null(strstr(t, "ev\\x1b[31mil\\n\\xff\\xfe"));
        free(t);
        /* nor of a unit's, a rule target's or an action's (a delegated user
         * names its own cgroups) */
        snprintf(f->units[1].name, sizeof f->units[1].name, "we\x1b]0;b\a.service");
        snprintf(f->rules[0].view.target, sizeof f->rules[0].view.target, "t\x1b[2J");
        snprintf(f->actions[0].target, sizeof f->actions[0].target, "n\rx");
        snprintf(f->procs[1].unit, sizeof f->procs[1].unit, "u\x1b[1m");
        t = render(f, false, 0);
        assert_null(strchr(t, '\x1b'));
        assert_null(strchr(t, '\a'));
        assert_null(strchr(t, '\r'));
        assert_non_null(strstr(t, "we\\x1b]0;b\\x07.service"));
        free(t);
        status_free(f);
}

static void test_json(void **state)
{
        Fixture *x = *state;
        StatusFile *f = NULL;
        assert_int_equal(status_parse(x->buf, x->len, &f), 0);
        status_sort(f);
        char *j = render(f, true, 0);
        assert_non_null(strstr(j, "\"comm\":\"ev\\u001b[31mil\\u000a\\ufffd\\ufffd\""));
        assert_non_null(strstr(j, "{\"name\":\"api.service\",\"manager\":\"system\",\"memory_bytes\":471859200,"));
        assert_non_null(strstr(j, "\"budget_bytes\":419430400"));
        assert_non_null(strstr(j, "\"kernel_oom_kills\":{\"reported_system\":1,\"reported_cgroup\":2}"));
        assert_non_null(strstr(j, "\"state\":\"holding\""));
        assert_non_null(strstr(j, "\"growth_bytes_per_second\":null"));
        assert_non_null(strstr(j, "\"result\":\"done\""));
        /* the walk's counts, beyond the processes and units the view keeps */
        char want[64];
        snprintf(want, sizeof want, "\"walk_processes\":%llu,\"walk_units\":%llu,",
                 (unsigned long long)f->system.n_procs, (unsigned long long)f->system.n_units);
        assert_non_null(strstr(j, want));
        assert_int_equal(f->system.n_procs, 303);
        /* every process (top 0: all) */
        size_t n = 0;
        for (const char *p = j; (p = strstr(p, "\"pid\":")); p++)
                n++;
        assert_int_equal(n, STATUS_MAX_PROCS + 1); /* + the daemon's own */
        assert_int_equal(j[strlen(j) - 2], '}');
        free(j);
        status_free(f);
}

/* A file cut anywhere is refused whole (a reader sees a whole view or
 * none: the daemon renames a finished file), and one of another layout
 * says so. */
static void test_refused(void **state)
{
        Fixture *x = *state;
        StatusFile *f = NULL;

        for (size_t cut = 0; cut < x->len; cut += 97)
                assert_int_equal(status_parse(x->buf, cut, &f), -EBADMSG);
        char *copy = malloc(x->len);
        memcpy(copy, x->buf, x->len);
        StatusHeader *h = (StatusHeader *)(copy + 8);
        h->version = STATUS_VERSION + 1;
        assert_int_equal(status_parse(copy, x->len, &f), -EPROTO);
        h->version = STATUS_VERSION;
        ((uint32_t *)copy)[1] = sizeof(StatusHeader) + 8; /* a longer header */
        assert_int_equal(status_parse(copy, x->len, &f), -EPROTO);
        memcpy(copy, x->buf, x->len);
        memset(copy + 8 + sizeof(StatusHeader), 0x5a, 8); /* a record's head */
        assert_int_equal(status_parse(copy, x->len, &f), -EBADMSG);
        free(copy);
}

/* A bool that is neither 0 nor 1, or an enum past its last value, is a
 * corrupt file: loading one in the renderers is undefined behaviour
 * (fuzz_status found a process's has_pss of 255 loaded by the table). */
static void test_refused_values(void **state)
{
        Fixture *x = *state;
        StatusFile *f = NULL;
        char *copy = malloc(x->len);
        size_t unit = 0, rule = 0;

        assert_non_null(copy);
        /* the records after the header: an 8-byte head (type, size) each */
        for (size_t off = 8 + sizeof(StatusHeader); off + 8 <= x->len;) {
                uint32_t size;
                memcpy(&size, x->buf + off + 4, sizeof size);
                if (size == sizeof(StatusUnit) && !unit)
                        unit = off + 8;
                if (size == sizeof(StatusRule) && !rule)
                        rule = off + 8;
                off += 8 + size;
        }
        assert_true(unit && rule);

        memcpy(copy, x->buf, x->len);
        copy[8 + offsetof(StatusHeader, dry_run)] = 2;
        assert_int_equal(status_parse(copy, x->len, &f), -EBADMSG);
        memcpy(copy, x->buf, x->len);
        copy[unit + offsetof(StatusUnit, memory_from_cgroup)] = (char)255;
        assert_int_equal(status_parse(copy, x->len, &f), -EBADMSG);
        memcpy(copy, x->buf, x->len);
        int bad = ACTION_RESTART + 1;
        memcpy(copy + rule + offsetof(StatusRule, action), &bad, sizeof bad);
        assert_int_equal(status_parse(copy, x->len, &f), -EBADMSG);
        bad = SCOPE_UNIT;
        memcpy(copy + rule + offsetof(StatusRule, action), &bad, sizeof bad);
        memcpy(copy + rule + offsetof(StatusRule, scope), &bad, sizeof bad);
        assert_int_equal(status_parse(copy, x->len, &f), 0);
        status_free(f);
        free(copy);
}

/* The fuzz corpus's state files must be of this STATUS_VERSION, or the
 * fuzzer stops at the version check and reaches no record: a layout change
 * re-versions them (tests/fuzz/README.md). The regression input is a
 * record's bool of 255, refused as such, not for its version. */
static void test_fuzz_seeds_current(void **state)
{
        (void)state;
        static const struct {
                const char *path;
                int r;
        } seeds[] = {
                { TOP_SRCDIR "/tests/fuzz/corpus/status/view", 0 },
                { TOP_SRCDIR "/tests/fuzz/regress/status/bool-255", -EBADMSG },
        };
        for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
                FILE *in = fopen(seeds[i].path, "rb");
                assert_non_null(in);
                char buf[65536];
                size_t n = fread(buf, 1, sizeof buf, in);
                fclose(in);
                StatusFile *f = NULL;
                assert_int_equal(status_parse(buf, n, &f), seeds[i].r);
                status_free(f);
        }
}

/* Looking is not deciding: the view reads every unit's growth, and a rule
 * that looked at growth it suspects but cannot vouch for would have the
 * unit sampled densely (history.h). The view must leave that alone. */
static void test_peek_no_dense(void **state)
{
        (void)state;
        Config *c = NULL;
        _cleanup_free_ char *errors = NULL;
        assert_int_equal(config_load_string("[rule gc]\nunit = gc.service\n"
                                            "when = unit.growth > 1G/h\nwindow = 2m\naction = warn\n",
                                            "t.conf", &c, &errors), 0);
        UnitSample u = { .name = "gc.service", .cgroup = "/system.slice/gc.service",
                         .memory_from_cgroup = true };
        Snapshot snap = { .units = &u, .n_units = 1 };
        History *h = history_new();
        GrowthEstimate e;
        uint64_t t = 0, seed = 12345;

        assert_non_null(h);
        /* a 200 MiB garbage-collector saw over a 1 MiB/s leak, for 4 min */
        for (; t < 240 * SEC; t += 2 * SEC + (seed = seed * 6364136223846793005u + 1) % SEC) {
                double s = (double)t / 1e6;
                u.memory_kb = (uint64_t)((100 + s + 200 * (s / 20 - (double)(uint64_t)(s / 20))) * 1024);
                u.memory_usec = snap.procs_usec = snap.sys.usec = 1000 * SEC + t;
                assert_int_equal(history_add_full(h, c, &snap), 0);
        }
        uint64_t now = 1000 * SEC + t;
        assert_true(history_unit_peek(h, c->rules[0].window_usec, u.cgroup, &e));
        assert_false(history_dense(h, now));
        /* the same look by a rule asks for dense samples: the case is one */
        assert_true(history_unit(h, c->rules[0].window_usec, u.cgroup, &e));
        assert_true(history_dense(h, now));

        /* the view carries what the histories hold: one series, its bytes */
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        const uint64_t samples[STATUS_SAMPLE_KINDS] = { 4000, 90, 7 };
        StatusSource src = { .config = c, .snap = &snap, .hist = h, .config_path = "t.conf",
                             .samples = samples,
                             .now_usec = now, .now_realtime_usec = 1796320000 * SEC };
        assert_int_equal(status_write(m, &src), 0);
        assert_int_equal(fclose(m), 0);
        StatusFile *f = NULL;
        assert_int_equal(status_parse(buf, len, &f), 0);
        /* the samples taken, by tier */
        assert_int_equal(f->header.samples[STATUS_SAMPLE_SYSTEM], 4000);
        assert_int_equal(f->header.samples[STATUS_SAMPLE_UNITS], 90);
        assert_int_equal(f->header.samples[STATUS_SAMPLE_WALKS], 7);
        assert_int_equal(f->header.history_series, 1);
        assert_int_equal(f->header.history_bytes, history_bytes(h));
        assert_true(f->header.history_bytes >= HISTORY_ENTRY_SIZE);
#ifndef __SANITIZE_ADDRESS__
        /* and the heap as malloc sees it: this test's own is in use
         * (ASan's allocator answers mallinfo2() with zeros) */
        assert_true(f->header.heap_used_bytes >= f->header.history_bytes);
#endif
        status_free(f);
        free(buf);
        history_free(h);
        config_free(c);
}

/* Read from a file as it goes (the daemon's read-back for the metrics):
 * the same view, less what it skips; a cut file refused; a file with more
 * records of a kind than the writer ever writes refused. */
static void test_read_file(void **state)
{
        Fixture *x = *state;
        char path[] = "/tmp/memguard-status.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, x->buf, x->len), (ssize_t)x->len);
        StatusFile *f = NULL, *g = NULL;

        assert_int_equal(status_read(path, &f), 0);
        assert_int_equal(status_parse(x->buf, x->len, &g), 0);
        assert_int_equal(f->n_procs, g->n_procs);
        assert_int_equal(f->n_units, g->n_units);
        assert_int_equal(f->n_actions, 1);
        assert_memory_equal(f->units, g->units, g->n_units * sizeof *g->units);
        status_free(f);
        status_free(g);

        assert_int_equal(status_read_some(path, STATUS_SKIP_PROCS | STATUS_SKIP_COOLDOWNS | STATUS_SKIP_ACTIONS,
                                          &f), 0);
        assert_int_equal(f->n_procs, 0);
        assert_int_equal(f->n_actions, 0);
        assert_int_equal(f->n_units, 2);
        assert_int_equal(f->n_rules, 2);
        assert_int_equal(f->system.n_procs, 303);
        status_free(f);

        assert_int_equal(ftruncate(fd, (off_t)x->len - 9), 0);
        assert_int_equal(status_read(path, &f), -EBADMSG);
        close(fd);
        unlink(path);
        assert_int_equal(status_read(path, &f), -ENOENT);

        /* one action more than the log holds (the view has one already) */
        size_t rec = 8 + sizeof(StatusAction), body = x->len - 8; /* less REC_END */
        char *big = calloc(1, body + STATUS_MAX_ACTIONS * rec + 8);
        memcpy(big, x->buf, body);
        size_t at = body;
        for (int i = 0; i < STATUS_MAX_ACTIONS; i++, at += rec) {
                uint32_t head[2] = { 7 /* REC_ACTION */, sizeof(StatusAction) };
                memcpy(big + at, head, sizeof head);
        }
        memcpy(big + at, x->buf + body, 8);
        assert_int_equal(status_parse(big, at + 8, &f), -EBADMSG);
        memcpy(big + at - rec, x->buf + body, 8); /* one fewer: at the bound, fine */
        assert_int_equal(status_parse(big, at - rec + 8, &f), 0);
        status_free(f);
        free(big);
}

static const StatusCount *find_count(const StatusFile *f, const char *rule, Action a, ActionResult r)
{
        for (size_t i = 0; i < f->n_counts; i++)
                if (strcmp(f->counts[i].rule, rule) == 0 && f->counts[i].action == a &&
                    f->counts[i].result == r)
                        return &f->counts[i];
        return NULL;
}

/* Every action is counted once, by (rule, action, result), when its result
 * is known; the counts reach the view; the table is bounded and loses no
 * count beyond its bound. */
static void test_counts(void **state)
{
        Fixture *x = *state;
        ActionLog *log = calloc(1, sizeof *log);
        Decision term = { .kind = DECISION_FIRE, .rule = &x->config->rules[1], .action = ACTION_TERM,
                          .pid = 42 };
        Decision warn = { .kind = DECISION_FIRE, .rule = &x->config->rules[0], .action = ACTION_WARN };
        snprintf(term.comm, sizeof term.comm, "node");
        snprintf(warn.unit, sizeof warn.unit, "api.service");

        /* a term in progress is counted when it ends, however many actions
         * came between (its record long pushed out of the ring) */
        actionlog_add(log, &term, RULES_BUSY_SYSTEM, 1 * SEC, ACTION_RESULT_IN_PROGRESS, NULL);
        assert_int_equal(log->n_counts, 0);
        for (int i = 0; i < 2 * STATUS_MAX_ACTIONS; i++)
                actionlog_add(log, &warn, 0, 2 * SEC, ACTION_RESULT_WARNED, NULL);
        actionlog_result(log, RULES_BUSY_SYSTEM, ACTION_RESULT_DONE);
        actionlog_result(log, RULES_BUSY_SYSTEM, ACTION_RESULT_DONE); /* ended once */
        actionlog_add(log, &term, RULES_BUSY_SYSTEM, 3 * SEC, ACTION_RESULT_FAILED, "No such process");
        assert_string_equal(log->rec[(log->next + STATUS_MAX_ACTIONS - 1) % STATUS_MAX_ACTIONS].result,
                            "failed: No such process");
        /* a dry run's term follows its grace, and ends as it began */
        actionlog_add(log, &term, RULES_BUSY_SYSTEM, 4 * SEC, ACTION_RESULT_DRY_RUN, NULL);
        actionlog_result(log, RULES_BUSY_SYSTEM, ACTION_RESULT_DONE);
        assert_string_equal(log->rec[(log->next + STATUS_MAX_ACTIONS - 1) % STATUS_MAX_ACTIONS].result,
                            "dry run: not done");
        /* a restart systemd did not carry out */
        Decision restart = term;
        restart.action = ACTION_RESTART;
        restart.pid = 0;
        snprintf(restart.unit, sizeof restart.unit, "api.service");
        actionlog_add(log, &restart, RULES_BUSY_RESTART, 5 * SEC, ACTION_RESULT_IN_PROGRESS, NULL);
        assert_string_equal(log->rec[(log->next + STATUS_MAX_ACTIONS - 1) % STATUS_MAX_ACTIONS].result,
                            "in progress");
        actionlog_result(log, RULES_BUSY_RESTART, ACTION_RESULT_NOT_DONE);
        assert_string_equal(log->rec[(log->next + STATUS_MAX_ACTIONS - 1) % STATUS_MAX_ACTIONS].result,
                            "not done");

        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        StatusSource src = { .config = x->config, .snap = &x->snap, .state = x->st, .log = log,
                             .has_oom_kills = true, .oom_kills = 3,
                             .now_usec = x->snap.sys.usec, .now_realtime_usec = 1796320000 * SEC };
        assert_int_equal(status_write(m, &src), 0);
        assert_int_equal(fclose(m), 0);
        StatusFile *f = NULL;
        assert_int_equal(status_parse(buf, len, &f), 0);
        assert_true(f->system.has_oom_kills);
        assert_int_equal(f->system.oom_kills, 3);
        assert_int_equal(f->n_counts, 5);
        assert_int_equal(find_count(f, "near-oom", ACTION_TERM, ACTION_RESULT_DONE)->count, 1);
        assert_int_equal(find_count(f, "near-oom", ACTION_TERM, ACTION_RESULT_FAILED)->count, 1);
        assert_int_equal(find_count(f, "near-oom", ACTION_TERM, ACTION_RESULT_DRY_RUN)->count, 1);
        assert_int_equal(find_count(f, "near-oom", ACTION_RESTART, ACTION_RESULT_NOT_DONE)->count, 1);
        assert_int_equal(find_count(f, "api-budget", ACTION_WARN, ACTION_RESULT_WARNED)->count,
                         2 * STATUS_MAX_ACTIONS);
        assert_null(find_count(f, "near-oom", ACTION_TERM, ACTION_RESULT_NOT_DONE));
        status_free(f);
        free(buf);

        /* beyond the bound: counted without the rule, nothing lost */
        Rule many[STATUS_MAX_COUNTS + 3];
        char names[STATUS_MAX_COUNTS + 3][16];
        for (size_t i = 0; i < STATUS_MAX_COUNTS + 3; i++) {
                many[i] = x->config->rules[0];
                snprintf(names[i], sizeof names[i], "r%zu", i);
                many[i].name = names[i];
                warn.rule = &many[i];
                actionlog_add(log, &warn, 0, 6 * SEC, ACTION_RESULT_WARNED, NULL);
                actionlog_add(log, &warn, 0, 6 * SEC, ACTION_RESULT_WARNED, NULL);
        }
        assert_int_equal(log->n_counts, STATUS_MAX_COUNTS);
        assert_int_equal(log->other[ACTION_WARN][ACTION_RESULT_WARNED], 2 * 8);
        m = open_memstream(&buf, &len);
        assert_int_equal(status_write(m, &src), 0);
        assert_int_equal(fclose(m), 0);
        assert_int_equal(status_parse(buf, len, &f), 0);
        assert_int_equal(f->n_counts, STATUS_MAX_COUNTS + 1);
        assert_int_equal(find_count(f, "", ACTION_WARN, ACTION_RESULT_WARNED)->count, 16);
        assert_int_equal(find_count(f, "r58", ACTION_WARN, ACTION_RESULT_WARNED)->count, 2);
        assert_null(find_count(f, "r59", ACTION_WARN, ACTION_RESULT_WARNED));
        status_free(f);
        free(buf);
        free(log);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_text),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_refused_values),
                cmocka_unit_test(test_peek_no_dense),
                cmocka_unit_test(test_counts),
                cmocka_unit_test(test_read_file),
                cmocka_unit_test(test_fuzz_seeds_current),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
