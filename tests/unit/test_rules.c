/* test_rules.c — the rule engine, as scenario tables: each step is a
 * moment (time, available memory, process table, unit table, in-flight and
 * freshness flags) and the decisions expected then, written compactly:
 *   "fire RULE ACTION TARGET" / "recover RULE TARGET", joined by ", ",
 *   then " +full" when the engine asks for a full sample.
 * TARGET is a pid, "pid@unit" for a restart carrying a process, a unit
 * name for a unit target, "-" for none. Configs and snapshots are built by
 * hand; nothing here depends on config_load(). */
#include "testutil.h"

#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "read/snapshot.h"
#include "rules/rules.h"
#include "select/demand.h"
#include "select/match.h"
#include "select/protect.h"
#include "util/cleanup.h"

#define SEC UINT64_C(1000000)
#define TOTAL_MB UINT64_C(1000) /* MemTotal: 1% = 10 MiB */
#define SELF 999                /* memguard's own pid */
#define MAX_DECISIONS 32

/* Conditions: sizes in MiB, percent of MemTotal, PSI percent. */
#define PCT(m, o, p) { .metric = METRIC_##m, .op = o, .is_percent = true, .percent = p }
#define MB(m, o, v) { .metric = METRIC_##m, .op = o, .kb = (v) * UINT64_C(1024) }
#define PSI(m, o, p) { .metric = METRIC_##m, .op = o, .percent = p }

#define SYSRULE(n, a, for_s, tgt, ...)                                                     \
        { .name = n, .scope = SCOPE_SYSTEM, .conds = { __VA_ARGS__ },                       \
          .n_conds = sizeof((Condition[]){ __VA_ARGS__ }) / sizeof(Condition),              \
          .for_usec = (for_s) * SEC, .action = ACTION_##a, .target = TARGET_##tgt }
#define PROCRULE(n, a, for_s, comm, cmd, ...)                                              \
        { .name = n, .scope = SCOPE_PROCESS, .conds = { __VA_ARGS__ },                      \
          .n_conds = sizeof((Condition[]){ __VA_ARGS__ }) / sizeof(Condition),              \
          .for_usec = (for_s) * SEC, .action = ACTION_##a, .comm_glob = comm,               \
          .cmdline_glob = cmd }
#define UNITRULE(n, a, for_s, glob, ...)                                                   \
        { .name = n, .scope = SCOPE_UNIT, .conds = { __VA_ARGS__ },                         \
          .n_conds = sizeof((Condition[]){ __VA_ARGS__ }) / sizeof(Condition),              \
          .for_usec = (for_s) * SEC, .action = ACTION_##a, .unit_glob = glob }

/* Names are verified against the executable (protect.h): a process of
 * the world runs /usr/bin/COMM, a root file, unless it says otherwise. */
static Protect protect_list[] = {
        { PROTECT_NAME, "ssh*" },
        { PROTECT_NAME, "systemd-journal" },
        { PROTECT_UNIT, "postgresql@*.service" },
        { PROTECT_EXE, "/opt/keep/*" },
        { PROTECT_UNIT, "machine-keep.scope" },
};

#define CONFIG(r)                                                                          \
        ((Config){ .interval_usec = SEC, .fast_interval_usec = SEC / 10,                   \
                   .cooldown_usec = 30 * SEC, .protect = protect_list,                      \
                   .n_protect = ELEMENTSOF(protect_list), .rules = (r),                     \
                   .n_rules = ELEMENTSOF(r) })

/* ---- the world of one step -------------------------------------------- */

enum {
        KTHREAD = 1 << 0,
        NOPSS = 1 << 1,  /* smaps_rollup not read: size is RSS */
        USEREXE = 1 << 2, /* its executable is a user's file: a name proves nothing */
};

typedef struct TP {
        pid_t pid;
        const char *comm;
        uint64_t mb;      /* PSS (or RSS with NOPSS); RSS too unless rss_mb */
        int oom;
        const char *unit; /* NULL: none */
        unsigned flags;
        int adj;
        const char *cmdline;
        uint64_t rss_mb;
        uint64_t swap_mb;
        uint64_t start;   /* 0: 1000 + pid */
        const char *exe;  /* NULL: /usr/bin/COMM */
        uid_t uid;        /* its owner: 0, root, unless set */
        pid_t ppid;       /* its parent: 0 unless set (PID 1 started it: 1) */
} TP;

typedef struct TU {
        const char *name;
        uint64_t mb;
        pid_t main_pid;
        const char *cgroup; /* NULL: /system.slice/NAME */
} TU;

typedef struct Sys {
        uint64_t swap_total_mb, swap_free_mb;
        bool has_psi;
        PsiInfo psi;
} Sys;

enum {
        BUSY_SIG = 1 << 0,              /* a process/unit rule's signal is followed */
        BUSY_RST = 1 << 2,              /* a restart job runs */
        BUSY_SYS = 1 << 4,              /* a system rule's signal is followed */
        BUSY = BUSY_SIG | BUSY_RST | BUSY_SYS, /* every lane */
        STALE = 1 << 1,                 /* RULES_PROCS_STALE */
        PARTIAL = 1 << 3,               /* RULES_PROCS_PARTIAL */
};

typedef struct Step {
        uint64_t ms;      /* time since the start */
        uint64_t avail;   /* MemAvailable, MiB of TOTAL_MB */
        const TP *procs;  /* pid 0 ends; NULL: as in the previous step */
        const TU *units;  /* NULL name ends; NULL: as in the previous step */
        unsigned flags;
        const char *want;
        const Sys *sys;   /* NULL: no swap, PSI present and quiet */
} Step;

/* P(pid, comm, MiB, oom_score[, unit][, .field = ...]) */
#define P(id, c, m, o, ...) { .pid = (id), .comm = (c), .mb = (m), .oom = (o), __VA_ARGS__ }
#define IN(u) .unit = (u)
/* U(name, MiB, main_pid[, .cgroup = ...]) */
#define U(n, m, mp, ...) { .name = (n), .mb = (m), .main_pid = (mp), __VA_ARGS__ }
#define END_P { 0 }
#define END_U { .name = NULL }
static const TP no_procs[] = { END_P };
static const TU no_units[] = { END_U };

typedef struct World {
        Snapshot s;
        ProcSample procs[1200];
        UnitSample units[64];
} World;

static World W;

/* A unit by name ("api.service": the system's, /system.slice/NAME) or by
 * its cgroup path ("/user.slice/.../app.service": named and owned as
 * proc_cgroup_to_unit() says). */
static int world_unit(const char *name)
{
        char cgroup[PROC_CGROUP_MAX];
        CgroupUnit cu = { 0 };

        if (name[0] == '/') {
                snprintf(cgroup, sizeof cgroup, "%s", name);
                assert_int_equal(proc_cgroup_to_unit(name, &cu), 0);
                cgroup[cu.cgroup_len] = '\0';
        } else {
                snprintf(cgroup, sizeof cgroup, "/system.slice/%s", name);
                snprintf(cu.name, sizeof cu.name, "%s", name);
        }
        for (size_t i = 0; i < W.s.n_units; i++)
                if (strcmp(W.units[i].cgroup, cgroup) == 0)
                        return (int)i;
        UnitSample *u = &W.units[W.s.n_units++];
        snprintf(u->name, sizeof(u->name), "%s", cu.name);
        snprintf(u->owner, sizeof(u->owner), "%s", cu.owner);
        snprintf(u->cgroup, sizeof(u->cgroup), "%s", cgroup);
        u->memory_from_cgroup = true;
        return (int)(W.s.n_units - 1);
}

static void world_build(const Config *c, uint64_t ms, uint64_t avail_mb, const TP *procs,
                        const TU *units, const Sys *sys)
{
        static const Sys quiet = { .has_psi = true, .psi = { .has_full = true } };
        Snapshot *s = &W.s;

        if (!sys)
                sys = &quiet;
        memset(&W, 0, sizeof(W));
        s->sys.usec = SEC + ms * 1000;
        s->sys.mem.total_kb = TOTAL_MB * 1024;
        s->sys.mem.available_kb = avail_mb * 1024;
        s->sys.mem.free_kb = avail_mb * 1024 / 2;
        s->sys.mem.swap_total_kb = sys->swap_total_mb * 1024;
        s->sys.mem.swap_free_kb = sys->swap_free_mb * 1024;
        s->sys.has_psi = sys->has_psi;
        s->sys.psi = sys->psi;
        s->procs_usec = s->sys.usec;
        s->self_pid = SELF;
        s->procs = W.procs;
        s->units = W.units;
        for (const TU *t = units; t && t->name; t++) {
                UnitSample *u = &W.units[world_unit(t->cgroup ? t->cgroup : t->name)];
                u->memory_kb = t->mb * 1024;
                u->main_pid = t->main_pid;
        }
        for (const TP *t = procs; t && t->pid; t++) {
                ProcSample *p = &W.procs[s->n_procs++];
                p->pid = t->pid;
                p->start_time = t->start ? t->start : 1000 + (uint64_t)t->pid;
                snprintf(p->comm, sizeof(p->comm), "%s", t->comm);
                p->cmdline = (char *)(t->cmdline ? t->cmdline : "");
                p->kthread = t->flags & KTHREAD;
                p->has_pss = !(t->flags & NOPSS) && !p->kthread;
                p->pss_kb = p->has_pss ? t->mb * 1024 : 0;
                p->rss_kb = (t->rss_mb ? t->rss_mb : t->mb) * 1024;
                p->swap_kb = t->swap_mb * 1024;
                p->oom_score = t->oom;
                p->oom_score_adj = t->adj;
                p->unit = t->unit ? world_unit(t->unit) : -1;
                /* what the sampler decides from the executable */
                char exe[PROC_COMM_MAX + 16];
                snprintf(exe, sizeof exe, "/usr/bin/%s", t->comm);
                const char *path = t->exe ? t->exe : exe;
                bool root_owned = !(t->flags & USEREXE);
                const UnitSample *u = p->unit >= 0 ? &W.units[p->unit] : NULL;
                if (!p->kthread && protect_needs_exe(c, p->comm, u)) {
                        const Protect *e = protect_by_exe(c, p->comm, path, root_owned, t->uid);
                        p->protected_by = e ? (unsigned)(e - c->protect) + 1 : 0;
                        p->user_manager = protect_user_manager(u, path, root_owned, t->ppid);
                }
        }
}

static void format_decisions(char *buf, size_t size, const Decision *d, int n, bool need_full)
{
        size_t len = 0;

        buf[0] = '\0';
        for (int i = 0; i < n; i++) {
                char target[PROC_UNIT_MAX + 64];

                char unit[PROC_UNIT_MAX + 32];
                unit_label(d[i].unit, d[i].unit_owner, unit, sizeof unit);
                if (d[i].pid > 0 && d[i].unit[0] && d[i].action == ACTION_RESTART)
                        snprintf(target, sizeof(target), "%d@%s", (int)d[i].pid, unit);
                else if (d[i].pid > 0)
                        snprintf(target, sizeof(target), "%d", (int)d[i].pid);
                else if (d[i].unit[0])
                        snprintf(target, sizeof(target), "%s", unit);
                else
                        snprintf(target, sizeof(target), "-");
                if (d[i].kind == DECISION_FIRE)
                        len += (size_t)snprintf(buf + len, size - len, "%sfire %s %s %s",
                                                i ? ", " : "", d[i].rule->name,
                                                action_to_string(d[i].action), target);
                else
                        len += (size_t)snprintf(buf + len, size - len, "%srecover %s %s",
                                                i ? ", " : "", d[i].rule->name, target);
        }
        if (need_full)
                snprintf(buf + len, size - len, "%s+full", len ? " " : "");
}

/* Decisions of the last step, for the reason tests. */
static Decision last[MAX_DECISIONS];
static int n_last;

/* The tables of the previous step: a scenario may span several run_on()
 * calls on one state. */
static const TP *cur_procs = no_procs;
static const TU *cur_units = no_units;

static void run_on(RulesState *st, const Config *c, const Step *steps, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const Step *s = &steps[i];
                char got[2048];
                bool need_full = true;

                if (s->procs)
                        cur_procs = s->procs;
                if (s->units)
                        cur_units = s->units;
                world_build(c, s->ms, s->avail, cur_procs, cur_units, s->sys);
                unsigned busy = (s->flags & BUSY_SIG ? RULES_BUSY_SIGNAL : 0) |
                                (s->flags & BUSY_RST ? RULES_BUSY_RESTART : 0) |
                                (s->flags & BUSY_SYS ? RULES_BUSY_SYSTEM : 0);
                RulesProcs procs = s->flags & STALE     ? RULES_PROCS_STALE
                                   : s->flags & PARTIAL ? RULES_PROCS_PARTIAL
                                                        : RULES_PROCS_FRESH;
                n_last = rules_evaluate(c, &W.s, st, busy, procs, last, MAX_DECISIONS, &need_full);
                assert_true(n_last >= 0);
                format_decisions(got, sizeof(got), last, n_last, need_full);
                if (strcmp(got, s->want) != 0)
                        fail_msg("step %zu (t=%llu ms): got \"%s\", want \"%s\"", i,
                                 (unsigned long long)s->ms, got, s->want);
        }
}

static void run(const Config *c, const Step *steps, size_t n)
{
        RulesState *st = rules_state_new();
        assert_non_null(st);
        cur_procs = no_procs;
        cur_units = no_units;
        run_on(st, c, steps, n);
        rules_state_free(st);
}

#define RUN(config, steps) run(&(config), steps, ELEMENTSOF(steps))

/* ---- for = and episodes ----------------------------------------------- */

static void test_for_duration(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("low", WARN, 10, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 15)) };
        Config c = CONFIG(rules);
        const Step steps[] = {
                { 0, 100, .want = "" },
                { 9000, 100, .want = "" },     /* held 9 s */
                { 10000, 100, .want = "fire low warn -" },
                { 11000, 100, .want = "" },    /* once per episode */
                { 12000, 200, .want = "recover low -" },
                { 13000, 100, .want = "" },    /* re-armed: a new clock */
                { 22000, 100, .want = "" },
                { 23000, 100, .want = "fire low warn -" },
                { 24000, 200, .want = "recover low -" },
                /* a false evaluation before `for` resets silently */
                { 25000, 100, .want = "" },
                { 30000, 200, .want = "" },
                { 31000, 100, .want = "" },
                { 40999, 100, .want = "" },
                { 41000, 100, .want = "fire low warn -" },
                { 41100, 150, .want = "recover low -" }, /* strictly below */
        };
        RUN(c, steps);
}

static void test_for_zero_fast_tier(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("low", WARN, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 15)),
                         SYSRULE("used", WARN, 0, OOM_SCORE, PCT(MEM_USED, '>', 90)) };
        Config c = CONFIG(rules);
        const Step steps[] = {
                { 0, 500, .flags = STALE, .want = "" },
                { 100, 140, .flags = STALE, .want = "fire low warn -" },
                { 200, 90, .flags = STALE | BUSY, .want = "fire used warn -" },
                { 300, 90, .want = "" },
                { 400, 120, .flags = STALE, .want = "recover used -" },
        };
        RUN(c, steps);
}

static const TP node_400[] = { P(42, "node", 400, 300), END_P };
static const TP node_200[] = { P(42, "node", 200, 300), END_P };
static const TP node_400_new[] = { P(42, "node", 400, 300, .start = 77), END_P };

static void test_process_episodes(void **state)
{
        (void)state;
        Rule rules[] = { PROCRULE("big", WARN, 0, "node", NULL, MB(PROC_PSS, '>', 300)) };
        Config c = CONFIG(rules);
        RulesState *st = rules_state_new();
        const Step steps[] = {
                { 0, 500, node_400, .want = "fire big warn 42" },
                { 1000, 500, .want = "" },
                { 1100, 500, .flags = STALE, .want = "" }, /* not evaluated */
                { 2000, 500, node_200, .want = "recover big 42" },
                { 3000, 500, node_200, .want = "" },
                { 4000, 500, node_400, .want = "fire big warn 42" },
                { 5000, 500, no_procs, .want = "" }, /* vanished: dropped, no recovery */
                { 6000, 500, node_400, .want = "fire big warn 42" },
                /* same pid, another process (start time): a new episode */
                { 7000, 500, node_400_new, .want = "fire big warn 42" },
        };
        run_on(st, &c, steps, ELEMENTSOF(steps));
        assert_int_equal(rules_state_size(st), 1);
        run_on(st, &c, (const Step[]){ { 8000, 500, no_procs, .want = "" } }, 1);
        assert_int_equal(rules_state_size(st), 0);
        rules_state_free(st);
}

/* ---- cooldown --------------------------------------------------------- */

static const TP node_600[] = { P(42, "node", 600, 300), END_P };

static void test_cooldown(void **state)
{
        (void)state;
        Rule rules[] = {
                PROCRULE("a", TERM, 0, "node", NULL, MB(PROC_PSS, '>', 300)),
                PROCRULE("b", KILL, 0, "node", NULL, MB(PROC_PSS, '>', 500)),
                PROCRULE("c", WARN, 0, "node", NULL, MB(PROC_PSS, '>', 550)),
        };
        Config c = CONFIG(rules);
        const Step steps[] = {
                { 0, 500, node_400, .want = "fire a term 42" },
                /* warnings are neither deferred nor held back by cooldown */
                { 1000, 500, node_600, .flags = BUSY, .want = "fire c warn 42" },
                { 2000, 500, .want = "" },     /* b pending: 42 in cooldown */
                { 29999, 500, .want = "" },
                { 30000, 500, .want = "fire b kill 42" },
        };
        RUN(c, steps);
}

static const TP two_nodes[] = { P(42, "node", 400, 300), P(43, "node", 350, 200), END_P };

static void test_cooldown_shared_with_system_rules(void **state)
{
        (void)state;
        Rule rules[] = {
                SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)),
                PROCRULE("budget", KILL, 0, "node", NULL, MB(PROC_PSS, '>', 300)),
        };
        Config c = CONFIG(rules);
        const Step steps[] = {
                /* the system rule goes first and takes 42 */
                { 0, 50, two_nodes, .want = "fire near term 42" },
                /* 42 in cooldown: budget acts on 43 */
                { 1000, 500, .want = "recover near -, fire budget kill 43" },
                { 2000, 500, .want = "" },
                { 30000, 500, .want = "fire budget kill 42" },
        };
        RUN(c, steps);
}

/* ---- protection and victim choice ------------------------------------- */

static const TP crowd[] = {
        P(1, "systemd", 50, 1000),
        P(2, "kthreadd", 0, 999, .flags = KTHREAD, .rss_mb = 5),
        P(SELF, "memguard", 30, 998),
        P(10, "sshd", 40, 997),
        P(11, "redis-server", 200, 996, .adj = -1000),
        P(13, "zombie", 0, 995),
        P(12, "node", 100, 500),
        END_P,
};

static void test_protection_system(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c = CONFIG(rules);
        const Step steps[] = {
                { 0, 50, crowd, .want = "fire near term 12" },
        };
        RUN(c, steps);
}

static void test_protection_process(void **state)
{
        (void)state;
        Rule rules[] = { PROCRULE("any", TERM, 0, "*", NULL, MB(PROC_RSS, '>', 1)) };
        Config c = CONFIG(rules);
        const Step steps[] = {
                /* oom_score_adj -1000 protects from system rules only */
                { 0, 500, crowd, .want = "fire any term 11" },
                { 1000, 500, .want = "fire any term 12" },
                { 2000, 500, .want = "" },
        };
        RUN(c, steps);
}

static const TP ranked[] = {
        P(20, "a", 100, 800),
        P(21, "b", 400, 500),
        P(22, "c", 200, 800),
        END_P,
};
static const TP ranked_nopss[] = {
        P(20, "a", 100, 800),
        P(21, "b", 400, 500),
        P(22, "c", 200, 800),
        P(23, "d", 500, 100, .flags = NOPSS),
        END_P,
};

static void test_target_choice(void **state)
{
        (void)state;
        Rule by_oom[] = { SYSRULE("near", KILL, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Rule by_pss[] = { SYSRULE("near", KILL, 0, PSS, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c1 = CONFIG(by_oom), c2 = CONFIG(by_pss);
        /* oom_score 800 twice: the larger (c) wins the tie */
        const Step s1[] = {
                { 0, 50, ranked, .want = "fire near kill 22" },
                { 100, 50, .want = "fire near kill 20" },
                { 200, 50, .want = "fire near kill 21" },
                { 300, 50, .want = "fire near warn -" }, /* nothing left, said once */
                { 400, 50, .want = "" },
        };
        const Step s2[] = {
                { 0, 50, ranked, .want = "fire near kill 21" },
                { 100, 50, .want = "fire near kill 22" },
                { 0 + 200, 50, ranked_nopss, .want = "fire near kill 23" }, /* RSS 500 */
        };
        RUN(c1, s1);
        RUN(c2, s2);
}

/* ---- one destructive at a time, largest first ------------------------- */

static const TP workers[] = {
        P(10, "worker", 150, 100),
        P(11, "worker", 300, 100, IN("web.service")),
        P(12, "worker", 200, 100),
        P(30, "node", 260, 100, IN("api.service")),
        END_P,
};
static const TU api_450[] = { U("api.service", 450, 30), END_U };

static void test_largest_first_and_deferral(void **state)
{
        (void)state;
        Rule rules[] = {
                PROCRULE("w", TERM, 0, "worker*", NULL, MB(PROC_PSS, '>', 100)),
                UNITRULE("api", RESTART, 0, "api.service", MB(UNIT_MEMORY, '>', 400)),
        };
        Config c = CONFIG(rules);
        const Step steps[] = {
                { 0, 500, workers, api_450, .want = "fire api restart api.service" },
                { 1000, 500, .flags = BUSY, .want = "" },
                { 2000, 500, .want = "fire w term 11" },
                { 3000, 500, .flags = BUSY, .want = "" },
                { 3100, 500, .flags = STALE, .want = "" },
                { 4000, 500, .want = "fire w term 12" },
                { 5000, 500, .want = "fire w term 10" },
                { 6000, 500, .want = "" },
        };
        RUN(c, steps);
}

static void test_warn_not_deferred(void **state)
{
        (void)state;
        Rule rules[] = {
                PROCRULE("termw", TERM, 0, "worker*", NULL, MB(PROC_PSS, '>', 100)),
                PROCRULE("warnw", WARN, 0, "worker*", NULL, MB(PROC_PSS, '>', 250)),
                SYSRULE("low", WARN, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 15)),
        };
        Config c = CONFIG(rules);
        const Step steps[] = {
                { 0, 100, workers, .flags = BUSY, .want = "fire low warn -, fire warnw warn 11" },
                { 1000, 100, .want = "fire termw term 11" },
        };
        RUN(c, steps);
}

/* ---- full samples on demand, re-firing -------------------------------- */

static const TP victims[] = {
        P(11, "java", 300, 600),
        P(12, "node", 400, 900),
        END_P,
};
static const TP victims_12_gone[] = { P(11, "java", 300, 600), END_P };

static void test_need_full_and_refire(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("near", TERM, 10, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c = CONFIG(rules);
        const Step steps[] = {
                { 0, 500, victims, .flags = STALE, .want = "" },
                { 100, 50, .flags = STALE, .want = "" },
                { 10000, 50, .flags = STALE, .want = "" },          /* held 9.9 s */
                { 10100, 50, .flags = STALE | BUSY, .want = "" },   /* would not act */
                { 10200, 50, .flags = STALE, .want = "+full" },
                { 10200, 50, .want = "fire near term 12" },
                { 10300, 50, .flags = STALE | BUSY, .want = "" },
                /* the action is done and memory is still low: next victim */
                { 10400, 50, .flags = STALE, .want = "+full" },
                { 10400, 50, victims_12_gone, .want = "fire near term 11" },
                { 10500, 50, .flags = BUSY, .want = "" },
                /* nothing left: said once, and no more full samples asked for */
                { 10600, 50, no_procs, .want = "fire near warn -" },
                { 10700, 50, .flags = STALE, .want = "" },
                { 11000, 50, .want = "" },
                /* a new candidate on a regular full sample */
                { 12000, 50, (const TP[]){ P(50, "python3", 100, 400), END_P },
                  .want = "fire near term 50" },
                { 12100, 500, .flags = STALE, .want = "recover near -" },
                { 12200, 50, .flags = STALE, .want = "" },          /* for = 10 s again */
        };
        RUN(c, steps);
}

/* A partial walk (memguard short of memory) that read no candidate is not
 * "nothing left": nothing is said, and the next evaluation asks for a walk
 * again rather than wait for the regular one (issue 19, fault injection:
 * one failed allocation in the walk held a system rule back 5 min). */
static void test_partial_walk_no_victim(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c = CONFIG(rules);
        const Step steps[] = {
                { 0, 500, victims, .flags = STALE, .want = "" },
                { 100, 50, .flags = STALE, .want = "+full" },
                { 100, 50, no_procs, .flags = PARTIAL, .want = "" },
                { 200, 50, .flags = STALE, .want = "+full" },
                { 200, 50, victims, .want = "fire near term 12" },
        };
        RUN(c, steps);
}

static void test_refire_victim_alive_in_cooldown(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c = CONFIG(rules);
        const Step steps[] = {
                { 0, 50, victims, .want = "fire near term 12" },
                /* 12 ignored SIGTERM and is still there: it is in cooldown */
                { 100, 50, .want = "fire near term 11" },
                { 200, 50, .want = "fire near warn -" },
                { 30100, 50, .want = "fire near term 12" },
        };
        RUN(c, steps);
}

static void test_two_system_rules(void **state)
{
        (void)state;
        Rule rules[] = {
                SYSRULE("term8", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)),
                SYSRULE("kill4", KILL, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 4)),
        };
        Config c = CONFIG(rules);
        const TP three[] = { P(10, "a", 100, 300), P(11, "b", 100, 200),
                             P(12, "c", 100, 100), END_P };
        const Step steps[] = {
                { 0, 30, three, .want = "fire term8 term 10" },
                /* the rule that has not acted yet goes first */
                { 100, 30, .want = "fire kill4 kill 11" },
                { 200, 30, .want = "fire term8 term 12" },
        };
        RUN(c, steps);
}

/* While a SIGTERM is in its grace, no second victim is chosen; the manager
 * asks rules_kill_due() whether to escalate that SIGTERM instead. */
static void test_kill_due(void **state)
{
        (void)state;
        Rule rules[] = {
                SYSRULE("term8", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)),
                SYSRULE("kill4", KILL, 2, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 4)),
        };
        Config c = CONFIG(rules);
        Rule warn_only[] = { SYSRULE("low", WARN, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 4)) };
        Config cw = CONFIG(warn_only);
        const TP two[] = { P(10, "a", 100, 300), P(11, "b", 100, 200), END_P };
        RulesState *st = rules_state_new();
        assert_non_null(st);
        cur_procs = no_procs;
        cur_units = no_units;

        assert_false(rules_kill_due(&c, st, SEC)); /* never evaluated */
        const Step terms[] = {
                { 0, 70, two, .want = "fire term8 term 10" },
                /* in flight: nothing new, and the kill rule is not due yet */
                { 100, 70, .flags = BUSY, .want = "" },
        };
        run_on(st, &c, terms, ELEMENTSOF(terms));
        assert_false(rules_kill_due(&c, st, W.s.sys.usec));
        const Step low[] = {
                { 200, 30, .flags = BUSY, .want = "" },
                { 2100, 30, .flags = BUSY | STALE, .want = "" },
        };
        run_on(st, &c, low, ELEMENTSOF(low));
        assert_false(rules_kill_due(&c, st, W.s.sys.usec)); /* held 1.9 s of 2 */
        const Step due[] = { { 2200, 30, .flags = BUSY | STALE, .want = "" } };
        run_on(st, &c, due, ELEMENTSOF(due));
        assert_true(rules_kill_due(&c, st, W.s.sys.usec));
        /* a state bound to another config answers for that config only */
        assert_false(rules_kill_due(&cw, st, W.s.sys.usec));
        const Step back[] = { { 2300, 70, .flags = BUSY | STALE, .want = "" } };
        run_on(st, &c, back, ELEMENTSOF(back));
        assert_false(rules_kill_due(&c, st, W.s.sys.usec));
        rules_state_free(st);
}

/* ---- matching ---------------------------------------------------------- */

static void test_match_process(void **state)
{
        (void)state;
        Rule js = PROCRULE("js", WARN, 0, "node", "*server.js*", MB(PROC_PSS, '>', 1));
        Rule py = PROCRULE("py", WARN, 0, NULL, "*gunicorn*", MB(PROC_PSS, '>', 1));
        Rule pg = PROCRULE("pg", WARN, 0, "post*", NULL, MB(PROC_PSS, '>', 1));
        Rule none = SYSRULE("sys", WARN, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 1));
        ProcSample p = { .pid = 5, .comm = "node", .cmdline = "node /srv/app/server.js --port 80" };

        assert_true(match_process(&js, &p));
        assert_false(match_process(&py, &p));
        assert_false(match_process(&none, &p));
        p.cmdline = "node worker.js";
        assert_false(match_process(&js, &p));
        p.cmdline = NULL;
        assert_false(match_process(&js, &p));
        snprintf(p.comm, sizeof(p.comm), "python3");
        p.cmdline = "/usr/bin/python3 /usr/bin/gunicorn app:app";
        assert_true(match_process(&py, &p));
        snprintf(p.comm, sizeof(p.comm), "postgres");
        p.cmdline = "";
        assert_true(match_process(&pg, &p));
        assert_false(match_process(&py, &p));
        assert_false(match_process(NULL, &p));

}

static void test_match_in_scenario(void **state)
{
        (void)state;
        Rule rules[] = {
                PROCRULE("js", TERM, 0, "node", "*server.js*", MB(PROC_PSS, '>', 300)),
                PROCRULE("py", WARN, 0, NULL, "*gunicorn*", MB(PROC_RSS, '>', 300)),
        };
        Config c = CONFIG(rules);
        const TP procs[] = {
                P(40, "node", 900, 0, .cmdline = "node worker.js"),
                P(41, "node", 400, 0, .cmdline = "node /srv/server.js"),
                P(42, "python3", 100, 0, .cmdline = "python3 /usr/bin/gunicorn app", .rss_mb = 350),
                P(43, "python3", 900, 0, .cmdline = "python3 celery"),
                END_P,
        };
        const Step steps[] = { { 0, 500, procs, .want = "fire py warn 42, fire js term 41" } };
        RUN(c, steps);
}

static void test_unit_glob(void **state)
{
        (void)state;
        Rule rules[] = { UNITRULE("api", RESTART, 0, "api-*.service", MB(UNIT_MEMORY, '>', 400)) };
        Config c = CONFIG(rules);
        const TU units[] = { U("api-1.service", 450, 0), U("api-2.service", 500, 0),
                             U("web.service", 900, 0), U("api-3.service", 100, 0), END_U };
        const Step steps[] = {
                { 0, 500, no_procs, units, .want = "fire api restart api-2.service" },
                { 1000, 500, .want = "fire api restart api-1.service" },
                { 2000, 500, .want = "" },
                { 3000, 500, no_procs, (const TU[]){ U("api-1.service", 450, 0),
                                                     U("api-2.service", 100, 0), END_U },
                  .want = "recover api api-2.service" },
        };
        RUN(c, steps);
}

static void test_protected_units(void **state)
{
        (void)state;
        Rule rules[] = {
                UNITRULE("all", RESTART, 0, "*", MB(UNIT_MEMORY, '>', 100)),
                UNITRULE("look", WARN, 0, "*", MB(UNIT_MEMORY, '>', 100)),
        };
        Config c = CONFIG(rules);
        const TP procs[] = { P(1, "systemd", 10, 0, IN("init.scope")),
                             P(SELF, "memguard", 5, 0, IN("memguard.service")),
                             END_P };
        const TU units[] = { U("init.scope", 500, 0), U("memguard.service", 400, 0),
                             U("api.service", 300, 0), END_U };
        const Step steps[] = {
                { 0, 500, procs, units, .want = "fire look warn api.service, fire all restart api.service" },
        };
        RUN(c, steps);
}

#define USER_APP "/user.slice/user-1000.slice/user@1000.service/app.slice/app.service"

static void test_restart_process_rule(void **state)
{
        (void)state;
        Rule rules[] = { PROCRULE("r", RESTART, 0, "node", NULL, MB(PROC_PSS, '>', 300)) };
        Config c = CONFIG(rules);
        const TP procs[] = {
                P(42, "node", 400, 0, IN("api.service")),
                P(43, "node", 500, 0),                  /* in no unit */
                P(44, "node", 600, 0, IN("session-1.scope")), /* not a service */
                /* a user's app.service, beside the system's app.service */
                P(45, "node", 700, 0, IN(USER_APP)),
                P(46, "node", 100, 0, IN("app.service")),
                END_P,
        };
        const TU units[] = { U("app.service", 100, 46, .cgroup = USER_APP), END_U };
        const Step steps[] = {
                { 0, 500, procs, units,
                  .want = "fire r warn 43, fire r warn 44, fire r warn 45, fire r restart 42@api.service" },
                { 1000, 500, .want = "" },
        };
        RUN(c, steps);
}

static void test_restart_reasons(void **state)
{
        (void)state;
        Rule rules[] = { PROCRULE("r", RESTART, 0, "node", NULL, MB(PROC_PSS, '>', 300)) };
        Config c = CONFIG(rules);
        const TP procs[] = {
                P(42, "node", 400, 0, IN("api.service")),
                P(43, "node", 500, 0),
                P(44, "node", 600, 0, IN("session-1.scope")),
                END_P,
        };
        const Step steps[] = {
                { 0, 500, procs, .want = "fire r warn 43, fire r warn 44, fire r restart 42@api.service" },
        };
        RUN(c, steps);
        assert_string_equal(last[0].reason, "node (pid 43) uses 500 MiB (budget 300 MiB): "
                                            "cannot restart it, it runs in no systemd unit");
        assert_int_equal(last[0].rule->action, ACTION_RESTART);
        assert_string_equal(last[1].reason, "node (pid 44) uses 600 MiB (budget 300 MiB): "
                                            "cannot restart session-1.scope, only services can be "
                                            "restarted");
        assert_string_equal(last[2].reason, "node (pid 42) uses 400 MiB (budget 300 MiB): "
                                            "restarting its unit api.service");
        assert_string_equal(last[2].unit, "api.service");
        assert_int_equal(last[2].pid, 42);
}

static void test_system_restart(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("nr", RESTART, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c = CONFIG(rules);
        const TP procs[] = {
                P(50, "node", 300, 900),                      /* no unit */
                P(51, "java", 300, 800, IN("session-2.scope")),   /* not a service */
                P(52, "python", 200, 700, IN("app.service")),
                P(53, "ruby", 100, 600, IN("rb.service")),
                END_P,
        };
        const Step steps[] = {
                { 0, 50, procs, .want = "fire nr restart 52@app.service" },
                { 100, 50, .want = "fire nr restart 53@rb.service" },
                { 200, 50, .want = "fire nr warn -" },
        };
        RUN(c, steps);
        assert_string_equal(last[0].reason,
                            "available memory 5.0% (50 MiB) below 8%: no process may be "
                            "restarted: every candidate is protected, was acted on in the last "
                            "cooldown, holds no memory or runs in no restartable service");
}

static void test_unit_rule_term(void **state)
{
        (void)state;
        Rule rules[] = { UNITRULE("ut", TERM, 0, "*.service", MB(UNIT_MEMORY, '>', 400)) };
        Config c = CONFIG(rules);
        const TP procs[] = { P(60, "java", 420, 0, IN("big.service")),
                             P(61, "java", 40, 0, IN("big.service")),
                             P(70, "sshd", 500, 0, IN("ssh.service")),
                             END_P };
        const TU units[] = { U("big.service", 460, 60), U("ssh.service", 500, 70), END_U };
        const Step steps[] = {
                { 0, 500, procs, units, .want = "fire ut warn ssh.service, fire ut term 60" },
        };
        RUN(c, steps);
        assert_string_equal(last[0].reason, "ssh.service uses 500 MiB (budget 400 MiB): will not "
                                            "act on ssh.service, it holds the protected process "
                                            "sshd (pid 70)");
        assert_string_equal(last[1].reason, "big.service uses 460 MiB (budget 400 MiB): "
                                            "terminating its largest process java (pid 60, 420 MiB)");
        assert_string_equal(last[1].unit, "big.service");
        assert_int_equal(last[1].pss_kb, 420 * 1024);
}

static void test_mixed_conditions(void **state)
{
        (void)state;
        Rule rules[] = { PROCRULE("mixed", TERM, 0, "node", NULL, MB(PROC_PSS, '>', 300),
                                  PCT(MEM_AVAILABLE, '<', 20)) };
        Config c = CONFIG(rules);
        const Step steps[] = {
                { 0, 500, node_400, .want = "" },
                { 1000, 150, .flags = STALE, .want = "" }, /* process rules wait */
                { 2000, 150, .want = "fire mixed term 42" },
        };
        RUN(c, steps);
}

/* ---- swap and PSI ------------------------------------------------------ */

static void test_swapless(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("sf", WARN, 0, OOM_SCORE, MB(SWAP_FREE, '<', 100)),
                         SYSRULE("su", WARN, 0, OOM_SCORE, MB(SWAP_USED, '>', 10)),
                         SYSRULE("su0", WARN, 0, OOM_SCORE, MB(SWAP_USED, '<', 10)) };
        Config c = CONFIG(rules);
        static const Sys swap = { .swap_total_mb = 1024, .swap_free_mb = 50 };
        const Step steps[] = {
                { 0, 500, .want = "" }, /* no swap: every swap condition is false */
                { 1000, 500, .sys = &swap, .want = "fire sf warn -, fire su warn -" },
                { 2000, 500, .want = "recover sf -, recover su -" },
        };
        RUN(c, steps);
}

static void test_missing_psi(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("ps", WARN, 0, OOM_SCORE, PSI(PSI_SOME_AVG10, '>', 20)),
                         SYSRULE("pf", WARN, 0, OOM_SCORE, PSI(PSI_FULL_AVG60, '>', 10)),
                         SYSRULE("pl", WARN, 0, OOM_SCORE, PSI(PSI_SOME_AVG300, '<', 1)) };
        Config c = CONFIG(rules);
        static const Sys none = { .has_psi = false, .psi = { .some = { 50, 50, 50, 0 } } };
        static const Sys no_full = { .has_psi = true,
                                     .psi = { .some = { 30, 5, 5, 0 }, .full = { 50, 50, 50, 0 } } };
        static const Sys full = { .has_psi = true,
                                  .psi = { .some = { 30, 5, 5, 0 }, .full = { 50, 20, 50, 0 },
                                           .has_full = true } };
        const Step steps[] = {
                { 0, 500, .sys = &none, .want = "" },
                { 1000, 500, .sys = &no_full, .want = "fire ps warn -" },
                { 2000, 500, .sys = &full, .want = "fire pf warn -" },
                { 3000, 500, .sys = &none, .want = "recover ps -, recover pf -" },
        };
        RUN(c, steps);
        assert_string_equal(last[0].reason,
                            "memory pressure (some avg10) no longer measured: condition cleared");
}

/* ---- reload ----------------------------------------------------------- */

static void test_rebind(void **state)
{
        (void)state;
        /* Names on the heap, freed before the next evaluation: the state
         * must not keep pointers into the old config (ASan checks). */
        Rule r1[] = {
                SYSRULE(strdup("a"), WARN, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 15)),
                SYSRULE(strdup("b"), WARN, 60, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)),
                PROCRULE(strdup("c"), WARN, 0, "node", NULL, MB(PROC_PSS, '>', 300)),
                PROCRULE(strdup("gone"), WARN, 0, "node", NULL, MB(PROC_PSS, '>', 300)),
        };
        Rule r2[] = {
                PROCRULE("c", WARN, 0, "node", NULL, MB(PROC_PSS, '>', 300)),
                SYSRULE("d", WARN, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 10)),
                SYSRULE("a", WARN, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 20)),
                /* same name, other scope: a new rule */
                PROCRULE("b", WARN, 0, "node", NULL, MB(PROC_PSS, '>', 300)),
        };
        Config c1 = CONFIG(r1), c2 = CONFIG(r2);
        RulesState *st = rules_state_new();
        /* as config_load() numbers them: the state knows the one it was
         * bound to by its generation, and another is compared by names
         * (c3 below, a generation 0, is compared by names every time) */
        c1.generation = 7;
        c2.generation = 8;

        run_on(st, &c1, (const Step[]){
                { 0, 50, node_400, .want = "fire a warn -, fire c warn 42, fire gone warn 42" },
                { 10000, 50, .want = "" } }, 2);
        assert_int_equal(rules_state_size(st), 4); /* a, b (pending), c, gone */
        rules_state_rebind(st, &c2);
        for (size_t i = 0; i < ELEMENTSOF(r1); i++)
                free(r1[i].name);
        assert_int_equal(rules_state_size(st), 2); /* a and c kept */
        run_on(st, &c2, (const Step[]){
                /* a and c do not fire again; b is a new rule */
                { 11000, 50, .want = "fire d warn -, fire b warn 42" },
                { 12000, 500, node_200, .want = "recover d -, recover a -, recover c 42, recover b 42" },
                { 13000, 50, node_400, .want = "fire d warn -, fire a warn -, fire c warn 42, fire b warn 42" } },
               3);

        /* Without an explicit rebind, evaluate binds by itself. */
        Rule r3[] = { SYSRULE("a", WARN, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 20)) };
        Config c3 = CONFIG(r3);
        run_on(st, &c3, (const Step[]){ { 14000, 50, .want = "" },
                                         { 15000, 500, .want = "recover a -" } }, 2);
        assert_int_equal(rules_state_size(st), 0);
        rules_state_rebind(NULL, &c3);
        rules_state_free(st);
        rules_state_free(NULL);
}

/* ---- bounded state ---------------------------------------------------- */

static void test_churn_bounded(void **state)
{
        (void)state;
        Rule rules[] = {
                PROCRULE("w", TERM, 0, "w*", NULL, MB(PROC_RSS, '>', 1)),
                PROCRULE("seen", WARN, 0, "w*", NULL, MB(PROC_RSS, '>', 1)),
                PROCRULE("never", WARN, 5, "w*", NULL, MB(PROC_RSS, '>', 1)),
        };
        Config c = CONFIG(rules);
        static TP procs[11];
        Decision d[MAX_DECISIONS];
        RulesState *st = rules_state_new();
        size_t high = 0;

        /* 1000 pids, 10 at a time, each living one second */
        for (int step = 0; step < 100; step++) {
                for (int i = 0; i < 10; i++)
                        procs[i] = (TP){ .pid = 2000 + step * 10 + i, .comm = "w", .mb = 10 };
                procs[10] = (TP){ 0 };
                world_build(&c, (uint64_t)step * 1000, 500, procs, no_units, NULL);
                int n = rules_evaluate(&c, &W.s, st, 0, RULES_PROCS_FRESH, d, MAX_DECISIONS, NULL);
                assert_int_equal(n, 11); /* 10 warnings and one term */
                size_t sz = rules_state_size(st);
                if (sz > high)
                        high = sz;
                /* three pairs per live process, one cooldown */
                assert_true(sz <= 3 * 10 + 1);
        }
        assert_true(high >= 30);
        world_build(&c, 101000, 500, no_procs, no_units, NULL);
        assert_int_equal(rules_evaluate(&c, &W.s, st, 0, RULES_PROCS_FRESH, d, MAX_DECISIONS, NULL), 0);
        assert_int_equal(rules_state_size(st), 0);
        rules_state_free(st);
}

/* ---- capacity --------------------------------------------------------- */

static void test_cap(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("a", WARN, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 15)),
                         SYSRULE("b", WARN, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 15)) };
        Config c = CONFIG(rules);
        RulesState *st = rules_state_new();
        Decision d[1];

        world_build(&c, 0, 50, no_procs, no_units, NULL);
        assert_int_equal(rules_evaluate(&c, &W.s, st, 0, RULES_PROCS_FRESH, d, 1, NULL), 1);
        assert_string_equal(d[0].rule->name, "a");
        world_build(&c, 100, 50, no_procs, no_units, NULL);
        assert_int_equal(rules_evaluate(&c, &W.s, st, 0, RULES_PROCS_FRESH, d, 1, NULL), 1);
        assert_string_equal(d[0].rule->name, "b");
        assert_int_equal(d[0].held_usec, 100 * 1000);
        world_build(&c, 200, 500, no_procs, no_units, NULL);
        assert_int_equal(rules_evaluate(&c, &W.s, st, 0, RULES_PROCS_FRESH, d, 1, NULL), 1);
        assert_int_equal(d[0].kind, DECISION_RECOVER);
        world_build(&c, 300, 500, no_procs, no_units, NULL);
        assert_int_equal(rules_evaluate(&c, &W.s, st, 0, RULES_PROCS_FRESH, d, 1, NULL), 1);
        assert_string_equal(d[0].rule->name, "b");
        assert_int_equal(d[0].kind, DECISION_RECOVER);
        assert_int_equal(rules_evaluate(&c, &W.s, st, 0, RULES_PROCS_FRESH, NULL, 0, NULL), 0);
        rules_state_free(st);
}

/* ---- unit rules between walks ----------------------------------------- */

/* Whether the unit tier's sample at MS (units UNITS, the previous step's
 * processes) asks for a walk. */
static bool units_need(RulesState *st, const Config *c, uint64_t ms, const TU *units)
{
        cur_units = units;
        world_build(c, ms, 800, cur_procs, units, NULL);
        return rules_units_need_full(c, &W.s, st, W.s.sys.usec);
}

/* One full evaluation at MS on UNITS, wanting WANT. */
static void units_full(RulesState *st, const Config *c, uint64_t ms, const TU *units,
                       const char *want)
{
        run_on(st, c, (const Step[]){ { ms, 800, .units = units, .want = want } }, 1);
}

/* A walk is asked for exactly when a full evaluation would start, reset,
 * fire or recover a pair: not while a pair waits for its `for`, has fired
 * and still holds, or waits for its unit's cooldown. */
static void test_units_need_full(void **state)
{
        (void)state;
        Rule rules[] = {
                UNITRULE("budget", RESTART, 30, "api.service", MB(UNIT_MEMORY, '>', 400)),
                UNITRULE("look", WARN, 0, "*", MB(UNIT_MEMORY, '>', 100)),
        };
        Config c = CONFIG(rules);
        const TU small[] = { U("api.service", 90, 42), U("web.service", 50, 43), END_U };
        const TU big[] = { U("api.service", 500, 42), U("web.service", 50, 43), END_U };
        const TU mid[] = { U("api.service", 300, 42), U("web.service", 50, 43), END_U };
        const TU self_big[] = { U("api.service", 90, 42), U("memguard.service", 900, SELF),
                                END_U };
        const TP procs[] = { P(42, "node", 90, 1, IN("api.service")),
                             P(SELF, "memguard", 3, 1, IN("memguard.service")), END_P };
        RulesState *st = rules_state_new();
        assert_non_null(st);
        cur_procs = procs;

        /* never evaluated (start, reload): walk */
        assert_true(units_need(st, &c, 0, small));
        units_full(st, &c, 0, small, "");
        assert_false(units_need(st, &c, 1000, small));
        /* memguard's own unit is never a target */
        assert_false(units_need(st, &c, 1500, self_big));
        /* api grows past both rules: both pairs start */
        assert_true(units_need(st, &c, 2000, big));
        units_full(st, &c, 2000, big, "fire look warn api.service");
        /* the warning has fired, the budget waits for its 30 s */
        assert_false(units_need(st, &c, 3000, big));
        assert_false(units_need(st, &c, 31000, big));
        assert_true(units_need(st, &c, 32000, big));
        units_full(st, &c, 32000, big, "fire budget restart api.service");
        assert_false(units_need(st, &c, 33000, big));
        /* below the budget: recover; still above 100 MiB: the warning holds */
        assert_true(units_need(st, &c, 34000, mid));
        units_full(st, &c, 34000, mid, "recover budget api.service");
        assert_false(units_need(st, &c, 35000, mid));
        /* over budget again inside the cooldown (until 62 s): the pair
         * starts and waits for its `for` ... */
        assert_true(units_need(st, &c, 36000, big));
        units_full(st, &c, 36000, big, "");
        /* ... which ends at 66 s, after the cooldown: a walk then */
        assert_false(units_need(st, &c, 65000, big));
        assert_true(units_need(st, &c, 66000, big));
        units_full(st, &c, 66000, big, "fire budget restart api.service");
        /* a pair that held but no longer does, and never fired, is reset by
         * a walk too (its episode must not carry over) */
        assert_true(units_need(st, &c, 67000, small));
        units_full(st, &c, 67000, small, "recover budget api.service, recover look api.service");
        assert_true(units_need(st, &c, 68000, big));
        units_full(st, &c, 68000, big, "fire look warn api.service");
        assert_true(units_need(st, &c, 69000, mid));
        units_full(st, &c, 69000, mid, "");
        assert_false(units_need(st, &c, 70000, mid));
        rules_state_free(st);
        cur_procs = no_procs;
        cur_units = no_units;

        /* A destructive pair due while its unit is in cooldown waits. */
        Rule now_rules[] = { UNITRULE("now", RESTART, 0, "api.service", MB(UNIT_MEMORY, '>', 400)) };
        Config c2 = CONFIG(now_rules);
        st = rules_state_new();
        assert_non_null(st);
        cur_procs = procs;
        units_full(st, &c2, 0, big, "fire now restart api.service");
        units_full(st, &c2, 1000, mid, "recover now api.service");
        assert_true(units_need(st, &c2, 2000, big));
        units_full(st, &c2, 2000, big, "");
        assert_false(units_need(st, &c2, 29000, big));
        assert_true(units_need(st, &c2, 30000, big));
        units_full(st, &c2, 30000, big, "fire now restart api.service");
        rules_state_free(st);

        /* term on a unit signals its largest process as the last walk
         * saw it, which may have exited since: its cooldown spares no walk */
        Rule term_rules[] = { UNITRULE("ut", TERM, 0, "api.service", MB(UNIT_MEMORY, '>', 400)) };
        Config c3 = CONFIG(term_rules);
        st = rules_state_new();
        assert_non_null(st);
        units_full(st, &c3, 0, big, "fire ut term 42");
        units_full(st, &c3, 1000, mid, "recover ut api.service");
        assert_true(units_need(st, &c3, 2000, big));
        units_full(st, &c3, 2000, big, "");
        assert_true(units_need(st, &c3, 3000, big));
        rules_state_free(st);
        cur_procs = no_procs;
        cur_units = no_units;
}

/* ---- messages --------------------------------------------------------- */

static void test_reasons(void **state)
{
        (void)state;
        Rule rules[] = {
                SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)),
                UNITRULE("api", RESTART, 30, "api.service", MB(UNIT_MEMORY, '>', 400)),
                PROCRULE("small", WARN, 125, "tiny", NULL, MB(PROC_SWAP, '>', 5)),
                SYSRULE("psi", WARN, 0, OOM_SCORE, PSI(PSI_SOME_AVG10, '>', 20)),
        };
        Config c = CONFIG(rules);
        static const Sys psi = { .has_psi = true, .psi = { .some = { 34.2, 1, 1, 0 } } };
        const TP procs[] = { P(4242, "node", 380, 812, IN("api.service")),
                             P(7, "tiny", 3, 1, .swap_mb = 8),
                             END_P };
        const TU units[] = { U("api.service", 412, 4242), END_U };
        RulesState *st = rules_state_new();

        cur_procs = procs;
        cur_units = units;
        run_on(st, &c, (const Step[]){ { 0, 75, .sys = &psi,
                                         .want = "fire psi warn -, fire near term 4242" } }, 1);
        assert_string_equal(last[0].reason, "memory pressure (some avg10) 34.20% above 20%");
        assert_string_equal(last[1].reason, "available memory 7.5% (75 MiB) below 8%: "
                                            "terminating node (pid 4242, oom_score 812, 380 MiB)");
        assert_string_equal(last[1].unit, "api.service");
        assert_int_equal(last[1].pss_kb, 380 * 1024);
        assert_int_equal(last[1].start_time, 1000 + 4242);
        assert_int_equal((uint64_t)last[1].value, 75 * 1024);
        assert_int_equal((uint64_t)last[1].threshold, 81920); /* 8% of 1000 MiB */

        run_on(st, &c, (const Step[]){ { 30000, 200, .flags = BUSY,
                                         .want = "recover near -, recover psi -" } }, 1);
        assert_string_equal(last[0].reason, "available memory back above 8%: 20.0% (200 MiB)");
        assert_string_equal(last[1].reason, "memory pressure (some avg10) back under 20%: 0.00%");
        run_on(st, &c, (const Step[]){ { 31000, 500, .want = "fire api restart api.service" } }, 1);
        assert_string_equal(last[0].reason,
                            "api.service uses 412 MiB (budget 400 MiB) for 31 s: restarting it");
        assert_int_equal(last[0].held_usec, 31 * SEC);

        run_on(st, &c, (const Step[]){ { 125000, 500, .want = "fire small warn 7" } }, 1);
        assert_string_equal(last[0].reason,
                            "tiny (pid 7) has 8.0 MiB in swap (budget 5.0 MiB) for 2 min 5 s");
        run_on(st, &c, (const Step[]){ { 126000, 500, NULL, (const TU[]){ U("api.service", 210, 4242), END_U },
                                         .want = "recover api api.service" } }, 1);
        assert_string_equal(last[0].reason, "api.service back under budget: 210 MiB (budget 400 MiB)");
        rules_state_free(st);
}


/* notify = (issue 17): who a warn rule's signal is for. A process rule's
 * process; a unit rule's largest process; none in a protected unit. */
static void test_notify_target(void **state)
{
        (void)state;
        Rule rules[] = {
                PROCRULE("p", WARN, 0, "node", NULL, MB(PROC_PSS, '>', 100)),
                UNITRULE("u", WARN, 0, "*.service", MB(UNIT_MEMORY, '>', 100)),
        };
        rules[0].notify_signal = rules[1].notify_signal = SIGUSR1;
        Config c = CONFIG(rules);
        const TP procs[] = { P(42, "node", 300, 0, IN("api.service")),
                             P(43, "sh", 1, 0, IN("api.service")),
                             P(50, "postgres", 200, 0, IN("postgresql@15-main.service")),
                             END_P };
        const TU units[] = { U("api.service", 301, 42), U("postgresql@15-main.service", 200, 50),
                             END_U };
        RulesState *st = rules_state_new();
        cur_procs = procs;
        cur_units = units;
        run_on(st, &c, (const Step[]){ { 0, 500,
                                         .want = "fire p warn 42, fire u warn api.service, "
                                                 "fire u warn postgresql@15-main.service" } }, 1);
        assert_int_equal(last[0].notify_pid, 42);
        assert_int_equal(last[0].notify_start_time, 1000 + 42);
        assert_int_equal(last[1].notify_pid, 42); /* the largest, not the shell */
        assert_string_equal(last[1].notify_comm, "node");
        assert_int_equal(last[2].notify_pid, 0); /* protected: warned, not signalled */
        rules_state_free(st);
}

/* ---- issue 14: who may be acted on ------------------------------------ */

#define USER_API "/user.slice/user-1000.slice/user@1000.service/app.slice/api.service"
#define USER_INIT "/user.slice/user-1000.slice/user@1000.service/init.scope"

/* A user's api.service is not the system's: a unit rule on api.service
 * sees the system's (small) one only, user-unit = sees the user's, and a
 * process rule's restart of the user's process is refused. Before issue
 * 14 the two merged: a 600 MiB user process got the system unit
 * restarted. */
static void test_unit_identity(void **state)
{
        (void)state;
        Rule rules[] = {
                UNITRULE("api", RESTART, 0, "api.service", MB(UNIT_MEMORY, '>', 400)),
                UNITRULE("uapi", TERM, 0, "api.service", MB(UNIT_MEMORY, '>', 400)),
                PROCRULE("node", RESTART, 0, "node", NULL, MB(PROC_PSS, '>', 500)),
        };
        rules[1].user_unit = true;
        Config c = CONFIG(rules);
        const TP procs[] = {
                P(42, "node", 100, 100, IN("api.service")),
                P(45, "node", 600, 600, IN(USER_API)),
                END_P,
        };
        const TU units[] = { U("api.service", 100, 42), U("api.service", 600, 45, .cgroup = USER_API),
                             END_U };
        const Step steps[] = {
                { 0, 500, procs, units, .want = "fire node warn 45, fire uapi term 45" },
        };
        RUN(c, steps);
        assert_string_equal(last[0].reason,
                            "node (pid 45) uses 600 MiB (budget 500 MiB): cannot restart "
                            "api.service (user 1000), it belongs to a user's service manager; "
                            "memguard talks to the system manager only");
        assert_string_equal(last[0].unit, "api.service");
        assert_string_equal(last[0].unit_owner, "user@1000.service");
        assert_string_equal(last[0].unit_cgroup, USER_API);
        assert_string_equal(last[1].reason, "api.service (user 1000) uses 600 MiB (budget 400 MiB): "
                                            "terminating its largest process node (pid 45, 600 MiB)");
}

/* The system's api.service over its budget is restarted; the user's
 * same-named unit, larger still, is not what is restarted. */
static void test_unit_identity_restart(void **state)
{
        (void)state;
        Rule rules[] = { UNITRULE("api", RESTART, 0, "api.service", MB(UNIT_MEMORY, '>', 400)) };
        Config c = CONFIG(rules);
        const TP procs[] = { P(42, "node", 450, 0, IN("api.service")),
                             P(45, "node", 900, 0, IN(USER_API)), END_P };
        const TU units[] = { U("api.service", 450, 42), U("api.service", 900, 45, .cgroup = USER_API),
                             END_U };
        const Step steps[] = { { 0, 500, procs, units, .want = "fire api restart api.service" } };
        RUN(c, steps);
        assert_string_equal(last[0].unit_cgroup, "/system.slice/api.service");
        assert_string_equal(last[0].unit_owner, "");
}

/* A restart in flight (its unit ignoring SIGTERM may hold the stop for
 * 90 s) never holds back near-oom; it holds back a second restart. The
 * unit being restarted is no shield for its process from near-oom. Before
 * issue 14 every destructive rule waited for the restart job. */
static void test_restart_in_flight(void **state)
{
        (void)state;
        Rule rules[] = {
                SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)),
                UNITRULE("budget", RESTART, 0, "*.service", MB(UNIT_MEMORY, '>', 300)),
        };
        Config c = CONFIG(rules);
        const TP procs[] = { P(60, "stubborn", 350, 400, IN("stubborn.service")),
                             P(70, "burst", 200, 300, IN("burst.service")),
                             P(80, "other", 310, 100, IN("other.service")), END_P };
        const TU units[] = { U("stubborn.service", 350, 60), U("burst.service", 200, 70),
                             U("other.service", 310, 80), END_U };
        const TP burst[] = { P(60, "stubborn", 350, 400, IN("stubborn.service")),
                             P(70, "burst", 600, 700, IN("burst.service")),
                             P(80, "other", 310, 100, IN("other.service")), END_P };
        const TU burst_u[] = { U("stubborn.service", 350, 60), U("burst.service", 600, 70),
                               U("other.service", 310, 80), END_U };
        const Step steps[] = {
                /* the largest over budget is restarted first */
                { 0, 500, procs, units, .want = "fire budget restart stubborn.service" },
                /* its job runs: no second restart (other.service waits) */
                { 100, 500, .flags = BUSY_RST, .want = "" },
                /* a burst while the restart is in flight: near-oom acts */
                { 200, 50, burst, burst_u, .flags = BUSY_RST, .want = "fire near term 70" },
                /* the burster is followed; the stubborn unit's process, in
                 * its unit's restart cooldown, is next for near-oom */
                { 300, 50, .flags = BUSY_RST, .want = "fire near term 60" },
                /* a signal in flight does not hold back a restart either */
                { 400, 500, .flags = BUSY_SIG, .want = "recover near -, fire budget restart burst.service" },
        };
        RUN(c, steps);
}

/* Protection cannot be borrowed: a process that named itself sshd is not
 * protected (its executable is a user's file); a path entry protects by
 * executable; a unit entry every process in the unit; in a user's
 * manager unit only the manager itself. */
static void test_protection_unforgeable(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c = CONFIG(rules);
        const TP procs[] = {
                P(30, "sshd", 900, 999, .flags = USEREXE, .exe = "/home/u/sshd"), /* spoofer */
                P(31, "sshd", 5, 998),                                             /* real */
                P(32, "worker", 800, 997, .exe = "/opt/keep/worker"),
                /* a user's file where the path entry points (a bind mount
                 * in a namespace of its own): the path is not enough */
                P(40, "worker2", 290, 991, .flags = USEREXE, .exe = "/opt/keep/worker2"),
                P(33, "postgres", 700, 996, IN("postgresql@15-main.service")),
                P(34, "systemd", 600, 995, IN(USER_INIT), .exe = "/usr/lib/systemd/systemd", .ppid = 1),
                P(35, "hog", 500, 994, IN(USER_INIT), .flags = USEREXE, .exe = "/home/u/hog"),
                /* the systemd binary run by the user in their manager's
                 * cgroup (LD_PRELOAD...): its parent is not PID 1 */
                P(39, "systemd", 350, 994, IN(USER_INIT), .exe = "/usr/lib/systemd/systemd", .ppid = 34),
                /* renamed to a protected name, running a root-owned interpreter */
                P(36, "systemd-journal", 400, 993, .exe = "/usr/bin/python3.11"),
                /* a login user running the real sshd binary (LD_PRELOAD...) */
                P(38, "sshd", 300, 992, .uid = 1000),
                P(37, "plain", 10, 1),
                END_P,
        };
        const Step steps[] = {
                { 0, 50, procs, .want = "fire near term 30" },
                { 100, 50, .want = "fire near term 35" },
                { 200, 50, .want = "fire near term 39" },
                { 300, 50, .want = "fire near term 36" },
                { 400, 50, .want = "fire near term 38" },
                { 500, 50, .want = "fire near term 40" },
                { 600, 50, .want = "fire near term 37" },
                { 700, 50, .want = "fire near warn -" },
        };
        RUN(c, steps);
}

/* Units no rule may restart or act on as a whole, whatever it says. */
static void test_protected_units_issue14(void **state)
{
        (void)state;
        Rule rules[] = {
                UNITRULE("all", RESTART, 0, "*", MB(UNIT_MEMORY, '>', 100)),
        };
        Config c = CONFIG(rules);
        const TP procs[] = {
                P(10, "sshd", 5, 0, IN("ssh.service")),
                P(11, "postgres", 5, 0, IN("postgresql@15-main.service")),
                P(12, "systemd", 5, 0, IN(USER_INIT), .exe = "/usr/lib/systemd/systemd", .ppid = 1),
                P(13, "app", 5, 0, IN("app.service")),
                END_P,
        };
        const TU units[] = { U("ssh.service", 500, 10), U("postgresql@15-main.service", 400, 11),
                             U("user@1000.service", 300, 12, .cgroup = USER_INIT),
                             U("app.service", 200, 13), END_U };
        const Step steps[] = {
                { 0, 500, procs, units,
                  .want = "fire all warn ssh.service, fire all warn postgresql@15-main.service, "
                          "fire all restart app.service" },
        };
        RUN(c, steps);
        assert_string_equal(last[0].reason, "ssh.service uses 500 MiB (budget 100 MiB): will not "
                                            "restart ssh.service, it holds the protected process "
                                            "sshd (pid 10)");
        assert_string_equal(last[1].reason,
                            "postgresql@15-main.service uses 400 MiB (budget 100 MiB): will not "
                            "restart postgresql@15-main.service, it is protected (protect = "
                            "postgresql@*.service)");
}

/* A system rule that restarts the unit of the process it chooses never
 * restarts one that holds a protected process, nor a user's manager: the
 * top oom_score here sits beside sshd in ssh.service, the next in
 * user@1000.service; the third's unit is restarted. */
static void test_system_restart_protected(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("nr", RESTART, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c = CONFIG(rules);
        const TP procs[] = {
                P(10, "sshd", 5, 0, IN("ssh.service")),
                P(11, "helper", 300, 900, IN("ssh.service")),
                P(12, "hog", 250, 800, IN(USER_INIT), .flags = USEREXE, .exe = "/home/u/hog"),
                P(13, "python", 200, 700, IN("app.service")),
                END_P,
        };
        const Step steps[] = { { 0, 50, procs, .want = "fire nr restart 13@app.service" } };
        RUN(c, steps);
}

/* A system rule's restart puts the unit in cooldown, not the process it
 * chose the unit by: while the unit's stop hangs, that process may still be
 * eating the box, and near-oom takes it. */
static void test_system_restart_leaves_process_to_near_oom(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("nr", RESTART, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)),
                         SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 5)) };
        Config c = CONFIG(rules);
        const TP procs[] = { P(52, "python", 200, 700, IN("app.service")),
                             P(53, "ruby", 100, 600, IN("rb.service")), END_P };
        const Step steps[] = {
                { 0, 70, procs, .want = "fire nr restart 52@app.service" },
                { 100, 40, .flags = BUSY_RST, .want = "fire near term 52" },
        };
        RUN(c, steps);
}

/* A process rule's SIGTERM in its grace (up to an hour) holds back the
 * system rules no more than a restart does: they have a lane of their own. */
static void test_process_term_in_flight(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)),
                         PROCRULE("big", TERM, 0, "node", NULL, MB(PROC_PSS, '>', 300)) };
        Config c = CONFIG(rules);
        const TP procs[] = { P(42, "node", 400, 900), P(43, "java", 200, 500), END_P };
        const Step steps[] = {
                { 0, 500, procs, .want = "fire big term 42" },
                /* 42 is in its grace (and in cooldown): near-oom takes 43 */
                { 100, 50, .flags = BUSY_SIG, .want = "fire near term 43" },
                /* a system rule's own signal in flight holds back the next */
                { 200, 50, .flags = BUSY_SIG | BUSY_SYS, .want = "" },
        };
        RUN(c, steps);
}

/* No restart on a partial walk: a unit whose protected process could not
 * be read would look restartable. Signals are decided as usual. */
static void test_partial_no_restart(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("nr", RESTART, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c = CONFIG(rules);
        const TP procs[] = { P(52, "python", 200, 700, IN("app.service")), END_P };
        const Step steps[] = {
                { 0, 70, procs, .flags = PARTIAL, .want = "" },
                { 100, 70, .want = "fire nr restart 52@app.service" },
        };
        RUN(c, steps);
}

/* A unit entry covers every process in its cgroup, also those a delegated
 * manager there runs in units of its own (a container's nginx.service). */
static void test_protected_container(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c = CONFIG(rules);
        const TP procs[] = {
                P(60, "nginx", 500, 900,
                  IN("/machine.slice/machine-keep.scope/payload/system.slice/nginx.service")),
                P(61, "nginx", 400, 800,
                  IN("/machine.slice/machine-other.scope/payload/system.slice/nginx.service")),
                END_P,
        };
        const Step steps[] = { { 0, 50, procs, .want = "fire near term 61" } };
        RUN(c, steps);
}

/* An action that could not be carried out leaves no cooldown: the target
 * may be chosen again. A restart that failed holds back only restarts. */
static void test_action_failed(void **state)
{
        (void)state;
        Rule rules[] = { SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)) };
        Config c = CONFIG(rules);
        RulesState *st = rules_state_new();
        const TP procs[] = { P(12, "node", 100, 500), P(13, "java", 90, 400), END_P };
        cur_procs = procs;
        cur_units = no_units;
        run_on(st, &c, (const Step[]){ { 0, 50, procs, .want = "fire near term 12" } }, 1);
        rules_action_failed(st, &last[0]);
        run_on(st, &c, (const Step[]){ { 100, 50, .want = "fire near term 12" } }, 1);
        /* carried out this time: 12 is in cooldown, 13 is next */
        run_on(st, &c, (const Step[]){ { 200, 50, .want = "fire near term 13" } }, 1);
        rules_state_free(st);

        Rule rr[] = { SYSRULE("nr", RESTART, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)),
                      SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 5)) };
        Config c2 = CONFIG(rr);
        st = rules_state_new();
        const TP in_units[] = { P(52, "python", 200, 700, IN("app.service")),
                                P(53, "ruby", 100, 600, IN("rb.service")), END_P };
        cur_procs = in_units;
        run_on(st, &c2, (const Step[]){ { 0, 70, in_units, .want = "fire nr restart 52@app.service" } }, 1);
        rules_action_failed(st, &last[0]);
        /* not restarted again (it failed), the next unit is */
        run_on(st, &c2, (const Step[]){ { 100, 70, .want = "fire nr restart 53@rb.service" } }, 1);
        /* but app.service's process is no one's cooldown: near-oom takes it */
        run_on(st, &c2, (const Step[]){ { 200, 40, .flags = BUSY_RST, .want = "fire near term 52" } }, 1);
        rules_state_free(st);
}

/* A partial walk (memguard short of memory or descriptors) serves system
 * rules' victim choice; process rules wait for a whole walk, and their
 * episodes are not swept for processes the walk could not read. */
static void test_partial_walk(void **state)
{
        (void)state;
        Rule rules[] = {
                SYSRULE("near", TERM, 0, OOM_SCORE, PCT(MEM_AVAILABLE, '<', 8)),
                PROCRULE("big", WARN, 0, "node", NULL, MB(PROC_PSS, '>', 300)),
        };
        Config c = CONFIG(rules);
        const TP full[] = { P(42, "node", 400, 100), P(43, "java", 200, 900), END_P };
        const TP part[] = { P(43, "java", 200, 900), END_P };
        const Step steps[] = {
                { 0, 500, full, .want = "fire big warn 42" },
                /* 42 could not be read: no recovery, no new episode later */
                { 1000, 50, part, .flags = PARTIAL, .want = "fire near term 43" },
                { 2000, 500, full, .want = "recover near -" },
        };
        RUN(c, steps);
}

/* ---- PSS needs -------------------------------------------------------- */

static void test_need_pss(void **state)
{
        (void)state;
        Rule rules[] = {
                PROCRULE("pss", WARN, 0, "node", NULL, MB(PROC_PSS, '>', 300)),
                PROCRULE("rss", WARN, 0, "java", NULL, MB(PROC_RSS, '>', 300)),
                PROCRULE("swap", WARN, 0, "redis*", NULL, MB(PROC_SWAP, '>', 300)),
                PROCRULE("ssh", WARN, 0, "sshd", NULL, MB(PROC_PSS, '>', 300)),
                UNITRULE("api", RESTART, 0, "api*.service", MB(UNIT_MEMORY, '>', 400)),
                UNITRULE("sysonly", WARN, 0, "web.service", PCT(MEM_AVAILABLE, '<', 5)),
                SYSRULE("near", TERM, 0, PSS, PCT(MEM_AVAILABLE, '<', 8)),
        };
        Config c = CONFIG(rules);
        ProcSample p = { .pid = 10, .comm = "node", .cmdline = "" };

        assert_true(demand_pss(&c, &p, NULL, false));
        snprintf(p.comm, sizeof(p.comm), "java");
        assert_false(demand_pss(&c, &p, NULL, false));
        UnitSample api = { .name = "api.service", .cgroup = "/system.slice/api.service" };
        UnitSample web = { .name = "web.service", .cgroup = "/system.slice/web.service" };
        UnitSample user_api = { .name = "api.service", .owner = "user@1000.service",
                                .cgroup = "/user.slice/user-1000.slice/user@1000.service/app.slice/api.service" };
        assert_false(demand_pss(&c, &p, &api, false));
        assert_true(demand_pss(&c, &p, &api, true));
        assert_false(demand_pss(&c, &p, &web, true)); /* no unit.memory */
        assert_false(demand_pss(&c, &p, &user_api, true)); /* not the system's */
        snprintf(p.comm, sizeof(p.comm), "redis-server");
        assert_true(demand_pss(&c, &p, NULL, false));
        snprintf(p.comm, sizeof(p.comm), "node");
        p.kthread = true;
        assert_false(demand_pss(&c, &p, NULL, false));
        assert_false(demand_pss(NULL, &p, NULL, false));
}

/* ---- snapshot --------------------------------------------------------- */

static void test_snapshot(void **state)
{
        (void)state;
        Snapshot s = { 0 };

        s.n_procs = 2;
        s.procs = calloc(2, sizeof(*s.procs));
        assert_non_null(s.procs);
        s.procs[0] = (ProcSample){ .pid = 5, .start_time = 10, .cmdline = strdup("a b") };
        s.procs[1] = (ProcSample){ .pid = 6, .start_time = 11, .cmdline = NULL };
        s.n_units = 1;
        s.units = calloc(1, sizeof(*s.units));
        assert_non_null(s.units);
        snprintf(s.units[0].name, sizeof(s.units[0].name), "api.service");
        snprintf(s.units[0].cgroup, sizeof(s.units[0].cgroup), "/system.slice/api.service");

        assert_ptr_equal(snapshot_find_proc(&s, 6, 11), &s.procs[1]);
        assert_null(snapshot_find_proc(&s, 6, 12));
        assert_null(snapshot_find_proc(&s, 7, 11));
        assert_ptr_equal(snapshot_find_unit(&s, "/system.slice/api.service"), &s.units[0]);
        assert_null(snapshot_find_unit(&s, "api.service")); /* a cgroup, not a name */
        assert_null(snapshot_find_unit(&s, "/system.slice/web.service"));
        assert_null(snapshot_find_unit(&s, NULL));
        snapshot_clear(&s);
        assert_int_equal(s.n_procs, 0);
        assert_null(s.procs);
        assert_null(snapshot_find_proc(&s, 5, 10));
        snapshot_clear(&s);
        snapshot_clear(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_for_duration),
                cmocka_unit_test(test_for_zero_fast_tier),
                cmocka_unit_test(test_process_episodes),
                cmocka_unit_test(test_cooldown),
                cmocka_unit_test(test_cooldown_shared_with_system_rules),
                cmocka_unit_test(test_protection_system),
                cmocka_unit_test(test_protection_process),
                cmocka_unit_test(test_target_choice),
                cmocka_unit_test(test_largest_first_and_deferral),
                cmocka_unit_test(test_warn_not_deferred),
                cmocka_unit_test(test_need_full_and_refire),
                cmocka_unit_test(test_partial_walk_no_victim),
                cmocka_unit_test(test_refire_victim_alive_in_cooldown),
                cmocka_unit_test(test_two_system_rules),
                cmocka_unit_test(test_kill_due),
                cmocka_unit_test(test_match_process),
                cmocka_unit_test(test_match_in_scenario),
                cmocka_unit_test(test_unit_glob),
                cmocka_unit_test(test_protected_units),
                cmocka_unit_test(test_restart_process_rule),
                cmocka_unit_test(test_restart_reasons),
                cmocka_unit_test(test_system_restart),
                cmocka_unit_test(test_unit_rule_term),
                cmocka_unit_test(test_mixed_conditions),
                cmocka_unit_test(test_swapless),
                cmocka_unit_test(test_missing_psi),
                cmocka_unit_test(test_rebind),
                cmocka_unit_test(test_churn_bounded),
                cmocka_unit_test(test_cap),
                cmocka_unit_test(test_reasons),
                cmocka_unit_test(test_notify_target),
                cmocka_unit_test(test_need_pss),
                cmocka_unit_test(test_units_need_full),
                cmocka_unit_test(test_snapshot),
                cmocka_unit_test(test_unit_identity),
                cmocka_unit_test(test_unit_identity_restart),
                cmocka_unit_test(test_restart_in_flight),
                cmocka_unit_test(test_protection_unforgeable),
                cmocka_unit_test(test_protected_units_issue14),
                cmocka_unit_test(test_system_restart_protected),
                cmocka_unit_test(test_action_failed),
                cmocka_unit_test(test_system_restart_leaves_process_to_near_oom),
                cmocka_unit_test(test_process_term_in_flight),
                cmocka_unit_test(test_partial_no_restart),
                cmocka_unit_test(test_protected_container),
                cmocka_unit_test(test_partial_walk),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
