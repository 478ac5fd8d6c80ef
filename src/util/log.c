/* log.c — journald entries or stderr lines; see log.h. */
#include "util/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "util/cleanup.h"
#include "util/format.h"
#include "util/signame.h"

/* Fixed ids, generated once; operators filter on them. Never change one. */
static const char *const message_ids[_EVENT_MAX] = {
        [EVENT_NONE] = "",
        [EVENT_STARTED] = "994e93ce9d5f469b9ee172d05d86ce5f",
        [EVENT_STOPPED] = "32639f3d6f374233b6fd52394ba1b56f",
        [EVENT_RULE_FIRED] = "5464adcc9eec4d26aed4780890f37694",
        [EVENT_RULE_RECOVERED] = "9680ea39a6324e1db41863831b8b4a72",
        [EVENT_SIGNAL_SENT] = "1620b61433ef4323a49f018b1ef1db0d",
        [EVENT_PROCESS_GONE] = "358fc93b6e3842848409263f64f65567",
        [EVENT_RESTART] = "ce272e173cf34ea3ae1424b718b2989c",
        [EVENT_RESTART_DONE] = "3c412ea41dca475ca6659baa710873e6",
        [EVENT_ACTION_FAILED] = "a10e6e30d02449539548266163419298",
        [EVENT_CONFIG_RELOADED] = "eab06688b0cf4546b3ef228e3472b528",
        [EVENT_CONFIG_ERROR] = "ec151a2a5976474ba9b6ffc6c7dd476a",
        [EVENT_KERNEL_OOM_KILL] = "7ee4ebcd94e34882b71a31c9571fc278",
        [EVENT_BEFORE] = "2c766efa008e4b12a0294e708e7f3e16",
        [EVENT_BEFORE_DONE] = "02f75476907d4c9ea50eea80c5425936",
};

static bool to_journal;

/* Where sd_journal_send() sends: journald's native socket. */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* systemd sets JOURNAL_STREAM=DEV:INODE for a service whose stderr is
 * connected to journald; if stderr is still that stream, structured
 * entries are welcome. A redirected stderr (a test, a pipe) gets lines. */
static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        if (!e)
                return false;
        unsigned long long dev, ino;
        if (sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        struct stat st;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_open(bool force_stderr)
{
        to_journal = !force_stderr && stderr_is_journal();
}

bool log_to_journal(void)
{
        return to_journal;
}

const char *log_message_id(LogEvent ev)
{
        if ((unsigned)ev >= _EVENT_MAX)
                return "";
        return message_ids[ev];
}

/* Length of the valid UTF-8 sequence that starts at S (1 to 4), or 0 if
 * none does. The ranges are RFC 3629's: no overlong forms, no surrogates,
 * nothing above U+10FFFF. S is NUL-terminated and a NUL is never a
 * continuation byte, so this never reads past the end. */
size_t utf8_len(const unsigned char *s)
{
        unsigned char c = s[0], lo = 0x80, hi = 0xbf; /* range of the 2nd byte */
        size_t len;
        if (c < 0x80)
                return 1;
        if (c < 0xc2)
                return 0; /* a continuation byte, or the lead of an overlong pair */
        if (c < 0xe0) {
                len = 2;
        } else if (c < 0xf0) {
                len = 3;
                if (c == 0xe0)
                        lo = 0xa0; /* overlong */
                else if (c == 0xed)
                        hi = 0x9f; /* surrogates */
        } else if (c < 0xf5) {
                len = 4;
                if (c == 0xf0)
                        lo = 0x90; /* overlong */
                else if (c == 0xf4)
                        hi = 0x8f; /* above U+10FFFF */
        } else {
                return 0;
        }
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < len; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        return len;
}

size_t log_escape(const char *in, char *out, size_t out_size)
{
        static const char hex[] = "0123456789abcdef";
        if (out_size == 0)
                return 0;
        const unsigned char *s = (const unsigned char *)in;
        size_t off = 0;
        while (*s) {
                /* One unit: a character copied whole or its escape, written
                 * only if all of it fits. */
                char esc[8];
                const char *unit = esc;
                size_t ulen = 0, used = 1, raw = 0;
                size_t u8 = utf8_len(s);
                if (*s == '\\') {
                        esc[0] = '\\', esc[1] = '\\', ulen = 2;
                } else if (*s == '\n') {
                        esc[0] = '\\', esc[1] = 'n', ulen = 2;
                } else if (*s == '\t') {
                        esc[0] = '\\', esc[1] = 't', ulen = 2;
                } else if (*s == '\r') {
                        esc[0] = '\\', esc[1] = 'r', ulen = 2;
                } else if (*s < 0x20 || *s == 0x7f || u8 == 0) {
                        raw = 1;
                } else if (u8 == 2 && s[0] == 0xc2 && s[1] < 0xa0) {
                        raw = 2; /* C1: both bytes, so that \xc2 never stands alone */
                        used = 2;
                } else {
                        unit = (const char *)s, ulen = u8, used = u8;
                }
                for (size_t i = 0; i < raw; i++) {
                        esc[ulen++] = '\\';
                        esc[ulen++] = 'x';
                        esc[ulen++] = hex[s[i] >> 4];
                        esc[ulen++] = hex[s[i] & 0xf];
                }
                if (ulen >= out_size - off)
                        break;
                memcpy(out + off, unit, ulen);
                off += ulen;
                s += used;
        }
        out[off] = '\0';
        return off;
}

/* Formats into BUF like vsnprintf(); when it had to cut, drops a UTF-8
 * sequence the cut left incomplete at the end: log_escape() would show its
 * first bytes as \xNN, as if the name itself were broken there. */
static void format_cut(char *buf, size_t size, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));
static void format_cut(char *buf, size_t size, const char *fmt, va_list ap)
{
        int n = vsnprintf(buf, size, fmt, ap);
        if (n < 0) {
                buf[0] = '\0';
                return;
        }
        if ((size_t)n < size)
                return;
        size_t len = strlen(buf), k = 0;
        while (k < 3 && k < len && ((unsigned char)buf[len - 1 - k] & 0xc0) == 0x80)
                k++;
        if (k == len)
                return;
        unsigned char lead = (unsigned char)buf[len - 1 - k];
        size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (want > k + 1)
                buf[len - 1 - k] = '\0';
}

/* Up to this many journal fields per entry; each is "KEY=value", the value
 * escaped. A value is formatted into FIELD_VALUE_MAX bytes first: a unit
 * name (at most 255 bytes) always fits, and so does its escaped form
 * unless most of its bytes need escaping (then it is cut, whole escapes
 * only). */
#define MAX_FIELDS 40
#define FIELD_VALUE_MAX 512
#define FIELD_MAX (FIELD_VALUE_MAX + 64) /* the value, and "MEMGUARD_KEY=" */

/* MESSAGE as formatted, then escaped: 2 KiB holds a message with a unit
 * name of 255 escaped bytes in it. */
#define MESSAGE_MAX 1024
#define MESSAGE_ESCAPED_MAX 2048

typedef struct FieldBuf {
        char text[MAX_FIELDS][FIELD_MAX];
        size_t n;
} FieldBuf;

static void field_add(FieldBuf *fb, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void field_add(FieldBuf *fb, const char *key, const char *fmt, ...)
{
        /* Static, as log_event's buffers are: see there. */
        static char value[FIELD_VALUE_MAX];
        if (fb->n >= MAX_FIELDS)
                return;
        va_list ap;
        va_start(ap, fmt);
        format_cut(value, sizeof value, fmt, ap);
        va_end(ap);
        char *t = fb->text[fb->n];
        int w = snprintf(t, FIELD_MAX, "%s=", key);
        if (w < 0 || (size_t)w >= FIELD_MAX)
                return;
        log_escape(value, t + w, FIELD_MAX - (size_t)w);
        fb->n++;
}

static void memory_fields(const LogMemory *m, FieldBuf *fb)
{
        if (m->has_proc) {
                field_add(fb, "MEMGUARD_RSS_KB", "%" PRIu64, m->rss_kb);
                if (m->has_pss_split) {
                        field_add(fb, "MEMGUARD_PSS_ANON_KB", "%" PRIu64, m->pss_anon_kb);
                        field_add(fb, "MEMGUARD_PSS_FILE_KB", "%" PRIu64, m->pss_file_kb);
                        field_add(fb, "MEMGUARD_PSS_SHMEM_KB", "%" PRIu64, m->pss_shmem_kb);
                }
                field_add(fb, "MEMGUARD_SWAP_KB", "%" PRIu64, m->swap_kb);
        }
        if (m->has_fds)
                field_add(fb, "MEMGUARD_FD_COUNT", "%" PRIu64, m->fd_count);
        if (m->has_unit) {
                field_add(fb, "MEMGUARD_UNIT_ANON_KB", "%" PRIu64, m->unit_anon_kb);
                field_add(fb, "MEMGUARD_UNIT_FILE_KB", "%" PRIu64, m->unit_file_kb);
                field_add(fb, "MEMGUARD_UNIT_KERNEL_KB", "%" PRIu64, m->unit_kernel_kb);
                field_add(fb, "MEMGUARD_UNIT_SHMEM_KB", "%" PRIu64, m->unit_shmem_kb);
                field_add(fb, "MEMGUARD_UNIT_SOCK_KB", "%" PRIu64, m->unit_sock_kb);
        }
}

const char *log_memory_clause(const LogMemory *m, char *buf, size_t size)
{
        if (size == 0)
                return buf;
        Buf b = buf_on(buf, size);
        if (m->has_proc || m->has_fds)
                bprintf(&b, "%s (pid %d):", m->comm, (int)m->pid);
        if (m->has_proc) {
                if (m->has_pss_split) {
                        fmt_labelled_size(&b, " anon ", (double)m->pss_anon_kb);
                        fmt_labelled_size(&b, ", file ", (double)m->pss_file_kb);
                        if (m->pss_shmem_kb)
                                fmt_labelled_size(&b, ", shmem ", (double)m->pss_shmem_kb);
                } else {
                        fmt_labelled_size(&b, " rss ", (double)m->rss_kb);
                }
                if (m->swap_kb)
                        fmt_labelled_size(&b, ", swap ", (double)m->swap_kb);
        }
        if (m->has_fds)
                bprintf(&b, "%s %" PRIu64 " open files", m->has_proc ? "," : "", m->fd_count);
        if (m->has_unit) {
                fmt_labelled_size(&b, b.len ? "; unit anon " : "unit anon ", (double)m->unit_anon_kb);
                fmt_labelled_size(&b, ", file ", (double)m->unit_file_kb);
                fmt_labelled_size(&b, ", kernel ", (double)m->unit_kernel_kb);
                if (m->unit_shmem_kb)
                        fmt_labelled_size(&b, ", shmem ", (double)m->unit_shmem_kb);
                if (m->unit_sock_kb)
                        fmt_labelled_size(&b, ", sock ", (double)m->unit_sock_kb);
        }
        return buf;
}

/* Builds the MEMGUARD_* fields; the stderr form drops the prefix and
 * lower-cases the key. */
static void fields_build(const LogFields *f, FieldBuf *fb)
{
        if (!f)
                return;
        if (f->rule)
                field_add(fb, "MEMGUARD_RULE", "%s", f->rule);
        if (f->action)
                field_add(fb, "MEMGUARD_ACTION", "%s", f->action);
        if (f->pid > 0)
                field_add(fb, "MEMGUARD_PID", "%d", (int)f->pid);
        if (f->comm && f->comm[0])
                field_add(fb, "MEMGUARD_COMM", "%s", f->comm);
        if (f->unit && f->unit[0])
                field_add(fb, "MEMGUARD_UNIT", "%s", f->unit);
        if (f->user_unit && f->user_unit[0])
                field_add(fb, "MEMGUARD_USER_UNIT", "%s", f->user_unit);
        if (f->cgroup && f->cgroup[0])
                field_add(fb, "MEMGUARD_CGROUP", "%s", f->cgroup);
        if (f->pss_kb)
                field_add(fb, "MEMGUARD_PSS_KB", "%" PRIu64, f->pss_kb);
        if (f->has_system) {
                field_add(fb, "MEMGUARD_MEM_AVAILABLE_KB", "%" PRIu64, f->mem_available_kb);
                field_add(fb, "MEMGUARD_PSI_SOME_AVG10", "%.2f", f->psi_some_avg10);
        }
        char sig[32];
        if (f->signal)
                field_add(fb, "MEMGUARD_SIGNAL", "%s", signame_format(f->signal, sig, sizeof sig));
        if (f->job_result)
                field_add(fb, "MEMGUARD_JOB_RESULT", "%s", f->job_result);
        if (f->errno_text)
                field_add(fb, "MEMGUARD_ERROR", "%s", f->errno_text);
        if (f->has_growth)
                field_add(fb, "MEMGUARD_GROWTH_BYTES_PER_HOUR", "%" PRId64,
                          f->growth_bytes_per_hour);
        if (f->has_growth && f->growth_band_known)
                field_add(fb, "MEMGUARD_GROWTH_BAND_BYTES_PER_HOUR", "%" PRId64,
                          f->growth_band_bytes_per_hour);
        if (f->has_eta)
                field_add(fb, "MEMGUARD_ETA_SEC", "%" PRIu64, f->eta_sec);
        if (f->kernel_oom_scope)
                field_add(fb, "MEMGUARD_KERNEL_OOM_SCOPE", "%s", f->kernel_oom_scope);
        if (f->kernel_oom_source)
                field_add(fb, "MEMGUARD_KERNEL_OOM_SOURCE", "%s", f->kernel_oom_source);
        if (f->kernel_oom_kills > 1)
                field_add(fb, "MEMGUARD_KERNEL_OOM_KILLS", "%u", f->kernel_oom_kills);
        if (f->oom_cgroup && f->oom_cgroup[0])
                field_add(fb, "MEMGUARD_OOM_CGROUP", "%s", f->oom_cgroup);
        if (f->cmdline && f->cmdline[0])
                field_add(fb, "MEMGUARD_CMDLINE", "%s", f->cmdline);
        if (f->has_rss) {
                field_add(fb, "MEMGUARD_ANON_RSS_KB", "%" PRIu64, f->anon_rss_kb);
                field_add(fb, "MEMGUARD_FILE_RSS_KB", "%" PRIu64, f->file_rss_kb);
                field_add(fb, "MEMGUARD_SHMEM_RSS_KB", "%" PRIu64, f->shmem_rss_kb);
        }
        if (f->has_unit_memory)
                field_add(fb, "MEMGUARD_UNIT_MEMORY_KB", "%" PRIu64, f->unit_memory_kb);
        if (f->rules && f->rules[0])
                field_add(fb, "MEMGUARD_RULES", "%s", f->rules);
        if (f->memory)
                memory_fields(f->memory, fb);
        if (f->notify_signal)
                field_add(fb, "MEMGUARD_NOTIFY_SIGNAL", "%s",
                          signame_format(f->notify_signal, sig, sizeof sig));
        if (f->notify_result)
                field_add(fb, "MEMGUARD_NOTIFY_RESULT", "%s", f->notify_result);
        if (f->before) {
                field_add(fb, "MEMGUARD_BEFORE", "%s", f->before);
                field_add(fb, "MEMGUARD_BEFORE_WAIT_SEC", "%" PRIu64, f->before_wait_sec);
        }
        if (f->before_result)
                field_add(fb, "MEMGUARD_BEFORE_RESULT", "%s", f->before_result);
        if (f->has_exit_status)
                field_add(fb, "MEMGUARD_EXIT_STATUS", "%d", f->exit_status);
        if (f->rule || f->action || f->kernel_oom_scope)
                field_add(fb, "MEMGUARD_DRY_RUN", "%s", f->dry_run ? "yes" : "no");
}

/* Appends LEN bytes of S to LINE at *OFF. The caller sized LINE for the
 * worst case: the bound is a guard, it never cuts. */
static void line_put(char *line, size_t size, size_t *off, const char *s, size_t len)
{
        if (len > size - *off)
                len = size - *off;
        memcpy(line + *off, s, len);
        *off += len;
}

void log_event(LogEvent ev, int priority, const LogFields *fields, const char *fmt, ...)
{
        /* Static: log_event may run when memory is short; 25 KiB of stack
         * is avoidable and the daemon is single-threaded. */
        static char message[MESSAGE_MAX];
        static char msg[sizeof "MESSAGE=" - 1 + MESSAGE_ESCAPED_MAX] = "MESSAGE=";
        static FieldBuf fb;
        /* "memguard: " MESSAGE " [" key=value ... "]\n": room for all of it,
         * so that the line is never cut in the middle of an escape. */
        static char line[sizeof "memguard: " + MESSAGE_ESCAPED_MAX +
                         MAX_FIELDS * (FIELD_MAX + 1) + 2];

        va_list ap;
        va_start(ap, fmt);
        format_cut(message, sizeof message, fmt, ap); /* first: %m reads errno */
        va_end(ap);
        const size_t pre = sizeof "MESSAGE=" - 1;
        size_t msg_len = log_escape(message, msg + pre, sizeof msg - pre);

        fb.n = 0;
        fields_build(fields, &fb);

        if (to_journal) {
                struct iovec iov[MAX_FIELDS + 4];
                char mid[64], prio[32];
                size_t n = 0;
                iov[n++] = (struct iovec){ msg, pre + msg_len };
                snprintf(prio, sizeof prio, "PRIORITY=%d", priority);
                iov[n++] = (struct iovec){ prio, strlen(prio) };
                if (ev != EVENT_NONE) {
                        snprintf(mid, sizeof mid, "MESSAGE_ID=%s", log_message_id(ev));
                        iov[n++] = (struct iovec){ mid, strlen(mid) };
                }
                for (size_t i = 0; i < fb.n; i++)
                        iov[n++] = (struct iovec){ fb.text[i], strlen(fb.text[i]) };
                /* sd_journal_sendv() returns 0 when journald's socket does
                 * not exist (libsystemd's journal-send.c: "fail silently if
                 * the journal is not available"): the entry is then lost,
                 * so look for the socket after sending. */
                if (sd_journal_sendv(iov, (int)n) >= 0 && access(JOURNAL_SOCKET, F_OK) == 0)
                        return;
                /* journald gone: fall through to stderr rather than lose it */
        }

        /* "memguard: MESSAGE [rule=x action=term pid=42 ...]" */
        size_t off = 0;
        line_put(line, sizeof line, &off, "memguard: ", strlen("memguard: "));
        line_put(line, sizeof line, &off, msg + pre, msg_len);
        for (size_t i = 0; i < fb.n; i++) {
                line_put(line, sizeof line, &off, i == 0 ? " [" : " ", i == 0 ? 2 : 1);
                /* the key without MEMGUARD_, lower case; the value as escaped */
                for (const char *k = fb.text[i] + strlen("MEMGUARD_"); *k; k++) {
                        char c = *k >= 'A' && *k <= 'Z' ? (char)(*k - 'A' + 'a') : *k;
                        line_put(line, sizeof line, &off, &c, 1);
                        if (c == '=') {
                                line_put(line, sizeof line, &off, k + 1, strlen(k + 1));
                                break;
                        }
                }
        }
        if (fb.n)
                line_put(line, sizeof line, &off, "]", 1);
        line_put(line, sizeof line, &off, "\n", 1);
        /* one write: stderr is unbuffered, and a line is written whole */
        fwrite(line, 1, off, stderr);
}
