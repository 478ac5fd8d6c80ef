#!/bin/bash
# The self-protection checks of every scenario (mg_end in lib.sh). The driver
# runs them in a shell of their own after the scenario, so that a scenario
# that hit its timeout (or died) still gets them.
set -u
D=/mnt/data
. "$D/lib.sh"
log "self-checks: MemAvailable $(mem_available_mib) MiB"
if [ -d "$D/debs" ]; then
        # A package scenario ends with apt purge: it ran mg_end itself
        # before the purge; what still holds after it is checked here.
        mg_end_purged
else
        mg_end
fi
