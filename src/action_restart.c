/* action_restart.c — RestartUnit over one long-lived system bus connection;
 * see action_restart.h. */
#include "action_restart.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "actions.h"
#include "cleanup.h"
#include "log.h"

/* A restart job that has not finished after this long is reported and
 * forgotten, so that one hung ExecStop cannot block every other action. */
#define RESTART_TIMEOUT_USEC (120 * USEC_PER_SEC)

struct RestartClient {
        sd_event *event;
        sd_bus *bus;
        sd_bus_slot *job_removed;
        sd_bus_slot *call;          /* the pending RestartUnit call */
        sd_event_source *timeout;
        bool busy;
        char job[256];              /* object path of our job, once known */
        char unit[256];
        char rule[128];
        uint64_t pss_kb;
        void (*done)(void *);
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

void restart_client_free(RestartClient *c)
{
        if (!c)
                return;
        sd_bus_slot_unref(c->call);
        sd_bus_slot_unref(c->job_removed);
        sd_event_source_disable_unref(c->timeout);
        sd_bus_flush_close_unref(c->bus);
        sd_event_unref(c->event);
        free(c);
}

bool restart_client_busy(const RestartClient *c)
{
        return c->busy;
}

static void rc_fields(const RestartClient *c, LogFields *f)
{
        *f = (LogFields){ .rule = c->rule, .action = "restart", .unit = c->unit, .pss_kb = c->pss_kb };
}

static void rc_finish(RestartClient *c)
{
        c->busy = false;
        c->job[0] = '\0';
        c->call = sd_bus_slot_unref(c->call);
        c->timeout = sd_event_source_disable_unref(c->timeout);
        if (c->done)
                c->done(c->userdata);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        RestartClient *c = userdata;
        uint32_t id;
        const char *job, *unit, *result;
        if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0)
                return 0;
        if (!c->busy || strcmp(unit, c->unit) != 0)
                return 0;
        /* Before the call's reply names our job, any job of this unit that
         * ends is taken as ours: systemd replies before it runs the job, so
         * this only happens if another client restarted the unit too. */
        if (c->job[0] && strcmp(job, c->job) != 0)
                return 0;
        LogFields f;
        rc_fields(c, &f);
        f.job_result = result;
        bool ok = strcmp(result, "done") == 0;
        log_event(EVENT_RESTART_DONE, ok ? LOG_NOTICE : LOG_ERR, &f, "%s: restart of %s %s (job result: %s)",
                  c->rule, c->unit, ok ? "completed" : "failed", result);
        rc_finish(c);
        return 0;
}

static int on_restart_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)error;
        RestartClient *c = userdata;
        c->call = sd_bus_slot_unref(c->call);
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                LogFields f;
                rc_fields(c, &f);
                f.errno_text = e->message ? e->message : e->name;
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: systemd refused to restart %s: %s",
                          c->rule, c->unit, f.errno_text);
                rc_finish(c);
                return 0;
        }
        const char *job;
        if (sd_bus_message_read(m, "o", &job) >= 0)
                snprintf(c->job, sizeof c->job, "%s", job);
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
        rc_finish(c);
        return 0;
}

int restart_client_connect(RestartClient *c)
{
        if (c->bus && sd_bus_is_open(c->bus) > 0)
                return 0;
        c->job_removed = sd_bus_slot_unref(c->job_removed);
        c->bus = sd_bus_flush_close_unref(c->bus);

        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto fail;
        r = sd_bus_match_signal(bus, &c->job_removed, "org.freedesktop.systemd1",
                                "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                "JobRemoved", on_job_removed, c);
        if (r < 0)
                goto fail;
        /* systemd emits JobRemoved only to clients that subscribed. */
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "Subscribe", NULL, NULL, "");
        if (r < 0)
                goto fail;
        c->bus = bus;
        return 0;
fail:
        c->job_removed = sd_bus_slot_unref(c->job_removed);
        sd_bus_flush_close_unref(bus);
        return r;
}

int restart_client_start(RestartClient *c, const Decision *d, const Snapshot *snap, bool dry_run,
                         void (*done)(void *), void *userdata)
{
        LogFields f;
        actions_fields(d, snap, dry_run, &f);
        if (!d->unit[0]) {
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: %s (pid %d) is in no systemd unit: nothing to restart",
                          d->rule->name, d->comm, (int)d->pid);
                return 0;
        }
        if (dry_run) {
                log_event(EVENT_RESTART, LOG_WARNING, &f, "%s: %s [dry run: not restarted]", d->rule->name,
                          d->reason);
                return 0;
        }
        int r = restart_client_connect(c);
        if (r < 0) {
                f.errno_text = strerror(-r);
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f,
                          "%s: cannot restart %s: no connection to systemd on the system bus (%s); nothing else is done in its place",
                          d->rule->name, d->unit, strerror(-r));
                return 0;
        }
        snprintf(c->unit, sizeof c->unit, "%s", d->unit);
        snprintf(c->rule, sizeof c->rule, "%s", d->rule->name);
        c->pss_kb = d->pss_kb;
        c->job[0] = '\0';
        c->done = done;
        c->userdata = userdata;
        r = sd_bus_call_method_async(c->bus, &c->call, "org.freedesktop.systemd1",
                                     "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                     "RestartUnit", on_restart_reply, c, "ss", d->unit, "replace");
        if (r < 0) {
                f.errno_text = strerror(-r);
                log_event(EVENT_ACTION_FAILED, LOG_ERR, &f, "%s: cannot ask systemd to restart %s: %s",
                          d->rule->name, d->unit, strerror(-r));
                return 0;
        }
        r = sd_event_add_time_relative(c->event, &c->timeout, CLOCK_MONOTONIC, RESTART_TIMEOUT_USEC,
                                       USEC_PER_SEC, on_timeout, c);
        if (r < 0)
                c->timeout = NULL; /* still followed through JobRemoved */
        c->busy = true;
        log_event(EVENT_RESTART, LOG_WARNING, &f, "%s: %s", d->rule->name, d->reason);
        return 1;
}
