/* metric.c — the metric table (metric.h). */
#include "config/metric.h"

#include <stddef.h>
#include <strings.h>

/* Fields left out are false, NULL or METRIC_PACE_NONE: a label NULL reads
 * as the name, a suffix NULL as "", a verb NULL as "has". */
const MetricInfo metric_table[_METRIC_MAX] = {
        [METRIC_MEM_AVAILABLE] = {
                .name = "mem.available", .kind = METRIC_KIND_SIZE, .scope = SCOPE_SYSTEM,
                .label = "available memory", .pace = METRIC_PACE_MEMORY,
        },
        [METRIC_MEM_USED] = {
                .name = "mem.used", .kind = METRIC_KIND_SIZE, .scope = SCOPE_SYSTEM,
                .label = "used memory", .pace = METRIC_PACE_MEMORY,
        },
        [METRIC_SWAP_FREE] = {
                .name = "swap.free", .kind = METRIC_KIND_SIZE, .scope = SCOPE_SYSTEM,
                .label = "free swap", .pace = METRIC_PACE_SWAP,
        },
        [METRIC_SWAP_USED] = {
                .name = "swap.used", .kind = METRIC_KIND_SIZE, .scope = SCOPE_SYSTEM,
                .label = "used swap", .pace = METRIC_PACE_SWAP,
        },
        [METRIC_PSI_SOME_AVG10] = {
                .name = "psi.some.avg10", .kind = METRIC_KIND_PERCENT, .scope = SCOPE_SYSTEM,
                .label = "memory pressure (some avg10)", .pace = METRIC_PACE_ANY,
        },
        [METRIC_PSI_SOME_AVG60] = {
                .name = "psi.some.avg60", .kind = METRIC_KIND_PERCENT, .scope = SCOPE_SYSTEM,
                .label = "memory pressure (some avg60)", .pace = METRIC_PACE_ANY,
        },
        [METRIC_PSI_SOME_AVG300] = {
                .name = "psi.some.avg300", .kind = METRIC_KIND_PERCENT, .scope = SCOPE_SYSTEM,
                .label = "memory pressure (some avg300)", .pace = METRIC_PACE_ANY,
        },
        [METRIC_PSI_FULL_AVG10] = {
                .name = "psi.full.avg10", .kind = METRIC_KIND_PERCENT, .scope = SCOPE_SYSTEM,
                .label = "memory pressure (full avg10)", .pace = METRIC_PACE_ANY,
        },
        [METRIC_PSI_FULL_AVG60] = {
                .name = "psi.full.avg60", .kind = METRIC_KIND_PERCENT, .scope = SCOPE_SYSTEM,
                .label = "memory pressure (full avg60)", .pace = METRIC_PACE_ANY,
        },
        [METRIC_PSI_FULL_AVG300] = {
                .name = "psi.full.avg300", .kind = METRIC_KIND_PERCENT, .scope = SCOPE_SYSTEM,
                .label = "memory pressure (full avg300)", .pace = METRIC_PACE_ANY,
        },
        [METRIC_PROC_PSS] = {
                .name = "proc.pss", .kind = METRIC_KIND_SIZE, .scope = SCOPE_PROCESS,
                .verb = "uses", .pss = true, .budget = true,
        },
        [METRIC_PROC_RSS] = {
                .name = "proc.rss", .kind = METRIC_KIND_SIZE, .scope = SCOPE_PROCESS,
                .suffix = " resident", .budget = true,
        },
        [METRIC_PROC_SWAP] = {
                .name = "proc.swap", .kind = METRIC_KIND_SIZE, .scope = SCOPE_PROCESS,
                .suffix = " in swap", .pss = true,
        },
        [METRIC_UNIT_MEMORY] = {
                .name = "unit.memory", .kind = METRIC_KIND_SIZE, .scope = SCOPE_UNIT,
                .verb = "uses", .budget = true,
        },
        [METRIC_MEM_EXHAUSTION] = {
                .name = "mem.exhaustion", .kind = METRIC_KIND_TIME, .scope = SCOPE_SYSTEM,
                .label = "time to memory exhaustion", .history = true,
        },
        [METRIC_PROC_GROWTH] = {
                .name = "proc.growth", .kind = METRIC_KIND_RATE, .scope = SCOPE_PROCESS,
                .label = "growth", .history = true, .pss = true,
        },
        [METRIC_UNIT_GROWTH] = {
                .name = "unit.growth", .kind = METRIC_KIND_RATE, .scope = SCOPE_UNIT,
                .label = "growth", .history = true,
        },
        [METRIC_PROC_BUDGET_ETA] = {
                .name = "proc.budget-eta", .kind = METRIC_KIND_TIME, .scope = SCOPE_PROCESS,
                .label = "time to budget", .history = true, .pss = true,
        },
        [METRIC_UNIT_BUDGET_ETA] = {
                .name = "unit.budget-eta", .kind = METRIC_KIND_TIME, .scope = SCOPE_UNIT,
                .label = "time to budget", .history = true,
        },
};

static const MetricInfo *info(Metric m)
{
        return (unsigned)m < _METRIC_MAX ? &metric_table[m] : NULL;
}

const char *metric_to_string(Metric m)
{
        return info(m) ? info(m)->name : "?";
}

int metric_from_string(const char *s)
{
        for (int i = 0; i < _METRIC_MAX; i++)
                if (strcasecmp(metric_table[i].name, s) == 0)
                        return i;
        return -1;
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
        return info(m) && info(m)->suffix ? info(m)->suffix : "";
}

const char *metric_verb(Metric m)
{
        return info(m) && info(m)->verb ? info(m)->verb : "has";
}

bool metric_needs_pss(Metric m)
{
        return info(m) && info(m)->pss;
}

bool metric_is_budget(Metric m)
{
        return info(m) && info(m)->budget;
}
