#!/bin/bash
# paced.sh — memguard's and earlyoom's wake-up at a 2 GiB box's pace, side
# by side on this host (issue 4, part 2): both thresholds PACE_MIB (1500)
# below MemAvailable, as in bench/idle.sh's *-paced rows, but run at the
# same time, so that the shared host's noise hits both alike. Two
# memguards: A started before CHILDREN (1000) sleeping processes appear,
# B after them (its snapshot holds them); earlyoom beside them.
#
#   bench/paced.sh [-w SECONDS] [-n CHILDREN]     (root not needed)
#
# Prints CPU time, wake-ups (schedstat) and µs per wake-up of each, and
# appends them to bench/results/paced.txt. Dry run; only what it starts is
# signalled.
set -euo pipefail
cd "$(dirname "$0")/.."
WINDOW=60 CHILDREN=1000 PACE_MIB=${PACE_MIB:-1500}
while getopts "w:n:" o; do case $o in w) WINDOW=$OPTARG ;; n) CHILDREN=$OPTARG ;; *) exit 2 ;; esac; done
make -s build/memguard build/bench/forker
command -v earlyoom >/dev/null || { echo "paced.sh: earlyoom not installed" >&2; exit 1; }
tmp=$(mktemp -d /tmp/memguard-paced.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
avail=$(kb MemAvailable) total=$(kb MemTotal)
[ "$avail" -gt $(((PACE_MIB + 512) * 1024)) ] || { echo "paced.sh: too little memory available" >&2; exit 1; }
thr=$((avail - PACE_MIB * 1024))
grep -q '^when = mem.available < 7%$' conf/memguard.conf
sed "s/^when = mem.available < 7%\$/when = mem.available < $((thr / 1024))M/" conf/memguard.conf >"$tmp/paced.conf"
pct=$(awk -v t="$thr" -v m="$total" 'BEGIN { printf "%.3f", t * 100 / m }')
build/memguard --config "$tmp/paced.conf" --dry-run >"$tmp/a.log" 2>&1 & A=$!; pids+=("$A")
sleep 2
if [ "$CHILDREN" -gt 0 ]; then
        build/bench/forker -n "$CHILDREN" -t $((WINDOW + 120)) >"$tmp/forker.out" & pids+=("$!")
        for _ in $(seq 300); do grep -q '^ready' "$tmp/forker.out" 2>/dev/null && break; sleep 0.1; done
        grep -q '^ready' "$tmp/forker.out" || { echo "paced.sh: forker did not start" >&2; exit 1; }
fi
build/memguard --config "$tmp/paced.conf" --dry-run >"$tmp/b.log" 2>&1 & B=$!; pids+=("$B")
earlyoom --dryrun -r 3600 -m "$pct" >"$tmp/e.log" 2>&1 & E=$!; pids+=("$E")
sleep 5
snap() { awk '{ print $1, $3 }' "/proc/$1/schedstat"; }
declare -A r0 w0
for p in $A $B $E; do read -r r0[$p] w0[$p] < <(snap "$p"); done
sleep "$WINDOW"
{
        echo "# bench/paced.sh $(date -u +%Y-%m-%dT%H:%MZ), memguard $(git describe --always --dirty), window ${WINDOW} s, $CHILDREN children, $(find /proc -maxdepth 1 -name '[0-9]*' | wc -l) pids"
        for x in "memguard-A $A" "memguard-B $B" "earlyoom $E"; do
                set -- $x
                read -r r w < <(snap "$2")
                awk -v n="$1" -v r=$((r - r0[$2])) -v w=$((w - w0[$2])) -v s="$WINDOW" \
                        'BEGIN { printf "%s\tcpu_ms %.1f\twake-ups/s %.2f\tus/wake-up %.1f\n", n, r / 1e6, w / s, r / 1e3 / w }'
        done
} | tee -a bench/results/paced.txt
