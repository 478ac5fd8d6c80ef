/* match.h — which processes and units a rule is about: its selectors
 * (comm =, cmdline =, unit =, user-unit =) applied to a sampled target.
 * The sampler, the growth histories and the rule engine all ask here, so a
 * rule matches the same targets everywhere. */
#ifndef MEMGUARD_MATCH_H
#define MEMGUARD_MATCH_H

#include <stdbool.h>

#include "config/config.h"
#include "read/snapshot.h"

/* True if process P matches process rule R (comm glob and cmdline glob,
 * each if set). */
bool match_process(const Rule *r, const ProcSample *p);

/* True if unit rule R matches unit U: its glob matches U's name, and U is
 * the system manager's (unit =) or a user manager's (user-unit =). */
bool match_unit(const Rule *r, const UnitSample *u);

/* True if one of R's conditions reads metric M. */
bool rule_uses(const Rule *r, Metric m);

#endif
