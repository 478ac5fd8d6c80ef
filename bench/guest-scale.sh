#!/bin/bash
# guest-scale.sh — memguard's cost with 1000 more units (issue 20, part 3)
# in the 2 GB guest of the system tests, where cgroup v2 gives each unit a
# cgroup that memguard reads and watches: CPU and wake-ups beside
# earlyoom's, units known, growth series, heap, RssAnon, PSS and inotify
# watches, before, with and after the units (bench/guest-scale/units/
# test.sh says what each column is). Root; ~25 minutes.
#
#   bench/guest-scale.sh      (or: make bench-units)
#
# Writes bench/results/units-guest.tsv.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
MEMGUARD_SCENARIOS=$HERE/guest-scale MEMGUARD_SYSTEM_RESULTS=$TOP/build/bench/guest-scale \
        "$TOP/tests/system/run.sh" units
cp "$TOP/build/bench/guest-scale/units/units.tsv" "$TOP/bench/results/units-guest.tsv"
column -t "$TOP/bench/results/units-guest.tsv"
