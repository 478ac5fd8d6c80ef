/* before.h — the command of a rule's `before = exec COMMAND ARGS...`
 * (memguard.conf(5)): split into arguments when the config is read,
 * expanded for one process when the step runs. No shell: the arguments
 * are the words of the line, split on blanks, and each expands to exactly
 * one argument of the command, whatever the values hold.
 *
 * Substitutions, anywhere in an argument after the command's path
 * ("pid=%p" is one argument "pid=812"):
 *   %p  the pid of the target process
 *   %u  its unit ("api.service"; "" when it is in none)
 *   %c  its comm ("node")
 *   %%  a percent sign
 * Any other '%' is an error in the config. The command's path is fixed:
 * absolute, and without substitutions.
 *
 * The comm is whatever the process named itself (prctl(PR_SET_NAME)),
 * and a unit name a cgroup directory that a delegated user may create:
 * a value of %c or %u that starts with '-' (it would read as an option)
 * or holds a '/' (it would change a path) makes the expansion fail, and
 * the command is not run. */
#ifndef MEMGUARD_CONFIG_BEFORE_H
#define MEMGUARD_CONFIG_BEFORE_H

#include <stddef.h>
#include <sys/types.h>

/* At most this many words, the command's path included. */
#define BEFORE_MAX_ARGS 32

/* Splits LINE (what follows "exec") into a NULL-terminated argv (malloc'd,
 * as its strings; free with before_argv_free()). Returns 0, -ENOMEM, or
 * -EINVAL with *RET_PROBLEM set to a static sentence for the config's
 * diagnostic ("the command must be an absolute path", ...). */
int before_exec_split(const char *line, char ***ret_argv, const char **ret_problem);

void before_argv_free(char **argv);

typedef struct BeforeVars {
        pid_t pid;
        const char *unit; /* NULL or "": none */
        const char *comm;
} BeforeVars;

/* Expands the substitutions of TMPL (one argument) with V into OUT (SIZE
 * bytes, NUL-terminated). Returns the length, -ENAMETOOLONG when it does
 * not fit, -EINVAL for a '%' not followed by p, u, c or % (the config
 * refuses those), and -EPERM when a %c or %u value starts with '-' or
 * holds a '/' (see above). Pure: no allocation. */
int before_expand_arg(const char *tmpl, const BeforeVars *v, char *out, size_t size);

/* True if TMPL holds only valid substitutions. */
int before_arg_valid(const char *tmpl);

#endif
