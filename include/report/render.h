/* render.h — `memguard status` for people (one screen) and for scripts
 * (JSON with stable field names: sizes in bytes, rates in bytes per
 * second, times as Unix seconds or durations in seconds; null where
 * unknown). See memguard(8), STATUS. */
#ifndef MEMGUARD_REPORT_RENDER_H
#define MEMGUARD_REPORT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "report/status.h"

typedef struct RenderOptions {
        size_t top;           /* units and processes shown; 0: all */
        uint64_t now_realtime_usec; /* for "12 s ago" */
        bool sampled;         /* a one-off sample (--sample), not the daemon's */
} RenderOptions;

/* Sorts F's units and processes largest first (the file's order is a
 * heap's). */
void status_sort(StatusFile *f);

void status_render_text(FILE *out, const StatusFile *f, const RenderOptions *o);
void status_render_json(FILE *out, const StatusFile *f, const RenderOptions *o);

#endif
