/* protect.c — see protect.h. */
#include "select/protect.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

/* The kernel's OOM_SCORE_ADJ_MIN: "never OOM-kill this", which memguard
 * honours for its own system-wide victim choice. */
#define OOM_ADJ_NEVER (-1000)

/* The kernel keeps TASK_COMM_LEN - 1 = 15 characters of a name. */
#define COMM_CHARS 15

static bool glob_match(const char *glob, const char *s)
{
        return glob && s && fnmatch(glob, s, 0) == 0;
}

bool protect_needs_exe(const Config *c, const char *comm, const UnitSample *u)
{
        if (u && unit_is_system(u) && unit_owner_is_user(u->name, NULL))
                return true;
        if (!c)
                return false;
        for (size_t i = 0; i < c->n_protect; i++) {
                const Protect *e = &c->protect[i];
                if (e->kind == PROTECT_EXE || (e->kind == PROTECT_NAME && glob_match(e->glob, comm)))
                        return true;
        }
        return false;
}

/* The executable's file name matches GLOB: whole, or cut to 15 characters
 * as the kernel cuts the comm it derives from it (a literal name entry is
 * cut so too: "systemd-journald" is stored as "systemd-journal"). */
static bool file_name_matches(const char *glob, const char *exe)
{
        const char *slash = strrchr(exe, '/');
        const char *base = slash ? slash + 1 : exe;
        char cut[COMM_CHARS + 1];

        if (glob_match(glob, base))
                return true;
        if (strlen(base) <= COMM_CHARS)
                return false;
        memcpy(cut, base, COMM_CHARS);
        cut[COMM_CHARS] = '\0';
        return glob_match(glob, cut);
}

const Protect *protect_by_exe(const Config *c, const char *comm, const char *exe,
                              bool root_owned, uid_t uid)
{
        if (!c || !exe || exe[0] != '/' || uid >= PROTECT_LOGIN_UID_MIN)
                return NULL;
        for (size_t i = 0; i < c->n_protect; i++) {
                const Protect *e = &c->protect[i];
                /* a path names the file only when the file is root's: not
                 * one bind-mounted there in a namespace of one's own */
                if (e->kind == PROTECT_EXE && root_owned && glob_match(e->glob, exe))
                        return e;
                /* A user can name a process anything, and can name a file
                 * anything too, but cannot make a file owned by root. */
                if (e->kind == PROTECT_NAME && root_owned && glob_match(e->glob, comm) &&
                    file_name_matches(e->glob, exe))
                        return e;
        }
        return NULL;
}

bool protect_user_manager(const UnitSample *u, const char *exe, bool root_owned, pid_t ppid)
{
        if (!u || !unit_is_system(u) || !unit_owner_is_user(u->name, NULL) || !exe || !root_owned ||
            ppid != 1)
                return false;
        const char *slash = strrchr(exe, '/');
        return slash && strcmp(slash + 1, "systemd") == 0;
}

const Protect *protect_unit(const Config *c, const UnitSample *u)
{
        /* a unit of another manager is inside the system unit its owner
         * names: a protected container unit protects what runs in it */
        const char *name = u && !unit_is_system(u) ? u->owner : u ? u->name : NULL;
        if (!c || !name)
                return NULL;
        for (size_t i = 0; i < c->n_protect; i++)
                if (c->protect[i].kind == PROTECT_UNIT && glob_match(c->protect[i].glob, name))
                        return &c->protect[i];
        return NULL;
}

/* ---- the hard limits and the entries, for the rule engine ------------- */

void shield_init(Shield *sh, const Config *config, const Snapshot *snap)
{
        *sh = (Shield){ config, snap, snapshot_self_unit(snap) };
}

static bool is_user_manager_unit(const UnitSample *u)
{
        return unit_is_system(u) && unit_owner_is_user(u->name, NULL);
}

/* Why every process of unit U is shielded, whatever a rule says, or NULL:
 * init.scope holds PID 1; memguard's own unit would take memguard down
 * with it; an operator's unit entry (*RET_ENTRY). (user@UID.service is not
 * among them: its user may move processes into it, so there only the
 * manager itself is shielded, ProcSample.user_manager.) */
static const char *unit_shield(const Shield *sh, const UnitSample *u, const Protect **ret_entry)
{
        if (unit_is_system(u) && strcmp(u->name, "init.scope") == 0)
                return "in init.scope";
        if (u == sh->self_unit)
                return "in memguard's own unit";
        if ((*ret_entry = protect_unit(sh->config, u)))
                return "unit";
        return NULL;
}

const char *shield_proc(const Shield *sh, const ProcSample *p, bool system_rule,
                        const Protect **ret_entry)
{
        const UnitSample *u = snapshot_proc_unit(sh->snap, p);
        const char *why;

        *ret_entry = NULL;
        if (p->pid <= 1)
                return "PID 1";
        if (p->kthread)
                return "a kernel thread";
        if (p->pid == sh->snap->self_pid)
                return "memguard itself";
        /* the unit first: it is the stronger of the two to name */
        if (u && (why = unit_shield(sh, u, ret_entry)))
                return why;
        if (p->protected_by > 0 && p->protected_by <= sh->config->n_protect) {
                *ret_entry = &sh->config->protect[p->protected_by - 1];
                return (*ret_entry)->kind == PROTECT_EXE ? "executable" : "name";
        }
        /* judged under another config (cannot happen: a reload walks) */
        if (p->protected_by > 0)
                return "protected under the previous configuration";
        if (p->user_manager)
                return "a user's service manager";
        if (system_rule && p->oom_score_adj == OOM_ADJ_NEVER)
                return "oom_score_adj -1000 (system rules)";
        return NULL;
}

bool shield_proc_protected(const Shield *sh, const ProcSample *p, bool system_rule)
{
        const Protect *e;
        return shield_proc(sh, p, system_rule, &e) != NULL;
}

bool shield_unit(const Shield *sh, const UnitSample *u, char *why, size_t why_size)
{
        const Protect *e = NULL;

        if (unit_is_system(u) && strcmp(u->name, "init.scope") == 0) {
                snprintf(why, why_size, "it holds PID 1");
                return true;
        }
        if (u == sh->self_unit) {
                snprintf(why, why_size, "memguard runs in it");
                return true;
        }
        if (is_user_manager_unit(u)) {
                snprintf(why, why_size, "it is a user's service manager");
                return true;
        }
        if ((e = protect_unit(sh->config, u))) {
                snprintf(why, why_size, "it is protected (protect = %s)", e->glob);
                return true;
        }
        /* its processes: those in it, and for a system unit those its own
         * delegated manager runs (a container's units) */
        for (size_t i = 0; i < sh->snap->n_procs; i++) {
                const ProcSample *p = &sh->snap->procs[i];
                const UnitSample *pu = snapshot_proc_unit(sh->snap, p);
                bool in_u = pu == u || (pu && unit_is_system(u) && !unit_is_system(pu) &&
                                        strcmp(pu->owner, u->name) == 0);
                if (in_u && shield_proc_protected(sh, p, false)) {
                        snprintf(why, why_size, "it holds the protected process %s (pid %d)",
                                 p->comm, (int)p->pid);
                        return true;
                }
        }
        return false;
}

bool shield_unit_hidden(const Shield *sh, const UnitSample *u)
{
        return (unit_is_system(u) && strcmp(u->name, "init.scope") == 0) || u == sh->self_unit ||
               is_user_manager_unit(u);
}

bool shield_process(const Config *config, const Snapshot *snapshot, pid_t pid,
                    uint64_t start_time, bool system_rule)
{
        const ProcSample *p = snapshot_find_proc(snapshot, pid, start_time);
        Shield sh;

        if (!p)
                return false;
        shield_init(&sh, config, snapshot);
        return shield_proc_protected(&sh, p, system_rule);
}

const char *shield_proc_why(const Config *config, const Snapshot *snapshot, const ProcSample *p,
                            bool system_rule, char *buf, size_t size)
{
        const Protect *e;
        const char *why;
        Shield sh;

        shield_init(&sh, config, snapshot);
        why = shield_proc(&sh, p, system_rule, &e);
        if (!why)
                return NULL;
        if (e)
                snprintf(buf, size, "protect = %s (%s)", e->glob,
                         e->kind == PROTECT_UNIT   ? "unit"
                         : e->kind == PROTECT_EXE ? "executable"
                                                  : "name, checked against the executable");
        else
                snprintf(buf, size, "%s", why);
        return buf;
}
