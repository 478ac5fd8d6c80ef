/* action_restart.c — RestartUnit over one long-lived system bus connection;
 * see action_restart.h.
 *
 * Nothing here waits for the bus: the connection is opened with its Hello
 * in flight, the JobRemoved match and Subscribe are sent asynchronously and
 * every later call queues behind them. A stalled dbus-daemon or PID 1 can
 * therefore delay a restart's result, never the event loop (and with it
 * the watchdog). The bus delivers one connection's messages in order, so
 * the match and the subscription are in effect before systemd sees our
 * RestartUnit, even when the first restart is what opened the connection. */
#include "act/action_restart.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "act/fields.h"
#include "util/cleanup.h"
#include "util/log.h"

/* A restart job that has not finished after this long is reported and
 * forgotten, so that one hung ExecStop cannot block every other action. */
#define RESTART_TIMEOUT_USEC (120 * USEC_PER_SEC)

/* The RestartUnit call itself shares that budget rather than sd-bus's
 * default 25 s. systemd answers as soon as the job is queued, so a late
 * answer means PID 1 is stalled; giving up on the call earlier would free
 * the one-action-in-flight slot while PID 1 may still queue and run the
 * restart, and without the answer (the job's path) the job cannot be
 * followed anyway. Whichever of the two timeouts fires first ends the
 * restart; the other is cancelled with it. */
#define RESTART_CALL_TIMEOUT_USEC RESTART_TIMEOUT_USEC

/* JobRemoved signals for our unit that arrive before RestartUnit's answer,
 * kept until the answer names our job. With mode "replace" systemd cancels
 * a job the unit already had queued, and reports that job as "canceled",
 * while it handles our call. A few suffice: one per job replaced. */
#define RESTART_EARLY_MAX 4

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

typedef struct EarlyJob {
        char job[256];
        char result[32];
} EarlyJob;

struct RestartClient {
        sd_event *event;
        sd_bus *bus;
        sd_bus_slot *job_removed;   /* JobRemoved match */
        sd_bus_slot *subscribe;     /* the pending Subscribe call */
        sd_bus_slot *disconnected;  /* filter that sees the bus go away */
        sd_bus_slot *call;          /* the pending RestartUnit call */
        sd_event_source *timeout;
        bool subscribe_failed;      /* this connection cannot follow jobs:
                                     * replace it at the next restart */
        bool subscribe_warned;      /* ... and the operator was told */
        bool busy;
        char job[256];              /* object path of our job, once known */
        EarlyJob early[RESTART_EARLY_MAX];
        unsigned n_early;           /* signals seen; the newest overwrite the oldest */
        char unit[256];
        char cgroup[PROC_CGROUP_MAX];
        char rule[128];
        uint64_t pss_kb;
        void (*done)(void *, bool);
        void *userdata;
};

int restart_client_new(sd_event *event, RestartClient **ret)
{
        RestartClient *c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        *ret = c;
        return 0;
}

/* Forgets the connection and everything pending on it. Never flushes: a
 * stalled dbus-daemon must not block us, and nothing we send is
 * fire-and-forget. Safe from inside one of the bus's own callbacks (sd-bus
 * keeps the bus and the running slot alive until the callback returns). */
static void rc_drop_bus(RestartClient *c)
{
        c->call = sd_bus_slot_unref(c->call);
        c->subscribe = sd_bus_slot_unref(c->subscribe);
        c->job_removed = sd_bus_slot_unref(c->job_removed);
        c->disconnected = sd_bus_slot_unref(c->disconnected);
        c->bus = sd_bus_close_unref(c->bus);
}

void restart_client_free(RestartClient *c)
{
        if (!c)
                return;
        rc_drop_bus(c);
        sd_event_source_disable_unref(c->timeout);
        sd_event_unref(c->event);
        free(c);
}

bool restart_client_busy(const RestartClient *c)
{
        return c->busy;
}

static void rc_fields(const RestartClient *c, LogFields *f)
{
        *f = (LogFields){ .rule = c->rule, .action = "restart", .unit = c->unit,
                          .cgroup = c->cgroup, .pss_kb = c->pss_kb };
}

/* NOT_DONE: the restart was certainly not carried out (systemd refused
 * it, or the bus went away before systemd had the request). */
static void rc_finish(RestartClient *c, bool not_done)
{
        c->busy = false;
        c->job[0] = '\0';
        c->n_early = 0;
        c->call = sd_bus_slot_unref(c->call);
        c->timeout = sd_event_source_disable_unref(c->timeout);
        if (c->done)
                c->done(c->userdata, not_done);
}

static void rc_job_result(RestartClient *c, const char *result)
{
        LogFields f;
        rc_fields(c, &f);
        f.job_result = result;
        bool ok = strcmp(result, "done") == 0;
        log_event(EVENT_RESTART_DONE, ok ? LOG_NOTICE : LOG_ERR, &f, "%s: restart of %s %s (job result: %s)",
                  c->rule, c->unit, ok ? "completed" : "failed", result);
        rc_finish(c, false);
}

/* The connection is gone (dbus-daemon went away, or refused our Hello).
 * A restart in flight cannot be followed any more: it ends now, rather
 * than on the job timeout. The next restart connects again. */
static void rc_bus_lost(RestartClient *c)
{
        rc_drop_bus(c);
        c->subscribe_failed = false;
        if (!c->busy) {
                log_msg(LOG_WARNING, "lost the connection to the system bus; reconnecting at the next restart");
                return;
        }
        LogFields f;
        rc_fields(c, &f);
        f.errno_text = "connection to the system bus lost";
        log_event(EVENT_ACTION_FAILED, LOG_ERR, &f,
                  "%s: lost the connection to the system bus while restarting %s; its result is unknown",
                  c->rule, c->unit);
        rc_finish(c, false);
}

static bool rc_bus_open(sd_bus_message *m)
{
        return sd_bus_is_open(sd_bus_message_get_bus(m)) > 0;
}

/* The JobRemoved match or Subscribe failed: results cannot be followed on
 * this connection. Said once until a subscription works again; the next
 * restart replaces the connection. A restart in flight is still bounded by
 * its timeout. */
static void rc_subscribe_failed(RestartClient *c, const char *what, const sd_bus_error *e)
{
        c->subscribe_failed = true;
        if (c->subscribe_warned)
                return;
        c->subscribe_warned = true;
        log_msg(LOG_WARNING,
                "cannot follow systemd's restart jobs on the system bus (%s: %s): their results will not be reported; reconnecting at the next restart",
                what, e->message ? e->message : e->name);
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        RestartClient *c = userdata;
        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected") > 0)
                rc_bus_lost(c);
        return 0;
}

static int on_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        RestartClient *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e && rc_bus_open(m))  /* a lost bus is reported as such */
                rc_subscribe_failed(c, "AddMatch", e);
        return 0;
}

static int on_subscribe_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        RestartClient *c = userdata;
        c->subscribe = sd_bus_slot_unref(c->subscribe);
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (!e)
                c->subscribe_warned = false;
        else if (rc_bus_open(m))
                rc_subscribe_failed(c, "Subscribe", e);
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        RestartClient *c = userdata;
        uint32_t id;
        const char *job, *unit, *result;
        if (!c->busy || sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0)
                return 0;
        if (c->job[0]) {
                /* Our job is known: only its own removal counts. */
                if (strcmp(job, c->job) == 0)
                        rc_job_result(c, result);
                return 0;
        }
        /* Before the answer we cannot tell our job from one that ours
         * replaced: remember it, on_restart_reply() decides. */
        if (strcmp(unit, c->unit) != 0)
                return 0;
        EarlyJob *ej = &c->early[c->n_early++ % RESTART_EARLY_MAX];
        snprintf(ej->job, sizeof ej->job, "%s", job);
        snprintf(ej->result, sizeof ej->result, "%s", result);
        return 0;
}

static int on_restart_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        RestartClient *c = userdata;
        c->call = sd_bus_slot_unref(c->call);
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e && !rc_bus_open(m)) {
                /* sd-bus fails pending calls when the connection drops */
                rc_bus_lost(c);
                return 0;
        }
        if (e) {
                LogFields f;
                rc_fields(c, &f);
                f.errno_text = e->message ? e->message : e->name;
                if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                        log_event(EVENT_ACTION_FAILED, LOG_ERR, &f,
                                  "%s: systemd did not answer the request to restart %s (%s); moving on",
                                  c->rule, c->unit, f.errno_text);
                else
                        log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: systemd refused to restart %s: %s",
                                  c->rule, c->unit, f.errno_text);
                /* refused: certainly not restarted; no answer: it may be */
                rc_finish(c, !sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY));
                return 0;
        }
        const char *job;
        if (sd_bus_message_read(m, "o", &job) < 0)
                return 0; /* cannot happen with systemd; the timeout ends it */
        snprintf(c->job, sizeof c->job, "%s", job);
        unsigned n = c->n_early < RESTART_EARLY_MAX ? c->n_early : RESTART_EARLY_MAX;
        for (unsigned i = 0; i < n; i++)
                if (strcmp(c->early[i].job, c->job) == 0) {
                        char result[sizeof c->early[i].result];
                        snprintf(result, sizeof result, "%s", c->early[i].result);
                        rc_job_result(c, result);
                        return 0;
                }
        c->n_early = 0;
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        (void)s, (void)usec;
        RestartClient *c = userdata;
        LogFields f;
        rc_fields(c, &f);
        log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: restart of %s has not finished after %llu s; moving on",
                  c->rule, c->unit, (unsigned long long)(RESTART_TIMEOUT_USEC / USEC_PER_SEC));
        rc_finish(c, false);
        return 0;
}

int restart_client_connect(RestartClient *c)
{
        /* A restart in flight owns its connection; if that connection is
         * lost, the event loop ends the restart and the next one reconnects. */
        if (c->busy)
                return 0;
        if (c->bus && sd_bus_is_open(c->bus) > 0 && !c->subscribe_failed)
                return 0;
        rc_drop_bus(c);
        c->subscribe_failed = false;

        /* Connects the socket (non-blocking) and sends Hello asynchronously. */
        int r = sd_bus_open_system(&c->bus);
        if (r < 0) {
                c->bus = NULL;
                return r;
        }
        /* We close the bus ourselves; sd-bus's close on event-loop exit
         * would flush first, which can block on a stalled dbus-daemon. */
        r = sd_bus_set_close_on_exit(c->bus, false);
        if (r < 0)
                goto fail;
        r = sd_bus_attach_event(c->bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto fail;
        /* sd-bus hands a dropped connection to filters as a local
         * Disconnected signal; nothing is sent for it. */
        r = sd_bus_add_filter(c->bus, &c->disconnected, on_disconnected, c);
        if (r < 0)
                goto fail;
        r = sd_bus_match_signal_async(c->bus, &c->job_removed, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
                                      on_job_removed, on_match_installed, c);
        if (r < 0)
                goto fail;
        /* systemd emits JobRemoved only while a client is subscribed. */
        r = sd_bus_call_method_async(c->bus, &c->subscribe, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe",
                                     on_subscribe_reply, c, "");
        if (r < 0)
                goto fail;
        return 0;
fail:
        rc_drop_bus(c);
        return r;
}

int restart_client_start(RestartClient *c, const Decision *d, const Snapshot *snap,
                         const LogMemory *mem, bool dry_run, void (*done)(void *, bool),
                         void *userdata)
{
        LogFields f;
        fields_of_decision(d, snap, dry_run, &f);
        char clause[320] = "";
        LogFields fm = f; /* the request's entry carries the evidence */
        if (mem) {
                fm.memory = mem;
                log_memory_clause(mem, clause, sizeof clause);
                /* a unit rule's restart names no process: the evidence's */
                if (fm.pid <= 0 && (mem->has_proc || mem->has_fds)) {
                        fm.pid = mem->pid;
                        fm.comm = mem->comm;
                }
        }
        if (!d->unit[0]) {
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: %s (pid %d) is in no systemd unit: nothing to restart",
                          d->rule->name, d->comm, (int)d->pid);
                return -ENOENT;
        }
        /* RestartUnit names a unit of the system manager: a user's
         * api.service must never become a restart of the system's. The
         * engine never asks; this holds whatever it asks. */
        if (d->unit_owner[0]) {
                f.errno_text = "not a unit of the system manager";
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f,
                          "%s: not restarting %s: it belongs to the service manager in %s, not to the system's",
                          d->rule->name, d->unit, d->unit_owner);
                return -EPERM;
        }
        if (dry_run) {
                log_event(EVENT_RESTART, LOG_WARNING, &fm, "%s: %s%s%s [dry run: not restarted]",
                          d->rule->name, d->reason, clause[0] ? "; " : "", clause);
                return 0;
        }
        int r = restart_client_connect(c);
        if (r < 0) {
                f.errno_text = strerror(-r);
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f,
                          "%s: cannot restart %s: no connection to systemd on the system bus (%s); nothing else is done in its place",
                          d->rule->name, d->unit, strerror(-r));
                return r;
        }
        snprintf(c->unit, sizeof c->unit, "%s", d->unit);
        snprintf(c->cgroup, sizeof c->cgroup, "%s", d->unit_cgroup);
        snprintf(c->rule, sizeof c->rule, "%s", d->rule->name);
        c->pss_kb = d->pss_kb;
        c->job[0] = '\0';
        c->n_early = 0;
        c->done = done;
        c->userdata = userdata;
        sd_bus_message *m = NULL;
        r = sd_bus_message_new_method_call(c->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "RestartUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", d->unit, "replace");
        if (r >= 0)
                r = sd_bus_call_async(c->bus, &c->call, m, on_restart_reply, c, RESTART_CALL_TIMEOUT_USEC);
        sd_bus_message_unref(m);
        if (r < 0) {
                f.errno_text = strerror(-r);
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: cannot ask systemd to restart %s: %s",
                          d->rule->name, d->unit, strerror(-r));
                return r;
        }
        r = sd_event_add_time_relative(c->event, &c->timeout, CLOCK_MONOTONIC, RESTART_TIMEOUT_USEC,
                                       USEC_PER_SEC, on_timeout, c);
        if (r < 0)
                c->timeout = NULL; /* still bounded by the call's timeout until the answer */
        c->busy = true;
        log_event(EVENT_RESTART, LOG_WARNING, &fm, "%s: %s%s%s", d->rule->name, d->reason,
                  clause[0] ? "; " : "", clause);
        return 1;
}
