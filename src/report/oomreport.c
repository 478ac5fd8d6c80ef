/* oomreport.c — a kernel OOM kill in words and fields (oomreport.h). */
#include "report/oomreport.h"

#include <math.h>
#include <string.h>

#include "read/proc.h"
#include "select/match.h"
#include "util/cleanup.h"
#include "util/format.h"

/* The process of KILL as the last walk saw it: same pid, same comm (the
 * kernel's comm is escaped where it holds control bytes; such a comm is
 * not matched). NULL if the walk did not see it. */
static const ProcSample *victim_sample(const Snapshot *snap, const OomKill *kill)
{
        const ProcSample *p = kill->pid > 0 ? snapshot_find_pid(snap, kill->pid) : NULL;
        return p && strcmp(p->comm, kill->comm) == 0 ? p : NULL;
}

void oomreport_resolve(const OomReportSource *src, OomKill *kill)
{
        if (kill->task_cgroup[0])
                return;
        const ProcSample *p = victim_sample(src->snap, kill);
        if (p && p->unit >= 0 && (size_t)p->unit < src->snap->n_units)
                memcpy(kill->task_cgroup, src->snap->units[p->unit].cgroup, sizeof kill->task_cgroup);
}

/* "system.slice" of "/system.slice": how a cgroup is named in a sentence. */
static const char *last_component(const char *cgroup)
{
        const char *s = strrchr(cgroup, '/');
        return s && s[1] ? s + 1 : cgroup;
}

static bool covers(const char *a, const char *t)
{
        size_t n = strlen(a);
        return strncmp(a, t, n) == 0 && (t[n] == '\0' || t[n] == '/' || (n == 1 && a[0] == '/'));
}

/* Why the kernel killed: whose limit, or the box's memory. UNIT_CG is the
 * victim's unit's cgroup ("" unknown). */
static void say_why(Buf *b, const OomKill *k, const char *unit_cg)
{
        const char *oom = k->oom_cgroup;
        if (k->scope != KMSG_SCOPE_CGROUP) {
                if (strcmp(k->constraint, "CONSTRAINT_CPUSET") == 0)
                        bprintf(b, "memory ran out on the nodes of its cpuset");
                else if (strcmp(k->constraint, "CONSTRAINT_MEMORY_POLICY") == 0)
                        bprintf(b, "memory ran out on the nodes of its memory policy");
                else if (k->source == OOMKILL_FROM_COUNTER)
                        bprintf(b, "the system, or a slice above the unit, ran out of memory");
                else
                        bprintf(b, "the system ran out of memory");
        } else if (!oom[0]) {
                bprintf(b, "a cgroup hit its memory limit");
        } else if (unit_cg[0] && strcmp(oom, unit_cg) == 0) {
                bprintf(b, "the unit hit its own memory limit (MemoryMax=, cgroup %s), which the kernel "
                           "enforces itself", oom);
        } else if (unit_cg[0] && covers(oom, unit_cg)) {
                bprintf(b, "%s hit its memory limit (MemoryMax=, cgroup %s)", last_component(oom), oom);
        } else {
                bprintf(b, "cgroup %s hit its memory limit", oom);
        }
}

/* The rules that watch the victim and were holding; and if none was, why
 * memguard did not act. Writes the names of those holding to RULES. */
static void say_rules(Buf *b, const OomReportSource *src, const OomKill *k, const UnitSample *u,
                      const ProcSample *p, Buf *rules)
{
        const Config *c = src->config;
        bool covered = false, system_rules = false;
        size_t holding = 0;

        if (src->dry_run)
                bprintf(b, "memguard is in dry run and acts on nothing; ");
        for (size_t i = 0; i < c->n_rules; i++) {
                const Rule *r = &c->rules[i];
                bool mine = r->scope == SCOPE_UNIT      ? u && match_unit(r, u)
                            : r->scope == SCOPE_PROCESS ? p && match_process(r, p)
                                                        : k->scope != KMSG_SCOPE_CGROUP;
                if (r->scope == SCOPE_SYSTEM)
                        system_rules = true;
                if (!mine)
                        continue;
                covered = true;
                RuleView v;
                if (!rules_target_view(src->state, c, i, p ? p->pid : 0, p ? p->start_time : 0,
                                       u ? u->cgroup : NULL, &v) ||
                    !v.active)
                        continue;
                bprintf(b, "%s%s (", holding ? ", " : "rules holding: ", r->name);
                if (v.fired)
                        bprintf(b, "fired");
                else {
                        bprintf(b, "holding for ");
                        fmt_held(b, src->now_usec > v.since_usec ? src->now_usec - v.since_usec : 0);
                }
                bprintf(b, ")");
                bprintf(rules, "%s%s", holding ? " " : "", r->name);
                holding++;
        }
        if (holding)
                return;
        if (k->scope == KMSG_SCOPE_CGROUP)
                bprintf(b, covered ? "no rule that covers this unit was holding"
                                   : "no rule covers this unit");
        else if (!system_rules)
                bprintf(b, "no rule watches the system's memory");
        else
                bprintf(b, "no rule was holding: memory ran out before a rule's condition held");
}

void oomreport_build(const OomReportSource *src, const OomKill *k, OomReport *ret)
{
        const Snapshot *snap = src->snap;
        char unit_cg[PROC_CGROUP_MAX] = "";
        CgroupUnit cu;
        bool has_unit = k->task_cgroup[0] && proc_cgroup_to_unit(k->task_cgroup, &cu) == 0 &&
                        cu.cgroup_len < sizeof unit_cg;
        char label[PROC_UNIT_MAX + 64] = "";

        memset(ret, 0, sizeof *ret);
        if (has_unit) {
                memcpy(unit_cg, k->task_cgroup, cu.cgroup_len);
                unit_cg[cu.cgroup_len] = '\0';
                unit_label(cu.name, cu.owner, label, sizeof label);
                const char *name = cu.owner[0] ? cu.owner : cu.name;
                memcpy(ret->unit, name, strnlen(name, sizeof ret->unit - 1));
                if (unit_owner_is_user(cu.owner, NULL))
                        memcpy(ret->user_unit, cu.name, strnlen(cu.name, sizeof ret->user_unit - 1));
        }
        const UnitSample *u = has_unit ? snapshot_find_unit(snap, unit_cg) : NULL;
        const ProcSample *p = victim_sample(snap, k);

        Buf b = buf_on(ret->message, sizeof ret->message);
        Buf rules = buf_on(ret->rules, sizeof ret->rules);
        bprintf(&b, "kernel OOM killer killed ");
        if (k->source == OOMKILL_FROM_COUNTER)
                bprintf(&b, k->count > 1 ? "%u processes" : "a process", k->count);
        else
                bprintf(&b, "%s (pid %d)", k->comm[0] ? k->comm : "a process", (int)k->pid);
        if (has_unit)
                bprintf(&b, " in %s", label);
        else if (k->task_cgroup[0])
                bprintf(&b, " in cgroup %s", k->task_cgroup);
        if (k->source == OOMKILL_FROM_COUNTER)
                bprintf(&b, " (counted in its memory.events; the kernel log did not show %s)",
                        k->count > 1 ? "them" : "it");
        bprintf(&b, ": ");
        say_why(&b, k, unit_cg);
        if (k->has_rss) {
                fmt_labelled_size(&b, "; anon ", (double)k->anon_rss_kb);
                fmt_labelled_size(&b, ", file ", (double)k->file_rss_kb);
                if (k->shmem_rss_kb)
                        fmt_labelled_size(&b, ", shmem ", (double)k->shmem_rss_kb);
        }
        GrowthEstimate e = { 0 };
        uint64_t window = u ? history_unit_window(src->config, u) : 0;
        bool growth = u && src->hist && window && history_unit_peek(src->hist, window, u->cgroup, &e) &&
                      e.valid;
        if (u) {
                fmt_labelled_size(&b, "; memguard last saw the unit at ", (double)u->memory_kb);
                if (growth) {
                        bprintf(&b, ", %s ", e.kb_per_hour >= 0 ? "growing" : "shrinking");
                        fmt_rate(&b, e.kb_per_hour >= 0 ? e.kb_per_hour : -e.kb_per_hour);
                }
                if (u->memory_usec && src->now_usec >= u->memory_usec + USEC_PER_SEC) {
                        bprintf(&b, ", ");
                        fmt_span(&b, (double)(src->now_usec - u->memory_usec));
                        bprintf(&b, " before");
                }
        } else if (has_unit) {
                bprintf(&b, "; memguard had not sampled the unit");
        }
        bprintf(&b, "; ");
        say_rules(&b, src, k, u, p, &rules);

        ret->fields = (LogFields){
                .pid = k->pid,
                .comm = k->comm,
                .unit = ret->unit,
                .user_unit = ret->user_unit,
                .cgroup = k->task_cgroup,
                .oom_cgroup = k->oom_cgroup,
                .cmdline = p ? p->cmdline : NULL,
                .kernel_oom_scope = k->scope == KMSG_SCOPE_CGROUP ? "cgroup" : "system",
                .kernel_oom_source = k->source == OOMKILL_FROM_COUNTER ? "memory.events" : "kmsg",
                .kernel_oom_kills = k->count,
                .has_rss = k->has_rss,
                .anon_rss_kb = k->anon_rss_kb,
                .file_rss_kb = k->file_rss_kb,
                .shmem_rss_kb = k->shmem_rss_kb,
                .has_unit_memory = u != NULL,
                .unit_memory_kb = u ? u->memory_kb : 0,
                .has_growth = growth,
                .growth_bytes_per_hour = growth ? (int64_t)(e.kb_per_hour * 1024.0) : 0,
                .growth_band_known = growth && isfinite(e.band_kb_per_hour),
                .growth_band_bytes_per_hour =
                        growth && isfinite(e.band_kb_per_hour) ? (int64_t)(e.band_kb_per_hour * 1024.0) : 0,
                .rules = ret->rules,
                .has_system = true,
                .mem_available_kb = snap->sys.mem.available_kb,
                .psi_some_avg10 = snap->sys.has_psi ? snap->sys.psi.some.avg10 : 0.0,
                .dry_run = src->dry_run,
        };
}

void oomreport_log(const OomReportSource *src, const OomKill *kill)
{
        /* static: it runs when memory is short (log.h) */
        static OomReport r;
        oomreport_build(src, kill, &r);
        log_event(EVENT_KERNEL_OOM_KILL, LOG_ERR, &r.fields, "%s", r.message);
}
