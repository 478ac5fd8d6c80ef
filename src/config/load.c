/* load.c — config_load() and config_load_string(): reading the main file
 * and its drop-ins, each judged by trust.c and parsed by parse_text(), then
 * the result handed over whole: a Config, or every diagnostic sorted by
 * file and line. Also the Config's lifetime (config_new, config_free). */
#include "config/config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/before.h"
#include "config/parser.h"
#include "util/cleanup.h"

/* A configuration file larger than this is a mistake, not a config. */
#define MAX_FILE_SIZE (1024 * 1024)

/* ---- the Config's lifetime -------------------------------------------- */

void rule_done(Rule *r)
{
        free(r->name);
        free(r->file);
        free(r->unit_glob);
        free(r->comm_glob);
        free(r->cmdline_glob);
        before_argv_free(r->before_argv);
        *r = (Rule){0};
}

void config_free(Config *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n_protect; i++)
                free(c->protect[i].glob);
        free(c->protect);
        free(c->metrics_file);
        for (size_t i = 0; i < c->n_rules; i++)
                rule_done(&c->rules[i]);
        free(c->rules);
        free(c);
}

static Config *config_new(void)
{
        static uint64_t generations;
        Config *c = calloc(1, sizeof(Config));

        if (!c)
                return NULL;
        c->generation = ++generations;
        c->interval_usec = DEFAULT_INTERVAL_USEC;
        c->fast_interval_usec = DEFAULT_FAST_INTERVAL_USEC;
        c->dry_run = false;
        c->cooldown_usec = DEFAULT_COOLDOWN_USEC;
        c->metrics_interval_usec = DEFAULT_METRICS_INTERVAL_USEC;
        return c;
}

/* ---- reading files ---------------------------------------------------- */

static int read_fd(int fd, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                ssize_t n;
                if (len == cap) {
                        char *b;
                        if (cap >= MAX_FILE_SIZE)
                                return -EFBIG;
                        cap = cap ? 2 * cap : 4096;
                        b = realloc(buf, cap + 1);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* Reports a file (or directory) PATH that cannot be used: ERR is the
 * -errno of reading it, or -EPERM with REASON. Returns ERR. */
static int file_problem(Parser *p, const char *path, int err, const char *reason)
{
        if (err == -ENOMEM || parser_add_file(p, path) < 0) {
                p->oom = true;
                return -ENOMEM;
        }
        if (err == -EPERM)
                parser_diag(p, 0, "not trusted: %s", reason);
        else if (err == -EFBIG)
                parser_diag(p, 0, "larger than %d bytes, not a configuration file", MAX_FILE_SIZE);
        else
                parser_diag(p, 0, "cannot read: %s", strerror(-err));
        return err;
}

/* Judges (see trust_check()) FD, opened from PATH, as KIND; reports it
 * and returns -EPERM if it is not trusted, 0 if it is. */
static int trusted_or_report(Parser *p, int fd, const char *path, TrustKind kind)
{
        _cleanup_free_ char *reason = NULL, *failed = NULL;
        int r = trust_check(fd, path, kind, &reason);

        if (r == -ENOMEM)
                return file_problem(p, path, r, NULL);
        if (r < 0) {
                /* Fail closed: what cannot be checked is not trusted. */
                if (asprintf(&failed, "cannot check its path: %s", strerror(-r)) < 0)
                        return file_problem(p, path, -ENOMEM, NULL);
                return file_problem(p, path, -EPERM, failed);
        }
        return reason ? file_problem(p, path, -EPERM, reason) : 0;
}

/* Reads and parses the file PATH, if it can be trusted. A drop-in
 * (DROPIN) that is not a regular file, or a dangling link, is no drop-in
 * and skipped. Returns 0, or the -errno reported (-EPERM: not trusted). */
static int parse_file(Parser *p, const char *path, bool dropin)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        /* Never open what is not a regular file: opening a device can do
         * things (arm /dev/watchdog, rewind a tape). What is opened is
         * judged again by fstat() below, so this stat() decides nothing
         * about trust. */
        if (stat(path, &st) < 0) {
                r = -errno;
                if (dropin && (r == -ENOENT || r == -ELOOP))
                        return 0; /* a dangling link: no drop-in */
                return file_problem(p, path, r, NULL);
        }
        if (!S_ISREG(st.st_mode)) {
                _cleanup_free_ char *reason = NULL;
                if (dropin)
                        return 0; /* a directory, a fifo, ...: no drop-in */
                if (S_ISDIR(st.st_mode))
                        return file_problem(p, path, -EISDIR, NULL);
                if (trust_judge(&st, TRUST_FILE, NULL, &reason) < 0)
                        return file_problem(p, path, -ENOMEM, NULL);
                return file_problem(p, path, -EPERM, reason);
        }
        /* O_NONBLOCK: should a fifo appear here meanwhile, it is judged (and
         * refused), not waited on. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return file_problem(p, path, -errno, NULL);
        r = trusted_or_report(p, fd, path, TRUST_FILE);
        if (r < 0)
                return r;
        r = read_fd(fd, &text, &len);
        if (r < 0)
                return file_problem(p, path, r, NULL);
        parse_text(p, path, text, len);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The drop-ins of PATH: PATH.d/ *.conf in strcmp() order (byte order, as
 * systemd sorts its drop-ins: "10-a" < "20-b" < "9-c"). Hidden files and
 * anything that is not a regular file are skipped; a missing directory is
 * fine; an untrusted one is reported and none of its files read. Every
 * drop-in is read even if an earlier one could not be. Returns 0 or the
 * -errno of the first problem. */
static int parse_dropins(Parser *p, const char *path)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -1;
        char **names = NULL;
        size_t n = 0;
        DIR *d;
        struct dirent *de;
        int ret = 0;

        if (asprintf(&dir, "%s.d", path) < 0) {
                dir = NULL;
                p->oom = true;
                return -ENOMEM;
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                ret = -errno;
                if (parser_add_file(p, dir) < 0) {
                        p->oom = true;
                        return -ENOMEM;
                }
                parser_diag(p, 0, "cannot read drop-in directory: %s", strerror(-ret));
                return ret;
        }
        ret = trusted_or_report(p, fd, dir, TRUST_DROPIN_DIR);
        if (ret < 0)
                return ret;
        d = fdopendir(fd);
        if (!d) {
                ret = -errno;
                return file_problem(p, dir, ret, NULL);
        }
        fd = -1; /* owned by d */
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                char **l;
                if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
                        continue;
                l = reallocarray(names, n + 1, sizeof(char *));
                if (!l || !(l[n] = strdup(de->d_name))) {
                        if (l)
                                names = l;
                        p->oom = true;
                        ret = -ENOMEM;
                        break;
                }
                names = l;
                n++;
        }
        closedir(d);
        if (names)
                qsort(names, n, sizeof(char *), cmp_str);

        for (size_t i = 0; i < n && ret != -ENOMEM; i++) {
                _cleanup_free_ char *f = NULL;
                int r;
                if (asprintf(&f, "%s/%s", dir, names[i]) < 0) {
                        f = NULL;
                        p->oom = true;
                        ret = -ENOMEM;
                        break;
                }
                r = parse_file(p, f, true);
                if (r == -ENOMEM || (r < 0 && ret == 0))
                        ret = r;
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return ret;
}

/* ---- the result ------------------------------------------------------- */

static int cmp_diag(const void *a, const void *b)
{
        const Diag *x = a, *y = b;

        if (x->file_idx != y->file_idx)
                return x->file_idx < y->file_idx ? -1 : 1;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static char *diags_join(Parser *p)
{
        size_t len = 0;
        char *s, *q;

        qsort(p->diags, p->n_diags, sizeof(Diag), cmp_diag);
        for (size_t i = 0; i < p->n_diags; i++)
                len += strlen(p->diags[i].text) + 1;
        s = malloc(len + 1);
        if (!s)
                return NULL;
        q = s;
        for (size_t i = 0; i < p->n_diags; i++)
                q = stpcpy(stpcpy(q, p->diags[i].text), "\n");
        *q = '\0';
        return s;
}

static void parser_done(Parser *p)
{
        rule_done(&p->draft.rule);
        for (size_t i = 0; i < p->n_diags; i++)
                free(p->diags[i].text);
        free(p->diags);
        for (size_t i = 0; i < p->n_files; i++)
                free(p->files[i]);
        free(p->files);
        free(p->line);
        config_free(p->config);
}

/* Hands over the result: 0 and the config if nothing was wrong; the
 * errors otherwise. READ_ERR is a -errno from reading a file, or 0. */
static int parser_result(Parser *p, int read_err, Config **ret_config, char **ret_errors)
{
        int r;

        if (!p->oom)
                parser_check(p);
        if (p->oom) {
                *ret_errors = strdup("out of memory\n");
                r = -ENOMEM;
        } else if (p->n_diags > 0) {
                *ret_errors = diags_join(p);
                r = !*ret_errors ? -ENOMEM : read_err < 0 ? read_err : -EINVAL;
        } else {
                *ret_config = TAKE_PTR(p->config);
                *ret_errors = NULL;
                r = 0;
        }
        parser_done(p);
        return r;
}

static int parser_init(Parser *p)
{
        *p = (Parser){0};
        p->config = config_new();
        return p->config ? 0 : -ENOMEM;
}

int config_load(const char *path, Config **ret_config, char **ret_errors)
{
        Parser p;
        int r;

        if (parser_init(&p) < 0) {
                *ret_errors = strdup("out of memory\n");
                return -ENOMEM;
        }
        r = parse_file(&p, path, false);
        /* An untrusted main file still has its drop-ins judged (and
         * parsed), so that one run names every file to fix. */
        if (r == 0 || r == -EPERM) {
                int k = parse_dropins(&p, path);
                if (r == 0)
                        r = k;
        }
        return parser_result(&p, r, ret_config, ret_errors);
}

int config_load_string(const char *text, const char *filename, Config **ret_config,
                       char **ret_errors)
{
        Parser p;

        if (parser_init(&p) < 0) {
                *ret_errors = strdup("out of memory\n");
                return -ENOMEM;
        }
        parse_text(&p, filename, text, strlen(text));
        return parser_result(&p, 0, ret_config, ret_errors);
}
