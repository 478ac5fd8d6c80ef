#!/bin/bash
# The self-protection checks of every scenario (mg_end in lib.sh). The driver
# runs them in a shell of their own after the scenario, so that a scenario
# that hit its timeout (or died) still gets them.
set -u
D=/mnt/data
. "$D/lib.sh"
log "self-checks: MemAvailable $(mem_available_mib) MiB"
mg_end
