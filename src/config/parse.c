/* parse.c — the INI reader: one file's text, line by line, through inih
 * into the Parser's sections and keys (daemon_keys.c, rule_keys.c), with
 * every problem collected as a diagnostic. load.c reads the files.
 *
 * How inih is used, and why through a reader callback.
 *
 * Debian's libinih (55) is built without INI_HANDLER_LINENO, so the handler
 * never learns the line it is called for, yet every diagnostic must say
 * FILE:LINE. We therefore feed inih through ini_parse_stream() with our own
 * reader. inih reads one line, handles it completely (at most one handler
 * call per line) and only then asks the reader for the next one, so the
 * count of lines the reader has handed out is the line of the handler call.
 * (Checked against the library: reader, handler, reader, ... strictly
 * alternate.)
 *
 * The reader also normalises each line before inih sees it, because the
 * library's compiled-in behaviour does not match the language:
 *  - inline comments: inih only knows ';' (INI_INLINE_COMMENT_PREFIXES),
 *    the language also has `key = value   # comment`. The reader cuts a
 *    line at the first '#' or ';' that starts the line or follows
 *    whitespace.
 *  - continuation lines: INI_ALLOW_MULTILINE is on, so an indented line
 *    would silently extend the previous key. The reader strips leading
 *    whitespace, which turns continuations off: an indented line is an
 *    ordinary line.
 *  - long lines: the line buffer is INI_MAX_LINE (200) bytes on the stack
 *    and inih would split a longer line into two without a word. The
 *    reader knows the buffer size (its NUM argument) and reports a line
 *    that does not fit instead of handing it over.
 *  - lines inih rejects (no '=' or ':') get no handler call and only the
 *    first one is returned; the reader notices a content line that
 *    produced no handler call and reports each one.
 *  - section headers: inih truncates names to 50 bytes, ignores text after
 *    ']' and never reports an empty section, but a rule with no keys must
 *    still be reported ("when: missing"). The reader parses headers itself
 *    and hands inih an empty line instead; inih's SECTION argument is
 *    unused.
 * What is left to inih is splitting `KEY = VALUE` (or `KEY: VALUE`) and
 * trimming both sides.
 *
 * Diagnostics are collected with (file, line, sequence) and sorted before
 * they are joined, so they come out in file and line order even though some
 * (a rule's missing keys, scope conflicts) are found only at the end of a
 * section or of all files. */
#include "config/parser.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* ---- diagnostics ------------------------------------------------------ */

static const char *cur_file(const Parser *p)
{
        return p->files[p->file_idx];
}

static void diag_valist(Parser *p, size_t file_idx, unsigned line, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;
        char *text = NULL;
        int r;

        if (vasprintf(&msg, fmt, ap) < 0) {
                msg = NULL;
                p->oom = true;
                return;
        }
        if (line > 0)
                r = asprintf(&text, "%s:%u: %s", p->files[file_idx], line, msg);
        else
                r = asprintf(&text, "%s: %s", p->files[file_idx], msg);
        if (r < 0) {
                p->oom = true;
                return;
        }
        if (p->n_diags == p->cap_diags) {
                size_t cap = p->cap_diags ? 2 * p->cap_diags : 16;
                Diag *d = reallocarray(p->diags, cap, sizeof(Diag));
                if (!d) {
                        free(text);
                        p->oom = true;
                        return;
                }
                p->diags = d;
                p->cap_diags = cap;
        }
        p->diags[p->n_diags] = (Diag){file_idx, line, p->n_diags, text};
        p->n_diags++;
}

__attribute__((format(printf, 3, 4))) void parser_diag(Parser *p, unsigned line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        diag_valist(p, p->file_idx, line, fmt, ap);
        va_end(ap);
}

__attribute__((format(printf, 3, 4))) void diag_where(Parser *p, Where w, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        diag_valist(p, w.file_idx, w.line, fmt, ap);
        va_end(ap);
}

static bool has_diag_at(const Parser *p, size_t file_idx, unsigned line)
{
        for (size_t i = 0; i < p->n_diags; i++)
                if (p->diags[i].file_idx == file_idx && p->diags[i].line == line)
                        return true;
        return false;
}

/* ---- sections --------------------------------------------------------- */

static bool rule_name_valid(const char *s)
{
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && !strchr("-_.:@", *s))
                        return false;
        return true;
}

static void section_finish(Parser *p)
{
        if (p->section == SECTION_RULE)
                rule_finish(p);
        p->section = SECTION_NONE;
}

static void rule_begin(Parser *p, const char *name)
{
        RuleDraft *d = &p->draft;
        Rule *old;

        *d = (RuleDraft){0};
        p->section = SECTION_RULE;
        d->rule.name = strdup(name);
        d->rule.file = strdup(cur_file(p));
        if (!d->rule.name || !d->rule.file) {
                p->oom = true;
                rule_done(&d->rule);
                p->section = SECTION_SKIP;
                return;
        }
        d->rule.line = p->lineno;
        d->rule.target = TARGET_OOM_SCORE;
        d->rule.grace_usec = DEFAULT_GRACE_USEC;
        d->rule.before_wait_usec = DEFAULT_BEFORE_WAIT_USEC;
        d->rule.budget_cond = -1;

        if (!*name) {
                parser_diag(p, p->lineno, "empty rule name: write [rule NAME]");
                d->discard = true;
        } else if (!rule_name_valid(name)) {
                parser_diag(p, p->lineno, "invalid rule name '%s': use letters, digits and - _ . : @",
                     name);
                d->discard = true;
        } else if ((old = config_find_rule(p->config, name)) && strcmp(old->file, cur_file(p)) == 0) {
                parser_diag(p, p->lineno, "rule %s: defined twice in this file (first at line %u)", name,
                     old->line);
                d->discard = true;
        }
}

/* LINE: a header, trimmed, starting with '['. */
static void section_begin(Parser *p, char *line)
{
        size_t len = strlen(line);
        char *inner, *rb;

        section_finish(p);
        p->section = SECTION_SKIP;

        rb = strchr(line, ']');
        if (!rb) {
                parser_diag(p, p->lineno, "section header without ']'");
                return;
        }
        if (rb != line + len - 1) {
                parser_diag(p, p->lineno, "unexpected text after ']' in section header");
                return;
        }
        *rb = '\0';
        inner = (char *)config_skip_ws(line + 1);
        len = strlen(inner);
        while (len > 0 && isspace((unsigned char)inner[len - 1]))
                inner[--len] = '\0';

        if (strcmp(inner, "daemon") == 0)
                p->section = SECTION_DAEMON;
        else if (strncmp(inner, "rule", 4) == 0 &&
                 (inner[4] == '\0' || isspace((unsigned char)inner[4])))
                rule_begin(p, config_skip_ws(inner + 4));
        else
                parser_diag(p, p->lineno, "unknown section [%s] (expected [daemon] or [rule NAME])",
                     inner);
}

/* ---- inih ------------------------------------------------------------- */

#if INI_HANDLER_LINENO
static int ini_handler_cb(void *user, const char *section, const char *name, const char *value,
                          int lineno)
#else
static int ini_handler_cb(void *user, const char *section, const char *name, const char *value)
#endif
{
        Parser *p = user;

        (void)section; /* we track sections ourselves, see the top */
#if INI_HANDLER_LINENO
        (void)lineno; /* the same as p->lineno */
#endif
        p->handler_called = true;
        if (!*name) {
                parser_diag(p, p->lineno, "missing key before '='");
                return 1;
        }
        switch (p->section) {
        case SECTION_NONE:
                parser_diag(p, p->lineno, "%s: outside any section (put it under [daemon] or [rule NAME])",
                     name);
                break;
        case SECTION_DAEMON:
                daemon_key(p, name, value);
                break;
        case SECTION_RULE:
                rule_key(p, name, value);
                break;
        case SECTION_SKIP:
                break;
        }
        return 1; /* never stop inih: every error in one pass */
}

/* A content line that inih did not turn into a handler call had no '='. */
static void check_pending(Parser *p)
{
        if (p->key_pending && !p->handler_called)
                parser_diag(p, p->lineno, "expected KEY = VALUE, not '%.40s'", p->content);
        p->key_pending = false;
        p->handler_called = false;
}

/* The ini_reader: hands inih one normalised line at a time (see the top). */
static char *ini_reader_cb(char *str, int num, void *user)
{
        Parser *p = user;
        const char *start, *nl;
        size_t len, room;
        char *s;

        check_pending(p);
        if (p->pos >= p->text_len || num < 3)
                return NULL;

        start = p->text + p->pos;
        nl = memchr(start, '\n', p->text_len - p->pos);
        len = nl ? (size_t)(nl - start) : p->text_len - p->pos;
        p->pos += len + (nl ? 1 : 0);
        p->lineno++;
        str[0] = '\n';
        str[1] = '\0';

        if (len + 1 > p->line_cap) {
                char *l = realloc(p->line, len + 1);
                if (!l) {
                        p->oom = true;
                        return str;
                }
                p->line = l;
                p->line_cap = len + 1;
        }
        memcpy(p->line, start, len);
        p->line[len] = '\0';
        if (strlen(p->line) != len) {
                parser_diag(p, p->lineno, "NUL byte in line");
                return str;
        }

        s = p->line;
        if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
                s += 3;
        for (char *c = s; *c; c++)
                if ((*c == '#' || *c == ';') && (c == s || isspace((unsigned char)c[-1]))) {
                        *c = '\0';
                        break;
                }
        s = (char *)config_skip_ws(s);
        len = strlen(s);
        while (len > 0 && isspace((unsigned char)s[len - 1]))
                s[--len] = '\0';
        p->content = s;

        if (len == 0)
                return str;
        if (*s == '[') {
                section_begin(p, s);
                return str;
        }
        /* inih: "must be 3 more than the longest line" ('\r', '\n', NUL). */
        room = (size_t)num - 3;
        if (len > room) {
                parser_diag(p, p->lineno, "line too long (%zu characters, at most %zu without comments)",
                     len, room);
                return str;
        }
        memcpy(str, s, len);
        str[len] = '\n';
        str[len + 1] = '\0';
        p->key_pending = true;
        return str;
}

int parser_add_file(Parser *p, const char *name)
{
        char **l = reallocarray(p->files, p->n_files + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        p->files = l;
        l[p->n_files] = strdup(name);
        if (!l[p->n_files])
                return -ENOMEM;
        p->file_idx = p->n_files++;
        return 0;
}

/* Parses TEXT (LEN bytes) as the file NAME, adding to p->config. */
void parse_text(Parser *p, const char *name, const char *text, size_t len)
{
        int r;

        if (parser_add_file(p, name) < 0) {
                p->oom = true;
                return;
        }
        p->text = text;
        p->text_len = len;
        p->pos = 0;
        p->lineno = 0;
        p->key_pending = p->handler_called = false;
        p->section = SECTION_NONE;
        memset(p->daemon_line, 0, sizeof(p->daemon_line));

        r = ini_parse_stream(ini_reader_cb, p, ini_handler_cb, p);
        check_pending(p);
        section_finish(p);
        if (r == -2)
                p->oom = true;
        else if (r > 0 && !has_diag_at(p, p->file_idx, (unsigned)r))
                /* Never seen: every line inih rejects is reported above. */
                parser_diag(p, (unsigned)r, "syntax error");
        p->text = NULL;
}
