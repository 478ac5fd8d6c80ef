#!/bin/bash
# reaction.sh — reaction time as a distribution (issue 20, part 2): in the
# 2 GiB guest of tests/system, a leak at 200 and at 1000 MB/s, REPS times
# each (default 20), under memguard with its shipped acting rules only
# (memguard-acting: SIGTERM below 7% MemAvailable, SIGKILL below 3%) and
# under earlyoom with the same thresholds (earlyoom-matched: -m 7,3).
# The bench's own sampler reads MemAvailable every 10 ms; the leaker
# notes when its SIGTERM arrives (mg-leak's MG_LEAK_TERM_PROBE). One guest
# boot per daemon (bench/matrix.sh's driver, its reset between runs).
#
#   bench/reaction.sh [--reps N] [--rates LIST] [--daemons LIST]
#   (or: make bench-reaction; root; ~75 min at 20 reps)
#
# Runs go to bench/results/reaction/DAEMON/RATEMBps-rREP/; then
# bench/reaction-report.sh writes bench/results/reaction/reaction.md (the
# p50/p95/p99 table, every run) and reaction.svg.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
reps=20 rates=200,1000 daemons=memguard-acting,earlyoom-matched
while [ $# -gt 0 ]; do
        case $1 in
        --reps) reps=$2; shift 2 ;;
        --rates) rates=$2; shift 2 ;;
        --daemons) daemons=$2; shift 2 ;;
        *) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d'; exit 2 ;;
        esac
done
"$HERE/matrix.sh" --daemons "$daemons" --rates "$rates" --reps "$reps" --sample-ms 10 \
        --results "$HERE/results/reaction" --no-report
"$HERE/reaction-report.sh" "$HERE/results/reaction"
