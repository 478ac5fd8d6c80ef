/* state.c — what the engine remembers between evaluations (RulesState):
 * one slot per rule, carried across a reload by rule name, and the sorted
 * entries of (rule, target) pairs whose condition holds. */
#include "rules/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int key_cmp(const TargetKey *k, const TargetEntry *e)
{
        if (k->rule != e->rule)
                return k->rule < e->rule ? -1 : 1;
        if (k->pid != e->pid)
                return k->pid < e->pid ? -1 : 1;
        if (k->start_time != e->start_time)
                return k->start_time < e->start_time ? -1 : 1;
        return strcmp(k->cgroup, e->cgroup);
}

static int entry_cmp(const void *a, const void *b)
{
        const TargetEntry *ea = a, *eb = b;
        TargetKey k = { ea->rule, ea->pid, ea->start_time, ea->cgroup };
        return key_cmp(&k, eb);
}

/* Index of the first entry >= K. */
static size_t entry_lower_bound(const RulesState *st, const TargetKey *k)
{
        size_t lo = 0, hi = st->n_entries;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (key_cmp(k, &st->entries[mid]) > 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

TargetEntry *entry_find(RulesState *st, const TargetKey *k)
{
        size_t i = entry_lower_bound(st, k);
        return i < st->n_entries && key_cmp(k, &st->entries[i]) == 0 ? &st->entries[i] : NULL;
}

TargetEntry *entry_insert(RulesState *st, const TargetKey *k, uint64_t now)
{
        size_t i = entry_lower_bound(st, k);
        TargetEntry *e;

        if (st->n_entries == st->cap_entries) {
                size_t cap = st->cap_entries ? st->cap_entries * 2 : 16;
                TargetEntry *n = realloc(st->entries, cap * sizeof(*n));
                if (!n)
                        return NULL;
                st->entries = n;
                st->cap_entries = cap;
        }
        memmove(&st->entries[i + 1], &st->entries[i], (st->n_entries - i) * sizeof(*e));
        st->n_entries++;
        e = &st->entries[i];
        memset(e, 0, sizeof(*e));
        e->rule = k->rule;
        e->pid = k->pid;
        e->start_time = k->start_time;
        snprintf(e->cgroup, sizeof(e->cgroup), "%s", k->cgroup);
        e->since_usec = now;
        return e;
}

/* Keeps the entries touched in this evaluation (seen_gen == gen): the
 * others' targets vanished, stopped matching, or recovered. */
void entries_sweep(RulesState *st)
{
        size_t j = 0;

        for (size_t i = 0; i < st->n_entries; i++) {
                if (st->entries[i].seen_gen != st->gen)
                        continue;
                if (j != i)
                        st->entries[j] = st->entries[i];
                j++;
        }
        st->n_entries = j;
        /* Give back memory after a burst of matches (bounded high-water). */
        if (st->cap_entries > 64 && st->n_entries < st->cap_entries / 4) {
                size_t cap = st->cap_entries / 2;
                TargetEntry *n = realloc(st->entries, cap * sizeof(*n));
                if (n) {
                        st->entries = n;
                        st->cap_entries = cap;
                }
        }
}

RulesState *rules_state_new(void)
{
        return calloc(1, sizeof(RulesState));
}

static void slots_free(RuleSlot *slots, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(slots[i].name);
        free(slots);
}

void rules_state_free(RulesState *st)
{
        if (!st)
                return;
        slots_free(st->slots, st->n_slots);
        free(st->entries);
        free(st->cooldowns);
        free(st);
}

size_t rules_state_size(const RulesState *st)
{
        size_t n = 0;

        if (!st)
                return 0;
        for (size_t i = 0; i < st->n_slots; i++)
                if (st->slots[i].active || st->slots[i].fired)
                        n++;
        return n + st->n_entries + st->n_cooldowns;
}

bool state_matches(const RulesState *st, const Config *c)
{
        if (!st->bound || st->n_slots != c->n_rules)
                return false;
        if (c->generation && st->matched_generation == c->generation)
                return true;
        for (size_t i = 0; i < c->n_rules; i++)
                if (st->slots[i].scope != c->rules[i].scope ||
                    strcmp(st->slots[i].name, c->rules[i].name) != 0)
                        return false;
        return true;
}

/* Binds ST to C: one slot per rule of C, episodes carried over by rule name
 * (and scope). Cooldowns belong to targets, not rules, and are kept.
 * Returns 0 or -ENOMEM (ST unchanged). */
int state_bind(RulesState *st, const Config *c)
{
        RuleSlot *slots;
        size_t j = 0;

        if (state_matches(st, c)) {
                st->matched_generation = c->generation;
                return 0;
        }
        slots = calloc(c->n_rules ? c->n_rules : 1, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_rules; i++) {
                slots[i].name = strdup(c->rules[i].name ? c->rules[i].name : "");
                if (!slots[i].name) {
                        slots_free(slots, i);
                        return -ENOMEM;
                }
                slots[i].scope = c->rules[i].scope;
        }
        for (size_t o = 0; o < st->n_slots; o++) {
                RuleSlot *old = &st->slots[o];

                old->remap = SIZE_MAX;
                for (size_t i = 0; i < c->n_rules; i++) {
                        if (slots[i].scope != old->scope || strcmp(slots[i].name, old->name) != 0)
                                continue;
                        slots[i].active = old->active;
                        slots[i].fired = old->fired;
                        slots[i].no_victim = old->no_victim;
                        slots[i].noted_stuck = old->noted_stuck;
                        slots[i].vouched = old->vouched;
                        slots[i].since_usec = old->since_usec;
                        slots[i].fires = old->fires;
                        slots[i].fired_usec = old->fired_usec;
                        old->remap = i;
                        break;
                }
        }
        for (size_t i = 0; i < st->n_entries; i++) {
                TargetEntry *e = &st->entries[i];
                size_t to = e->rule < st->n_slots ? st->slots[e->rule].remap : SIZE_MAX;

                if (to == SIZE_MAX)
                        continue;
                e->rule = to;
                if (j != i)
                        st->entries[j] = *e;
                j++;
        }
        st->n_entries = j;
        if (j > 1)
                qsort(st->entries, j, sizeof(*st->entries), entry_cmp);
        slots_free(st->slots, st->n_slots);
        st->slots = slots;
        st->n_slots = c->n_rules;
        st->bound = true;
        st->matched_generation = c->generation;
        return 0;
}

void rules_state_rebind(RulesState *st, const Config *new_config)
{
        if (!st || !new_config)
                return;
        if (state_bind(st, new_config) < 0) {
                /* Out of memory: forget every episode rather than keep names
                 * that no longer match; rules_evaluate() binds again. */
                slots_free(st->slots, st->n_slots);
                st->slots = NULL;
                st->n_slots = 0;
                st->n_entries = 0;
                st->bound = false;
                st->matched_generation = 0;
        }
}
