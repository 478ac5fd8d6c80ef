/* before.c — `before = exec COMMAND ARGS...`: split, checked, expanded;
 * see before.h. */
#include "config/before.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void before_argv_free(char **argv)
{
        if (!argv)
                return;
        for (char **a = argv; *a; a++)
                free(*a);
        free(argv);
}

int before_arg_valid(const char *tmpl)
{
        for (const char *s = tmpl; *s; s++) {
                if (*s != '%')
                        continue;
                s++;
                if (*s != 'p' && *s != 'u' && *s != 'c' && *s != '%')
                        return 0;
        }
        return 1;
}

int before_exec_split(const char *line, char ***ret_argv, const char **ret_problem)
{
        char **argv = calloc(BEFORE_MAX_ARGS + 1, sizeof *argv);
        size_t n = 0;
        const char *s = line;

        if (!argv)
                return -ENOMEM;
        for (;;) {
                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s)
                        break;
                const char *w = s;
                while (*s && *s != ' ' && *s != '\t')
                        s++;
                if (n == BEFORE_MAX_ARGS) {
                        before_argv_free(argv);
                        *ret_problem = "more than 32 words";
                        return -EINVAL;
                }
                argv[n] = strndup(w, (size_t)(s - w));
                if (!argv[n]) {
                        before_argv_free(argv);
                        return -ENOMEM;
                }
                n++;
        }
        const char *problem = NULL;
        if (n == 0)
                problem = "exec needs a command (an absolute path, then its arguments)";
        else if (argv[0][0] != '/')
                problem = "the command must be an absolute path (no shell, no $PATH search)";
        else if (strchr(argv[0], '%'))
                problem = "the command's path takes no substitution (%p, %u, %c go in its arguments)";
        for (size_t i = 1; !problem && i < n; i++)
                if (!before_arg_valid(argv[i]))
                        problem = "unknown substitution: use %p (pid), %u (unit), %c (comm) or %% (a percent sign)";
        if (problem) {
                before_argv_free(argv);
                *ret_problem = problem;
                return -EINVAL;
        }
        *ret_argv = argv;
        return 0;
}

/* A value of %c or %u is what a process or a delegated user chose: never
 * an option, a path, or a path's "." or ".." (`/var/dumps/%c`). */
static bool value_safe(const char *v)
{
        return v[0] != '-' && !strchr(v, '/') && strcmp(v, ".") != 0 && strcmp(v, "..") != 0;
}

int before_expand_arg(const char *tmpl, const BeforeVars *v, char *out, size_t size)
{
        size_t off = 0;
        char pid[16];

        if (size == 0)
                return -ENAMETOOLONG;
        for (const char *s = tmpl; *s; s++) {
                const char *add;
                char one[2] = { *s, '\0' };
                if (*s != '%') {
                        add = one;
                } else {
                        s++;
                        switch (*s) {
                        case 'p':
                                snprintf(pid, sizeof pid, "%d", (int)v->pid);
                                add = pid;
                                break;
                        case 'u':
                        case 'c':
                                add = *s == 'u' ? (v->unit ? v->unit : "") : (v->comm ? v->comm : "");
                                if (!value_safe(add))
                                        return -EPERM;
                                break;
                        case '%':
                                add = "%";
                                break;
                        default:
                                return -EINVAL;
                        }
                }
                size_t len = strlen(add);
                if (len >= size - off)
                        return -ENAMETOOLONG;
                memcpy(out + off, add, len);
                off += len;
        }
        out[off] = '\0';
        return (int)off;
}
