/* view.c — what the engine holds, read for `memguard status` and the
 * metrics (rules.h: rules_view(), rules_cooldowns()). Reads the state,
 * changes nothing. */
#include "rules/engine.h"

#include <stdio.h>
#include <string.h>

/* "node (pid 42)", "api.service": the target of entry E in SNAPSHOT, or
 * its key when SNAPSHOT no longer has it. */
static void entry_label(const TargetEntry *e, const Snapshot *snapshot, char *buf, size_t size)
{
        if (e->pid > 0) {
                const ProcSample *p = snapshot_find_proc(snapshot, e->pid, e->start_time);
                snprintf(buf, size, "%s (pid %d)", p ? p->comm : "?", (int)e->pid);
                return;
        }
        const UnitSample *u = snapshot_find_unit(snapshot, e->cgroup);
        if (u)
                unit_label(u->name, u->owner, buf, size);
        else
                snprintf(buf, size, "%.*s", (int)(size > 0 ? size - 1 : 0), e->cgroup);
}

/* What both views share: RET zeroed, rule I's counts, and a system
 * rule's episode. Returns -1 when ST is not bound to CONFIG, 1 when RET is
 * whole (a system rule), 0 when the targets are still to be looked at. */
static int slot_view(const RulesState *st, const Config *config, size_t i, RuleView *ret)
{
        memset(ret, 0, sizeof *ret);
        if (!st || !config || !state_matches(st, config) || i >= config->n_rules)
                return -1;
        const RuleSlot *slot = &st->slots[i];
        ret->fires = slot->fires;
        ret->fired_usec = slot->fired_usec;
        if (config->rules[i].scope != SCOPE_SYSTEM)
                return 0;
        ret->active = slot->active;
        ret->fired = slot->active && slot->fired;
        ret->since_usec = slot->active ? slot->since_usec : 0;
        return 1;
}

bool rules_view(const RulesState *st, const Config *config, size_t i, const Snapshot *snapshot,
                RuleView *ret)
{
        const TargetEntry *oldest = NULL;
        int r = slot_view(st, config, i, ret);
        if (r != 0)
                return r > 0;
        for (size_t k = 0; k < st->n_entries; k++) {
                const TargetEntry *e = &st->entries[k];
                if (e->rule != i)
                        continue;
                ret->n_targets++;
                ret->n_fired += e->fired;
                /* the one to name: fired before holding, then the oldest */
                if (!oldest || (e->fired && !oldest->fired) ||
                    (e->fired == oldest->fired && e->since_usec < oldest->since_usec))
                        oldest = e;
        }
        if (oldest) {
                ret->active = true;
                ret->fired = ret->n_fired > 0;
                ret->since_usec = oldest->since_usec;
                entry_label(oldest, snapshot, ret->target, sizeof ret->target);
        }
        return true;
}

bool rules_target_view(const RulesState *st, const Config *config, size_t i, pid_t pid,
                       uint64_t start_time, const char *cgroup, RuleView *ret)
{
        int r = slot_view(st, config, i, ret);
        if (r != 0)
                return r > 0;
        for (size_t k = 0; k < st->n_entries; k++) {
                const TargetEntry *e = &st->entries[k];
                bool same = config->rules[i].scope == SCOPE_UNIT
                                    ? cgroup && strcmp(e->cgroup, cgroup) == 0
                                    : pid > 0 && e->pid == pid && e->start_time == start_time;
                if (e->rule == i && same) {
                        ret->active = true;
                        ret->fired = e->fired;
                        ret->since_usec = e->since_usec;
                        ret->n_targets = 1;
                        ret->n_fired = e->fired;
                        break;
                }
        }
        return true;
}

size_t rules_cooldowns(const RulesState *st, uint64_t now_usec, CooldownView *ret, size_t cap)
{
        size_t n = 0;

        for (size_t i = 0; st && i < st->n_cooldowns; i++) {
                const Cooldown *c = &st->cooldowns[i];
                if (now_usec >= c->until_usec)
                        continue;
                if (n < cap)
                        ret[n] = (CooldownView){ c->pid, c->start_time, c->cgroup, c->until_usec,
                                                 c->failed };
                n++;
        }
        return n;
}
