/* log.c — journald entries or stderr lines; see log.h. */
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "cleanup.h"

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
};

static bool to_journal;

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

const char *log_message_id(LogEvent ev)
{
        if ((unsigned)ev >= _EVENT_MAX)
                return "";
        return message_ids[ev];
}

const char *log_format_size(uint64_t kb, char *buf, size_t size)
{
        if (kb >= UINT64_C(10) * 1024 * 1024)
                snprintf(buf, size, "%.1f GiB", (double)kb / (1024.0 * 1024.0));
        else if (kb >= UINT64_C(1024) * 1024)
                snprintf(buf, size, "%.2f GiB", (double)kb / (1024.0 * 1024.0));
        else if (kb >= UINT64_C(10) * 1024)
                snprintf(buf, size, "%" PRIu64 " MiB", (kb + 512) / 1024);
        else
                snprintf(buf, size, "%.1f MiB", (double)kb / 1024.0);
        return buf;
}

/* Up to this many journal fields per entry; each is "KEY=value". */
#define MAX_FIELDS 20
#define FIELD_MAX 320

typedef struct FieldBuf {
        char text[MAX_FIELDS][FIELD_MAX];
        size_t n;
} FieldBuf;

static void field_add(FieldBuf *fb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void field_add(FieldBuf *fb, const char *fmt, ...)
{
        if (fb->n >= MAX_FIELDS)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(fb->text[fb->n], FIELD_MAX, fmt, ap);
        va_end(ap);
        fb->n++;
}

static const char *signal_name(int sig)
{
        switch (sig) {
        case 15:
                return "SIGTERM";
        case 9:
                return "SIGKILL";
        default:
                return "?";
        }
}

/* Builds the MEMGUARD_* fields; the stderr form drops the prefix and
 * lower-cases the key. */
static void fields_build(const LogFields *f, FieldBuf *fb)
{
        if (!f)
                return;
        if (f->rule)
                field_add(fb, "MEMGUARD_RULE=%s", f->rule);
        if (f->action)
                field_add(fb, "MEMGUARD_ACTION=%s", f->action);
        if (f->pid > 0)
                field_add(fb, "MEMGUARD_PID=%d", (int)f->pid);
        if (f->comm && f->comm[0])
                field_add(fb, "MEMGUARD_COMM=%s", f->comm);
        if (f->unit && f->unit[0])
                field_add(fb, "MEMGUARD_UNIT=%s", f->unit);
        if (f->pss_kb)
                field_add(fb, "MEMGUARD_PSS_KB=%" PRIu64, f->pss_kb);
        if (f->has_system) {
                field_add(fb, "MEMGUARD_MEM_AVAILABLE_KB=%" PRIu64, f->mem_available_kb);
                field_add(fb, "MEMGUARD_PSI_SOME_AVG10=%.2f", f->psi_some_avg10);
        }
        if (f->signal)
                field_add(fb, "MEMGUARD_SIGNAL=%s", signal_name(f->signal));
        if (f->job_result)
                field_add(fb, "MEMGUARD_JOB_RESULT=%s", f->job_result);
        if (f->errno_text)
                field_add(fb, "MEMGUARD_ERROR=%s", f->errno_text);
        if (f->has_growth)
                field_add(fb, "MEMGUARD_GROWTH_BYTES_PER_HOUR=%" PRId64, f->growth_bytes_per_hour);
        if (f->has_eta)
                field_add(fb, "MEMGUARD_ETA_SEC=%" PRIu64, f->eta_sec);
        if (f->rule || f->action)
                field_add(fb, "MEMGUARD_DRY_RUN=%s", f->dry_run ? "yes" : "no");
}

void log_event(LogEvent ev, int priority, const LogFields *fields, const char *fmt, ...)
{
        char message[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);

        /* Static: log_event may run when memory is short; 6 KiB of stack
         * is avoidable and the daemon is single-threaded. */
        static FieldBuf fb;
        fb.n = 0;
        fields_build(fields, &fb);

        if (to_journal) {
                struct iovec iov[MAX_FIELDS + 4];
                char mid[64], prio[32], msg[1100];
                size_t n = 0;
                snprintf(msg, sizeof msg, "MESSAGE=%s", message);
                iov[n++] = (struct iovec){ msg, strlen(msg) };
                snprintf(prio, sizeof prio, "PRIORITY=%d", priority);
                iov[n++] = (struct iovec){ prio, strlen(prio) };
                if (ev != EVENT_NONE) {
                        snprintf(mid, sizeof mid, "MESSAGE_ID=%s", log_message_id(ev));
                        iov[n++] = (struct iovec){ mid, strlen(mid) };
                }
                for (size_t i = 0; i < fb.n; i++)
                        iov[n++] = (struct iovec){ fb.text[i], strlen(fb.text[i]) };
                if (sd_journal_sendv(iov, (int)n) >= 0)
                        return;
                /* journald gone: fall through to stderr rather than lose it */
        }

        /* "memguard: MESSAGE [rule=x action=term pid=42 ...]" */
        char line[4096];
        size_t off = 0;
        int w = snprintf(line, sizeof line, "memguard: %s", message);
        off = w < 0 ? 0 : (size_t)w;
        for (size_t i = 0; i < fb.n && off < sizeof line; i++) {
                const char *kv = fb.text[i] + strlen("MEMGUARD_");
                const char *eq = strchr(kv, '=');
                int klen = eq ? (int)(eq - kv) : (int)strlen(kv);
                char key[64];
                snprintf(key, sizeof key, "%.*s", klen, kv);
                for (char *k = key; *k; k++)
                        *k = (char)(*k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k);
                w = snprintf(line + off, sizeof line - off, "%s%s%s%s", i == 0 ? " [" : " ",
                             key, eq ? eq : "", i + 1 == fb.n ? "]" : "");
                off += w < 0 ? 0 : (size_t)w;
        }
        fprintf(stderr, "%s\n", line);
}
