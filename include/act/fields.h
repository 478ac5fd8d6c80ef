/* fields.h — the contract between a decision and its journal entry: which
 * MEMGUARD_* fields an entry about a Decision carries (DESIGN §4). Used by
 * the dispatcher (actions.c) and by each action kind, which log their own
 * entries as they go; it is here, not in actions.h, so that the kinds need
 * not know the dispatcher that knows them. */
#ifndef MEMGUARD_FIELDS_H
#define MEMGUARD_FIELDS_H

#include <stdbool.h>

#include "read/snapshot.h"
#include "rules/rules.h"
#include "util/log.h"

/* Fills the journal fields of an entry about D (rule, action, target,
 * system figures from SNAP). The strings point into D and SNAP. */
void fields_of_decision(const Decision *d, const Snapshot *snap, bool dry_run, LogFields *ret);

#endif
