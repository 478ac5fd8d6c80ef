/* fuzz_before_exec.c — `before = exec COMMAND ARGS...` (config/before.h):
 * before_exec_split() on what follows "exec", NUL-terminated as inih
 * hands it over, then each argument expanded by before_expand_arg() for
 * a process whose comm and unit the input's last bytes choose (a hostile
 * one among them), into an output sized by the input (the block exactly
 * that size). Checks: split 0, -EINVAL with a problem sentence, or
 * -ENOMEM; the argv untouched on error; on success 1..BEFORE_MAX_ARGS
 * non-empty words without blanks, an absolute command path without '%',
 * every argument before_arg_valid(); an expansion's length the output's
 * strlen, below its size, or -ENAMETOOLONG, or -EPERM only where a %c or
 * %u value starts with '-', holds '/' or is "." or "..", never -EINVAL
 * for a split argument. */
#include <errno.h>

#include "config/before.h"
#include "fuzz.h"

static const char *const values[] = { "node", "api.service", "-rf", "a/b", "..", ".", "", "%p" };
#define N_VALUES (sizeof values / sizeof values[0])

static bool unsafe(const char *v)
{
        return v[0] == '-' || strchr(v, '/') || strcmp(v, ".") == 0 || strcmp(v, "..") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 2)
                return 0;
        BeforeVars vars = { .pid = (pid_t)data[0] * 1000003, .comm = values[data[0] % N_VALUES],
                            .unit = values[(data[1] / 8) % N_VALUES] };
        size_t out_size = 1 + data[1] % 64;
        char *line = fuzz_string(data + 2, size - 2);
        char **argv = (char **)(uintptr_t)1;
        const char *problem = NULL;
        int r = before_exec_split(line, &argv, &problem);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r < 0) {
                FUZZ_CHECK(argv == (char **)(uintptr_t)1);
                if (r == -EINVAL)
                        FUZZ_CHECK(problem && *problem);
                free(line);
                return 0;
        }
        size_t n = 0;
        for (; argv[n]; n++) {
                FUZZ_CHECK(argv[n][0] && !strpbrk(argv[n], " \t"));
                if (n > 0)
                        FUZZ_CHECK(before_arg_valid(argv[n]));
        }
        FUZZ_CHECK(n >= 1 && n <= BEFORE_MAX_ARGS);
        FUZZ_CHECK(argv[0][0] == '/' && !strchr(argv[0], '%'));
        for (size_t i = 1; i < n; i++) {
                char *out = malloc(out_size);
                if (!out)
                        abort();
                int e = before_expand_arg(argv[i], &vars, out, out_size);
                if (e >= 0)
                        FUZZ_CHECK((size_t)e < out_size && strlen(out) == (size_t)e);
                else if (e == -EPERM)
                        FUZZ_CHECK((strstr(argv[i], "%c") && unsafe(vars.comm)) ||
                                   (strstr(argv[i], "%u") && unsafe(vars.unit)));
                else
                        FUZZ_CHECK(e == -ENAMETOOLONG);
                free(out);
        }
        before_argv_free(argv);
        free(line);
        return 0;
}
