/* fields.c — a decision's journal fields; see fields.h. */
#include "act/fields.h"

#include <math.h>

#include "config/config.h"

void fields_of_decision(const Decision *d, const Snapshot *snap, bool dry_run, LogFields *ret)
{
        *ret = (LogFields){
                .rule = d->rule ? d->rule->name : NULL,
                .action = action_to_string(d->action),
                .pid = d->pid,
                .comm = d->comm,
                .unit = d->unit_owner[0] ? d->unit_owner : d->unit,
                .user_unit = unit_owner_is_user(d->unit_owner, NULL) ? d->unit : NULL,
                .cgroup = d->unit_cgroup,
                .pss_kb = d->pss_kb,
                .has_system = true,
                .mem_available_kb = snap->sys.mem.available_kb,
                .psi_some_avg10 = snap->sys.has_psi ? snap->sys.psi.some.avg10 : 0.0,
                .dry_run = dry_run,
                .has_growth = d->has_growth,
                .growth_bytes_per_hour = (int64_t)(d->growth_kb_per_hour * 1024.0),
                .growth_band_known = isfinite(d->growth_band_kb_per_hour),
                .growth_band_bytes_per_hour = isfinite(d->growth_band_kb_per_hour)
                                                      ? (int64_t)(d->growth_band_kb_per_hour * 1024.0)
                                                      : 0,
                .has_eta = d->has_eta,
                .eta_sec = d->eta_usec / 1000000,
        };
}
