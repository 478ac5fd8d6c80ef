#!/usr/bin/env bash
# The protection matrix (issue 4, part 1): a leak at several rates in the
# 2 GiB Debian 12 guest of tests/system, next to a 300 MiB file-backed
# working set and an innocent 100 MiB service, with no daemon, earlyoom,
# earlyoom with memguard's thresholds, nohang, systemd-oomd (as Debian 12
# ships them) or memguard (its shipped config and unit, `make install`).
#
#   bench/matrix.sh [--daemons LIST] [--rates LIST] [--reps N] [--no-report]
#                   [--sample-ms MS] [--results DIR]
#
# LIST is comma-separated. Defaults: all daemons (memguard last), rates
# 10,50,200,1000 MB/s, 3 reps, MemAvailable sampled every 100 ms, results
# in bench/results/matrix. One more daemon is not in the default list:
# memguard-acting, memguard with its shipped acting rules only (near-oom's
# SIGTERM below 7%, oom-imminent's SIGKILL below 3%), the thresholds of
# earlyoom-matched, for bench/reaction.sh. One guest boot per daemon runs all of its
# cells (reps x rates, rep-major) with a full reset between runs; see
# bench/guest/matrix-driver.sh. A cell's results replace any stored ones
# for that cell: bench/results/matrix/DAEMON/RATEMBps-rREP/{meta.txt,
# samples.csv,events.tsv}, plus DAEMON/info.txt (what ran, with which
# settings). Guest console and journal (not committed) in build/bench/matrix/.
# Then bench/matrix-report.sh rebuilds bench/results/matrix.md and the plots
# from everything stored.
#
# Needs root (a host memory cgroup for QEMU, mkfs.ext4 -d), tests/system/deps.sh,
# jq. Only one guest at a time: do not run it next to tests/system/run.sh.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
        echo "matrix.sh: needs root (a host memory cgroup for QEMU)" >&2
        exit 1
fi
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
SYS=$TOP/tests/system
CACHE=${MEMGUARD_GUEST_CACHE:-/var/cache/memguard-guest}
RES=$HERE/results/matrix
SAMPLE_MS=100
LOGS=$TOP/build/bench/matrix
GUEST_MIB=2048 # QEMU's host cgroup: this + 1 GiB (tests/system/host.sh)

daemons="none,earlyoom,earlyoom-matched,nohang,systemd-oomd,memguard"
rates="10,50,200,1000"
reps=3
report=yes
while [ $# -gt 0 ]; do
        case $1 in
        --daemons) daemons=$2; shift 2 ;;
        --rates) rates=$2; shift 2 ;;
        --reps) reps=$2; shift 2 ;;
        --no-report) report=no; shift ;;
        --sample-ms) SAMPLE_MS=$2; shift 2 ;;
        --results) RES=$2; shift 2 ;;
        -h | --help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d'; exit 0 ;;
        *) echo "matrix.sh: unknown argument $1" >&2; exit 2 ;;
        esac
done
for d in ${daemons//,/ }; do
        case $d in none | earlyoom | earlyoom-matched | nohang | systemd-oomd | memguard | memguard-acting) ;;
        *) echo "matrix.sh: unknown daemon $d" >&2; exit 2 ;;
        esac
done
for r in ${rates//,/ }; do
        [[ $r =~ ^[0-9]+$ ]] && [ "$r" -gt 0 ] || { echo "matrix.sh: bad rate $r" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "matrix.sh: needs jq" >&2; exit 1; }

# A run ends 3 s after the leaker is gone, or at its cap: the time a leak
# at RATE takes to eat the ~1.8 GB free at the start, plus 90 s for a stall
# (past the cap: "stalled, no action"; the driver kills the leaker).
cap_for() { echo $((1800 / $1 + 90)); }

"$SYS/build-image.sh"

# shellcheck source=tests/system/host.sh
. "$SYS/host.sh"
guest_setup memguard-bench

# Helpers for the guest; memguard only when it is measured (the tree may be
# mid-change while the peers run).
helpers=$work/helpers/usr/local/bin
mkdir -p "$helpers"
gcc -O2 -Wall -Wextra -Werror -o "$helpers/mg-leak" "$SYS/helpers/mg-leak.c"
gcc -O2 -Wall -Wextra -Werror -o "$helpers/mg-ws" "$HERE/guest/mg-ws.c"
gcc -O2 -Wall -Wextra -Werror -o "$helpers/mg-sample" "$HERE/guest/mg-sample.c"
mg_rev=
# Built right before its boot, from the tree as it is then.
build_memguard() {
        rm -rf "$work/mg-stage"
        make -s -C "$TOP" all >/dev/null &&
                make -s -C "$TOP" install DESTDIR="$work/mg-stage" PREFIX=/usr >/dev/null || return 1
        mg_rev=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
        if [ -n "$(git -C "$TOP" status --porcelain -- src include conf systemd Makefile 2>/dev/null)" ]; then
                mg_rev="$mg_rev (src/include/conf/systemd diff sha256 $(git -C "$TOP" diff HEAD -- src include conf systemd Makefile | sha256sum | cut -c1-12))"
        fi
}

# events.json (journal lines, -o json) -> events.tsv:
# t_us  t_recv_us  source  message_id  rule  signal  pid  comm  message
events_tsv() {
        jq -r 'select(.MESSAGE != null) |
                [ (._SOURCE_MONOTONIC_TIMESTAMP // .__MONOTONIC_TIMESTAMP), .__MONOTONIC_TIMESTAMP,
                  (if ._TRANSPORT == "kernel" then "kernel"
                   elif ._SYSTEMD_UNIT == "init.scope" and .UNIT != null then "systemd:" + .UNIT
                   else (._SYSTEMD_UNIT // .SYSLOG_IDENTIFIER // "?") end),
                  (.MESSAGE_ID // "-"), (.MEMGUARD_RULE // "-"), (.MEMGUARD_SIGNAL // "-"),
                  (.MEMGUARD_PID // "-"), (.MEMGUARD_COMM // "-"),
                  (.MESSAGE | if type == "string" then . else tostring end | gsub("[\t\n]+"; " | ")) ] | @tsv' "$1"
}

run_daemon() { # run_daemon DAEMON
        local d=$1 dir=$work/$1 log=$LOGS/$1
        local rl=${rates//,/ } total=180 r
        if [[ $d = memguard* ]] && ! build_memguard; then
                echo "matrix: memguard: the tree does not build; skipped" >&2
                return 1
        fi
        rm -rf "$log" "$dir"
        mkdir -p "$dir/data/out" "$dir/data/root" "$log"
        cp -a "$work/helpers/." "$dir/data/root/"
        if [[ $d = memguard* ]]; then cp -a "$work/mg-stage/." "$dir/data/root/"; fi
        cp "$HERE/guest/matrix-driver.sh" "$dir/data/driver.sh"
        {
                echo "DAEMON=$d"
                echo "RATES=\"$rl\""
                echo "REPS=$reps"
                echo "SAMPLE_MS=$SAMPLE_MS"
                for r in $rl; do echo "CAP_$r=$(cap_for "$r")"; done
        } >"$dir/data/bench.conf"
        for r in $rl; do total=$((total + reps * ($(cap_for "$r") + 90))); done
        guest_disks "$dir"

        echo "matrix: $d: rates $rl MB/s x $reps reps, hard limit $total s; progress in $log/console.log"
        local t0=$SECONDS rc
        guest_boot "memguard-bench-$d" "$dir" "$log/console.log" "$total" "$log/qemu.log"
        rc=$guest_rc

        debugfs -R "rdump /out $dir" "$dir/data.img" >/dev/null 2>&1 || true
        local out=$dir/out n=0 cell
        [ -f "$out/journal.txt" ] && mv "$out/journal.txt" "$log/"
        [ -f "$out/progress.log" ] && mv "$out/progress.log" "$log/"
        if [ ! -d "$out/runs" ] || [ -z "$(ls "$out/runs")" ]; then
                echo "matrix: $d: no results (QEMU exit $rc, $((SECONDS - t0)) s); see $log/console.log" >&2
                return 1
        fi
        # Replace this subset's stored cells, keep the others.
        mkdir -p "$RES/$d"
        for r in $rl; do
                for rep in $(seq 1 "$reps"); do rm -rf "$RES/$d/${r}MBps-r$rep"; done
        done
        cp "$out/info.txt" "$RES/$d/info.txt" 2>/dev/null || true
        [ -n "$mg_rev" ] && [[ $d = memguard* ]] && echo "memguard tree: $mg_rev" >>"$RES/$d/info.txt"
        for cell in "$out"/runs/*/; do
                cell=$(basename "$cell")
                [ -s "$out/runs/$cell/meta.txt" ] || continue
                mkdir -p "$RES/$d/$cell"
                cp "$out/runs/$cell/meta.txt" "$out/runs/$cell/samples.csv" "$RES/$d/$cell/" 2>/dev/null || true
                events_tsv "$out/runs/$cell/events.json" >"$RES/$d/$cell/events.tsv" 2>/dev/null ||
                        cp "$out/runs/$cell/events.json" "$log/$cell.events.json"
                n=$((n + 1))
        done
        echo "matrix: $d: $n runs stored in $((SECONDS - t0)) s (QEMU exit $rc, peak $guest_peak_mib MiB)"
}

failed=0
for d in ${daemons//,/ }; do
        run_daemon "$d" || failed=$((failed + 1))
done
if [ $report = yes ]; then
        "$HERE/matrix-report.sh"
fi
[ $failed -eq 0 ]
