/* mg-fakesd — systemd's manager as far as memguard's restarts see it, on
 * the bus $DBUS_SYSTEM_BUS_ADDRESS names (a private dbus-daemon of
 * tests/faults/run.sh): it owns org.freedesktop.systemd1, answers Subscribe,
 * and answers RestartUnit with a job that never finishes, so that a restart
 * stays in flight until the bus goes away. Prints "ready" once it owns the
 * name and "restart UNIT" for each RestartUnit, on stdout, flushed. */
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

static int on_subscribe(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)userdata, (void)error;
        return sd_bus_reply_method_return(m, "");
}

static int on_restart(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        (void)userdata, (void)error;
        const char *unit, *mode;
        int r = sd_bus_message_read(m, "ss", &unit, &mode);
        if (r < 0)
                return r;
        printf("restart %s\n", unit);
        fflush(stdout);
        return sd_bus_reply_method_return(m, "o", "/org/freedesktop/systemd1/job/1");
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Subscribe", "", "", on_subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("RestartUnit", "ss", "o", on_restart, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
        SD_BUS_VTABLE_END,
};

int main(void)
{
        sd_event *event = NULL;
        sd_bus *bus = NULL;
        int r = sd_event_default(&event);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
                                             "org.freedesktop.systemd1.Manager", manager_vtable,
                                             NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                fprintf(stderr, "mg-fakesd: cannot serve on the bus: %d\n", r);
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        /* ends when the bus goes away (or on a signal) */
        r = sd_event_loop(event);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(event);
        return r < 0 ? 1 : 0;
}
