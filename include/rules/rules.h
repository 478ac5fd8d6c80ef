/* rules.h — the rule engine: (config, snapshot, state) → decisions.
 *
 * rules_evaluate() is pure: no I/O, no clock (the time is the snapshot's),
 * deterministic for the same inputs. Its only side effect is on the
 * RulesState it is given, which carries what must outlive one tick: since
 * when each condition has held, which episodes have fired, per-target
 * cooldowns.
 *
 * Semantics (memguard.conf(5)):
 *  - A (rule, target) pair fires when all conditions have held for `for`,
 *    once per episode; it re-arms when the condition is false again, which
 *    yields a RECOVER decision (journal only).
 *  - Targets: a system rule has one episode; a process rule one per matching
 *    process (pid, start_time); a unit rule one per matching unit.
 *  - A system rule with term/kill/restart picks a victim (by oom_score or
 *    PSS) among candidates when it fires. If its condition still holds after
 *    that action has completed, it fires again on the next candidate: one
 *    firing per victim, since a system in danger must be relieved.
 *  - Destructive decisions go in three lanes, one action in flight in
 *    each: a system rule's term/kill, a process or unit rule's term/kill,
 *    and restart (any rule's). A decision is emitted only when its lane is
 *    free, at most one per evaluation, largest target first; a held
 *    condition whose action is deferred stays pending and fires on a later
 *    evaluation. A restart in flight (which may wait 90 s for a unit that
 *    ignores SIGTERM) and a process rule's SIGTERM in its grace never hold
 *    back a system rule's term or kill: near-oom acts within its tick. No
 *    restart is decided on a partial walk.
 *  - Never a candidate, whatever a rule says (judged by select/protect.h,
 *    shield_*()): PID 1, kernel threads,
 *    memguard itself (snapshot self_pid) and every process in its unit,
 *    init.scope, a user's service manager (ProcSample.user_manager), and
 *    what the operator protects: a unit entry shields the unit's every
 *    process, a name or path entry the processes the sampler verified
 *    against their executable (ProcSample.protected_by; protect.h);
 *    system rules also skip oom_score_adj = -1000.
 *  - Units are told apart by cgroup (snapshot.h): `unit =` matches the
 *    system manager's units, `user-unit =` those of users' managers. A
 *    unit is never restarted, nor signalled as a whole by a unit rule,
 *    when it is init.scope, memguard's, a user@UID.service, protected by a
 *    unit entry, or holds a protected process; nor restarted when it is
 *    not the system manager's (memguard asks the system manager only).
 *  - After a destructive decision the target is in cooldown for
 *    config.cooldown_usec: no rule acts on it again in that time. A
 *    restart's target is its unit (the process a system rule chose it by
 *    is not in cooldown), a signal's its process. A system rule choosing a
 *    process to signal is held back only by the process's own cooldown,
 *    not by its unit's (a unit being restarted may still hold the process
 *    that is eating the box). An action that could not be carried out
 *    leaves no cooldown (rules_action_failed()).
 *
 * Details (decided here, tested in tests/unit/test_rules.c):
 *  - Metrics. A size threshold in percent is resolved against MemTotal. On
 *    a box without swap (SwapTotal 0) every swap.* condition is false, so
 *    "swap.free < X" does not fire there. Without PSI (has_psi false) every
 *    psi.* condition is false, and psi.full.* also when the kernel prints
 *    no "full" line. proc.pss reads pss_kb where smaps_rollup was read
 *    (has_pss), else rss_kb, an upper bound of PSS. unit.memory is
 *    UnitSample.memory_kb. A process or unit rule may also test system
 *    metrics ("proc.pss > 300M and mem.available < 20%").
 *  - Time. A pair's clock starts at the first evaluation that finds its
 *    condition true; it fires when now - start >= `for` (for = 0: at once).
 *    A false evaluation before that resets it silently. A growth condition
 *    starts a pair and fires it on the vouched end of its band; once the
 *    pair's clock runs, it holds while the other end of the band still
 *    allows it (issue 21). Process and unit
 *    rules are evaluated only on whole walks (RULES_PROCS_FRESH), system
 *    rules on every evaluation; a walk that could read only part of /proc
 *    (RULES_PROCS_PARTIAL) serves system rules' victim choice only.
 *  - Recovery. A fired pair whose condition turns false yields RECOVER. A
 *    pair whose process or unit vanished (or stopped matching) is dropped
 *    without RECOVER: the action itself was the news.
 *  - Cooldown gates destructive actions only; warnings are never held back
 *    (they are once per episode already). term/kill put the process in
 *    cooldown; restart puts the unit (and the process chosen, if any) in
 *    cooldown, and a process whose unit is in cooldown counts as in
 *    cooldown. A pending pair whose target is in cooldown stays pending.
 *  - Choice among pending destructive pairs: a system rule first (the whole
 *    box is at risk; rules that have not acted this episode before the
 *    re-firing ones, then config order), else the largest process/unit
 *    target (PSS or RSS, unit memory); ties go to config then table order.
 *  - System victims: target = oom-score takes the highest oom_score, ties
 *    by size; target = pss the largest pss_kb (rss_kb where PSS was not
 *    read). Skipped: protected processes, oom_score_adj -1000, processes
 *    (process cooldown only), processes with rss 0 (zombies, exiting).
 *    restart on a system rule takes the best candidate that sits in a
 *    restartable unit (see below) and restarts that unit; the Decision
 *    carries both. When
 *    no candidate is left, the rule says so once per episode with an
 *    ACTION_WARN decision ("no process may be terminated") and, until the
 *    next full sample finds one, stops asking for full samples.
 *  - Process rules: term/kill signal the process; restart restarts its
 *    unit. Unit rules: restart restarts the unit; term/kill signal its
 *    largest process (UnitSample.main_pid). When the action is impossible
 *    for that target (a process in no unit, a unit that is not a .service,
 *    a unit of a user's service manager, a protected unit, a unit whose
 *    largest process is protected or unknown), the pair fires once as an
 *    ACTION_WARN decision whose reason says why, never deferred.
 *  - Hidden units: init.scope, the unit memguard runs in (the unit of
 *    snapshot self_pid) and user@UID.service are never targets of any
 *    unit rule, not even for a warning. A unit protected otherwise (a unit
 *    entry, a protected process in it) may be warned about; a destructive
 *    unit rule on it fires once as a warning saying why.
 *  - Protected processes are never targets of process rules either, even
 *    for warn (so oom_score_adj -1000 protects from system rules only).
 *  - A warn rule with `notify =` names, in its FIRE decision, the process
 *    to signal (Decision.notify_pid): a process rule's own process, a
 *    unit rule's largest process unless the unit or that process is
 *    protected (then none: the warning is still written).
 *  - Memory. The state holds one entry per system rule in an episode, one
 *    per (process/unit rule, target) pair whose condition held at the last
 *    full evaluation, and one per target in cooldown; process churn leaves
 *    nothing behind (see rules_state_size()). No allocation happens on an
 *    evaluation unless a new pair starts an episode, a destructive action
 *    needs a cooldown slot, or the config changed.
 */
#ifndef MEMGUARD_RULES_H
#define MEMGUARD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "read/proc.h"
#include "read/snapshot.h"
#include "sample/history.h"

typedef enum DecisionKind {
        DECISION_FIRE,    /* carry out rule->action on the target */
        DECISION_RECOVER, /* the condition no longer holds: journal it */
} DecisionKind;

typedef struct Decision {
        DecisionKind kind;
        const Rule *rule;         /* points into the Config evaluated */
        Action action;            /* rule->action, or ACTION_WARN when the rule
                                   * cannot act on the target (reason says why) */
        /* The target. A process target has pid > 0 and its start_time; a
         * unit target (unit rules, or restart on a process) has unit[0]. A
         * system warn has neither. A process target also carries its unit
         * name, when it has one, for the journal: ACTION says what is acted
         * on (restart: unit; term/kill: pid, which for a unit rule is the
         * unit's largest process). */
        pid_t pid;
        uint64_t start_time;
        char comm[PROC_COMM_MAX];
        char unit[PROC_UNIT_MAX];        /* its name: "api.service" */
        char unit_owner[PROC_UNIT_MAX];  /* UnitSample.owner: "" for the system's */
        char unit_cgroup[PROC_CGROUP_MAX]; /* what identifies the unit */
        uint64_t pss_kb;          /* target size: PSS (or RSS), unit memory */
        /* The measured value and threshold of the first condition (for
         * RECOVER: of the first condition that no longer holds), for the
         * message ("412 MiB (budget 400 MiB)"): kB for sizes, percent for PSI. */
        double value;
        double threshold;
        uint64_t held_usec;       /* how long the condition had held */
        /* Leak detection (rules tracking growth): the target's growth
         * (a system rule: the decline of MemAvailable, or with target =
         * fastest-growing the victim's growth) and the ETA that matters:
         * to the target's budget when it has one, else to memory exhaustion. */
        bool has_growth;
        double growth_kb_per_hour;
        double growth_band_kb_per_hour; /* its band (growth.h), INFINITY unknown */
        bool has_eta;
        uint64_t eta_usec;
        char reason[512];         /* one line, operator's words, no trailing '.' */
        /* A warn rule's `notify =` firing: the process to signal (a
         * process rule's process; a unit rule's largest process), chosen
         * here where protection is known: 0 when the rule has no notify,
         * or the unit is protected or its largest process is. */
        pid_t notify_pid;
        uint64_t notify_start_time;
        char notify_comm[PROC_COMM_MAX];
} Decision;

typedef struct RulesState RulesState;

/* Allocates empty state. Returns NULL on OOM. */
RulesState *rules_state_new(void);
/* Frees state; NULL-safe. */
void rules_state_free(RulesState *st);

/* Carries state over to NEW_CONFIG after a reload: entries of rules that
 * still exist (by name, with the same scope) keep their episode, others are
 * dropped; cooldowns belong to targets and are kept. The state keeps rule
 * names by value, so the old config may be freed right after. On OOM all
 * episodes are forgotten (rules_evaluate() binds again). rules_evaluate()
 * also rebinds by itself when it is handed a config whose rule names differ
 * from the bound one, so the first evaluation needs no rebind. */
void rules_state_rebind(RulesState *st, const Config *new_config);

/* Gives the engine the growth histories (borrowed; NULL: none) that the
 * growth, budget-eta and mem.exhaustion metrics and target =
 * fastest-growing read. Without them those conditions never hold. */
void rules_state_set_history(RulesState *st, History *hist);

/* Number of entries the state holds: system rules in an episode, (rule,
 * target) pairs being tracked, and targets in cooldown. For tests of the
 * memory bound. */
size_t rules_state_size(const RulesState *st);

/* The lanes of destructive actions with an action in flight. */
enum {
        RULES_BUSY_SIGNAL = 1 << 0,  /* a process or unit rule's signalled
                                      * process not yet gone */
        RULES_BUSY_RESTART = 1 << 1, /* a restart job not yet done */
        RULES_BUSY_SYSTEM = 1 << 2,  /* a system rule's signalled process not
                                      * yet gone */
};

/* How fresh SNAPSHOT's process and unit tables are. */
typedef enum RulesProcs {
        RULES_PROCS_STALE,   /* from an earlier walk: system conditions only */
        RULES_PROCS_FRESH,   /* a whole walk made for this evaluation */
        RULES_PROCS_PARTIAL, /* a walk for this evaluation that could not read
                              * every process (out of memory, of descriptors):
                              * system rules choose among what it read; process
                              * and unit rules wait for a whole walk */
} RulesProcs;

/* Evaluates CONFIG against SNAPSHOT at time snapshot->sys.usec.
 * BUSY: the RULES_BUSY_* lanes with an action in flight; no destructive
 * decision of a busy lane is emitted. With RULES_PROCS_STALE only system
 * conditions are evaluated and a system rule that would act on a process
 * is reported through *RET_NEED_FULL = true instead of firing (the caller
 * samples and re-evaluates). RET_NEED_FULL may be NULL.
 * Decisions are appended to RET (capacity CAP); returns the number written,
 * or -ENOMEM when the state cannot be bound to CONFIG (first evaluation,
 * or after a reload; nothing changed then). Decisions beyond CAP are
 * deferred to the next evaluation. An allocation failure while starting to
 * track a new pair only delays that pair's episode to a later evaluation:
 * decisions and state stay consistent, and system rules never allocate once
 * bound. */
int rules_evaluate(const Config *config, const Snapshot *snapshot, RulesState *st, unsigned busy,
                   RulesProcs procs, Decision *ret, size_t cap, bool *ret_need_full);

/* The action of decision D (emitted by the last rules_evaluate() on ST)
 * could not be carried out (no pidfd, a signal refused, a restart systemd
 * refused or never got): its target was not acted on, so the cooldown the
 * decision recorded is dropped. A failed restart still holds back further
 * restarts of that unit for the cooldown (a retry every tick would only
 * repeat the failure), and nothing else. */
void rules_action_failed(RulesState *st, const Decision *d);

/* True if a full evaluation (PROCS_FRESH) at NOW_USEC would start, reset,
 * fire or recover some (unit rule, unit) pair, judged on the units of
 * SNAPSHOT (sizes as the unit tier last read them, the process table of
 * the last walk) and the system sample in it. With the cgroup tree watched
 * (cgwatch.h), unit rules are evaluated on a walk that this asks for, not
 * on a walk every interval. A pair held for less than its `for`, one that
 * has fired and still holds, and a restart whose unit is in cooldown need
 * no walk (a term/kill victim in cooldown may have exited since the last
 * walk: that asks for one). Changes nothing but cached growth estimates. */
bool rules_units_need_full(const Config *config, const Snapshot *snapshot, RulesState *st,
                           uint64_t now_usec);

/* True if a system rule with action = kill held its condition for its
 * `for` at the last evaluation (at time NOW_USEC). While an action is in
 * flight no second victim is chosen; instead the caller escalates a SIGTERM
 * still in its grace period to SIGKILL at once, so that memory does not run
 * out while a process takes its time to exit. */
bool rules_kill_due(const Config *config, const RulesState *st, uint64_t now_usec);

/* The budget of process P (or, P NULL, unit U) as the leak messages name
 * it: the lowest "proc.pss/proc.rss >" (processes) or "unit.memory >"
 * (units) threshold of the rules that watch it. False when none does. */
bool rules_budget(const Config *config, const ProcSample *p, const UnitSample *u,
                  uint64_t mem_total_kb, uint64_t *ret_kb);

/* What the engine holds for one rule, as `memguard status` and the
 * metrics show it. Times are CLOCK_MONOTONIC. */
typedef struct RuleView {
        bool active;          /* its episode is under way: a system rule's, or
                               * some target's of a process or unit rule */
        bool fired;           /* ... and has fired (a target's, for those) */
        uint64_t since_usec;  /* the episode of TARGET: since when */
        unsigned n_targets;   /* process and unit rules: targets in an episode */
        unsigned n_fired;     /* ... of which fired */
        char target[PROC_UNIT_MAX + 32]; /* the target to name: the oldest
                                          * fired, else the oldest holding
                                          * ("api.service", "node (pid 42)");
                                          * "" for none */
        uint64_t fires;       /* FIRE decisions since memguard started (a
                               * reload keeps a rule's count by its name) */
        uint64_t fired_usec;  /* the last one's time; 0 if none */
} RuleView;

/* Fills *RET for rule I of CONFIG from ST, naming targets from SNAPSHOT.
 * Returns false (RET zeroed) when ST is not bound to CONFIG. */
bool rules_view(const RulesState *st, const Config *config, size_t i, const Snapshot *snapshot,
                RuleView *ret);

/* The same for one target of rule I: a unit rule's unit (CGROUP), a
 * process rule's process (PID, START_TIME); a system rule's episode as
 * rules_view(). TARGET is left "". Returns false as rules_view(). */
bool rules_target_view(const RulesState *st, const Config *config, size_t i, pid_t pid,
                       uint64_t start_time, const char *cgroup, RuleView *ret);

/* A target in cooldown: a process (PID, START_TIME) or a unit (CGROUP). */
typedef struct CooldownView {
        pid_t pid;
        uint64_t start_time;
        const char *cgroup; /* points into the state: use before the next
                             * evaluation; "" for a process */
        uint64_t until_usec;
        bool failed;        /* a restart of it could not be carried out */
} CooldownView;

/* Writes up to CAP of the cooldowns of ST still running at NOW_USEC into
 * RET; returns how many there are in all. */
size_t rules_cooldowns(const RulesState *st, uint64_t now_usec, CooldownView *ret, size_t cap);

#endif
