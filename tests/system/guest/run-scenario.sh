#!/bin/bash
# Runs one scenario in the guest: lib.sh, then the scenario's test.sh. The
# checks every scenario shares (memguard's self-protection) are
# guest/self-checks.sh, which the driver runs after this, whether this
# finished, failed or hit the scenario's timeout.
set -u
D=/mnt/data
. "$D/lib.sh"
# (a package scenario installs memguard first, then calls mg_begin itself)
[ -d "$D/debs" ] || mg_begin
. "$D/scenario/test.sh"
# Reached only if test.sh ran to its end (set -u aborts the shell on an
# unset variable): the driver fails a scenario whose script did not.
exit 0
