/* fuzz_kmsg.c — the kernel's log as the daemon reads it (daemon/oomwatch.c):
 * the input is what one read() returned, split with kmsg_record_len()
 * (read/kmsg.h) into records, each parsed by kmsg_parse() from a copy of
 * exactly its bytes, and every record parsed fed to oomkills_feed()
 * (read/oomkill.h) on a clock that moves 100 ms a record; the kills it
 * gives are taken, credited and checked against counters named after
 * their cgroups, as oomwatch does (marked as a sample's units, with a
 * baseline when new, and the rest swept).
 * Checks: a record length in 1..what is left, ending in '\n' unless it
 * runs to the end, and never on a '\n' a continuation line (' ') follows;
 * kmsg_parse() 0 or -EBADMSG, RET untouched on error; on success a level
 * 0..7, an OOM record only from the kernel (facility 0) and with a pid
 * > 0, every string NUL-terminated in its array, has_rss false leaving
 * the sizes 0; a kill's strings terminated, its source and scope known,
 * a counter's kill counting at least one. */
#include <errno.h>

#include "fuzz.h"
#include "read/kmsg.h"
#include "read/oomkill.h"

static void check_record(const KmsgRecord *r)
{
        FUZZ_CHECK(r->level <= 7 && r->facility <= 127);
        FUZZ_CHECK(r->kind == KMSG_OTHER || r->kind == KMSG_OOM_SUMMARY || r->kind == KMSG_OOM_KILLED);
        FUZZ_CHECK(fuzz_terminated(r->comm, sizeof r->comm));
        FUZZ_CHECK(fuzz_terminated(r->constraint, sizeof r->constraint));
        FUZZ_CHECK(fuzz_terminated(r->oom_cgroup, sizeof r->oom_cgroup));
        FUZZ_CHECK(fuzz_terminated(r->task_cgroup, sizeof r->task_cgroup));
        if (r->kind != KMSG_OTHER) {
                FUZZ_CHECK(r->facility == 0 && r->pid > 0);
                FUZZ_CHECK(r->scope == KMSG_SCOPE_UNKNOWN || r->scope == KMSG_SCOPE_SYSTEM ||
                           r->scope == KMSG_SCOPE_CGROUP);
        }
        if (!r->has_rss)
                FUZZ_CHECK(r->anon_rss_kb == 0 && r->file_rss_kb == 0);
}

static void check_kill(const OomKill *k)
{
        FUZZ_CHECK(k->source == OOMKILL_FROM_KMSG || k->source == OOMKILL_FROM_COUNTER);
        FUZZ_CHECK(k->scope == KMSG_SCOPE_UNKNOWN || k->scope == KMSG_SCOPE_SYSTEM ||
                   k->scope == KMSG_SCOPE_CGROUP);
        FUZZ_CHECK(fuzz_terminated(k->comm, sizeof k->comm));
        FUZZ_CHECK(fuzz_terminated(k->task_cgroup, sizeof k->task_cgroup));
        FUZZ_CHECK(fuzz_terminated(k->oom_cgroup, sizeof k->oom_cgroup));
        FUZZ_CHECK(fuzz_terminated(k->constraint, sizeof k->constraint));
        if (k->source == OOMKILL_FROM_COUNTER)
                FUZZ_CHECK(k->count > 0);
}

#define MAX_COUNTERS 8

/* Takes the kills due at NOW, credits them, and checks counters that
 * claim one more kill than credited in each of their cgroups. */
static void take(OomKills *k, uint64_t now, char names[][PROC_CGROUP_MAX], size_t *n_names)
{
        OomKill out[4];
        size_t got;
        while ((got = oomkills_take(k, now, out, 4)) > 0) {
                FUZZ_CHECK(got <= 4);
                for (size_t i = 0; i < got; i++) {
                        check_kill(&out[i]);
                        oomkills_credit(k, out[i].task_cgroup);
                        if (out[i].task_cgroup[0] && *n_names < MAX_COUNTERS)
                                memcpy(names[(*n_names)++], out[i].task_cgroup, PROC_CGROUP_MAX);
                }
        }
        /* as oomwatch_sampled() follows a sample's units: a baseline for
         * each one new, the counters of units gone swept */
        OomCounter c[MAX_COUNTERS];
        for (size_t i = 0; i < *n_names; i++) {
                c[i] = (OomCounter){ .cgroup = names[i], .oom_kill = 2, .oom = 1 };
                if (!oomkills_mark(k, names[i]))
                        (void)oomkills_baseline(k, &(OomCounter){ names[i], 1, 1 });
        }
        oomkills_sweep(k);
        got = oomkills_check(k, c, *n_names, now, out, 4);
        FUZZ_CHECK(got <= 4);
        for (size_t i = 0; i < got; i++)
                check_kill(&out[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char names[MAX_COUNTERS][PROC_CGROUP_MAX];
        size_t n_names = 0;
        char *buf = fuzz_copy(data, size);
        OomKills *k = oomkills_new();
        uint64_t now = 1000000;
        if (!k)
                abort();
        for (size_t off = 0; off < size;) {
                size_t len = kmsg_record_len(buf + off, size - off);
                FUZZ_CHECK(len >= 1 && len <= size - off);
                if (len < size - off)
                        FUZZ_CHECK(buf[off + len - 1] == '\n' && buf[off + len] != ' ');
                char *rec = fuzz_copy(data + off, len);
                KmsgRecord r;
                int e = FUZZ_PARSE(r, kmsg_parse(rec, len, &r));
                FUZZ_CHECK(e == 0 || e == -EBADMSG);
                if (e == 0) {
                        check_record(&r);
                        bool oom = oomkills_feed(k, &r, now);
                        FUZZ_CHECK(oom == (r.kind != KMSG_OTHER));
                }
                free(rec);
                off += len;
                now += 100000;
                take(k, now, names, &n_names);
        }
        uint64_t next = oomkills_next_usec(k);
        if (next != UINT64_MAX)
                take(k, next > now ? next : now, names, &n_names);
        take(k, now + 3600 * UINT64_C(1000000), names, &n_names);
        oomkills_free(k);
        free(buf);
        return 0;
}
