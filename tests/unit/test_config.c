/* test_config.c — memguard.conf(5) parser: value syntax, good files parsed
 * to the expected structs, bad files against golden diagnostics, drop-ins,
 * and the shipped configuration. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "config/before.h"
#include "config/config.h"
#include "util/signame.h"

#define USEC_S UINT64_C(1000000)
#define USEC_MS UINT64_C(1000)

/* Golden messages say "config/bad-x.conf:LINE", so the files are loaded
 * by a path relative to tests/. */
static void chdir_tests(void)
{
        assert_int_equal(chdir(TOP_SRCDIR "/tests"), 0);
}

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf;
        long len;

        if (!f)
                return NULL;
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        len = ftell(f);
        assert_true(len >= 0);
        rewind(f);
        buf = malloc((size_t)len + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
        buf[len] = '\0';
        fclose(f);
        return buf;
}

static const Rule *find_rule(const Config *c, const char *name)
{
        for (size_t i = 0; i < c->n_rules; i++)
                if (strcmp(c->rules[i].name, name) == 0)
                        return &c->rules[i];
        return NULL;
}

/* Loads TEXT, expecting success. */
static Config *load_ok(const char *text)
{
        Config *c = NULL;
        char *err = NULL;
        int r = config_load_string(text, "t.conf", &c, &err);

        if (r != 0)
                fprintf(stderr, "unexpected errors:\n%s", err ? err : "(none)\n");
        assert_int_equal(r, 0);
        assert_null(err);
        assert_non_null(c);
        return c;
}

/* Loads TEXT, expecting failure with exactly ERRORS. */
static void load_bad(const char *text, const char *errors)
{
        Config *c = (Config *)(uintptr_t)0x1; /* must stay untouched */
        char *err = NULL;
        int r = config_load_string(text, "t.conf", &c, &err);

        assert_int_equal(r, -EINVAL);
        assert_ptr_equal(c, (Config *)(uintptr_t)0x1);
        assert_non_null(err);
        assert_string_equal(err, errors);
        free(err);
}

/* ---- value syntax ----------------------------------------------------- */

static void test_parse_size_ok(void **state)
{
        static const struct {
                const char *s;
                uint64_t kb;
        } cases[] = {
                {"0", 0},
                {"1", 1}, /* a byte rounds up to a kB */
                {"1024", 1},
                {"1025", 2},
                {"512B", 1},
                {"2048 b", 2},
                {"1K", 1},
                {"1k", 1},
                {"1KB", 1},
                {"1KiB", 1},
                {"1kib", 1},
                {"1.5K", 2},   /* rounded up */
                {"0.1M", 103}, /* 102.4 up */
                {"10M", 10240},
                {"10 M", 10240}, /* a space before the suffix is fine */
                {"  10M  ", 10240},
                {"400MiB", 409600},
                {"1.5G", 1572864},
                {"1.5gb", 1572864},
                {"1T", UINT64_C(1073741824)},
                {"16777215T", UINT64_C(16777215) << 30}, /* the largest in T */
                {"00010M", 10240},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t kb = 99;
                bool pct = true;
                double p = 99;
                int r = config_parse_size(cases[i].s, &kb, &pct, &p);
                if (r != 0 || kb != cases[i].kb)
                        fprintf(stderr, "size '%s': r=%d kb=%llu\n", cases[i].s, r,
                                (unsigned long long)kb);
                assert_int_equal(r, 0);
                assert_int_equal(kb, cases[i].kb);
                assert_false(pct);
        }
}

static void test_parse_size_percent(void **state)
{
        static const struct {
                const char *s;
                double pct;
        } cases[] = {
                {"15%", 15}, {"12.5%", 12.5}, {"0%", 0}, {"100%", 100}, {"7 %", 7}, {" 3% ", 3},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t kb = 99;
                bool is_pct = false;
                double p = -1;
                assert_int_equal(config_parse_size(cases[i].s, &kb, &is_pct, &p), 0);
                assert_true(is_pct);
                assert_true(p == cases[i].pct);
                assert_int_equal(kb, 0);
        }
}

static void test_parse_size_bad(void **state)
{
        static const struct {
                const char *s;
                int r;
        } cases[] = {
                {"", -EINVAL},
                {"   ", -EINVAL},
                {"M", -EINVAL},
                {"-5M", -EINVAL},
                {"+5M", -EINVAL},
                {"1e3", -EINVAL},
                {"0x10", -EINVAL},
                {"1.M", -EINVAL},
                {".5M", -EINVAL},
                {"1,5G", -EINVAL},
                {"10X", -EINVAL},
                {"10 M B", -EINVAL},
                {"10MBB", -EINVAL},
                {"10Mi", -EINVAL},
                {"5%%", -EINVAL},
                {"5 5M", -EINVAL},
                {"99999999999999999999G", -ERANGE}, /* overflows the number */
                {"18446744073709551616", -ERANGE},  /* 2^64 bytes */
                {"17179869184G", -ERANGE},          /* 2^64 bytes, in kB it fits */
                {"16777216T", -ERANGE},
                {"101%", -ERANGE},
                {"100.01%", -ERANGE},
                {"99999999999999999999%", -ERANGE},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t kb = 42;
                bool pct = true;
                double p = 42;
                int r = config_parse_size(cases[i].s, &kb, &pct, &p);
                if (r != cases[i].r)
                        fprintf(stderr, "size '%s': r=%d\n", cases[i].s, r);
                assert_int_equal(r, cases[i].r);
                /* outputs only on success */
                assert_int_equal(kb, 42);
                assert_true(pct);
                assert_true(p == 42);
        }
        {
                uint64_t kb;
                bool pct;
                double p;
                assert_int_equal(config_parse_size(NULL, &kb, &pct, &p), -EINVAL);
        }
}

static void test_parse_duration_ok(void **state)
{
        static const struct {
                const char *s;
                uint64_t usec;
        } cases[] = {
                {"0", 0},
                {"1", USEC_S}, /* bare: seconds */
                {"1.5", 1500 * USEC_MS},
                {"1.5s", 1500 * USEC_MS},
                {"1.5S", 1500 * USEC_MS},
                {"100ms", 100 * USEC_MS},
                {"100 ms", 100 * USEC_MS},
                {"250MS", 250 * USEC_MS},
                {"10us", 10},
                {"2m", 120 * USEC_S},
                {"2min", 120 * USEC_S},
                {"1.5m", 90 * USEC_S},
                {"1h", 3600 * USEC_S},
                {"0.5h", 1800 * USEC_S},
                {" 30s ", 30 * USEC_S},
                {"1.0000001s", USEC_S}, /* below a microsecond: cut */
                {"0.0000005s", 0},
                {"1.123456789123s", 1123456},
                {"5124095576h", UINT64_C(5124095576) * 3600 * USEC_S}, /* the largest in h */
                {"18446744073709.551615s", UINT64_MAX},                 /* the largest */
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t usec = 99;
                int r = config_parse_duration(cases[i].s, &usec);
                if (r != 0 || usec != cases[i].usec)
                        fprintf(stderr, "duration '%s': r=%d usec=%llu\n", cases[i].s, r,
                                (unsigned long long)usec);
                assert_int_equal(r, 0);
                assert_int_equal(usec, cases[i].usec);
        }
}

static void test_parse_duration_bad(void **state)
{
        static const struct {
                const char *s;
                int r;
        } cases[] = {
                {"", -EINVAL},
                {"s", -EINVAL},
                {"-1s", -EINVAL},
                {"1d", -EINVAL},
                {"1 fortnight", -EINVAL},
                {"1s2", -EINVAL},
                {"1m30s", -EINVAL},
                {"1.s", -EINVAL},
                {"1,5s", -EINVAL},
                {"inf", -EINVAL},
                {"1e3ms", -EINVAL},
                {"1e400", -EINVAL},
                {"1e400h", -EINVAL},
                {"1E400s", -EINVAL},
                {"99999999999999999999", -ERANGE},
                {"99999999999999999999h", -ERANGE}, /* the number overflows */
                {"5124095577h", -ERANGE},           /* the product overflows */
                {"18446744073709551615", -ERANGE},  /* UINT64_MAX seconds */
                {"18446744073709.551616s", -ERANGE}, /* the fraction tips it over */
                {"18446744073709551616us", -ERANGE},
                {"307445734561825.861h", -ERANGE},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t usec = 42;
                int r = config_parse_duration(cases[i].s, &usec);
                if (r != cases[i].r)
                        fprintf(stderr, "duration '%s': r=%d\n", cases[i].s, r);
                assert_int_equal(r, cases[i].r);
                assert_int_equal(usec, 42);
        }
        {
                uint64_t usec;
                assert_int_equal(config_parse_duration(NULL, &usec), -EINVAL);
        }
}

/* ---- names and helpers ------------------------------------------------ */

static void test_names(void **state)
{
        static const char *const metrics[_METRIC_MAX] = {
                "mem.available",  "mem.used",        "swap.free",       "swap.used",
                "psi.some.avg10", "psi.some.avg60",  "psi.some.avg300", "psi.full.avg10",
                "psi.full.avg60", "psi.full.avg300", "proc.pss",        "proc.rss",
                "proc.swap",      "unit.memory",     "mem.exhaustion",  "proc.growth",
                "unit.growth",    "proc.budget-eta", "unit.budget-eta",
        };

        (void)state;
        for (int m = 0; m < _METRIC_MAX; m++)
                assert_string_equal(metric_to_string((Metric)m), metrics[m]);
        assert_string_equal(metric_to_string(_METRIC_MAX), "?");

        assert_int_equal(metric_kind(METRIC_MEM_AVAILABLE), METRIC_KIND_SIZE);
        assert_int_equal(metric_kind(METRIC_SWAP_USED), METRIC_KIND_SIZE);
        assert_int_equal(metric_kind(METRIC_PROC_PSS), METRIC_KIND_SIZE);
        assert_int_equal(metric_kind(METRIC_UNIT_MEMORY), METRIC_KIND_SIZE);
        for (Metric m = METRIC_PSI_SOME_AVG10; m <= METRIC_PSI_FULL_AVG300; m++)
                assert_int_equal(metric_kind(m), METRIC_KIND_PERCENT);

        assert_int_equal(metric_scope(METRIC_MEM_USED), SCOPE_SYSTEM);
        assert_int_equal(metric_scope(METRIC_PSI_FULL_AVG60), SCOPE_SYSTEM);
        assert_int_equal(metric_scope(METRIC_PROC_PSS), SCOPE_PROCESS);
        assert_int_equal(metric_scope(METRIC_PROC_RSS), SCOPE_PROCESS);
        assert_int_equal(metric_scope(METRIC_PROC_SWAP), SCOPE_PROCESS);
        assert_int_equal(metric_scope(METRIC_UNIT_MEMORY), SCOPE_UNIT);
        assert_int_equal(metric_scope(METRIC_MEM_EXHAUSTION), SCOPE_SYSTEM);
        assert_int_equal(metric_scope(METRIC_PROC_GROWTH), SCOPE_PROCESS);
        assert_int_equal(metric_scope(METRIC_PROC_BUDGET_ETA), SCOPE_PROCESS);
        assert_int_equal(metric_scope(METRIC_UNIT_GROWTH), SCOPE_UNIT);
        assert_int_equal(metric_scope(METRIC_UNIT_BUDGET_ETA), SCOPE_UNIT);
        assert_int_equal(metric_kind(METRIC_UNIT_GROWTH), METRIC_KIND_RATE);
        assert_int_equal(metric_kind(METRIC_UNIT_BUDGET_ETA), METRIC_KIND_TIME);

        assert_string_equal(action_to_string(ACTION_WARN), "warn");
        assert_string_equal(action_to_string(ACTION_TERM), "term");
        assert_string_equal(action_to_string(ACTION_KILL), "kill");
        assert_string_equal(action_to_string(ACTION_RESTART), "restart");
        assert_string_equal(action_to_string((Action)99), "?");
        assert_string_equal(target_to_string(TARGET_OOM_SCORE), "oom-score");
        assert_string_equal(target_to_string(TARGET_PSS), "pss");
        assert_string_equal(target_to_string(TARGET_FASTEST_GROWING), "fastest-growing");
        assert_string_equal(target_to_string((Target)99), "?");
        assert_string_equal(protect_kind_to_string(PROTECT_NAME), "name");
        assert_string_equal(protect_kind_to_string(PROTECT_EXE), "executable");
        assert_string_equal(protect_kind_to_string(PROTECT_UNIT), "unit");
        assert_string_equal(protect_kind_to_string(_PROTECT_KIND_MAX), "?");
}

static void test_threshold(void **state)
{
        Condition kb = {.metric = METRIC_PROC_PSS, .op = '>', .kb = 307200};
        Condition pct = {
                .metric = METRIC_MEM_AVAILABLE, .op = '<', .is_percent = true, .percent = 15};
        Condition third = {
                .metric = METRIC_MEM_USED, .op = '>', .is_percent = true, .percent = 33.3};
        Condition psi = {.metric = METRIC_PSI_SOME_AVG10, .op = '>', .percent = 20};

        (void)state;
        assert_int_equal(condition_threshold_kb(&kb, 2000000), 307200);
        assert_int_equal(condition_threshold_kb(&pct, 2000000), 300000);
        assert_int_equal(condition_threshold_kb(&pct, 0), 0);
        assert_int_equal(condition_threshold_kb(&third, 1000), 333);
        assert_int_equal(condition_threshold_kb(&psi, 2000000), 0);
}

/* ---- good files ------------------------------------------------------- */

#define SEC UINT64_C(1000000)

static void test_growth_syntax(void **state)
{
        static const char text[] =
                "[rule leak]\nunit = *.service\nwhen = unit.growth > 50M/h\nwindow = 30m\n"
                "action = warn\n"
                "[rule api-eta]\nunit = api\n"
                "when = unit.memory < 400M and unit.budget-eta < 30m\naction = restart\n"
                "[rule node]\nprocess = node\nwhen = proc.growth > 1G/d and proc.pss < 1G and "
                "proc.budget-eta < 2h\naction = term\n"
                "[rule exhaustion]\nwhen = mem.exhaustion < 10m\ntarget = fastest-growing\n"
                "action = restart\n"
                "[rule plain]\nwhen = mem.available < 5%\naction = warn\n";
        Config *c = NULL;
        char *err = NULL;
        const Rule *r;
        uint64_t kb;

        (void)state;
        assert_int_equal(config_load_string(text, "t.conf", &c, &err), 0);
        r = find_rule(c, "leak");
        assert_int_equal(r->conds[0].metric, METRIC_UNIT_GROWTH);
        assert_int_equal(metric_kind(r->conds[0].metric), METRIC_KIND_RATE);
        assert_int_equal(r->conds[0].kb, 50 * 1024);
        assert_int_equal(r->window_usec, 30 * 60 * SEC);
        assert_int_equal(r->budget_cond, -1);
        assert_true(rule_tracks_growth(r));
        r = find_rule(c, "api-eta");
        assert_int_equal(r->budget_cond, 0);
        assert_int_equal(r->conds[1].metric, METRIC_UNIT_BUDGET_ETA);
        assert_int_equal(r->conds[1].usec, 30 * 60 * SEC);
        assert_int_equal(r->window_usec, 10 * 60 * SEC); /* the default */
        r = find_rule(c, "node");
        assert_int_equal(r->conds[0].kb, (1024 * 1024 + 23) / 24); /* 1G/d, rounded up */
        assert_int_equal(r->budget_cond, 1);
        r = find_rule(c, "exhaustion");
        assert_int_equal(r->scope, SCOPE_SYSTEM);
        assert_int_equal(r->target, TARGET_FASTEST_GROWING);
        assert_int_equal(r->conds[0].metric, METRIC_MEM_EXHAUSTION);
        assert_int_equal(metric_kind(METRIC_MEM_EXHAUSTION), METRIC_KIND_TIME);
        assert_true(rule_tracks_growth(r));
        r = find_rule(c, "plain");
        assert_false(rule_tracks_growth(r));
        assert_int_equal(r->window_usec, 0);
        config_free(c);

        assert_int_equal(config_parse_rate("38M/h", &kb), 0);
        assert_int_equal(kb, 38 * 1024);
        assert_int_equal(config_parse_rate(" 1 M / s ", &kb), 0);
        assert_int_equal(kb, 3600 * 1024);
        assert_int_equal(config_parse_rate("10M/min", &kb), 0);
        assert_int_equal(kb, 600 * 1024);
        assert_int_equal(config_parse_rate("10M", &kb), -EINVAL);
        assert_int_equal(config_parse_rate("10%/h", &kb), -EINVAL);
        assert_int_equal(config_parse_rate("10M/y", &kb), -EINVAL);
        assert_int_equal(config_parse_rate("/h", &kb), -EINVAL);
        assert_int_equal(config_parse_rate("99999999999999999999T/s", &kb), -ERANGE);
}

static void test_good_empty(void **state)
{
        Config *c = NULL;
        char *err = NULL;

        (void)state;
        chdir_tests();
        assert_int_equal(config_load("config/good-empty.conf", &c, &err), 0);
        assert_null(err);
        assert_int_equal(c->interval_usec, USEC_S);
        assert_int_equal(c->fast_interval_usec, 100 * USEC_MS);
        assert_false(c->dry_run);
        assert_int_equal(c->cooldown_usec, 30 * USEC_S);
        assert_int_equal(c->n_protect, 0);
        assert_null(c->protect);
        assert_int_equal(c->n_rules, 0);
        /* each load its own generation, never 0 (rules/state.c) */
        Config *again = NULL;
        assert_int_equal(config_load("config/good-empty.conf", &again, &err), 0);
        assert_true(c->generation != 0 && again->generation != 0);
        assert_true(again->generation != c->generation);
        config_free(again);
        config_free(c);
}

static void test_good_full(void **state)
{
        Config *c = NULL;
        char *err = NULL;
        const Rule *r;

        (void)state;
        chdir_tests();
        assert_int_equal(config_load("config/good-full.conf", &c, &err), 0);
        assert_null(err);
        assert_int_equal(c->interval_usec, 2 * USEC_S);
        assert_int_equal(c->fast_interval_usec, 250 * USEC_MS);
        assert_true(c->dry_run);
        assert_int_equal(c->cooldown_usec, 90 * USEC_S);
        assert_int_equal(c->n_protect, 4);
        assert_string_equal(c->protect[0].glob, "sshd");
        assert_string_equal(c->protect[1].glob, "dbus-daemon");
        assert_string_equal(c->protect[2].glob, "systemd-journal"); /* cut to 15 */
        assert_string_equal(c->protect[3].glob, "postgres*");
        for (size_t i = 0; i < c->n_protect; i++)
                assert_int_equal(c->protect[i].kind, PROTECT_NAME);
        assert_int_equal(c->n_rules, 7);

        r = &c->rules[0];
        assert_string_equal(r->name, "warn-early");
        assert_string_equal(r->file, "config/good-full.conf");
        assert_int_equal(r->line, 10);
        assert_int_equal(r->scope, SCOPE_SYSTEM);
        assert_int_equal(r->n_conds, 1);
        assert_int_equal(r->conds[0].metric, METRIC_MEM_AVAILABLE);
        assert_int_equal(r->conds[0].op, '<');
        assert_true(r->conds[0].is_percent);
        assert_true(r->conds[0].percent == 15);
        assert_int_equal(r->for_usec, 10 * USEC_S);
        assert_int_equal(r->action, ACTION_WARN);
        assert_int_equal(r->target, TARGET_OOM_SCORE);
        assert_int_equal(r->grace_usec, 5 * USEC_S);
        assert_null(r->unit_glob);
        assert_null(r->comm_glob);
        assert_null(r->cmdline_glob);

        r = &c->rules[1];
        assert_string_equal(r->name, "combo");
        assert_int_equal(r->line, 15);
        assert_int_equal(r->scope, SCOPE_SYSTEM);
        assert_int_equal(r->n_conds, 3);
        assert_int_equal(r->conds[0].metric, METRIC_MEM_AVAILABLE);
        assert_false(r->conds[0].is_percent);
        assert_int_equal(r->conds[0].kb, 10240);
        assert_int_equal(r->conds[1].metric, METRIC_PSI_SOME_AVG10);
        assert_int_equal(r->conds[1].op, '>');
        assert_false(r->conds[1].is_percent);
        assert_true(r->conds[1].percent == 20);
        assert_int_equal(r->conds[2].metric, METRIC_MEM_USED);
        assert_int_equal(r->conds[2].kb, 1572864);
        assert_int_equal(r->for_usec, 500 * USEC_MS);
        assert_int_equal(r->action, ACTION_TERM);
        assert_int_equal(r->target, TARGET_PSS);
        assert_int_equal(r->grace_usec, USEC_S);

        r = &c->rules[2];
        assert_string_equal(r->name, "api-budget");
        assert_int_equal(r->scope, SCOPE_UNIT);
        assert_string_equal(r->unit_glob, "api.service"); /* completed */
        assert_false(r->user_unit);
        assert_int_equal(r->conds[0].metric, METRIC_UNIT_MEMORY);
        assert_int_equal(r->conds[0].kb, 409600);
        assert_int_equal(r->for_usec, 30 * USEC_S);
        assert_int_equal(r->action, ACTION_RESTART);

        r = &c->rules[3];
        assert_string_equal(r->name, "worker");
        assert_int_equal(r->scope, SCOPE_PROCESS);
        assert_string_equal(r->comm_glob, "node");
        assert_string_equal(r->cmdline_glob, "*server.js*");
        assert_int_equal(r->n_conds, 3);
        assert_int_equal(r->conds[0].metric, METRIC_PROC_PSS);
        assert_int_equal(r->conds[0].kb, 307200);
        assert_int_equal(r->conds[1].metric, METRIC_PROC_SWAP);
        assert_int_equal(r->conds[1].kb, 100);
        assert_int_equal(r->conds[2].metric, METRIC_PROC_RSS);
        assert_true(r->conds[2].is_percent);
        assert_true(r->conds[2].percent == 5);
        assert_int_equal(r->action, ACTION_KILL);

        r = &c->rules[4];
        assert_string_equal(r->name, "by-cmdline");
        assert_int_equal(r->scope, SCOPE_PROCESS);
        assert_null(r->comm_glob);
        assert_string_equal(r->cmdline_glob, "java *-jar*");

        r = &c->rules[5];
        assert_string_equal(r->name, "system-restart");
        assert_int_equal(r->scope, SCOPE_SYSTEM);
        assert_int_equal(r->action, ACTION_RESTART);

        r = &c->rules[6];
        assert_string_equal(r->name, "psi");
        assert_int_equal(r->n_conds, 4);
        assert_int_equal(r->conds[0].metric, METRIC_PSI_FULL_AVG300);
        assert_true(r->conds[0].percent == 12.5);
        assert_int_equal(r->conds[1].metric, METRIC_PSI_SOME_AVG60);
        assert_true(r->conds[1].percent == 0);
        assert_int_equal(r->conds[2].metric, METRIC_SWAP_FREE);
        assert_int_equal(r->conds[2].kb, 102400);
        assert_int_equal(r->conds[3].metric, METRIC_SWAP_USED);
        assert_int_equal(r->conds[3].kb, UINT64_C(1073741824));

        config_free(c);
}

/* Lexical details, from strings. */
static void test_lexical(void **state)
{
        Config *c;

        (void)state;
        /* CRLF, a BOM, no final newline, ':' as inih allows, '#' and ';'
         * inside values stay, comments need whitespace before them. */
        c = load_ok("\xEF\xBB\xBF[daemon]\r\n"
                    "protect = a#b c;d\t# comment\r\n"
                    "cooldown: 5s\r\n"
                    "[rule  spaced   ]   ; comment\r\n"
                    "when = mem.available<5% AnD mem.used>1G\r\n"
                    "action = KILL\r\n"
                    "process = Web Content\r\n"
                    "[rule x]\n"
                    "when=mem.available<1%\n"
                    "action=Term\n"
                    "target=PSS");
        assert_int_equal(c->n_protect, 2);
        assert_string_equal(c->protect[0].glob, "a#b");
        assert_string_equal(c->protect[1].glob, "c;d");
        assert_int_equal(c->cooldown_usec, 5 * USEC_S);
        assert_int_equal(c->n_rules, 2);
        assert_string_equal(c->rules[0].name, "spaced");
        assert_int_equal(c->rules[0].line, 4);
        assert_int_equal(c->rules[0].n_conds, 2);
        assert_int_equal(c->rules[0].conds[0].metric, METRIC_MEM_AVAILABLE);
        assert_int_equal(c->rules[0].conds[1].kb, 1048576);
        assert_int_equal(c->rules[0].action, ACTION_KILL);
        assert_string_equal(c->rules[0].comm_glob, "Web Content");
        assert_int_equal(c->rules[1].action, ACTION_TERM);
        assert_int_equal(c->rules[1].target, TARGET_PSS);
        config_free(c);

        /* protect: lines add up, an empty one clears, duplicates are
         * dropped, globs are not cut. */
        c = load_ok("[daemon]\nprotect = a b\nprotect =\nprotect = c a\nprotect = c "
                    "very-long-name-over-15 very-long-glob-over-15*\n");
        assert_int_equal(c->n_protect, 4);
        assert_string_equal(c->protect[0].glob, "c");
        assert_string_equal(c->protect[1].glob, "a");
        assert_string_equal(c->protect[2].glob, "very-long-name-");
        assert_string_equal(c->protect[3].glob, "very-long-glob-over-15*");
        config_free(c);

        /* unit completion only for literal names without a dot */
        c = load_ok("[rule a]\nunit = web*\nwhen = unit.memory > 1G\naction = restart\n"
                    "[rule b]\nunit = x.slice\nwhen = unit.memory > 1G\naction = restart\n"
                    "[rule c]\nprocess = systemd-journald\nwhen = proc.pss > 1G\naction = warn\n");
        assert_string_equal(c->rules[0].unit_glob, "web*");
        assert_string_equal(c->rules[1].unit_glob, "x.slice");
        assert_string_equal(c->rules[2].comm_glob, "systemd-journal");
        config_free(c);

        /* exactly CONFIG_MAX_CONDITIONS is fine; durations at the minimum */
        c = load_ok("[daemon]\ninterval = 10ms\nfast-interval = 10ms\ncooldown = 0\n"
                    "[rule r]\nwhen = mem.used > 1G and mem.used > 2G and mem.used > 3G and "
                    "mem.used > 4G and mem.used > 5G and mem.used > 6G and mem.used > 7G and "
                    "mem.used > 8G\naction = warn\nfor = 0\n");
        assert_int_equal(c->interval_usec, 10 * USEC_MS);
        assert_int_equal(c->fast_interval_usec, 10 * USEC_MS);
        assert_int_equal(c->cooldown_usec, 0);
        assert_int_equal(c->rules[0].n_conds, CONFIG_MAX_CONDITIONS);
        assert_int_equal(c->rules[0].conds[7].kb, 8 * UINT64_C(1048576));
        config_free(c);
}

/* Errors best shown next to their input. */
static void test_bad_strings(void **state)
{
        char line[400];
        Config *c = NULL;
        char *err = NULL;

        (void)state;
        load_bad("[daemon]\nfast-interval = 2s\n",
                 "t.conf:2: fast-interval: 2s is longer than interval (1s)\n");
        load_bad("[daemon]\ninterval = 50ms\n",
                 "t.conf:2: interval: 50ms is shorter than fast-interval (100ms)\n");
        load_bad("[daemon]\nfast-interval = 3s\ninterval = 2s\n",
                 "t.conf:3: interval: 2s is shorter than fast-interval (3s)\n");
        load_bad("[rule a]\nwhen = mem.available < 1%\naction = warn\n"
                 "[rule a]\nwhen = mem.available < 2%\naction = warn\n",
                 "t.conf:4: rule a: defined twice in this file (first at line 1)\n");
        load_bad("[rule a]\nwhen = mem.available < 1%\naction = term\ngrace = 1s\ngrace = 2s\n",
                 "t.conf:5: grace: given twice in [rule a] (first at line 4)\n");
        load_bad("[rule p]\ncmdline = *x*\nunit = u\nwhen = mem.available < 1%\naction = kill\n",
                 "t.conf:3: unit: cannot be combined with cmdline (line 2): a rule watches a "
                 "unit or processes, not both\n");
        load_bad("[daemon]\n[Daemon]\n[RULE x]\n",
                 "t.conf:2: unknown section [Daemon] (expected [daemon] or [rule NAME])\n"
                 "t.conf:3: unknown section [RULE x] (expected [daemon] or [rule NAME])\n");
        load_bad("[rule]\n[rule   ]\n",
                 "t.conf:1: empty rule name: write [rule NAME]\n"
                 "t.conf:1: when: missing (every rule needs a condition)\n"
                 "t.conf:1: action: missing (warn, term, kill or restart)\n"
                 "t.conf:2: empty rule name: write [rule NAME]\n"
                 "t.conf:2: when: missing (every rule needs a condition)\n"
                 "t.conf:2: action: missing (warn, term, kill or restart)\n");
        load_bad("[rule a]\nwhen = mem.available < 5% or mem.used > 1G\naction = warn\n",
                 "t.conf:2: when: mem.available: '5% or mem.used > 1G' is not a size (use e.g. "
                 "500M, 2G or 15%)\n");
        load_bad("[rule a]\nwhen = and\naction = warn\n",
                 "t.conf:2: when: 'and' needs a comparison on each side\n");
        load_bad("[rule a]\nwhen = mem.used > 1G and and AND mem.used > 2G and\naction = warn\n",
                 "t.conf:2: when: 'and' needs a comparison on each side\n");
        load_bad("[rule a]\nwhen = < 5%\naction = warn\n",
                 "t.conf:2: when: '< 5%' does not start with a metric\n");
        load_bad("[rule a]\nwhen = mem.available >= 5%\naction = warn\n",
                 "t.conf:2: when: '>=' is not supported, use < or >\n");

        /* A line longer than inih's buffer is reported, not split. A long
         * comment is fine: only content counts. */
        memset(line, 'x', sizeof(line));
        memcpy(line, "protect = ", 10);
        line[sizeof(line) - 1] = '\0';
        {
                char text[1024];
                snprintf(text, sizeof(text), "# %s\n[daemon]\n%s\n", line, line);
                assert_int_equal(config_load_string(text, "t.conf", &c, &err), -EINVAL);
                assert_null(c);
                assert_non_null(strstr(err, "t.conf:3: line too long (399 characters, at most "));
                assert_string_equal(strchr(err, '\n'), "\n"); /* one error only */
                free(err);
                err = NULL;
        }
}

/* metrics-file: off by default, an absolute .prom path, empty turns it
 * off again (a drop-in's way). */
static void test_metrics_file(void **state)
{
        Config *c;

        (void)state;
        c = load_ok("[rule r]\nwhen = mem.available < 5%\naction = warn\n");
        assert_null(c->metrics_file);
        assert_int_equal(c->metrics_interval_usec, 60 * USEC_S);
        config_free(c);
        c = load_ok("[daemon]\nmetrics-interval = 0\n");
        assert_int_equal(c->metrics_interval_usec, 0);
        config_free(c);
        c = load_ok("[daemon]\nmetrics-interval = 1h\n");
        assert_int_equal(c->metrics_interval_usec, 3600 * USEC_S);
        config_free(c);
        load_bad("[daemon]\nmetrics-interval = 61m\n",
                 "t.conf:2: metrics-interval: '61m' is too long (at most 1h)\n");
        c = load_ok("[daemon]\nmetrics-file = /var/lib/prometheus/node-exporter/memguard.prom   # on\n");
        assert_string_equal(c->metrics_file, "/var/lib/prometheus/node-exporter/memguard.prom");
        config_free(c);
        c = load_ok("[daemon]\nmetrics-file =\n");
        assert_null(c->metrics_file);
        config_free(c);

        load_bad("[daemon]\nmetrics-file = memguard.prom\nmetrics-file = /a/b.prom\n",
                 "t.conf:2: metrics-file: 'memguard.prom': write an absolute path (e.g. "
                 "/var/lib/prometheus/node-exporter/memguard.prom)\n"
                 "t.conf:3: metrics-file: given twice in [daemon] (first at line 2)\n");
        load_bad("[daemon]\nmetrics-file = /var/lib/memguard.txt\n",
                 "t.conf:2: metrics-file: '/var/lib/memguard.txt': the file name must end in .prom "
                 "(node_exporter's textfile collector reads no other)\n");
        load_bad("[daemon]\nmetrics-file = /var/lib/.prom\n",
                 "t.conf:2: metrics-file: '/var/lib/.prom': the file name must end in .prom "
                 "(node_exporter's textfile collector reads no other)\n");
        load_bad("[daemon]\nmetrics-file = /var/lib/node.prom/\n",
                 "t.conf:2: metrics-file: '/var/lib/node.prom/': the file name must end in .prom "
                 "(node_exporter's textfile collector reads no other)\n");
}

/* A NUL byte cannot come through config_load_string(); write a file. */
static void test_nul_byte(void **state)
{
        static const char text[] = "[daemon]\ncool\0down = 1s\ndry-run = yes\nbogus = 1\n";
        char path[] = "/tmp/memguard-test-XXXXXX";
        Config *c = NULL;
        char *err = NULL, *expected = NULL;
        int fd;

        (void)state;
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
        close(fd);
        assert_int_equal(config_load(path, &c, &err), -EINVAL);
        assert_null(c);
        assert_true(asprintf(&expected,
                             "%s:2: NUL byte in line\n%s:4: bogus: unknown key in "
                             "[daemon]\n",
                             path, path) > 0);
        assert_string_equal(err, expected);
        free(expected);
        free(err);
        unlink(path);
}

/* ---- bad files: golden diagnostics ------------------------------------- */

static void test_golden(void **state)
{
        glob_t g;
        size_t failed = 0;

        (void)state;
        chdir_tests();
        assert_int_equal(glob("config/bad-*.conf", 0, NULL, &g), 0);
        assert_true(g.gl_pathc >= 7);
        for (size_t i = 0; i < g.gl_pathc; i++) {
                const char *conf = g.gl_pathv[i];
                char expected_path[512];
                char *expected, *err = NULL;
                Config *c = NULL;
                int r;

                snprintf(expected_path, sizeof(expected_path), "%.*s.expected",
                         (int)(strlen(conf) - 5), conf);
                expected = slurp(expected_path);
                if (!expected) {
                        fprintf(stderr, "%s: missing\n", expected_path);
                        failed++;
                        continue;
                }
                r = config_load(conf, &c, &err);
                if (r != -EINVAL || c || !err || strcmp(err, expected) != 0) {
                        fprintf(stderr, "%s: r=%d\n--- expected\n%s--- got\n%s", conf, r, expected,
                                err ? err : "(null)\n");
                        failed++;
                }
                config_free(c);
                free(err);
                free(expected);
        }
        globfree(&g);
        assert_int_equal(failed, 0);
}

static void test_missing_file(void **state)
{
        Config *c = NULL;
        char *err = NULL;

        (void)state;
        chdir_tests();
        assert_int_equal(config_load("config/does-not-exist.conf", &c, &err), -ENOENT);
        assert_null(c);
        assert_string_equal(err,
                            "config/does-not-exist.conf: cannot read: No such file or directory\n");
        free(err);

        assert_int_equal(config_load("config", &c, &err), -EISDIR);
        assert_null(c);
        assert_string_equal(err, "config: cannot read: Is a directory\n");
        free(err);
}

/* ---- drop-ins --------------------------------------------------------- */

static void test_dropin(void **state)
{
        Config *c = NULL;
        char *err = NULL;
        const Rule *r;

        (void)state;
        chdir_tests();
        assert_int_equal(config_load("config/dropin.conf", &c, &err), 0);
        assert_null(err);

        /* [daemon]: 10-a overrides interval; cooldown stays from the main
         * file; protect adds up. */
        assert_int_equal(c->interval_usec, 500 * USEC_MS);
        assert_int_equal(c->cooldown_usec, 10 * USEC_S);
        assert_int_equal(c->n_protect, 2);
        assert_string_equal(c->protect[0].glob, "sshd");
        assert_string_equal(c->protect[1].glob, "postgres");
        assert_string_equal(c->metrics_file, "/var/lib/prometheus/node-exporter/memguard.prom");

        /* Rules keep their place; a redefinition replaces the whole rule
         * (keys it does not give are back to their defaults). README,
         * *.disabled and hidden files are not read. */
        assert_int_equal(c->n_rules, 4);
        r = &c->rules[0];
        assert_string_equal(r->name, "low");
        assert_string_equal(r->file, "config/dropin.conf.d/10-a.conf");
        assert_int_equal(r->line, 7);
        assert_true(r->conds[0].percent == 20);
        assert_int_equal(r->for_usec, 0);

        r = &c->rules[1];
        assert_string_equal(r->name, "near-oom");
        assert_string_equal(r->file, "config/dropin.conf.d/20-b.conf");
        assert_int_equal(r->action, ACTION_KILL);
        assert_true(r->conds[0].percent == 6);

        r = &c->rules[2];
        assert_string_equal(r->name, "keep");
        assert_string_equal(r->file, "config/dropin.conf");
        assert_int_equal(r->line, 16);

        r = &c->rules[3];
        assert_string_equal(r->name, "api");
        assert_int_equal(r->scope, SCOPE_UNIT);
        assert_string_equal(r->file, "config/dropin.conf.d/20-b.conf");
        config_free(c);
}

/* ---- the shipped configuration ----------------------------------------- */

static void test_shipped(void **state)
{
        Config *c = NULL;
        char *err = NULL;
        const Rule *warn, *term, *kill;
        bool sshd = false;

        (void)state;
        assert_int_equal(chdir(TOP_SRCDIR), 0);
        assert_int_equal(config_load("conf/memguard.conf", &c, &err), 0);
        assert_null(err);
        assert_int_equal(c->interval_usec, USEC_S);
        assert_int_equal(c->fast_interval_usec, 100 * USEC_MS);
        assert_false(c->dry_run);
        /* shipped entries are units: a name can be taken (issue 14) */
        for (size_t i = 0; i < c->n_protect; i++) {
                assert_int_equal(c->protect[i].kind, PROTECT_UNIT);
                sshd |= strcmp(c->protect[i].glob, "ssh.service") == 0;
        }
        assert_true(sshd);

        warn = find_rule(c, "low-memory");
        term = find_rule(c, "near-oom");
        kill = find_rule(c, "oom-imminent");
        assert_non_null(warn);
        assert_non_null(term);
        assert_non_null(kill);
        assert_int_equal(warn->action, ACTION_WARN);
        assert_int_equal(term->action, ACTION_TERM);
        assert_int_equal(kill->action, ACTION_KILL);
        assert_true(term->grace_usec <= 5 * USEC_S);

        /* DESIGN §6: a 200 MB/s burst goes from 10% available to none in
         * about a second with PSI near zero. Every acting system rule must
         * therefore fire on memory alone, with little or no `for` (the
         * exhaustion rule, for slow leaks, acts on a unit before these). */
        for (size_t i = 0; i < c->n_rules; i++) {
                const Rule *r = &c->rules[i];
                if (r->scope != SCOPE_SYSTEM || r->action == ACTION_WARN)
                        continue;
                if (r->target == TARGET_FASTEST_GROWING) {
                        assert_string_equal(r->name, "exhaustion");
                        assert_int_equal(r->action, ACTION_RESTART);
                        assert_true(i < (size_t)(term - c->rules)); /* acts first */
                        continue;
                }
                assert_true(r->for_usec <= 250 * USEC_MS);
                assert_int_equal(r->n_conds, 1);
                assert_int_equal(r->conds[0].metric, METRIC_MEM_AVAILABLE);
                assert_int_equal(r->conds[0].op, '<');
                assert_true(r->conds[0].is_percent);
                assert_true(r->conds[0].percent >= 2 && r->conds[0].percent <= 10);
        }
        assert_true(kill->conds[0].percent < term->conds[0].percent);
        assert_true(term->conds[0].percent < warn->conds[0].percent);
        config_free(c);
}

/* The shipped file's commented-out settings ("#interval = 1s") and example
 * rules ("#[rule api-budget]") are written without a space after '#', prose
 * with one. Uncommented, they must load, and the documented defaults must
 * be the real ones. */
static void test_shipped_examples(void **state)
{
        char *text, *out, *q;
        Config *c = NULL, *plain = NULL;
        char *err = NULL;
        const Rule *r;

        (void)state;
        text = slurp(TOP_SRCDIR "/conf/memguard.conf");
        assert_non_null(text);
        out = malloc(strlen(text) + 1);
        assert_non_null(out);
        q = out;
        for (const char *l = text; *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);
                if (l[0] == '#' && len > 1 && l[1] != ' ' && l[1] != '\n' && l[1] != '#') {
                        l++;
                        len--;
                }
                memcpy(q, l, len);
                q += len;
                l += len;
        }
        *q = '\0';

        assert_int_equal(config_load_string(out, "memguard.conf", &c, &err), 0);
        assert_null(err);
        assert_int_equal(config_load_string(text, "memguard.conf", &plain, &err), 0);
        assert_int_equal(c->interval_usec, plain->interval_usec);
        assert_int_equal(c->fast_interval_usec, plain->fast_interval_usec);
        assert_int_equal(c->cooldown_usec, plain->cooldown_usec);
        assert_int_equal(c->dry_run, plain->dry_run);
        assert_int_equal(c->n_rules, plain->n_rules + 2);

        r = find_rule(c, "api-budget");
        assert_non_null(r);
        assert_int_equal(r->scope, SCOPE_UNIT);
        assert_int_equal(r->action, ACTION_RESTART);
        r = find_rule(c, "node-worker");
        assert_non_null(r);
        assert_int_equal(r->scope, SCOPE_PROCESS);
        assert_int_equal(r->conds[0].metric, METRIC_PROC_PSS);
        config_free(c);
        config_free(plain);
        free(out);
        free(text);
}


/* ---- durations: every key has a maximum ------------------------------ */

static void test_duration_limits(void **state)
{
        Config *c;

        (void)state;
        /* each at its maximum */
        c = load_ok("[daemon]\ninterval = 1h\nfast-interval = 60m\ncooldown = 24h\n"
                    "[rule r]\nwhen = mem.available < 1%\nfor = 168h\naction = term\ngrace = 1h\n"
                    "[rule w]\nunit = a\nwhen = unit.growth > 1M/h\nwindow = 24h\naction = warn\n");
        assert_int_equal(c->interval_usec, CONFIG_MAX_INTERVAL_USEC);
        assert_int_equal(c->interval_usec, 3600 * USEC_S);
        assert_int_equal(c->fast_interval_usec, 3600 * USEC_S);
        assert_int_equal(c->cooldown_usec, 24 * 3600 * USEC_S);
        assert_int_equal(c->rules[0].for_usec, 7 * 24 * 3600 * USEC_S);
        assert_int_equal(c->rules[0].grace_usec, 3600 * USEC_S);
        assert_int_equal(c->rules[1].window_usec, 24 * 3600 * USEC_S);
        config_free(c);

        /* one microsecond over each, all reported in one pass; the
         * overflowing values of issue 14 among them */
        load_bad("[daemon]\ninterval = 3600.000001s\nfast-interval = 5124095576h\n"
                 "cooldown = 86400000001us\n"
                 "[rule r]\nwhen = mem.available < 1%\nfor = 604800.000001\naction = term\n"
                 "grace = 5124095576h\n"
                 "[rule w]\nunit = a\nwhen = unit.growth > 1M/h\nwindow = 1441m\naction = warn\n",
                 "t.conf:2: interval: '3600.000001s' is too long (at most 1h)\n"
                 "t.conf:3: fast-interval: '5124095576h' is too long (at most 1h)\n"
                 "t.conf:4: cooldown: '86400000001us' is too long (at most 24h)\n"
                 "t.conf:7: for: '604800.000001' is too long (at most 168h)\n"
                 "t.conf:9: grace: '5124095576h' is too long (at most 1h)\n"
                 "t.conf:13: window: '1441m' is outside 1m..24h\n");
        /* beyond 64 bits: the same message, not a different one */
        load_bad("[daemon]\ncooldown = 99999999999999999999h\n",
                 "t.conf:2: cooldown: '99999999999999999999h' is too long (at most 24h)\n");
        load_bad("[rule r]\nwhen = mem.available < 1%\naction = term\ngrace = 1e400\n",
                 "t.conf:4: grace: '1e400' is not a duration (use e.g. 500ms, 10s, 2m)\n");
        /* a valid interval longer than a too-long fast-interval: one error */
        load_bad("[daemon]\ninterval = 1h\nfast-interval = 2h\n",
                 "t.conf:3: fast-interval: '2h' is too long (at most 1h)\n");
        load_bad("[daemon]\ninterval = 30m\nfast-interval = 1h\n",
                 "t.conf:3: fast-interval: 1h is longer than interval (30m)\n");
}

/* ---- protect: names, executables, units -------------------------------- */

static void expect_protect(const Config *c, size_t i, ProtectKind kind, const char *glob)
{
        assert_true(i < c->n_protect);
        if (c->protect[i].kind != kind || strcmp(c->protect[i].glob, glob) != 0)
                fprintf(stderr, "protect[%zu]: %s '%s', expected %s '%s'\n", i,
                        protect_kind_to_string(c->protect[i].kind), c->protect[i].glob,
                        protect_kind_to_string(kind), glob);
        assert_int_equal(c->protect[i].kind, kind);
        assert_string_equal(c->protect[i].glob, glob);
}

static void test_protect_kinds(void **state)
{
        Config *c;
        size_t i = 0;

        (void)state;
        c = load_ok("[daemon]\n"
                    "protect = sshd /usr/sbin/sshd ssh.service getty@*.service init.scope\n"
                    "protect = systemd-journald.socket dev-hugepages.mount swapfile.swap\n"
                    "protect = /usr/lib/*/bin/python3* systemd-journald python3.11 a.b\n"
                    /* duplicates of each kind, and names equal once cut to 15 */
                    "protect = sshd /usr/sbin/sshd ssh.service systemd-journal\n"
                    "protect = very-long-name-over-15 very-long-name-over-16 x.service*\n");
        expect_protect(c, i++, PROTECT_NAME, "sshd");
        expect_protect(c, i++, PROTECT_EXE, "/usr/sbin/sshd");
        expect_protect(c, i++, PROTECT_UNIT, "ssh.service");
        expect_protect(c, i++, PROTECT_UNIT, "getty@*.service");
        expect_protect(c, i++, PROTECT_UNIT, "init.scope");
        expect_protect(c, i++, PROTECT_UNIT, "systemd-journald.socket"); /* a unit: not cut */
        expect_protect(c, i++, PROTECT_UNIT, "dev-hugepages.mount");
        expect_protect(c, i++, PROTECT_UNIT, "swapfile.swap");
        expect_protect(c, i++, PROTECT_EXE, "/usr/lib/*/bin/python3*");
        expect_protect(c, i++, PROTECT_NAME, "systemd-journal");
        expect_protect(c, i++, PROTECT_NAME, "python3.11");
        expect_protect(c, i++, PROTECT_NAME, "a.b");
        expect_protect(c, i++, PROTECT_NAME, "very-long-name-");
        expect_protect(c, i++, PROTECT_NAME, "x.service*"); /* no unit suffix at the end */
        assert_int_equal(c->n_protect, i);
        config_free(c);

        /* a long executable path or unit name is never cut */
        c = load_ok("[daemon]\nprotect = /opt/a-very-long-directory/bin/server "
                    "a-very-long-unit-name.service\nprotect =\nprotect = /x\n");
        assert_int_equal(c->n_protect, 1); /* the empty line cleared the first */
        expect_protect(c, 0, PROTECT_EXE, "/x");
        config_free(c);
        c = load_ok("[daemon]\nprotect = /opt/a-very-long-directory/bin/server "
                    "a-very-long-unit-name.service\n");
        expect_protect(c, 0, PROTECT_EXE, "/opt/a-very-long-directory/bin/server");
        expect_protect(c, 1, PROTECT_UNIT, "a-very-long-unit-name.service");
        config_free(c);

        /* every bad entry of a line is reported, the good ones kept going */
        load_bad("[daemon]\nprotect = sshd x/y ./sshd user.slice system-*.slice sshd,dbus\n"
                 "protect = / //x /a/ /a/./b /a/../b /a//b\n"
                 "protect = backup.timer basic.target x.path dev-sda.device home.automount\n",
                 "t.conf:2: protect: 'x/y': an executable is named by its absolute path\n"
                 "t.conf:2: protect: './sshd': an executable is named by its absolute path\n"
                 "t.conf:2: protect: 'user.slice': a slice cannot be protected (it would "
                 "shield every process below it); name its units\n"
                 "t.conf:2: protect: 'system-*.slice': a slice cannot be protected (it would "
                 "shield every process below it); name its units\n"
                 "t.conf:2: protect: 'sshd,dbus': separate names with spaces, not commas\n"
                 "t.conf:3: protect: '/': write the executable as /proc/PID/exe shows it, "
                 "without //, . or .. and with no '/' at the end\n"
                 "t.conf:3: protect: '//x': write the executable as /proc/PID/exe shows it, "
                 "without //, . or .. and with no '/' at the end\n"
                 "t.conf:3: protect: '/a/': write the executable as /proc/PID/exe shows it, "
                 "without //, . or .. and with no '/' at the end\n"
                 "t.conf:3: protect: '/a/./b': write the executable as /proc/PID/exe shows it, "
                 "without //, . or .. and with no '/' at the end\n"
                 "t.conf:3: protect: '/a/../b': write the executable as /proc/PID/exe shows "
                 "it, without //, . or .. and with no '/' at the end\n"
                 "t.conf:3: protect: '/a//b': write the executable as /proc/PID/exe shows it, "
                 "without //, . or .. and with no '/' at the end\n"
                 "t.conf:4: protect: 'backup.timer': a .timer unit runs no processes; name the "
                 "units that do (.service, .scope, .socket, .mount, .swap)\n"
                 "t.conf:4: protect: 'basic.target': a .target unit runs no processes; name "
                 "the units that do (.service, .scope, .socket, .mount, .swap)\n"
                 "t.conf:4: protect: 'x.path': a .path unit runs no processes; name the units "
                 "that do (.service, .scope, .socket, .mount, .swap)\n"
                 "t.conf:4: protect: 'dev-sda.device': a .device unit runs no processes; name "
                 "the units that do (.service, .scope, .socket, .mount, .swap)\n"
                 "t.conf:4: protect: 'home.automount': a .automount unit runs no processes; "
                 "name the units that do (.service, .scope, .socket, .mount, .swap)\n");
}

/* ---- user-unit -------------------------------------------------------- */

static void test_user_unit(void **state)
{
        Config *c;
        const Rule *r;

        (void)state;
        c = load_ok("[rule u]\nuser-unit = api\nwhen = unit.memory > 1G\naction = term\n"
                    "[rule s]\nunit = api\nwhen = unit.memory > 1G\naction = restart\n"
                    "[rule g]\nuser-unit = app-*.scope\nwhen = unit.growth > 10M/h\n"
                    "action = kill\n"
                    "[rule k]\nuser-unit = x.service\nwhen = unit.memory < 1G and "
                    "unit.budget-eta < 1h\naction = warn\n");
        r = find_rule(c, "u");
        assert_int_equal(r->scope, SCOPE_UNIT);
        assert_string_equal(r->unit_glob, "api.service"); /* completed as unit= is */
        assert_true(r->user_unit);
        r = find_rule(c, "s");
        assert_int_equal(r->scope, SCOPE_UNIT);
        assert_string_equal(r->unit_glob, "api.service");
        assert_false(r->user_unit);
        r = find_rule(c, "g");
        assert_true(r->user_unit);
        assert_string_equal(r->unit_glob, "app-*.scope");
        assert_int_equal(r->window_usec, 10 * 60 * USEC_S);
        r = find_rule(c, "k");
        assert_true(r->user_unit);
        assert_int_equal(r->budget_cond, 0);
        config_free(c);

        /* either unit or user-unit, reported at user-unit whatever the order */
        load_bad("[rule a]\nunit = api\nuser-unit = api\nwhen = unit.memory > 1G\naction = warn\n",
                 "t.conf:3: user-unit: a rule has either unit or user-unit\n");
        load_bad("[rule a]\nuser-unit = api\nunit = web\nwhen = unit.memory > 1G\naction = warn\n",
                 "t.conf:2: user-unit: a rule has either unit or user-unit\n");
        /* restart goes to the system manager: refused at the action */
        load_bad("[rule a]\nuser-unit = api\nwhen = unit.memory > 1G\naction = restart\n",
                 "t.conf:4: action: restart: memguard talks to the system manager, which cannot "
                 "restart a user's unit; use term or kill\n");
        load_bad("[rule a]\naction = restart\nwhen = unit.memory > 1G\nuser-unit = api\n",
                 "t.conf:2: action: restart: memguard talks to the system manager, which cannot "
                 "restart a user's unit; use term or kill\n");
        load_bad("[rule a]\nuser-unit = api\nprocess = node\nwhen = mem.available < 1%\n"
                 "action = warn\n",
                 "t.conf:2: user-unit: cannot be combined with process (line 3): a rule watches "
                 "a unit or processes, not both\n");
        load_bad("[rule a]\nuser-unit =\nwhen = mem.available < 1%\naction = warn\n",
                 "t.conf:2: user-unit: empty\n");
        load_bad("[rule a]\nuser-unit = x\nwhen = unit.memory > 1G\naction = kill\ntarget = pss\n",
                 "t.conf:5: target: only system rules choose a victim; this rule acts on the "
                 "unit it matches\n");
        load_bad("[rule a]\nwhen = unit.memory > 1G\naction = warn\nUser-unit = x\n",
                 "t.conf:2: when: unit.memory is per unit: it needs unit= or user-unit=\n"
                 "t.conf:4: User-unit: unknown key in [rule a]\n");
}

/* ---- config trust ------------------------------------------------------- */

/* Trees under a fresh directory in /tmp (sticky, so trusted as a parent).
 * Modes are set with chmod, whatever the umask. */
static char trust_top[256];

static void tput(const char *rel, mode_t mode, const char *text)
{
        char path[PATH_MAX];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", trust_top, rel);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(path, mode), 0);
}

static void tdir(const char *rel, mode_t mode)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", trust_top, rel);
        assert_int_equal(mkdir(path, 0700), 0);
        assert_int_equal(chmod(path, mode), 0);
}

static void tlink(const char *target, const char *rel)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", trust_top, rel);
        assert_int_equal(symlink(target, path), 0);
}

static void tchown(const char *rel, uid_t uid)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", trust_top, rel);
        assert_int_equal(lchown(path, uid, (gid_t)-1), 0);
}

static int trust_setup(void **state)
{
        char tmpl[] = "/tmp/memguard-trust-XXXXXX";
        char *real;
        int n;

        (void)state;
        if (!mkdtemp(tmpl) || !(real = realpath(tmpl, NULL)))
                return -1;
        n = snprintf(trust_top, sizeof(trust_top), "%s", real);
        free(real);
        return n > 0 && (size_t)n < sizeof(trust_top) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static int trust_teardown(void **state)
{
        (void)state;
        return nftw(trust_top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* What every reason ends with. */
static const char *trust_tail(void)
{
        static char tail[128];

        if (geteuid() == 0)
                return "it must be owned by root and writable only by root";
        snprintf(tail, sizeof(tail),
                 "it must be owned by root or uid %u (who runs memguard) and writable only by "
                 "its owner",
                 (unsigned)geteuid());
        return tail;
}

static const char *const good_text = "[rule a]\nwhen = mem.available < 5%\naction = warn\n";

/* Loads trust_top/REL, expecting success. */
static Config *trust_ok(const char *rel)
{
        char path[PATH_MAX];
        Config *c = NULL;
        char *err = NULL;
        int r;

        snprintf(path, sizeof(path), "%s/%s", trust_top, rel);
        r = config_load(path, &c, &err);
        if (r != 0)
                fprintf(stderr, "%s: unexpected errors:\n%s", rel, err ? err : "(none)\n");
        assert_int_equal(r, 0);
        assert_null(err);
        return c;
}

/* Loads trust_top/REL, expecting R and exactly the error lines FMT (a
 * format: every %1$s is trust_top, every %2$s the tail of a reason). */
static void trust_bad(const char *rel, int r_want, const char *fmt)
{
        char path[PATH_MAX];
        char *expected = NULL, *err = NULL;
        Config *c = (Config *)(uintptr_t)0x1;
        int r;

        snprintf(path, sizeof(path), "%s/%s", trust_top, rel);
        assert_true(asprintf(&expected, fmt, trust_top, trust_tail()) > 0);
        r = config_load(path, &c, &err);
        if (r != r_want || !err || strcmp(err, expected) != 0)
                fprintf(stderr, "%s: r=%d\n--- expected\n%s--- got\n%s", rel, r, expected,
                        err ? err : "(null)\n");
        assert_int_equal(r, r_want);
        assert_ptr_equal(c, (Config *)(uintptr_t)0x1);
        assert_non_null(err);
        assert_string_equal(err, expected);
        free(err);
        free(expected);
}

static void test_trust_file(void **state)
{
        Config *c;

        (void)state;
        tput("ok.conf", 0644, good_text);
        tput("ro.conf", 0400, good_text);
        c = trust_ok("ok.conf");
        assert_int_equal(c->n_rules, 1);
        config_free(c);
        config_free(trust_ok("ro.conf"));

        /* not parsed: the only error is the trust */
        tput("g.conf", 0664, "bogus\n");
        tput("o.conf", 0602, "bogus\n");
        tput("go.conf", 0666, "bogus\n");
        tput("gx.conf", 0624, good_text);
        trust_bad("g.conf", -EPERM,
                  "%1$s/g.conf: not trusted: writable by group (mode 0664); %2$s\n");
        trust_bad("o.conf", -EPERM,
                  "%1$s/o.conf: not trusted: writable by others (mode 0602); %2$s\n");
        trust_bad("go.conf", -EPERM,
                  "%1$s/go.conf: not trusted: writable by group and others (mode 0666); %2$s\n");
        trust_bad("gx.conf", -EPERM,
                  "%1$s/gx.conf: not trusted: writable by group (mode 0624); %2$s\n");

        /* a fifo is refused without waiting for a writer */
        {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/fifo.conf", trust_top);
                assert_int_equal(mkfifo(path, 0600), 0);
                trust_bad("fifo.conf", -EPERM,
                          "%1$s/fifo.conf: not trusted: a fifo, not a regular file\n");
        }
        /* nor is a device opened (opening /dev/watchdog would arm it) */
        {
                Config *cc = NULL;
                char *err = NULL;
                assert_int_equal(config_load("/dev/null", &cc, &err), -EPERM);
                assert_string_equal(err,
                                    "/dev/null: not trusted: a character device, not a regular "
                                    "file\n");
                free(err);
        }
        /* in the drop-in directory, such things are no drop-ins (skipped) */
        {
                char path[PATH_MAX];
                tdir("ok.conf.d", 0755);
                snprintf(path, sizeof(path), "%s/ok.conf.d/10-fifo.conf", trust_top);
                assert_int_equal(mkfifo(path, 0600), 0);
                tlink("/dev/null", "ok.conf.d/20-null.conf");
                tlink("/nonexistent", "ok.conf.d/30-dangling.conf");
                tdir("ok.conf.d/40-dir.conf", 0755);
                tput("ok.conf.d/50-b.conf", 0644,
                     "[rule b]\nwhen = mem.available < 4%\naction = warn\n");
                c = trust_ok("ok.conf");
                assert_int_equal(c->n_rules, 2);
                config_free(c);
        }

        /* relative to the working directory: directories named by their
         * real path */
        tdir("rel", 0777);
        tput("rel/x.conf", 0644, good_text);
        {
                char *err = NULL, *expected = NULL;
                Config *cc = NULL;
                assert_int_equal(chdir(trust_top), 0);
                config_free(trust_ok("ok.conf"));
                assert_int_equal(config_load("ok.conf", &cc, &err), 0);
                config_free(cc);
                cc = NULL;
                assert_int_equal(config_load("rel/x.conf", &cc, &err), -EPERM);
                assert_true(asprintf(&expected,
                                     "rel/x.conf: not trusted: directory %s/rel is writable by "
                                     "group and others (mode 0777); %s\n",
                                     trust_top, trust_tail()) > 0);
                assert_string_equal(err, expected);
                free(err);
                free(expected);
                chdir_tests();
        }
}

static void test_trust_parents(void **state)
{
        (void)state;
        tdir("ww", 0777);
        tput("ww/x.conf", 0644, good_text);
        trust_bad("ww/x.conf", -EPERM,
                  "%1$s/ww/x.conf: not trusted: directory %1$s/ww is writable by group and others "
                  "(mode 0777); %2$s\n");
        /* and any directory above, not only the one holding the file */
        tdir("ww/deep", 0755);
        tput("ww/deep/x.conf", 0644, good_text);
        trust_bad("ww/deep/x.conf", -EPERM,
                  "%1$s/ww/deep/x.conf: not trusted: directory %1$s/ww is writable by group and "
                  "others (mode 0777); %2$s\n");
        tdir("gw", 0775);
        tput("gw/x.conf", 0644, good_text);
        trust_bad("gw/x.conf", -EPERM,
                  "%1$s/gw/x.conf: not trusted: directory %1$s/gw is writable by group (mode "
                  "0775); %2$s\n");

        /* sticky, like /tmp (which every path here passes through): nobody
         * can replace what is not theirs */
        tdir("sticky", 01777);
        tput("sticky/x.conf", 0644, good_text);
        config_free(trust_ok("sticky/x.conf"));
        tdir("sticky-g", 01770);
        tput("sticky-g/x.conf", 0644, good_text);
        config_free(trust_ok("sticky-g/x.conf"));
}

static void test_trust_symlinks(void **state)
{
        (void)state;
        tdir("good", 0755);
        tput("good/x.conf", 0644, good_text);
        tput("good/gw.conf", 0664, good_text);
        tdir("ww", 0777);
        tput("ww/x.conf", 0644, good_text);
        tdir("ww2", 0757);

        /* a link to a trusted file in trusted directories: trusted, the
         * link's own (lrwxrwxrwx) mode does not matter */
        tlink("good/x.conf", "rel.conf");
        config_free(trust_ok("rel.conf"));
        {
                char target[PATH_MAX + 16];
                snprintf(target, sizeof(target), "%s/good/x.conf", trust_top);
                tlink(target, "abs.conf");
                config_free(trust_ok("abs.conf"));
        }
        tlink("rel.conf", "chain.conf");
        config_free(trust_ok("chain.conf"));

        /* judged by the target */
        tlink("good/gw.conf", "to-gw.conf");
        trust_bad("to-gw.conf", -EPERM,
                  "%1$s/to-gw.conf: not trusted: its target %1$s/good/gw.conf is writable by "
                  "group (mode 0664); %2$s\n");
        tlink("ww/x.conf", "to-ww.conf");
        trust_bad("to-ww.conf", -EPERM,
                  "%1$s/to-ww.conf: not trusted: directory %1$s/ww is writable by group and others "
                  "(mode 0777); %2$s\n");
        /* a link to a directory: judged as the directory it is */
        tlink("ww", "wwlink");
        trust_bad("wwlink/x.conf", -EPERM,
                  "%1$s/wwlink/x.conf: not trusted: directory %1$s/ww is writable by group and "
                  "others (mode 0777); %2$s\n");

        /* the directory holding a link matters: whoever can write it can
         * point the link elsewhere, though the target is trusted */
        tlink("../good/x.conf", "ww/link.conf");
        trust_bad("ww/link.conf", -EPERM,
                  "%1$s/ww/link.conf: not trusted: directory %1$s/ww is writable by group and others "
                  "(mode 0777); %2$s\n");
        /* ... also halfway along a chain of links, in a directory that is
         * neither on the path as given nor on the real path */
        tlink("../good/x.conf", "ww2/hop.conf");
        tlink("ww2/hop.conf", "via.conf");
        trust_bad("via.conf", -EPERM,
                  "%1$s/via.conf: not trusted: directory %1$s/ww2 is writable by others (mode "
                  "0757); %2$s\n");

        /* a loop is an error, not a hang */
        tlink("loop-b.conf", "loop-a.conf");
        tlink("loop-a.conf", "loop-b.conf");
        trust_bad("loop-a.conf", -ELOOP,
                  "%1$s/loop-a.conf: cannot read: Too many levels of symbolic links\n");
}

static void test_trust_dropins(void **state)
{
        (void)state;
        /* a group-writable drop-in is named, and every other file is still
         * read and reported */
        tput("m.conf", 0644, good_text);
        tdir("m.conf.d", 0755);
        tput("m.conf.d/10-ok.conf", 0600, "[rule b]\nwhen = mem.available < 4%\naction = warn\n");
        tput("m.conf.d/20-bad.conf", 0644, "[daemon]\nbogus = 1\n");
        tput("m.conf.d/30-gw.conf", 0664, good_text);
        tput("m.conf.d/40-bad.conf", 0644, "[daemon]\nbogus = 2\n");
        tput("m.conf.d/50-o.conf", 0646, good_text);
        trust_bad("m.conf", -EPERM,
                  "%1$s/m.conf.d/20-bad.conf:2: bogus: unknown key in [daemon]\n"
                  "%1$s/m.conf.d/30-gw.conf: not trusted: writable by group (mode 0664); %2$s\n"
                  "%1$s/m.conf.d/40-bad.conf:2: bogus: unknown key in [daemon]\n"
                  "%1$s/m.conf.d/50-o.conf: not trusted: writable by others (mode 0646); %2$s\n");
        /* a drop-in through a link is judged by its target */
        tput("n.conf", 0644, good_text);
        tdir("n.conf.d", 0755);
        tlink("../m.conf.d/30-gw.conf", "n.conf.d/10-link.conf");
        tlink("../m.conf.d/10-ok.conf", "n.conf.d/20-link.conf");
        trust_bad("n.conf", -EPERM,
                  "%1$s/n.conf.d/10-link.conf: not trusted: its target %1$s/m.conf.d/30-gw.conf "
                  "is writable by group (mode 0664); %2$s\n");

        /* a drop-in directory others can write: anyone could add a drop-in,
         * so not even the sticky bit helps; none of its files is read */
        tput("w.conf", 0644, good_text);
        tdir("w.conf.d", 0777);
        tput("w.conf.d/10-x.conf", 0644, "bogus\n");
        trust_bad("w.conf", -EPERM,
                  "%1$s/w.conf.d: not trusted: writable by group and others (mode 0777); %2$s\n");
        tput("s.conf", 0644, good_text);
        tdir("s.conf.d", 01777);
        trust_bad("s.conf", -EPERM,
                  "%1$s/s.conf.d: not trusted: writable by group and others (mode 1777); %2$s\n");
        tput("g.conf", 0644, good_text);
        tdir("g.conf.d", 0770);
        trust_bad("g.conf", -EPERM,
                  "%1$s/g.conf.d: not trusted: writable by group (mode 0770); %2$s\n");
        /* a link to such a directory */
        tput("l.conf", 0644, good_text);
        tlink("w.conf.d", "l.conf.d");
        trust_bad("l.conf", -EPERM,
                  "%1$s/l.conf.d: not trusted: its target %1$s/w.conf.d is writable by group and "
                  "others (mode 0777); %2$s\n");

        /* an untrusted main file: its drop-ins are judged as well, so that
         * one run names every file to fix */
        tput("both.conf", 0666, good_text);
        tdir("both.conf.d", 0757);
        trust_bad("both.conf", -EPERM,
                  "%1$s/both.conf: not trusted: writable by group and others (mode 0666); %2$s\n"
                  "%1$s/both.conf.d: not trusted: writable by others (mode 0757); %2$s\n");
        tput("both2.conf", 0664, good_text);
        tdir("both2.conf.d", 0755);
        tput("both2.conf.d/10-x.conf", 0644, "bogus\n");
        trust_bad("both2.conf", -EPERM,
                  "%1$s/both2.conf: not trusted: writable by group (mode 0664); %2$s\n"
                  "%1$s/both2.conf.d/10-x.conf:1: expected KEY = VALUE, not 'bogus'\n");
}

static void test_trust_owner(void **state)
{
        (void)state;
        if (geteuid() != 0) {
                fprintf(stderr, "skipped: giving a file to another uid needs root (euid %u)\n",
                        (unsigned)geteuid());
                skip();
        }
        tput("u.conf", 0644, good_text);
        tchown("u.conf", 65534);
        trust_bad("u.conf", -EPERM,
                  "%1$s/u.conf: not trusted: owned by uid 65534 (mode 0644); %2$s\n");
        tput("ug.conf", 0664, good_text);
        tchown("ug.conf", 65534);
        trust_bad("ug.conf", -EPERM,
                  "%1$s/ug.conf: not trusted: owned by uid 65534 and writable by group (mode "
                  "0664); %2$s\n");
        /* a directory on the way */
        tdir("d", 0755);
        tput("d/x.conf", 0644, good_text);
        tchown("d", 65534);
        trust_bad("d/x.conf", -EPERM,
                  "%1$s/d/x.conf: not trusted: directory %1$s/d is owned by uid 65534 (mode "
                  "0755); %2$s\n");
        /* a sticky directory must still be root's */
        tdir("st", 01777);
        tput("st/x.conf", 0644, good_text);
        tchown("st", 65534);
        trust_bad("st/x.conf", -EPERM,
                  "%1$s/st/x.conf: not trusted: directory %1$s/st is owned by uid 65534 (mode "
                  "1777); %2$s\n");
        /* the drop-in directory, and a drop-in */
        tput("m.conf", 0644, good_text);
        tdir("m.conf.d", 0755);
        tchown("m.conf.d", 65534);
        trust_bad("m.conf", -EPERM,
                  "%1$s/m.conf.d: not trusted: owned by uid 65534 (mode 0755); %2$s\n");
        tput("n.conf", 0644, good_text);
        tdir("n.conf.d", 0755);
        tput("n.conf.d/10-x.conf", 0644, good_text);
        tchown("n.conf.d/10-x.conf", 65534);
        trust_bad("n.conf", -EPERM,
                  "%1$s/n.conf.d/10-x.conf: not trusted: owned by uid 65534 (mode 0644); %2$s\n");
        /* a link owned by someone else in a trusted directory: only its
         * target and the directories count */
        tlink("m.conf", "link.conf");
        tchown("link.conf", 65534);
        tput("t.conf", 0644, good_text);
        tlink("t.conf", "t-link.conf");
        tchown("t-link.conf", 65534);
        config_free(trust_ok("t-link.conf"));
}

/* The repository's own files, as a checkout leaves them (umask 022), are
 * trusted: the golden tests above load them with config_load(). A
 * group-writable checkout (umask 002) is not, and says so. */
static void test_trust_repo(void **state)
{
        Config *c = NULL;
        char *err = NULL;
        int r;

        (void)state;
        chdir_tests();
        r = config_load("config/good-full.conf", &c, &err);
        if (r != 0)
                fprintf(stderr, "%s", err ? err : "");
        assert_int_equal(r, 0);
        config_free(c);
}

/* ---- before, before-wait, notify (issue 17) ---- */

/* The command's words as they reach execve(): whole arguments, no shell. */
static void test_before_expand(void **state)
{
        (void)state;
        const BeforeVars v = { .pid = 812, .unit = "api.service", .comm = "node" };
        char out[64];
        assert_int_equal(before_expand_arg("%p", &v, out, sizeof out), 3);
        assert_string_equal(out, "812");
        assert_true(before_expand_arg("/var/tmp/heap-%p.hprof", &v, out, sizeof out) > 0);
        assert_string_equal(out, "/var/tmp/heap-812.hprof");
        assert_true(before_expand_arg("pid=%p unit=%u comm=%c 100%%", &v, out, sizeof out) > 0);
        assert_string_equal(out, "pid=812 unit=api.service comm=node 100%");
        assert_int_equal(before_expand_arg("plain", &v, out, sizeof out), 5);
        assert_string_equal(out, "plain");
        /* a comm with blanks stays one argument; %u of a process in no unit is "" */
        const BeforeVars w = { .pid = 7, .unit = NULL, .comm = "a b;rm -rf" };
        assert_true(before_expand_arg("%c", &w, out, sizeof out) > 0);
        assert_string_equal(out, "a b;rm -rf");
        assert_int_equal(before_expand_arg("%u", &w, out, sizeof out), 0);
        assert_string_equal(out, "");
        /* what a process chose may not become an option or change a path */
        const BeforeVars h1 = { .pid = 7, .comm = "--output=/x" }, h2 = { .pid = 7, .comm = "../../x" };
        assert_int_equal(before_expand_arg("%c", &h1, out, sizeof out), -EPERM);
        assert_int_equal(before_expand_arg("/var/tmp/heap-%c", &h2, out, sizeof out), -EPERM);
        /* nor a path's "." or ".." on its own (/var/dumps/%c) */
        const BeforeVars h3 = { .pid = 7, .comm = ".." }, h4 = { .pid = 7, .comm = "." },
                         h5 = { .pid = 7, .comm = "..x" };
        assert_int_equal(before_expand_arg("/var/dumps/%c", &h3, out, sizeof out), -EPERM);
        assert_int_equal(before_expand_arg("/var/dumps/%c", &h4, out, sizeof out), -EPERM);
        assert_true(before_expand_arg("/var/dumps/%c", &h5, out, sizeof out) > 0);
        assert_string_equal(out, "/var/dumps/..x");
        /* unknown substitutions and a trailing '%' (refused by the config) */
        assert_int_equal(before_expand_arg("%x", &v, out, sizeof out), -EINVAL);
        assert_int_equal(before_expand_arg("50%", &v, out, sizeof out), -EINVAL);
        /* too long: never cut */
        assert_int_equal(before_expand_arg("%u%u%u", &v, out, 20), -ENAMETOOLONG);
        assert_int_equal(before_expand_arg("x", &v, out, 1), -ENAMETOOLONG);
}

static void test_signame(void **state)
{
        (void)state;
        char buf[32];
        assert_int_equal(signame_parse("SIGUSR2"), SIGUSR2);
        assert_int_equal(signame_parse("usr1"), SIGUSR1);
        assert_int_equal(signame_parse("SigQuit"), SIGQUIT);
        assert_int_equal(signame_parse("SIGRTMIN"), SIGRTMIN);
        assert_int_equal(signame_parse("SIGRTMIN+2"), SIGRTMIN + 2);
        assert_int_equal(signame_parse("RTMAX-1"), SIGRTMAX - 1);
        assert_true(signame_parse("SIGRTMIN+") < 0);
        assert_true(signame_parse("SIGRTMIN+-1") < 0);
        assert_true(signame_parse("SIGRTMAX-99") < 0);
        assert_true(signame_parse("12") < 0);
        assert_true(signame_parse("") < 0);
        assert_true(signame_parse("SIG") < 0);
        assert_string_equal(signame_format(SIGUSR2, buf, sizeof buf), "SIGUSR2");
        assert_string_equal(signame_format(SIGKILL, buf, sizeof buf), "SIGKILL");
        assert_string_equal(signame_format(SIGRTMIN + 3, buf, sizeof buf), "SIGRTMIN+3");
        /* every name written reads back as its signal */
        for (int sig = 1; sig <= SIGRTMAX; sig++) {
                signame_format(sig, buf, sizeof buf);
                if (buf[3] < '0' || buf[3] > '9') /* not "SIG32": no name */
                        assert_int_equal(signame_parse(buf), sig);
        }
}

static void test_before_signal(void **state)
{
        (void)state;
        Config *c = load_ok("[rule api]\nunit = api.service\nwhen = unit.memory > 400M\n"
                            "action = restart\nbefore = SIGUSR2\nbefore-wait = 45s\n"
                            "[rule w]\nprocess = node\nwhen = proc.pss > 300M\naction = term\n"
                            "before = rtmin+3\n"
                            "[rule n]\nunit = api\nwhen = unit.memory > 300M\naction = warn\n"
                            "notify = usr1\n");
        const Rule *r = find_rule(c, "api");
        assert_int_equal(r->before_signal, SIGUSR2);
        assert_null(r->before_argv);
        assert_int_equal(r->before_wait_usec, 45 * USEC_S);
        r = find_rule(c, "w");
        assert_int_equal(r->before_signal, SIGRTMIN + 3);
        assert_int_equal(r->before_wait_usec, 30 * USEC_S); /* the default */
        assert_int_equal(r->notify_signal, 0);
        r = find_rule(c, "n");
        assert_int_equal(r->notify_signal, SIGUSR1);
        assert_int_equal(r->before_signal, 0);
        config_free(c);
}

static void test_before_exec(void **state)
{
        (void)state;
        Config *c = load_ok("[rule j]\nprocess = java\nwhen = proc.pss > 1G\naction = term\n"
                            "before = exec /usr/bin/jcmd %p GC.heap_dump /var/tmp/heap-%p.hprof\n"
                            "before-wait = 2m\n");
        const Rule *r = find_rule(c, "j");
        assert_int_equal(r->before_signal, 0);
        assert_non_null(r->before_argv);
        assert_string_equal(r->before_argv[0], "/usr/bin/jcmd");
        assert_string_equal(r->before_argv[1], "%p");
        assert_string_equal(r->before_argv[2], "GC.heap_dump");
        assert_string_equal(r->before_argv[3], "/var/tmp/heap-%p.hprof");
        assert_null(r->before_argv[4]);
        assert_int_equal(r->before_wait_usec, 120 * USEC_S);
        config_free(c);
}

static void test_before_errors(void **state)
{
        (void)state;
        /* a system rule must not wait, nor has it a process to notify */
        load_bad("[rule s]\nwhen = mem.available < 5%\naction = term\nbefore = SIGUSR2\n"
                 "before-wait = 10s\nnotify = SIGUSR1\n",
                 "t.conf:4: before: not on system rules: they guard against an imminent OOM and "
                 "must not wait; use it on a process or unit rule\n"
                 "t.conf:6: notify: a system rule has no process of its own to notify; use it on "
                 "a process or unit rule\n");
        /* before on warn; notify on term; before-wait alone */
        load_bad("[rule w]\nprocess = node\nwhen = proc.pss > 1G\naction = warn\nbefore = SIGUSR2\n"
                 "[rule t]\nprocess = node\nwhen = proc.pss > 1G\naction = term\nnotify = SIGUSR1\n"
                 "before-wait = 5s\n",
                 "t.conf:5: before: only for term, kill or restart; a warn rule signals its "
                 "process with notify =\n"
                 "t.conf:10: notify: only for action = warn; term, kill and restart take before "
                 "= SIGNAL\n"
                 "t.conf:11: before-wait: only applies with before =\n");
        /* signals that cannot serve */
        load_bad("[rule a]\nprocess = x\nwhen = proc.pss > 1G\naction = term\nbefore = SIGKILL\n"
                 "[rule b]\nprocess = x\nwhen = proc.pss > 1G\naction = term\nbefore = SIGTERM\n"
                 "[rule c]\nprocess = x\nwhen = proc.pss > 1G\naction = warn\nnotify = STOP\n"
                 "[rule d]\nprocess = x\nwhen = proc.pss > 1G\naction = warn\nnotify = 10\n"
                 "[rule e]\nprocess = x\nwhen = proc.pss > 1G\naction = term\nbefore = SIGRTMIN+99\n",
                 "t.conf:5: before: SIGKILL ends the process before it can act on it\n"
                 "t.conf:10: before: SIGTERM is what action = term sends (grace = gives the "
                 "process its time)\n"
                 "t.conf:15: notify: SIGSTOP stops the process before it can act on it\n"
                 "t.conf:20: notify: '10' is not a signal name (e.g. SIGUSR1, SIGUSR2, SIGQUIT, "
                 "SIGRTMIN+3)\n"
                 "t.conf:25: before: 'SIGRTMIN+99' is not a signal name (e.g. SIGUSR1, SIGUSR2, "
                 "SIGQUIT, SIGRTMIN+3), nor exec COMMAND\n");
        /* the command: absolute, substitutions known, the path fixed */
        load_bad("[rule a]\nprocess = x\nwhen = proc.pss > 1G\naction = term\nbefore = exec jcmd %p\n"
                 "[rule b]\nprocess = x\nwhen = proc.pss > 1G\naction = term\n"
                 "before = exec /usr/bin/dump %x\n"
                 "[rule c]\nprocess = x\nwhen = proc.pss > 1G\naction = term\nbefore = exec\n"
                 "[rule d]\nprocess = x\nwhen = proc.pss > 1G\naction = term\n"
                 "before = exec /opt/%c/dump\n"
                 "[rule e]\nprocess = x\nwhen = proc.pss > 1G\naction = term\n"
                 "before = exec /bin/x 50%\n",
                 "t.conf:5: before: the command must be an absolute path (no shell, no $PATH "
                 "search)\n"
                 "t.conf:10: before: unknown substitution: use %p (pid), %u (unit), %c (comm) or "
                 "%% (a percent sign)\n"
                 "t.conf:15: before: exec needs a command (an absolute path, then its "
                 "arguments)\n"
                 "t.conf:20: before: the command's path takes no substitution (%p, %u, %c go in "
                 "its arguments)\n"
                 "t.conf:25: before: unknown substitution: use %p (pid), %u (unit), %c (comm) or "
                 "%% (a percent sign)\n");
        /* before-wait's bounds */
        load_bad("[rule a]\nprocess = x\nwhen = proc.pss > 1G\naction = term\nbefore = SIGUSR2\n"
                 "before-wait = 11m\n"
                 "[rule b]\nprocess = x\nwhen = proc.pss > 1G\naction = term\nbefore = SIGUSR2\n"
                 "before-wait = 500ms\n",
                 "t.conf:6: before-wait: '11m' is too long (at most 10m)\n"
                 "t.conf:12: before-wait: '500ms' is too short (at least 1s)\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_size_ok),
                cmocka_unit_test(test_parse_size_percent),
                cmocka_unit_test(test_parse_size_bad),
                cmocka_unit_test(test_parse_duration_ok),
                cmocka_unit_test(test_parse_duration_bad),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_threshold),
                cmocka_unit_test(test_growth_syntax),
                cmocka_unit_test(test_good_empty),
                cmocka_unit_test(test_good_full),
                cmocka_unit_test(test_lexical),
                cmocka_unit_test(test_bad_strings),
                cmocka_unit_test(test_metrics_file),
                cmocka_unit_test(test_nul_byte),
                cmocka_unit_test(test_golden),
                cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_dropin),
                cmocka_unit_test(test_shipped),
                cmocka_unit_test(test_shipped_examples),
                cmocka_unit_test(test_duration_limits),
                cmocka_unit_test(test_protect_kinds),
                cmocka_unit_test(test_user_unit),
                cmocka_unit_test(test_before_signal),
                cmocka_unit_test(test_before_exec),
                cmocka_unit_test(test_before_errors),
                cmocka_unit_test(test_before_expand),
                cmocka_unit_test(test_signame),
                cmocka_unit_test_setup_teardown(test_trust_file, trust_setup, trust_teardown),
                cmocka_unit_test_setup_teardown(test_trust_parents, trust_setup, trust_teardown),
                cmocka_unit_test_setup_teardown(test_trust_symlinks, trust_setup, trust_teardown),
                cmocka_unit_test_setup_teardown(test_trust_dropins, trust_setup, trust_teardown),
                cmocka_unit_test_setup_teardown(test_trust_owner, trust_setup, trust_teardown),
                cmocka_unit_test(test_trust_repo),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
