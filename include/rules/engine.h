/* engine.h — internal to src/rules/: the engine's state and what its
 * files share. Nothing outside src/rules/ includes it; the contract is
 * rules.h.
 *
 * The engine's files, in the order an evaluation uses them:
 *  - engine.c: rules_evaluate(), the lanes, a decision's target;
 *  - state.c: RulesState, its rule slots and (rule, target) entries;
 *  - cooldown.c: targets acted on recently;
 *  - measure.c: metric values, conditions, whether a rule holds;
 *  - episode.c: system and (rule, target) episodes, start to recovery;
 *  - victim.c: what a destructive rule acts on;
 *  - reason.c: the operator's sentences.
 *
 * State layout, chosen so the fast tier (system rules every ~100 ms) never
 * allocates and never walks processes:
 *  - one RuleSlot per configured rule, parallel to config->rules, holding the
 *    rule's name by value (so nothing points into a config that a reload
 *    frees) and, for system rules, their single episode;
 *  - a sorted array of TargetEntry, one per (process/unit rule, target) pair
 *    whose condition held at the last full evaluation: a pair whose
 *    condition is false needs no memory, so the array is bounded by the
 *    number of pairs currently true, whatever the process churn;
 *  - a short array of Cooldown, one per target acted on in the last
 *    cooldown period.
 * Process and unit rules are only evaluated on full samples (PROCS_FRESH);
 * their entries are swept at the end of each such evaluation. */
#ifndef MEMGUARD_RULES_ENGINE_H
#define MEMGUARD_RULES_ENGINE_H

#include "rules/rules.h"
#include "sample/growth.h"
#include "select/match.h"
#include "select/protect.h"
#include "util/cleanup.h"
#include "util/format.h"

typedef struct RuleSlot {
        char *name;
        RuleScope scope;
        size_t remap;       /* scratch for state_bind() */
        /* The episode of a system rule. */
        bool active;        /* the condition held at the last evaluation */
        bool fired;         /* fired (or noted it could not act) this episode */
        bool no_victim;     /* last full evaluation found no candidate */
        bool noted_stuck;   /* "nothing may be acted on" said this episode */
        bool vouched;       /* ... and on its bands' vouched ends (rule_episode()) */
        uint64_t since_usec;
        uint64_t tried_eval; /* evaluation that last looked for a victim */
        /* For status and metrics (rules_view()), kept across reloads. */
        uint64_t fires;      /* FIRE decisions emitted */
        uint64_t fired_usec; /* the last one's time; 0 never */
} RuleSlot;

typedef struct TargetEntry {
        size_t rule;              /* index into slots / config->rules */
        pid_t pid;                /* a process target; 0 for a unit */
        uint64_t start_time;
        char cgroup[PROC_CGROUP_MAX]; /* a unit target's cgroup; "" for a process */
        uint64_t since_usec;
        uint64_t seen_gen;        /* == RulesState.gen: keep at the sweep */
        bool fired;
} TargetEntry;

/* A target acted on recently. A unit is named by its cgroup. FAILED: a
 * restart of the unit was tried and could not be carried out; that holds
 * back only further restarts of it (a retry every tick would flood the
 * journal), nothing else: it was not acted on. */
typedef struct Cooldown {
        pid_t pid;                    /* a process, or 0 */
        uint64_t start_time;
        char cgroup[PROC_CGROUP_MAX]; /* a unit, or "" */
        uint64_t until_usec;
        bool failed;
} Cooldown;

struct RulesState {
        RuleSlot *slots;
        size_t n_slots;
        bool bound;
        /* The Config.generation the slots were last found to match (0:
         * none), so that state_matches() compares names once per config,
         * not on every evaluation. */
        uint64_t matched_generation;
        TargetEntry *entries;
        size_t n_entries, cap_entries;
        Cooldown *cooldowns;
        size_t n_cooldowns, cap_cooldowns;
        uint64_t gen;   /* full evaluations, for the entry sweep */
        uint64_t evals; /* all evaluations */
        History *hist;  /* borrowed; NULL: growth metrics unavailable */
};

typedef struct TargetKey {
        size_t rule;
        pid_t pid;
        uint64_t start_time;
        const char *cgroup; /* a unit's; "" for a process */
} TargetKey;

/* What a destructive decision would act on. */
typedef struct Plan {
        const ProcSample *victim;  /* term/kill: the process to signal */
        const UnitSample *restart; /* restart: the unit */
} Plan;

/* The largest pending process/unit target of this evaluation. */
typedef struct Pick {
        bool set;
        TargetKey key;
        const ProcSample *p;
        const UnitSample *u;
        Plan plan;
        uint64_t size_kb;
        uint64_t since_usec;
} Pick;

typedef struct Eval {
        const Config *config;
        const Snapshot *s;
        RulesState *st;
        uint64_t now;
        Decision *ret;
        size_t cap, n;
        unsigned busy;   /* RULES_BUSY_*: lanes with an action in flight */
        bool partial;    /* the process table is a partial walk's */
        bool emitted;    /* a destructive decision was emitted: no second one */
        Shield shield;   /* who may never be acted on (protect.h) */
        Pick pick;
} Eval;

/* Whether a destructive decision of rule R may be emitted now: none was
 * this evaluation, and its lane is free. A restart job in flight (which
 * may wait a unit's TimeoutStopSec, 90 s by default) never holds back a
 * term or kill, and a process or unit rule's SIGTERM in its grace (up to
 * an hour) never holds back a system rule's: the rules that stand between
 * the box and the kernel OOM killer act within their tick whatever else
 * is going on. No restart is decided on a partial walk: a unit whose
 * protected process could not be read would look restartable. */
static inline bool lane_free(const Eval *x, const Rule *r)
{
        if (x->emitted)
                return false;
        if (r->action == ACTION_RESTART)
                return !(x->busy & RULES_BUSY_RESTART) && !x->partial;
        return !(x->busy & (r->scope == SCOPE_SYSTEM ? RULES_BUSY_SYSTEM : RULES_BUSY_SIGNAL));
}

static inline uint64_t held_usec(uint64_t now, uint64_t since)
{
        return now > since ? now - since : 0;
}

/* engine.c */
Decision *emit_decision(Eval *x, DecisionKind kind, size_t rule, Action action);
void decision_set_proc(const Eval *x, Decision *d, const ProcSample *p);
void decision_set_unit(Decision *d, const UnitSample *u);
/* A warn rule's notify target (rules.h, Decision.notify_pid): P, or for a
 * unit rule (P NULL) U's largest process unless U or it is protected. */
void decision_set_notify(const Eval *x, Decision *d, const ProcSample *p, const UnitSample *u);

/* state.c */
TargetEntry *entry_find(RulesState *st, const TargetKey *k);
TargetEntry *entry_insert(RulesState *st, const TargetKey *k, uint64_t now);
void entries_sweep(RulesState *st);
bool state_matches(const RulesState *st, const Config *c);
int state_bind(RulesState *st, const Config *c);

/* cooldown.c */
bool cooldown_unit(const RulesState *st, const char *cgroup, uint64_t now, bool for_restart);
bool cooldown_proc(const Eval *x, const ProcSample *p, bool unit_too);
bool plan_in_cooldown(const Eval *x, const Plan *plan);
void cooldown_reserve(RulesState *st);
void cooldown_prune(const Eval *x, bool procs_fresh);
void cooldown_record(Eval *x, const Plan *plan);

/* measure.c */
bool target_growth(const Eval *x, const Rule *r, const ProcSample *p, const UnitSample *u,
                   GrowthEstimate *ret);
double eta_value(uint64_t usec);
bool metric_value(const Eval *x, const Rule *r, Metric m, char op, bool held,
                  const ProcSample *p, const UnitSample *u, double *ret);
double cond_threshold(const Snapshot *s, const Condition *c);
bool cond_holds(const Eval *x, const Rule *r, const Condition *c, bool held,
                const ProcSample *p, const UnitSample *u, double *ret_value,
                double *ret_threshold);
bool rule_episode(const Eval *x, const Rule *r, bool held, const ProcSample *p,
                  const UnitSample *u, bool *ret_vouched);
bool target_budget(const Eval *x, const Rule *r, const ProcSample *p, const UnitSample *u,
                   uint64_t *ret_kb);

/* victim.c */
bool pick_fastest(const Eval *x, const Rule *r, Plan *ret, GrowthEstimate *ret_est);
bool pick_victim(const Eval *x, const Rule *r, Plan *ret);
bool plan_target(const Eval *x, const Rule *r, const ProcSample *p, const UnitSample *u,
                 Plan *ret, char *why, size_t why_size);

/* reason.c */
void subject_of(char *buf, size_t size, const ProcSample *p, const UnitSample *u);
const char *unit_label_of(const UnitSample *u, char *buf, size_t size);
const char *action_verb(Action a);
const char *action_passive(Action a);
void decision_fire_reason(const Eval *x, Decision *d, const char *subject,
                          const ProcSample *p, const UnitSample *u, uint64_t since,
                          const char *suffix);
void reason_recover(const Eval *x, Decision *d, const ProcSample *p, const UnitSample *u);
void reason_no_victim(Buf *b, const Rule *r);
void reason_victim(const Eval *x, Buf *b, const Rule *r, const Plan *plan,
                   const GrowthEstimate *grow);

/* episode.c */
void eval_system_rules(Eval *x, bool procs_fresh, bool *need_full);
void eval_target_rules(Eval *x);

#endif
