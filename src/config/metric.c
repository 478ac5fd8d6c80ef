/* metric.c — the metric table (metric.h). */
#include "config/metric.h"

#include <stddef.h>
#include <strings.h>

typedef struct MetricInfo {
        const char *name; /* in the config */
        MetricKind kind;
        RuleScope scope;
        bool history;      /* needs a growth history */
        const char *label; /* in sentences; NULL: the name */
        const char *suffix;
} MetricInfo;

static const MetricInfo metrics[_METRIC_MAX] = {
        [METRIC_MEM_AVAILABLE] = {"mem.available", METRIC_KIND_SIZE, SCOPE_SYSTEM, false,
                                  "available memory", ""},
        [METRIC_MEM_USED] = {"mem.used", METRIC_KIND_SIZE, SCOPE_SYSTEM, false, "used memory", ""},
        [METRIC_SWAP_FREE] = {"swap.free", METRIC_KIND_SIZE, SCOPE_SYSTEM, false, "free swap", ""},
        [METRIC_SWAP_USED] = {"swap.used", METRIC_KIND_SIZE, SCOPE_SYSTEM, false, "used swap", ""},
        [METRIC_PSI_SOME_AVG10] = {"psi.some.avg10", METRIC_KIND_PERCENT, SCOPE_SYSTEM, false,
                                   "memory pressure (some avg10)", ""},
        [METRIC_PSI_SOME_AVG60] = {"psi.some.avg60", METRIC_KIND_PERCENT, SCOPE_SYSTEM, false,
                                   "memory pressure (some avg60)", ""},
        [METRIC_PSI_SOME_AVG300] = {"psi.some.avg300", METRIC_KIND_PERCENT, SCOPE_SYSTEM, false,
                                    "memory pressure (some avg300)", ""},
        [METRIC_PSI_FULL_AVG10] = {"psi.full.avg10", METRIC_KIND_PERCENT, SCOPE_SYSTEM, false,
                                   "memory pressure (full avg10)", ""},
        [METRIC_PSI_FULL_AVG60] = {"psi.full.avg60", METRIC_KIND_PERCENT, SCOPE_SYSTEM, false,
                                   "memory pressure (full avg60)", ""},
        [METRIC_PSI_FULL_AVG300] = {"psi.full.avg300", METRIC_KIND_PERCENT, SCOPE_SYSTEM, false,
                                    "memory pressure (full avg300)", ""},
        [METRIC_PROC_PSS] = {"proc.pss", METRIC_KIND_SIZE, SCOPE_PROCESS, false, NULL, ""},
        [METRIC_PROC_RSS] = {"proc.rss", METRIC_KIND_SIZE, SCOPE_PROCESS, false, NULL, " resident"},
        [METRIC_PROC_SWAP] = {"proc.swap", METRIC_KIND_SIZE, SCOPE_PROCESS, false, NULL,
                              " in swap"},
        [METRIC_UNIT_MEMORY] = {"unit.memory", METRIC_KIND_SIZE, SCOPE_UNIT, false, NULL, ""},
        [METRIC_MEM_EXHAUSTION] = {"mem.exhaustion", METRIC_KIND_TIME, SCOPE_SYSTEM, true,
                                   "time to memory exhaustion", ""},
        [METRIC_PROC_GROWTH] = {"proc.growth", METRIC_KIND_RATE, SCOPE_PROCESS, true, "growth", ""},
        [METRIC_UNIT_GROWTH] = {"unit.growth", METRIC_KIND_RATE, SCOPE_UNIT, true, "growth", ""},
        [METRIC_PROC_BUDGET_ETA] = {"proc.budget-eta", METRIC_KIND_TIME, SCOPE_PROCESS, true,
                                    "time to budget", ""},
        [METRIC_UNIT_BUDGET_ETA] = {"unit.budget-eta", METRIC_KIND_TIME, SCOPE_UNIT, true,
                                    "time to budget", ""},
};

static const MetricInfo *info(Metric m)
{
        return (unsigned)m < _METRIC_MAX ? &metrics[m] : NULL;
}

const char *metric_to_string(Metric m)
{
        return info(m) ? info(m)->name : "?";
}

int metric_from_string(const char *s)
{
        for (int i = 0; i < _METRIC_MAX; i++)
                if (strcasecmp(metrics[i].name, s) == 0)
                        return i;
        return -1;
}

MetricKind metric_kind(Metric m)
{
        return info(m) ? info(m)->kind : METRIC_KIND_SIZE;
}

RuleScope metric_scope(Metric m)
{
        return info(m) ? info(m)->scope : SCOPE_SYSTEM;
}

bool metric_needs_history(Metric m)
{
        return info(m) && info(m)->history;
}

const char *metric_label(Metric m)
{
        const MetricInfo *i = info(m);
        if (!i)
                return "?";
        return i->label ? i->label : i->name;
}

const char *metric_suffix(Metric m)
{
        return info(m) ? info(m)->suffix : "";
}
