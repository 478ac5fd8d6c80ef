#!/bin/bash
# soak.sh — the soak scenario of the system tests (tests/system/scenarios/
# soak: 100 processes/s, a unit every 2 s, a reload every 10 s, memguard
# with the shipped configuration in the 2 GB guest) for SOAK_SECONDS
# (default 1800: 30 minutes) instead of CI's 120. Keeps the samples in
# bench/results/soak-guest.tsv and the slopes in soak-guest-summary.txt.
# Root; SOAK_SECONDS + ~3 minutes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
secs=${SOAK_SECONDS:-1800}
scenarios=$(mktemp -d)
trap 'rm -rf "$scenarios"' EXIT
cp -a "$TOP/tests/system/scenarios/soak" "$scenarios/soak"
echo "$secs" >"$scenarios/soak/seconds"
echo $((secs + 300)) >"$scenarios/soak/timeout"
MEMGUARD_SCENARIOS=$scenarios MEMGUARD_SYSTEM_RESULTS=$TOP/build/bench/soak \
        "$TOP/tests/system/run.sh" soak || true
res=$TOP/build/bench/soak/soak
cp "$res/soak.tsv" "$TOP/bench/results/soak-guest.tsv"
cp "$res/soak-summary.txt" "$TOP/bench/results/soak-guest-summary.txt"
grep -E '^(ok|not ok)' "$res/checks"
cat "$TOP/bench/results/soak-guest-summary.txt"
