#!/bin/bash
# Runs one scenario in the guest: lib.sh, the scenario's test.sh, then the
# checks every scenario shares (memguard's self-protection).
set -u
D=/mnt/data
. "$D/lib.sh"
mg_begin
. "$D/scenario/test.sh"
mg_end
