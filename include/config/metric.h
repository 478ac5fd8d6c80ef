/* metric.h — the metrics a rule's `when` may test: their names in the
 * config, what kind of value each is, the scope it belongs to, whether it
 * needs a growth history, and how the operator's sentences name it. One
 * table (metric.c) that config, rules, history and schedule all read;
 * adding a metric means a line there and its evaluation in
 * src/rules/measure.c (metric_value()). */
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

typedef enum RuleScope {
        SCOPE_SYSTEM,  /* no unit=/user-unit=/process=/cmdline= */
        SCOPE_PROCESS, /* process= and/or cmdline= */
        SCOPE_UNIT,    /* unit= or user-unit= */
} RuleScope;

/* The config's name: "mem.available"; "?" out of range. */
const char *metric_to_string(Metric m);
/* The metric named S (case-insensitive); -1 if none. */
int metric_from_string(const char *s);
MetricKind metric_kind(Metric m);
/* The scope a metric belongs to: SCOPE_SYSTEM metrics may appear in any
 * rule; proc.* only in process rules; unit.* only in unit rules. */
RuleScope metric_scope(Metric m);
/* True for the metrics that need a growth history (growth.h): growth,
 * budget ETA and memory exhaustion. */
bool metric_needs_history(Metric m);
/* In the operator's sentences: "available memory", "growth"; the config
 * name where that reads best ("proc.pss"). */
const char *metric_label(Metric m);
/* What a process/unit size reads as after its value: "" ("412 MiB"),
 * " resident", " in swap". */
const char *metric_suffix(Metric m);

#endif
