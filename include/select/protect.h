/* protect.h — what may never be acted on, judged from facts a process
 * cannot set for itself (memguard.conf(5), PROTECTION; DESIGN §5a).
 *
 * Any program can rename itself (prctl(PR_SET_NAME)), so a process's comm
 * alone never protects it. What it cannot change:
 *  - its unit: only root (or a unit's delegate, inside that unit) moves a
 *    process between cgroups, so a `protect = ssh.service` entry covers
 *    every process in the system's ssh.service and the unit itself;
 *  - its executable: /proc/PID/exe names the file it runs, and a file owned
 *    by root and writable only by root is one no user made. A name entry
 *    (`protect = sshd`) holds only when the comm matches it AND the
 *    executable's file name matches it AND that file is such a root file;
 *    a path entry (`protect = /usr/sbin/sshd`) when the executable's path
 *    matches and the file is such a root file;
 *  - its owner: any user may run /usr/sbin/sshd (with LD_PRELOAD, say) and
 *    make it allocate, so name and path entries hold only for processes of
 *    root and of system accounts (real uid below PROTECT_LOGIN_UID_MIN,
 *    Debian's UID_MIN), which no login user can become.
 * The executable is read by the sampler (a readlink and a stat of
 * /proc/PID/exe) only where it decides something: for processes whose comm
 * matches a name entry, for every process when there is a path entry, and
 * for the processes of users' managers (user@UID.service). It is read
 * afresh on every walk, never carried over: an exec that keeps the comm
 * would otherwise keep the old verdict.
 *
 * Beside the config's entries, the hard limits that do not depend on it
 * (PID 1, kernel threads, memguard and its unit, init.scope, a user's
 * service manager; for system rules oom_score_adj -1000) are judged here
 * too (shield_*()): the one place that decides who may be acted on, which
 * the rule engine and `memguard --list-protected` both ask. */
#ifndef MEMGUARD_PROTECT_H
#define MEMGUARD_PROTECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "read/snapshot.h"

/* True if judging the protection of a process with comm COMM in unit U
 * (NULL: none) needs its executable (see above). */
bool protect_needs_exe(const Config *c, const char *comm, const UnitSample *u);

/* The first uid of login users (login.defs UID_MIN on Debian): below it,
 * root and the system accounts that services run as. */
#define PROTECT_LOGIN_UID_MIN 1000

/* The name or path entry of C that protects a process of real uid UID with
 * comm COMM whose executable is EXE (the path /proc/PID/exe resolves to,
 * without the " (deleted)" of a replaced file), owned by root and writable
 * only by root when ROOT_OWNED; NULL if none does (always for a login
 * user's process). */
const Protect *protect_by_exe(const Config *c, const char *comm, const char *exe,
                              bool root_owned, uid_t uid);

/* True if a process of parent PPID running EXE (ROOT_OWNED as above) in
 * unit U is a user's service manager: U is the system unit
 * user@UID.service, EXE a root-owned file named "systemd", and its parent
 * PID 1, which started it. A user may move their own processes into
 * user@UID.service's cgroups and run the systemd binary there, so neither
 * the unit nor the file alone protects a process; but a process the user
 * started there has systemd --user (a subreaper) or another of theirs for
 * parent, never PID 1, and one orphaned elsewhere (reparented to PID 1)
 * cannot be moved in: its cgroup's and user@UID.service's common parent is
 * root's. */
bool protect_user_manager(const UnitSample *u, const char *exe, bool root_owned, pid_t ppid);

/* The unit entry of C that protects unit U, or NULL: one that names U, a
 * unit of the system manager, or for a unit of another manager (a user's,
 * a container's) the system unit that manager runs in (U's owner): an
 * entry covers every process in its unit's cgroup. A user's unit of the
 * same name as a protected system unit is not protected by it. */
const Protect *protect_unit(const Config *c, const UnitSample *u);

/* "sshd" for a name, "/usr/sbin/sshd" for a path, "ssh.service" for a
 * unit: how the journal quotes the entry that protected something. */
static inline const char *protect_glob(const Protect *p)
{
        return p ? p->glob : "";
}

/* What judging a target needs: the config, the snapshot it is in, and
 * memguard's own unit in that snapshot (snapshot_self_unit(); NULL when
 * not known, as between walks). */
typedef struct Shield {
        const Config *config;
        const Snapshot *snap;
        const UnitSample *self_unit;
} Shield;

/* Fills SH for CONFIG and SNAP. */
void shield_init(Shield *sh, const Config *config, const Snapshot *snap);

/* Why process P may never be a candidate, or NULL: PID 1, kernel threads,
 * memguard, what the operator protects (by unit, or by a name or path
 * verified against the executable; *RET_ENTRY the entry), a user's
 * service manager; with SYSTEM_RULE also the kernel's "never kill"
 * oom_score_adj. Short words ("PID 1", "unit", "executable"):
 * shield_proc_why() says it in full. */
const char *shield_proc(const Shield *sh, const ProcSample *p, bool system_rule,
                        const Protect **ret_entry);

/* True if P may never be a candidate (shield_proc()). */
bool shield_proc_protected(const Shield *sh, const ProcSample *p, bool system_rule);

/* Units no rule ever acts on as a whole (restart, or a unit rule's
 * term/kill): init.scope, memguard's own, a user's service manager
 * (user@UID.service: restarting it ends the user's every unit and
 * session), one protected by a unit entry, and one that holds a protected
 * process (a restart would take it down too). Writes why into WHY ("it
 * holds PID 1") and returns true. */
bool shield_unit(const Shield *sh, const UnitSample *u, char *why, size_t why_size);

/* Units that are never a target of any rule, not even for a warning:
 * init.scope, memguard's own, a user's service manager. */
bool shield_unit_hidden(const Shield *sh, const UnitSample *u);

/* True if the process (PID, START_TIME) of SNAPSHOT may not be acted on
 * under CONFIG (by a system rule when SYSTEM_RULE: oom_score_adj -1000
 * counts too); false when it is not in SNAPSHOT. */
bool shield_process(const Config *config, const Snapshot *snapshot, pid_t pid,
                    uint64_t start_time, bool system_rule);

/* Why process P of SNAPSHOT may not be acted on under CONFIG ("PID 1",
 * "protect = ssh.service (unit)", "a user's service manager",
 * "oom_score_adj -1000 (system rules)" when SYSTEM_RULE): written into BUF
 * (SIZE bytes), which is returned; NULL when P may be acted on. The same
 * judgement the engine makes (memguard --list-protected shows it). */
const char *shield_proc_why(const Config *config, const Snapshot *snapshot, const ProcSample *p,
                            bool system_rule, char *buf, size_t size);

#endif
