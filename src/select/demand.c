/* demand.c — what the rules need sampled; see demand.h. */
#include "select/demand.h"

#include "select/match.h"

static bool rule_needs_pss(const Rule *r)
{
        for (size_t i = 0; i < r->n_conds; i++)
                if (metric_needs_pss(r->conds[i].metric))
                        return true;
        return false;
}

bool demand_pss(const Config *config, const ProcSample *p, const UnitSample *unit,
                bool unit_memory_from_pss)
{
        if (!config || !p || p->kthread)
                return false;
        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *r = &config->rules[i];

                if (r->scope == SCOPE_PROCESS && rule_needs_pss(r) && p->pid > 1 &&
                    match_process(r, p))
                        return true;
                /* Without cgroup v2 a unit's memory is its processes' PSS
                 * where a unit.memory rule needs it. Growth series of units
                 * make do with RSS: smaps_rollup of every process every few
                 * seconds would cost more than the trend is worth. */
                if (r->scope == SCOPE_UNIT && unit_memory_from_pss && unit &&
                    match_unit(r, unit) && rule_uses(r, METRIC_UNIT_MEMORY))
                        return true;
        }
        return false;
}

bool demand_unit(const Config *config, const UnitSample *u)
{
        for (size_t i = 0; i < config->n_rules; i++) {
                const Rule *r = &config->rules[i];
                if (r->scope == SCOPE_UNIT ? match_unit(r, u)
                                           : r->scope == SCOPE_SYSTEM && rule_tracks_growth(r))
                        return true;
        }
        return false;
}

bool demand_all_pss(const Config *config)
{
        for (size_t i = 0; i < config->n_rules; i++)
                if (config->rules[i].scope == SCOPE_SYSTEM && config->rules[i].action != ACTION_WARN &&
                    config->rules[i].target == TARGET_PSS)
                        return true;
        return false;
}

bool demand_bus(const Config *config)
{
        for (size_t i = 0; i < config->n_rules; i++)
                if (config->rules[i].action == ACTION_RESTART)
                        return true;
        return false;
}
