/* fuzz_config.c — the configuration loader, config_load() (config/config.h),
 * as `memguard --check-config` and the daemon call it: the input is a main
 * file and up to DROPINS_MAX drop-ins, split at the line SEP ("#dropin"),
 * written into a scratch directory (PATH and PATH.d/NN-x.conf, mode 0644,
 * owned by whoever runs this: trusted as the tests' configs are) and
 * loaded from there, drop-ins, trust checks and all.
 * Checks: 0 with a config and no errors, or -EINVAL with errors and the
 * config untouched; every error line "FILE:..." for a file of this load;
 * a loaded config within config.h's bounds (intervals, durations, a
 * window exactly for rules that track growth, conditions, scopes, the
 * before and notify steps only where check.c allows them, unique rule
 * names, a metrics file absolute and ending in .prom, protect entries
 * unique); and, with no drop-in, config_load_string() of the same text
 * under the same name agreeing with it to the byte. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "fuzz.h"

#define SEP "\n#dropin\n"
#define DROPINS_MAX 4

static const char *const dropin_names[DROPINS_MAX] = { "10-a.conf", "20-b.conf", "30-c.conf",
                                                        "40-d.conf" };
static char dir[64], main_path[96], dropin_dir[112], dropin_paths[DROPINS_MAX][128];

static void cleanup(void)
{
        for (size_t i = 0; i < DROPINS_MAX; i++)
                (void)unlink(dropin_paths[i]);
        (void)rmdir(dropin_dir);
        (void)unlink(main_path);
        (void)rmdir(dir);
}

static void setup(void)
{
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/memguard-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
                abort();
        snprintf(main_path, sizeof main_path, "%s/memguard.conf", dir);
        snprintf(dropin_dir, sizeof dropin_dir, "%s.d", main_path);
        if (mkdir(dropin_dir, 0755) < 0 || chmod(dropin_dir, 0755) < 0)
                abort();
        for (size_t i = 0; i < DROPINS_MAX; i++)
                snprintf(dropin_paths[i], sizeof dropin_paths[i], "%s/%s", dropin_dir, dropin_names[i]);
        atexit(cleanup);
}

static void put(const char *path, const uint8_t *p, size_t n)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || fchmod(fd, 0644) < 0)
                abort();
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k <= 0)
                        abort();
                p += k;
                n -= (size_t)k;
        }
        close(fd);
}

static bool in_range(uint64_t v, uint64_t lo, uint64_t hi)
{
        return v >= lo && v <= hi;
}

static void check_rule(const Config *c, size_t i)
{
        const Rule *r = &c->rules[i];
        FUZZ_CHECK(r->name && *r->name && r->file);
        for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(strcmp(c->rules[j].name, r->name) != 0);
        FUZZ_CHECK(r->n_conds >= 1 && r->n_conds <= CONFIG_MAX_CONDITIONS);
        for (size_t j = 0; j < r->n_conds; j++) {
                const Condition *k = &r->conds[j];
                FUZZ_CHECK((unsigned)k->metric < _METRIC_MAX && (k->op == '<' || k->op == '>'));
                FUZZ_CHECK(k->percent >= 0 && k->percent <= 100);
                if (k->is_percent)
                        FUZZ_CHECK(metric_kind(k->metric) == METRIC_KIND_SIZE && k->kb == 0);
                RuleScope ms = metric_scope(k->metric);
                FUZZ_CHECK(ms == SCOPE_SYSTEM || ms == r->scope);
        }
        FUZZ_CHECK(r->budget_cond >= -1 && r->budget_cond < (int)r->n_conds);
        FUZZ_CHECK(r->for_usec <= CONFIG_MAX_FOR_USEC && r->grace_usec <= CONFIG_MAX_GRACE_USEC);
        FUZZ_CHECK(in_range(r->before_wait_usec, CONFIG_MIN_BEFORE_WAIT_USEC,
                            CONFIG_MAX_BEFORE_WAIT_USEC));
        if (rule_tracks_growth(r))
                FUZZ_CHECK(in_range(r->window_usec, CONFIG_MIN_WINDOW_USEC, CONFIG_MAX_WINDOW_USEC));
        else
                FUZZ_CHECK(r->window_usec == 0);
        FUZZ_CHECK((unsigned)r->action <= ACTION_RESTART);
        FUZZ_CHECK((unsigned)r->target <= TARGET_FASTEST_GROWING);
        FUZZ_CHECK((unsigned)r->scope <= SCOPE_UNIT);
        switch (r->scope) {
        case SCOPE_SYSTEM:
                FUZZ_CHECK(!r->unit_glob && !r->comm_glob && !r->cmdline_glob);
                FUZZ_CHECK(!r->before_signal && !r->before_argv && !r->notify_signal);
                break;
        case SCOPE_PROCESS:
                FUZZ_CHECK(!r->unit_glob && (r->comm_glob || r->cmdline_glob));
                break;
        case SCOPE_UNIT:
                FUZZ_CHECK(r->unit_glob && !r->comm_glob && !r->cmdline_glob);
                break;
        }
        if (r->user_unit)
                FUZZ_CHECK(r->scope == SCOPE_UNIT && r->action != ACTION_RESTART);
        if (r->before_signal || r->before_argv)
                FUZZ_CHECK(r->action != ACTION_WARN && !(r->before_signal && r->before_argv));
        if (r->before_argv)
                FUZZ_CHECK(r->before_argv[0] && r->before_argv[0][0] == '/');
        if (r->notify_signal)
                FUZZ_CHECK(r->action == ACTION_WARN);
}

static void check_config(const Config *c)
{
        FUZZ_CHECK(in_range(c->interval_usec, CONFIG_MIN_INTERVAL_USEC, CONFIG_MAX_INTERVAL_USEC));
        FUZZ_CHECK(in_range(c->fast_interval_usec, CONFIG_MIN_INTERVAL_USEC, c->interval_usec));
        FUZZ_CHECK(c->cooldown_usec <= CONFIG_MAX_COOLDOWN_USEC);
        FUZZ_CHECK(c->metrics_interval_usec <= CONFIG_MAX_INTERVAL_USEC);
        if (c->metrics_file) {
                size_t n = strlen(c->metrics_file);
                FUZZ_CHECK(c->metrics_file[0] == '/' && n > 5 &&
                           strcmp(c->metrics_file + n - 5, ".prom") == 0);
        }
        for (size_t i = 0; i < c->n_protect; i++) {
                FUZZ_CHECK((unsigned)c->protect[i].kind < _PROTECT_KIND_MAX && c->protect[i].glob);
                for (size_t j = 0; j < i; j++)
                        FUZZ_CHECK(c->protect[j].kind != c->protect[i].kind ||
                                   strcmp(c->protect[j].glob, c->protect[i].glob) != 0);
        }
        for (size_t i = 0; i < c->n_rules; i++)
                check_rule(c, i);
}

/* Every line of ERRORS names a file of this load. */
static void check_errors(const char *errors, size_t n_dropins)
{
        FUZZ_CHECK(errors && *errors && errors[strlen(errors) - 1] == '\n');
        for (const char *l = errors; *l; l = strchr(l, '\n') + 1) {
                bool ok = strncmp(l, main_path, strlen(main_path)) == 0 &&
                          l[strlen(main_path)] == ':';
                for (size_t i = 0; i < n_dropins && !ok; i++)
                        ok = strncmp(l, dropin_paths[i], strlen(dropin_paths[i])) == 0 &&
                             l[strlen(dropin_paths[i])] == ':';
                FUZZ_CHECK(ok);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!dir[0])
                setup();

        /* the main file, then each drop-in; the last takes the rest */
        const uint8_t *part = data, *end = data + size;
        size_t n_parts = 0, main_len = 0;
        while (n_parts <= DROPINS_MAX) {
                const uint8_t *sep = n_parts < DROPINS_MAX
                                             ? memmem(part, (size_t)(end - part), SEP, strlen(SEP))
                                             : NULL;
                size_t len = sep ? (size_t)(sep - part) + 1 : (size_t)(end - part);
                if (n_parts == 0) {
                        put(main_path, part, len);
                        main_len = len;
                } else
                        put(dropin_paths[n_parts - 1], part, len);
                n_parts++;
                if (!sep)
                        break;
                part = sep + strlen(SEP);
        }
        size_t n_dropins = n_parts - 1;
        for (size_t i = n_dropins; i < DROPINS_MAX; i++)
                (void)unlink(dropin_paths[i]);

        Config *c = (Config *)(uintptr_t)1, *sentinel = c;
        char *errors = (char *)(uintptr_t)1;
        int r = config_load(main_path, &c, &errors);
        if (r == 0) {
                FUZZ_CHECK(c && c != sentinel && !errors);
                check_config(c);
        } else {
                FUZZ_CHECK(r == -EINVAL && c == sentinel);
                check_errors(errors, n_dropins);
        }

        if (n_dropins == 0 && !memchr(data, '\0', main_len)) {
                char *text = fuzz_string(data, main_len), *errors2 = NULL;
                Config *c2 = NULL;
                int r2 = config_load_string(text, main_path, &c2, &errors2);
                FUZZ_CHECK(r2 == r);
                FUZZ_CHECK(r == 0 ? c2 && c2->n_rules == c->n_rules && c2->n_protect == c->n_protect
                                  : errors2 && strcmp(errors, errors2) == 0);
                config_free(c2);
                free(errors2);
                free(text);
        }
        if (r == 0)
                config_free(c);
        else
                free(errors);
        return 0;
}
