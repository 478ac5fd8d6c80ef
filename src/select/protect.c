/* protect.c — see protect.h. */
#include "select/protect.h"

#include <fnmatch.h>
#include <string.h>

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
