/* test_metrics.c — the Prometheus textfile (report/metrics.h): rendered
 * from a recorded view (every family, label and escape checked, and the
 * whole text held to the exposition format's rules: HELP and TYPE before
 * each family, a family's samples together, no series twice, counters
 * ending in _total, no NaN), from a view the daemon's own writer made
 * (status_write, read back as the daemon reads it), and written to a file
 * atomically, readable by node_exporter, never through a planted link. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "report/metrics.h"
#include "report/status.h"
#include "rules/rules.h"
#include "sample/growth.h"
#include "util/cleanup.h"

#define SEC UINT64_C(1000000)
#define MIB UINT64_C(1024)

static char *render(const StatusFile *f)
{
        char *out = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&out, &len);
        assert_non_null(m);
        assert_int_equal(metrics_render(m, f), 0);
        assert_int_equal(fclose(m), 0);
        if (getenv("VERBOSE"))
                fputs(out, stderr);
        return out;
}

/* The exposition format's rules, as promtool and node_exporter hold them:
 * each sample's family has had its HELP and TYPE (in that order, once),
 * a family's samples are together, no series is given twice, a counter's
 * name ends in _total, every name is memguard_ and snake case, every
 * value a number (NaN never: an unknown value is left out). */
static void assert_well_formed(const char *text)
{
        char families[64][64], current[64] = "", type[16] = "";
        size_t n_families = 0;
        char **seen = NULL;
        size_t n_seen = 0;
        const char *p = text;

        while (*p) {
                const char *eol = strchr(p, '\n');
                assert_non_null(eol); /* every line ends */
                char line[1024];
                assert_true((size_t)(eol - p) < sizeof line);
                memcpy(line, p, (size_t)(eol - p));
                line[eol - p] = '\0';
                p = eol + 1;

                char name[64], what[16];
                if (sscanf(line, "# HELP %63s", name) == 1) {
                        for (size_t i = 0; i < n_families; i++)
                                if (strcmp(families[i], name) == 0)
                                        fail_msg("%s: a second HELP (its samples are not together)", name);
                        assert_true(n_families < 64);
                        snprintf(families[n_families++], sizeof families[0], "%s", name);
                        snprintf(current, sizeof current, "%s", name);
                        type[0] = '\0';
                        assert_true(strlen(line) > strlen("# HELP ") + strlen(name) + 1); /* a text */
                        continue;
                }
                if (sscanf(line, "# TYPE %63s %15s", name, what) == 2) {
                        assert_string_equal(name, current); /* right after its HELP */
                        assert_true(strcmp(what, "gauge") == 0 || strcmp(what, "counter") == 0);
                        size_t n = strlen(name);
                        bool total = n > 6 && strcmp(name + n - 6, "_total") == 0;
                        if ((strcmp(what, "counter") == 0) != total)
                                fail_msg("%s: a %s %s _total", name, what, total ? "ending in" : "without");
                        snprintf(type, sizeof type, "%s", what);
                        continue;
                }
                assert_true(line[0] != '#');
                /* a sample: NAME[{LABELS}] VALUE */
                size_t n = strcspn(line, "{ ");
                assert_true(n < sizeof name);
                memcpy(name, line, n);
                name[n] = '\0';
                if (strcmp(name, current) != 0 || !type[0])
                        fail_msg("sample of %s outside its family (current: %s)", name, current);
                assert_int_equal(strncmp(name, "memguard_", 9), 0);
                for (const char *c = name; *c; c++)
                        assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
                const char *value = strrchr(line, ' ');
                assert_non_null(value);
                value++;
                char *end;
                double v = strtod(value, &end);
                assert_true(*value && *end == '\0');
                assert_true(v == v); /* not NaN */
                size_t key = (size_t)(value - 1 - line);
                for (size_t i = 0; i < n_seen; i++)
                        if (strlen(seen[i]) == key && strncmp(seen[i], line, key) == 0)
                                fail_msg("series twice: %s", line);
                seen = realloc(seen, (n_seen + 1) * sizeof *seen);
                seen[n_seen++] = strndup(line, key);
        }
        for (size_t i = 0; i < n_seen; i++)
                free(seen[i]);
        free(seen);
}

static void add_unit(StatusUnit *u, const char *name, const char *owner, uint64_t mib)
{
        memset(u, 0, sizeof *u);
        snprintf(u->name, sizeof u->name, "%s", name);
        snprintf(u->owner, sizeof u->owner, "%s", owner);
        u->memory_kb = mib * MIB;
        u->memory_from_cgroup = true;
        u->budget_eta_usec = GROWTH_ETA_NEVER;
}

/* A view as a daemon under a leak would have recorded it. */
static void recorded(StatusFile *f, StatusUnit *units, StatusRule *rules, StatusCount *counts)
{
        memset(f, 0, sizeof *f);
        StatusHeader *h = &f->header;
        memcpy(h->magic, "MGSTATE", 8);
        h->version = STATUS_VERSION;
        h->pid = 812;
        snprintf(h->version_str, sizeof h->version_str, "0.1.0");
        h->started_realtime_usec = 1796300000 * SEC;
        h->written_realtime_usec = 1796320000 * SEC + 250000;
        h->cpu_usec = 12 * SEC + 345678;
        h->rss_kb = 3380;
        h->sample_usec = 1840;
        h->history_series = 31;
        h->history_bytes = 31 * 616;
        h->heap_used_bytes = 301056;
        h->heap_free_bytes = 40960;
        h->samples[STATUS_SAMPLE_SYSTEM] = 48000;
        h->samples[STATUS_SAMPLE_UNITS] = 1200;
        h->samples[STATUS_SAMPLE_WALKS] = 31;

        StatusSystem *s = &f->system;
        s->mem = (MemInfo){ .total_kb = 2048 * MIB, .available_kb = 300 * MIB, .swap_total_kb = 512 * MIB,
                            .swap_free_kb = 100 * MIB };
        s->has_psi = true;
        s->psi.some = (PsiLine){ .avg10 = 1.5, .avg60 = 0.25, .avg300 = 0 };
        s->psi.full = (PsiLine){ .avg10 = 100, .avg60 = 0.01, .avg300 = 0 };
        s->psi.has_full = true;
        s->growth = (StatusGrowth){ .valid = true, .kb_per_hour = -360000, .band_kb_per_hour = 36000,
                                    .window_usec = 1800 * SEC };
        s->exhaustion_usec = 1500 * SEC;
        s->has_oom_kills = true;
        s->oom_kills = 2;
        s->oom_reported[0] = 1; /* the one memguard saw system-wide */
        s->oom_reported[1] = 0;
        s->n_procs = 140;
        s->n_units = 700;

        size_t n = 0;
        add_unit(&units[n], "api.service", "", 450);
        units[n].growth = (StatusGrowth){ .valid = true, .kb_per_hour = 36000, .band_kb_per_hour = 3600,
                                          .window_usec = 1800 * SEC };
        units[n].budget_kb = 500 * MIB;
        units[n].budget_eta_usec = 5120 * SEC;
        n++;
        add_unit(&units[n], "web.service", "", 120);
        units[n].growth = (StatusGrowth){ .valid = true, .kb_per_hour = 0, .band_kb_per_hour = INFINITY,
                                          .window_usec = 1800 * SEC };
        n++;
        add_unit(&units[n], "api.service", "user@1000.service", 64); /* a user's, same name */
        units[n].budget_kb = 100 * MIB; /* a budget, no growth: no time to it */
        n++;
        /* a name from a cgroup a delegated user made: a quote, a
         * backslash, a newline, a tab, bytes that are not UTF-8 */
        add_unit(&units[n], "ev\"il\\x2d\n\t\xff.service", "user@1000.service", 8);
        n++;
        /* the same name twice under one manager (nested slices): the larger */
        add_unit(&units[n], "dup.service", "user@1000.service", 2);
        n++;
        add_unit(&units[n], "dup.service", "user@1000.service", 5);
        n++;
        /* systemd's own escape of a unit name: a backslash, doubled */
        add_unit(&units[n], "systemd-fsck@dev-disk-by\\x2duuid-1234.service", "", 1);
        n++;
        f->units = units;
        f->n_units = n;

        memset(rules, 0, 3 * sizeof *rules);
        snprintf(rules[0].name, sizeof rules[0].name, "leak-warning");
        rules[0].scope = SCOPE_UNIT;
        rules[0].view = (RuleView){ .active = true, .fired = true, .n_targets = 2, .fires = 3 };
        snprintf(rules[1].name, sizeof rules[1].name, "near-oom");
        rules[1].view = (RuleView){ .fires = 1 };
        snprintf(rules[2].name, sizeof rules[2].name, "low-memory");
        rules[2].view = (RuleView){ .active = true };
        f->rules = rules;
        f->n_rules = 3;

        counts[0] = (StatusCount){ .rule = "leak-warning", .action = ACTION_WARN,
                                   .result = ACTION_RESULT_WARNED, .count = 3 };
        counts[1] = (StatusCount){ .rule = "near-oom", .action = ACTION_TERM, .result = ACTION_RESULT_DONE,
                                   .count = 1 };
        counts[2] = (StatusCount){ .rule = "api-budget", .action = ACTION_RESTART,
                                   .result = ACTION_RESULT_NOT_DONE, .count = 4 };
        counts[3] = (StatusCount){ .rule = "", .action = ACTION_KILL, .result = ACTION_RESULT_FAILED,
                                   .count = 7 }; /* beyond the table */
        counts[4] = (StatusCount){ .rule = "bogus", .action = 99, .result = ACTION_RESULT_DONE,
                                   .count = 1 }; /* not from this writer: left out */
        f->counts = counts;
        f->n_counts = 5;
}

static void test_recorded(void **state)
{
        (void)state;
        StatusFile f;
        StatusUnit units[8];
        StatusRule rules[3];
        StatusCount counts[5];
        recorded(&f, units, rules, counts);
        char *t = render(&f);
        assert_well_formed(t);

        static const char *const lines[] = {
                /* the daemon */
                "# HELP memguard_build_info ",
                "memguard_build_info{version=\"0.1.0\"} 1\n",
                "memguard_dry_run 0\n",
                "memguard_start_time_seconds 1796300000.000\n",
                "memguard_view_timestamp_seconds 1796320000.250000\n",
                "# TYPE memguard_cpu_seconds_total counter\nmemguard_cpu_seconds_total 12.345678\n",
                "memguard_resident_memory_bytes 3461120\n",
                "# TYPE memguard_history_bytes gauge\nmemguard_history_bytes 19096\n",
                "# TYPE memguard_history_series gauge\nmemguard_history_series 31\n",
                "# TYPE memguard_heap_bytes gauge\nmemguard_heap_bytes{state=\"used\"} 301056\n"
                "memguard_heap_bytes{state=\"free\"} 40960\n",
                "memguard_sample_duration_seconds 0.001840\n",
                "# TYPE memguard_samples_total counter\nmemguard_samples_total{tier=\"system\"} 48000\n"
                "memguard_samples_total{tier=\"units\"} 1200\nmemguard_samples_total{tier=\"walks\"} 31\n",
                /* the system */
                "# TYPE memguard_memory_total_bytes gauge\nmemguard_memory_total_bytes 2147483648\n",
                "memguard_memory_available_bytes 314572800\n",
                "memguard_swap_total_bytes 536870912\n",
                "memguard_swap_free_bytes 104857600\n",
                "ratio 0..1",
                "memguard_pressure_some_avg10 0.015\n",
                "memguard_pressure_some_avg60 0.0025\n",
                "memguard_pressure_some_avg300 0\n",
                "memguard_pressure_full_avg10 1\n",
                "memguard_pressure_full_avg60 0.0001\n",
                "memguard_memory_exhaustion_seconds 1500.000\n",
                "# TYPE memguard_kernel_oom_kills_total counter\nmemguard_kernel_oom_kills_total 2\n",
                "# TYPE memguard_kernel_oom_kills_reported_total counter\n"
                "memguard_kernel_oom_kills_reported_total{scope=\"system\"} 1\n"
                "memguard_kernel_oom_kills_reported_total{scope=\"cgroup\"} 0\n",
                "memguard_processes 140\n",
                "memguard_units 700\n",
                /* units: both managers' api.service, a budget without a
                 * growth, a growth of 0 with a band not known */
                "memguard_unit_memory_bytes{unit=\"api.service\",manager=\"system\"} 471859200\n",
                "memguard_unit_memory_bytes{unit=\"api.service\",manager=\"user@1000.service\"} 67108864\n",
                "memguard_unit_growth_bytes_per_second{unit=\"api.service\",manager=\"system\"} 10240\n",
                "memguard_unit_growth_bytes_per_second{unit=\"web.service\",manager=\"system\"} 0\n",
                "memguard_unit_growth_band_bytes_per_second{unit=\"api.service\",manager=\"system\"} 1024\n",
                "memguard_unit_growth_band_bytes_per_second{unit=\"web.service\",manager=\"system\"} +Inf\n",
                "memguard_unit_budget_bytes{unit=\"api.service\",manager=\"system\"} 524288000\n",
                "memguard_unit_budget_bytes{unit=\"api.service\",manager=\"user@1000.service\"} 104857600\n",
                "memguard_unit_budget_reached_seconds{unit=\"api.service\",manager=\"system\"} 5120.000\n",
                /* escaped as the format asks; not UTF-8 and controls replaced */
                "memguard_unit_memory_bytes{unit=\"ev\\\"il\\\\x2d\\n\xef\xbf\xbd\xef\xbf\xbd.service\","
                "manager=\"user@1000.service\"} 8388608\n",
                "memguard_unit_memory_bytes{unit=\"systemd-fsck@dev-disk-by\\\\x2duuid-1234.service\","
                "manager=\"system\"} 1048576\n",
                "memguard_unit_memory_bytes{unit=\"dup.service\",manager=\"user@1000.service\"} 5242880\n",
                /* rules */
                "# TYPE memguard_rule_active gauge\nmemguard_rule_active{rule=\"leak-warning\"} 1\n"
                "memguard_rule_active{rule=\"near-oom\"} 0\nmemguard_rule_active{rule=\"low-memory\"} 1\n",
                "# TYPE memguard_rule_fired_total counter\nmemguard_rule_fired_total{rule=\"leak-warning\"} 3\n"
                "memguard_rule_fired_total{rule=\"near-oom\"} 1\nmemguard_rule_fired_total{rule=\"low-memory\"} 0\n",
                "memguard_rule_targets{rule=\"leak-warning\"} 2\n",
                /* actions */
                "# TYPE memguard_actions_total counter\n"
                "memguard_actions_total{rule=\"leak-warning\",action=\"warn\",result=\"warned\"} 3\n"
                "memguard_actions_total{rule=\"near-oom\",action=\"term\",result=\"done\"} 1\n"
                "memguard_actions_total{rule=\"api-budget\",action=\"restart\",result=\"not_done\"} 4\n"
                "memguard_actions_total{rule=\"\",action=\"kill\",result=\"failed\"} 7\n",
        };
        for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
                if (!strstr(t, lines[i]))
                        fail_msg("missing: %s", lines[i]);

        /* left out: what is not known, the smaller unit of a name twice,
         * a count that this writer cannot have made */
        assert_null(strstr(t, "growth_bytes_per_second{unit=\"api.service\",manager=\"user@1000.service\"}"));
        assert_null(strstr(t, "budget_reached_seconds{unit=\"web.service\""));
        assert_null(strstr(t, "budget_reached_seconds{unit=\"api.service\",manager=\"user@1000.service\"}"));
        assert_null(strstr(t, "2097152\n"));
        assert_null(strstr(t, "bogus"));
        assert_null(strstr(t, "NaN"));
        /* processes never have a series */
        assert_null(strstr(t, "pid"));
        free(t);
}

/* What a box without PSI, swap, history or oom_kill has: families left
 * out, not NaN; a view without rules or actions still renders. */
static void test_absent(void **state)
{
        (void)state;
        StatusFile f;
        StatusUnit units[8];
        StatusRule rules[3];
        StatusCount counts[5];
        recorded(&f, units, rules, counts);
        f.system.has_psi = false;
        f.system.growth.valid = false;
        f.system.has_oom_kills = false;
        f.n_units = 0;
        f.n_rules = 0;
        f.n_counts = 0;
        char *t = render(&f);
        assert_well_formed(t);
        assert_null(strstr(t, "memguard_pressure"));
        assert_null(strstr(t, "memguard_memory_exhaustion_seconds"));
        assert_null(strstr(t, "memguard_kernel_oom_kills_total"));
        assert_null(strstr(t, "memguard_unit_"));
        assert_null(strstr(t, "memguard_rule_"));
        assert_non_null(strstr(t, "memguard_memory_available_bytes 314572800\n"));
        assert_non_null(strstr(t, "# TYPE memguard_actions_total counter\n")); /* a counter at 0 series */
        free(t);

        /* PSI without a "full" line; growth known but memory not falling */
        recorded(&f, units, rules, counts);
        f.system.psi.has_full = false;
        f.system.exhaustion_usec = GROWTH_ETA_NEVER;
        t = render(&f);
        assert_well_formed(t);
        assert_non_null(strstr(t, "memguard_pressure_some_avg10 "));
        assert_null(strstr(t, "memguard_pressure_full"));
        assert_null(strstr(t, "memguard_memory_exhaustion_seconds"));
        free(t);
}

/* From a view the daemon's writer made and read back as the daemon reads
 * it: the rule that holds, its budget, the counts and the OOM kills. */
static void test_from_status(void **state)
{
        (void)state;
        static const char conf[] = "[rule api-budget]\nunit = api.service\nwhen = unit.memory > 400M\n"
                                   "for = 30s\naction = warn\n"
                                   "[rule near-oom]\nwhen = mem.available < 5%\naction = term\n";
        _cleanup_free_ char *errors = NULL;
        Config *config = NULL;
        assert_int_equal(config_load_string(conf, "t.conf", &config, &errors), 0);

        UnitSample units[1] = { 0 };
        snprintf(units[0].name, sizeof units[0].name, "api.service");
        snprintf(units[0].cgroup, sizeof units[0].cgroup, "/system.slice/api.service");
        units[0].memory_kb = 450 * MIB;
        units[0].memory_from_cgroup = true;
        Snapshot snap = { .units = units, .n_units = 1, .self_pid = 7 };
        snap.sys.mem = (MemInfo){ .total_kb = 2048 * MIB, .available_kb = 1024 * MIB };
        snap.sys.usec = snap.procs_usec = 1000 * SEC;

        RulesState *st = rules_state_new();
        Decision d[8];
        bool nf;
        assert_int_equal(rules_evaluate(config, &snap, st, 0, RULES_PROCS_FRESH, d, 8, &nf), 0);

        ActionLog *log = calloc(1, sizeof *log);
        Decision term = { .kind = DECISION_FIRE, .rule = &config->rules[1], .action = ACTION_TERM, .pid = 42 };
        actionlog_add(log, &term, RULES_BUSY_SYSTEM, 1796320000 * SEC, ACTION_RESULT_IN_PROGRESS, NULL);
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        StatusSource src = { .config = config, .snap = &snap, .state = st, .log = log,
                             .config_path = "t.conf", .has_oom_kills = true, .oom_kills = 5,
                             .now_usec = snap.sys.usec, .now_realtime_usec = 1796320000 * SEC };
        assert_int_equal(status_write(m, &src), 0);
        assert_int_equal(fclose(m), 0);
        StatusFile *f = NULL;
        assert_int_equal(status_parse(buf, len, &f), 0);
        char *t = render(f);
        assert_well_formed(t);
        assert_non_null(strstr(t, "memguard_rule_active{rule=\"api-budget\"} 1\n"));
        assert_non_null(strstr(t, "memguard_rule_targets{rule=\"api-budget\"} 1\n"));
        assert_non_null(strstr(t, "memguard_rule_active{rule=\"near-oom\"} 0\n"));
        assert_non_null(strstr(t, "memguard_unit_budget_bytes{unit=\"api.service\",manager=\"system\"} 419430400\n"));
        assert_non_null(strstr(t, "memguard_kernel_oom_kills_total 5\n"));
        assert_non_null(strstr(t, "memguard_view_timestamp_seconds 1796320000.000000\n"));
        /* in progress: not counted yet */
        assert_null(strstr(t, "memguard_actions_total{"));
        free(t);
        status_free(f);
        free(buf);

        actionlog_result(log, RULES_BUSY_SYSTEM, ACTION_RESULT_DONE);
        m = open_memstream(&buf, &len);
        assert_int_equal(status_write(m, &src), 0);
        assert_int_equal(fclose(m), 0);
        assert_int_equal(status_parse(buf, len, &f), 0);
        t = render(f);
        assert_non_null(strstr(t, "memguard_actions_total{rule=\"near-oom\",action=\"term\",result=\"done\"} 1\n"));
        free(t);
        status_free(f);
        free(buf);
        free(log);
        rules_state_free(st);
        config_free(config);
}

static void test_write_file(void **state)
{
        (void)state;
        char dir[] = "/tmp/memguard-metrics.XXXXXX", path[128], tmp[128], target[128];
        struct stat sb;
        StatusFile f;
        StatusUnit units[8];
        StatusRule rules[3];
        StatusCount counts[5];
        recorded(&f, units, rules, counts);
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/memguard.prom", dir);
        snprintf(tmp, sizeof tmp, "%s/.memguard.prom.tmp", dir);
        snprintf(target, sizeof target, "%s/target", dir);

        /* a link planted where the temporary goes is not followed */
        FILE *t = fopen(target, "w");
        assert_non_null(t);
        fputs("keep\n", t);
        assert_int_equal(fclose(t), 0);
        assert_int_equal(symlink(target, tmp), 0);

        mode_t old = umask(077); /* the unit's UMask= */
        assert_int_equal(metrics_write_file(path, &f), 0);
        umask(old);
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0644);
        assert_int_equal(lstat(tmp, &sb), -1); /* renamed away */
        assert_int_equal(stat(target, &sb), 0);
        assert_int_equal(sb.st_size, 5);

        char *want = render(&f), *got = calloc(1, strlen(want) + 16);
        t = fopen(path, "r");
        assert_non_null(t);
        assert_int_equal(fread(got, 1, strlen(want) + 15, t), strlen(want));
        fclose(t);
        assert_string_equal(got, want);
        free(want);
        free(got);

        /* again over the old one */
        f.system.oom_kills = 9;
        assert_int_equal(metrics_write_file(path, &f), 0);
        assert_int_equal(stat(path, &sb), 0);

        /* a directory that is not there: said, nothing left */
        char missing[160];
        snprintf(missing, sizeof missing, "%s/no/memguard.prom", dir);
        assert_int_equal(metrics_write_file(missing, &f), -ENOENT);
        assert_int_equal(metrics_write_file("memguard.prom", &f), -EINVAL);

        unlink(path);
        unlink(target);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_recorded),
                cmocka_unit_test(test_absent),
                cmocka_unit_test(test_from_status),
                cmocka_unit_test(test_write_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
