/* fuzz_status.c — status_parse() (report/status.h) on the state file of
 * `memguard status`: LEN bytes of records, as status_cmd.c hands a view
 * to it, and what it parsed rendered as `memguard status` and `--json`
 * would (report/render.h), to /dev/null. Checks: 0, -EPROTO, -EBADMSG or
 * -ENOMEM; *RET untouched on error; on success every table within the
 * writer's bound and every string of every record NUL-terminated within
 * its array. */
#include <errno.h>

#include "fuzz.h"
#include "report/render.h"
#include "report/status.h"

static FILE *null_out(void)
{
        static FILE *f;
        if (!f && !(f = fopen("/dev/null", "we")))
                abort();
        return f;
}

static void check(const StatusFile *f)
{
        FUZZ_CHECK(f->n_units <= STATUS_MAX_UNITS && f->n_procs <= STATUS_MAX_PROCS);
        FUZZ_CHECK(f->n_rules <= STATUS_MAX_RULES && f->n_cooldowns <= STATUS_MAX_COOLDOWNS);
        FUZZ_CHECK(f->n_actions <= STATUS_MAX_ACTIONS);
        FUZZ_CHECK(f->n_counts <= STATUS_MAX_COUNTS + STATUS_N_ACTIONS * _ACTION_RESULT_MAX);
        FUZZ_CHECK(fuzz_terminated(f->header.version_str, sizeof f->header.version_str));
        FUZZ_CHECK(fuzz_terminated(f->header.config_path, sizeof f->header.config_path));
        for (size_t i = 0; i < f->n_units; i++)
                FUZZ_CHECK(fuzz_terminated(f->units[i].name, sizeof f->units[i].name) &&
                           fuzz_terminated(f->units[i].owner, sizeof f->units[i].owner));
        for (size_t i = 0; i < f->n_procs; i++)
                FUZZ_CHECK(fuzz_terminated(f->procs[i].comm, sizeof f->procs[i].comm) &&
                           fuzz_terminated(f->procs[i].unit, sizeof f->procs[i].unit));
        for (size_t i = 0; i < f->n_rules; i++)
                FUZZ_CHECK(fuzz_terminated(f->rules[i].name, sizeof f->rules[i].name) &&
                           fuzz_terminated(f->rules[i].view.target, sizeof f->rules[i].view.target));
        for (size_t i = 0; i < f->n_cooldowns; i++)
                FUZZ_CHECK(fuzz_terminated(f->cooldowns[i].target, sizeof f->cooldowns[i].target));
        for (size_t i = 0; i < f->n_actions; i++)
                FUZZ_CHECK(fuzz_terminated(f->actions[i].rule, sizeof f->actions[i].rule) &&
                           fuzz_terminated(f->actions[i].target, sizeof f->actions[i].target) &&
                           fuzz_terminated(f->actions[i].result, sizeof f->actions[i].result));
        for (size_t i = 0; i < f->n_counts; i++)
                FUZZ_CHECK(fuzz_terminated(f->counts[i].rule, sizeof f->counts[i].rule));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = fuzz_copy(data, size);
        StatusFile *f = (StatusFile *)(uintptr_t)1, *sentinel = f;
        int r = status_parse(buf, size, &f);
        FUZZ_CHECK(r == 0 || r == -EPROTO || r == -EBADMSG || r == -ENOMEM);
        if (r < 0)
                FUZZ_CHECK(f == sentinel);
        else {
                FUZZ_CHECK(f && f != sentinel);
                check(f);
                RenderOptions o = { .top = 5, .now_realtime_usec = f->header.written_realtime_usec };
                status_sort(f);
                status_render_text(null_out(), f, &o);
                status_render_json(null_out(), f, &o);
                status_free(f);
        }
        free(buf);
        return 0;
}
