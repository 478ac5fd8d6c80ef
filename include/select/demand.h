/* demand.h — what the rules need sampled: the questions the sampler and
 * the manager ask of the config before they read a file, answered without
 * the rule engine (which runs after the sample). */
#ifndef MEMGUARD_DEMAND_H
#define MEMGUARD_DEMAND_H

#include <stdbool.h>

#include "config/config.h"
#include "read/snapshot.h"

/* True if any rule needs PSS (smaps_rollup) for process P (comm and
 * cmdline filled in) that sits in UNIT (NULL if none): a process rule
 * matching P that uses proc.pss or proc.swap (or tracks its growth), or a
 * unit rule matching UNIT that uses unit.memory when UNIT_MEMORY_FROM_PSS
 * (no cgroup v2 memory controller). System rules with target = pss are
 * not counted: the caller samples PSS for every process when such a rule
 * is about to fire (rules_evaluate()'s RET_NEED_FULL); until then the
 * engine ranks by RSS. The sampler uses this to read smaps_rollup only
 * where it matters (it costs ~3x status, DESIGN §6). */
bool demand_pss(const Config *config, const ProcSample *p, const UnitSample *unit,
                bool unit_memory_from_pss);

/* True if some rule of CONFIG looks at the memory of unit UNIT: a unit
 * rule that matches it, or a system rule that tracks growth (which ranks
 * every unit: target = fastest-growing). The unit tier reads only these
 * (sampler_units()). */
bool demand_unit(const Config *config, const UnitSample *unit);

/* True if a system rule that acts ranks its victims by PSS (target =
 * pss): when it is about to fire, the walk reads every process's PSS. */
bool demand_all_pss(const Config *config);

/* True if some rule restarts units: the system bus is connected ahead. */
bool demand_bus(const Config *config);

#endif
