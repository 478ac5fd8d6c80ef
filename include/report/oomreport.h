/* oomreport.h — the journal entry for a kill of the kernel's OOM killer
 * (read/oomkill.h): who was killed, in which unit, why the kernel did it
 * (the system ran out, or a cgroup's limit was hit: whose), how large the
 * victim was, and what memguard knew: the unit as its last sample saw it
 * (size, growth), and which rules were holding, or why none acted.
 *
 * One entry per kill, EVENT_KERNEL_OOM_KILL, priority LOG_ERR: the kernel
 * took a process that nobody chose. */
#ifndef MEMGUARD_REPORT_OOMREPORT_H
#define MEMGUARD_REPORT_OOMREPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "read/oomkill.h"
#include "read/snapshot.h"
#include "rules/rules.h"
#include "sample/history.h"
#include "util/log.h"

/* What memguard knew when the kill was reported. */
typedef struct OomReportSource {
        const Config *config;
        const Snapshot *snap;      /* the last walk and unit tier */
        const RulesState *state;   /* may be NULL */
        const History *hist;       /* may be NULL: no growth */
        bool dry_run;
        uint64_t now_usec;         /* CLOCK_MONOTONIC, the snapshot's clock */
} OomReportSource;

/* Completes KILL from the last walk: a victim whose cgroup the kernel did
 * not name (its summary line was rate-limited, or a kernel before 4.19)
 * gets the unit the walk found the process in, if the walk saw that pid
 * with that comm. Call before oomkills_credit(), so that the credit names
 * the unit. */
void oomreport_resolve(const OomReportSource *src, OomKill *kill);

/* An entry: MESSAGE and the fields, which point into it and into KILL and
 * SRC's snapshot (use before either changes). */
typedef struct OomReport {
        char message[1024];
        char unit[PROC_UNIT_MAX];
        char user_unit[PROC_UNIT_MAX];
        char rules[256];
        LogFields fields;
} OomReport;

/* Builds the entry for KILL. Pure: no I/O, no clock. */
void oomreport_build(const OomReportSource *src, const OomKill *kill, OomReport *ret);

/* Builds it and writes it to the journal. */
void oomreport_log(const OomReportSource *src, const OomKill *kill);

#endif
