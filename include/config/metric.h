/* metric.h — the metrics a rule's `when` may test: their names in the
 * config, what kind of value each is, the scope it belongs to, whether it
 * needs a growth history, and how the operator's sentences name it. One
 * table (metric.c) that config, rules, history, demand and schedule all
 * read; adding a metric means a line there and its evaluation: a system
 * value in snapshot_system_value() (read/snapshot.c), which the rule
 * engine and the scheduler share, a target's in metric_value()
 * (src/rules/measure.c). */
#ifndef MEMGUARD_METRIC_H
#define MEMGUARD_METRIC_H

#include <stdbool.h>

typedef enum Metric {
        METRIC_MEM_AVAILABLE,
        METRIC_MEM_USED, /* MemTotal - MemAvailable */
        METRIC_SWAP_FREE,
        METRIC_SWAP_USED,
        METRIC_PSI_SOME_AVG10,
        METRIC_PSI_SOME_AVG60,
        METRIC_PSI_SOME_AVG300,
        METRIC_PSI_FULL_AVG10,
        METRIC_PSI_FULL_AVG60,
        METRIC_PSI_FULL_AVG300,
        METRIC_PROC_PSS,
        METRIC_PROC_RSS,
        METRIC_PROC_SWAP,
        METRIC_UNIT_MEMORY,
        /* Leak detection (growth.h): estimated over the rule's window. */
        METRIC_MEM_EXHAUSTION, /* time until MemAvailable reaches 0 */
        METRIC_PROC_GROWTH,    /* kB per hour */
        METRIC_UNIT_GROWTH,
        METRIC_PROC_BUDGET_ETA, /* time until the rule's budget is reached */
        METRIC_UNIT_BUDGET_ETA,
        _METRIC_MAX,
} Metric;

typedef enum MetricKind {
        METRIC_KIND_SIZE,    /* kB, or a percentage of MemTotal */
        METRIC_KIND_PERCENT, /* PSI: percent of time, 0..100 */
        METRIC_KIND_RATE,    /* kB per hour ("50M/h") */
        METRIC_KIND_TIME,    /* microseconds ("15m"); an ETA */
} MetricKind;

/* How fast a system metric's value may move toward a threshold, which
 * bounds how long the fast tier may sleep (schedule.h). */
typedef enum MetricPace {
        METRIC_PACE_NONE,   /* not a fast-tier value: bounds no sleep */
        METRIC_PACE_MEMORY, /* moves at most as fast as memory is allocated */
        METRIC_PACE_SWAP,   /* at most as fast as the kernel swaps */
        METRIC_PACE_ANY,    /* any moment (PSI, whose kernel trigger wakes
                             * memguard): bounds the sleep only once it holds */
} MetricPace;

typedef enum RuleScope {
        SCOPE_SYSTEM,  /* no unit=/user-unit=/process=/cmdline= */
        SCOPE_PROCESS, /* process= and/or cmdline= */
        SCOPE_UNIT,    /* unit= or user-unit= */
} RuleScope;

typedef struct MetricInfo {
        const char *name; /* in the config */
        MetricKind kind;
        RuleScope scope;
        bool history;      /* needs a growth history */
        const char *label; /* in sentences; NULL: the name */
        const char *suffix;
        MetricPace pace;   /* a system value's, for the scheduler */
        const char *verb;  /* a target size's: "uses", "has"; NULL: "has" */
        bool pss;          /* a process metric read from PSS */
        bool budget;       /* a target size a budget may be set on */
} MetricInfo;

/* The table behind the functions below (metric.c). Read it through them:
 * the four a fast tick asks several times each are inline. */
extern const MetricInfo metric_table[_METRIC_MAX];

/* The config's name: "mem.available"; "?" out of range. */
const char *metric_to_string(Metric m);
/* The metric named S (case-insensitive); -1 if none. */
int metric_from_string(const char *s);
static inline MetricKind metric_kind(Metric m)
{
        return (unsigned)m < _METRIC_MAX ? metric_table[m].kind : METRIC_KIND_SIZE;
}
/* The scope a metric belongs to: SCOPE_SYSTEM metrics may appear in any
 * rule; proc.* only in process rules; unit.* only in unit rules. */
static inline RuleScope metric_scope(Metric m)
{
        return (unsigned)m < _METRIC_MAX ? metric_table[m].scope : SCOPE_SYSTEM;
}
/* True for the metrics that need a growth history (growth.h): growth,
 * budget ETA and memory exhaustion. */
static inline bool metric_needs_history(Metric m)
{
        return (unsigned)m < _METRIC_MAX && metric_table[m].history;
}
/* In the operator's sentences: "available memory", "growth"; the config
 * name where that reads best ("proc.pss"). */
const char *metric_label(Metric m);
/* What a process/unit size reads as after its value: "" ("412 MiB"),
 * " resident", " in swap". */
const char *metric_suffix(Metric m);
/* The verb of a target's size in a sentence: "uses" (api.service uses
 * 412 MiB), "has" (node has 80 MiB in swap). */
const char *metric_verb(Metric m);
/* True for a process metric that needs PSS (smaps_rollup) to be read. */
bool metric_needs_pss(Metric m);
/* True for a target's size that a budget may be set on ("unit.memory >
 * 400M"): budget-eta and the leak sentences measure against it. */
bool metric_is_budget(Metric m);
static inline MetricPace metric_pace(Metric m)
{
        return (unsigned)m < _METRIC_MAX ? metric_table[m].pace : METRIC_PACE_NONE;
}

#endif
