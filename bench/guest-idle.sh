#!/bin/bash
# guest-idle.sh — memguard's and earlyoom's idle cost in the 2 GB guest of
# the system tests, where cgroup v2 lets memguard sample units without
# walking /proc, and with the metrics file on (bench/results/idle-guest.tsv).
# Root; ~35 minutes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
MEMGUARD_SCENARIOS=$HERE/guest-idle MEMGUARD_SYSTEM_RESULTS=$TOP/build/bench/guest-idle \
        "$TOP/tests/system/run.sh" idle
cp "$TOP/build/bench/guest-idle/idle/idle.tsv" "$TOP/bench/results/idle-guest.tsv"
column -t "$TOP/bench/results/idle-guest.tsv"
