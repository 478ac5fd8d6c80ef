/* match.c — a rule's selectors against a process or unit; see match.h. */
#include "select/match.h"

#include <fnmatch.h>

static bool glob_match(const char *glob, const char *s)
{
        return glob && fnmatch(glob, s ? s : "", 0) == 0;
}

bool match_process(const Rule *r, const ProcSample *p)
{
        if (!r || !p || (!r->comm_glob && !r->cmdline_glob))
                return false;
        if (r->comm_glob && !glob_match(r->comm_glob, p->comm))
                return false;
        if (r->cmdline_glob && !glob_match(r->cmdline_glob, p->cmdline))
                return false;
        return true;
}

bool match_unit(const Rule *r, const UnitSample *u)
{
        if (!r || !u || r->scope != SCOPE_UNIT || !glob_match(r->unit_glob, u->name))
                return false;
        /* unit = names the system manager's units, user-unit = those of
         * users' managers; another manager's (a container's) neither. */
        return r->user_unit ? unit_owner_is_user(u->owner, NULL) : unit_is_system(u);
}

bool rule_uses(const Rule *r, Metric m)
{
        for (size_t i = 0; i < r->n_conds; i++)
                if (r->conds[i].metric == m)
                        return true;
        return false;
}
