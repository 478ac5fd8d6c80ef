#!/bin/bash
# idle.sh — what memguard and earlyoom cost on this host when nothing
# happens (issue 4, part 2).
#
#   bench/idle.sh [-w SECONDS] [-n CHILDREN] [-d "DAEMONS"] [-s "SCENARIOS"] [-o FILE]
#   (or: make bench-idle)
#
# Each daemon runs alone, one after the other, for a warm-up (WARMUP, 5 s:
# startup is not idle) and then the measured window (-w, default 420 s:
# two periods of the longest periodic walk the shipped config can make, a
# third of its exhaustion rule's 10 min window, so that a window never
# holds a walk by chance; issue 20):
#
#   memguard        build/memguard --config conf/memguard.conf --dry-run
#   earlyoom        earlyoom --dryrun (defaults: it polls meminfo every 100 to
#                   1000 ms, longer the more memory is free: 1 s on this host)
#   earlyoom-100ms  the same at memguard's fast interval: earlyoom 1.7 has no
#                   poll-interval flag, so nanosleep() is capped at 100 ms by
#                   build/bench/sleepcap.so; -r 10 keeps its report once a
#                   second (the report countdown counts the uncapped sleeps)
#   memguard-paced, earlyoom-paced
#                   both at the pace of a 2 GiB box with 1.6 GiB available,
#                   on this host's real /proc/meminfo: each one's threshold
#                   is set PACE_MIB (default 1500) below MemAvailable at its
#                   start, so both size their sleep to ~250 ms from the same
#                   headroom at 6000 MiB/s, the way they do on the small box
#                   (memguard: the shipped config with near-oom's 7% made
#                   that absolute size; earlyoom: -m that percentage of
#                   MemTotal and -r 3600, Debian's default report interval).
#                   The row compares the cost of a wake-up at equal rates.
#
# MEMGUARD=PATH runs another memguard build (default build/memguard), with
# MEMGUARD_CONF (default conf/memguard.conf);
# NOTE="..." adds a line saying what it is to the results file.
#
# Scenarios (-s): "host", the processes this machine has; "children",
# the same plus CHILDREN (default 1000) sleeping processes from
# build/bench/forker in a 256 MiB memory cgroup, killed at the end; and
# "late", the same children started after the warm-up, so that the
# daemon meets them within the window (as on a box whose services start
# after memguard), not at its start.
#
# Measured per daemon: CPU time over the window from /proc/PID/task/*/
# schedstat (ns, user+kernel; utime+stime from stat in clock ticks as a
# cross-check), wake-ups (schedstat's run count: polls), and peak RSS
# (VmHWM); for memguard also its walks of /proc counted in the window and
# the CPU time of its last walk (`memguard status --json`'s
# daemon.samples.walks and sample_seconds, asked before and after the
# window, outside it), so that a reader sees what the window held and can
# add a walk that a longer period would hold. Writes FILE (default bench/results/idle.txt, tab-separated) and
# prints a summary. Nothing here acts: both daemons run in dry-run mode,
# and the script signals only the processes it started.
set -euo pipefail
cd "$(dirname "$0")/.."

WINDOW=${WINDOW:-420}
WARMUP=${WARMUP:-5}
CHILDREN=${CHILDREN:-1000}
DAEMONS=${DAEMONS:-"memguard earlyoom earlyoom-100ms memguard-paced earlyoom-paced"}
PACE_MIB=${PACE_MIB:-1500}
SCENARIOS=${SCENARIOS:-"host children"}
OUT=${OUT:-bench/results/idle.txt}
MEMGUARD=${MEMGUARD:-build/memguard} # another build to compare, e.g. of HEAD
MEMGUARD_CONF=${MEMGUARD_CONF:-conf/memguard.conf} # and its config
NOTE=${NOTE:-}                       # a line for the results file's header
# the tree measured, named before this run writes its results into it
REV=$(git describe --always --dirty 2>/dev/null || echo '?')
while getopts "w:n:d:s:o:h" opt; do
        case $opt in
        w) WINDOW=$OPTARG ;;
        n) CHILDREN=$OPTARG ;;
        d) DAEMONS=$OPTARG ;;
        s) SCENARIOS=$OPTARG ;;
        o) OUT=$OPTARG ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
        esac
done

make -s build/memguard build/bench/forker build/bench/sleepcap.so
if ! command -v earlyoom >/dev/null; then
        case " $DAEMONS " in *" earlyoom"*)
                echo "idle.sh: earlyoom not installed (apt-get install earlyoom)" >&2
                exit 1 ;;
        esac
fi

tmp=$(mktemp -d /tmp/memguard-idle.XXXXXX)
daemon_pid=""
forker_pid=""
cleanup() {
        # Only what this script started, by pid.
        if [ -n "$daemon_pid" ]; then
                kill "$daemon_pid" 2>/dev/null || true
                wait "$daemon_pid" 2>/dev/null || true
        fi
        if [ -n "$forker_pid" ]; then
                kill "$forker_pid" 2>/dev/null || true
                wait "$forker_pid" 2>/dev/null || true
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

others=$(pgrep -x earlyoom || true)
[ -z "$others" ] || echo "idle.sh: note: earlyoom already running (pid $others), not ours" >&2

clk_tck=$(getconf CLK_TCK)

# "RUN_NS WAKEUPS TICKS" of PID: schedstat summed over its threads.
cpu_of() {
        local pid=$1 run=0 wake=0 r w t
        for f in /proc/"$pid"/task/*/schedstat; do
                read -r r w t <"$f" || continue
                run=$((run + r))
                wake=$((wake + t))
        done
        local st
        st=$(cat /proc/"$pid"/stat)
        st=${st##*) }
        # after "comm) ": state is field 1, utime 12, stime 13
        set -- $st
        echo "$run $wake $((${12} + ${13}))"
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' /proc/"$1"/status; }
meminfo_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

# The threshold PACE_MIB below MemAvailable now, in KiB; refuses a host
# without that much available (the paced daemons would be acting).
paced_threshold_kb() {
        local avail
        avail=$(meminfo_kb MemAvailable)
        if [ "$avail" -le $(((PACE_MIB + 512) * 1024)) ]; then
                echo "idle.sh: MemAvailable ${avail} kB is too low for the paced daemons" >&2
                exit 1
        fi
        echo $((avail - PACE_MIB * 1024))
}

start_daemon() {
        local log=$tmp/$1.log
        case $1 in
        memguard)
                RUNTIME_DIRECTORY=$tmp/rt-$1 "$MEMGUARD" --config "$MEMGUARD_CONF" --dry-run >"$log" 2>&1 &
                ;;
        earlyoom)
                earlyoom --dryrun >"$log" 2>&1 &
                ;;
        earlyoom-100ms)
                LD_PRELOAD=$PWD/build/bench/sleepcap.so SLEEPCAP_MS=100 \
                        earlyoom --dryrun -r 10 >"$log" 2>&1 &
                ;;
        memguard-paced)
                local thr
                thr=$(paced_threshold_kb)
                grep -q '^when = mem.available < 7%$' "$MEMGUARD_CONF" || {
                        echo "idle.sh: $MEMGUARD_CONF has no near-oom rule at 7% to pace" >&2
                        exit 1
                }
                sed "s/^when = mem.available < 7%\$/when = mem.available < $((thr / 1024))M/" \
                        "$MEMGUARD_CONF" >"$tmp/paced.conf"
                RUNTIME_DIRECTORY=$tmp/rt-$1 "$MEMGUARD" --config "$tmp/paced.conf" --dry-run >"$log" 2>&1 &
                ;;
        earlyoom-paced)
                local thr pct
                thr=$(paced_threshold_kb)
                pct=$(awk -v t="$thr" -v m="$(meminfo_kb MemTotal)" 'BEGIN { printf "%.3f", t * 100 / m }')
                earlyoom --dryrun -r 3600 -m "$pct" >"$log" 2>&1 &
                ;;
        *)
                echo "idle.sh: unknown daemon $1" >&2
                exit 2
                ;;
        esac
        daemon_pid=$!
        mkdir -p "$tmp/rt-$1"
}

# "WALKS SAMPLE_SECONDS" of memguard DAEMON, from the view it writes at once
# when asked (outside the window: the ask wakes it); "- -" for earlyoom.
# An ask walks for its processes when the last walk is over 10 s old: a
# walk after time $2 (Unix seconds) is the ask's, not the window's.
walks_of() {
        case $1 in
        memguard*)
                "$MEMGUARD" status --json --state "$tmp/rt-$1/status" 2>/dev/null |
                        jq -r --argjson t "${2:-1e18}" \
                        '"\(.daemon.samples.walks - (if .daemon.walk_time > $t then 1 else 0 end)) \(.daemon.sample_seconds)"' ;;
        *) echo "- -" ;;
        esac
}

stop_daemon() {
        kill "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
        daemon_pid=""
}

# shellcheck source=bench/forker.sh
. bench/forker.sh
start_forker() {
        forker_start "$CHILDREN" $((WINDOW * 6 + 600))
        forker_note="$CHILDREN children, cgroup usage $((forker_usage / 1048576)) MiB (limit $forker_lim MiB) in $forker_cg"
}
stop_forker() { forker_stop; }

rows=$tmp/rows
: >"$rows"
measure() { # SCENARIO DAEMON
        local scen=$1 d=$2
        start_daemon "$d"
        sleep "$WARMUP"
        if ! kill -0 "$daemon_pid" 2>/dev/null; then
                echo "idle.sh: $d exited during warm-up:" >&2
                cat "$tmp/$d.log" >&2
                exit 1
        fi
        [ "$scen" = late ] && { start_forker; echo "# $forker_note (after the daemon's start)"; }
        local pids a b t0 t1 w0 w1
        pids=$(find /proc -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l)
        w0=$(walks_of "$d")
        a=$(cpu_of "$daemon_pid")
        t0=$(date +%s.%N)
        sleep "$WINDOW"
        b=$(cpu_of "$daemon_pid")
        t1=$(date +%s.%N)
        # memory as the window left it, before the ask below (which may walk)
        local hwm rss threads anon
        anon=$(status_kb "$daemon_pid" RssAnon)
        hwm=$(status_kb "$daemon_pid" VmHWM)
        rss=$(status_kb "$daemon_pid" VmRSS)
        threads=$(status_kb "$daemon_pid" Threads)
        w1=$(walks_of "$d" "$t1")
        stop_daemon
        [ "$scen" = late ] && stop_forker
        # Did it log anything but its banner and reports (a rule firing, a
        # dry-run action, a low-memory episode)? Then the host was not idle.
        local events
        case $d in
        memguard*) events=$(grep -cvE 'started: |stopped' "$tmp/$d.log" || true) ;;
        *) events=$(grep -ciE 'low memory|dryrun, not actually' "$tmp/$d.log" || true) ;;
        esac
        set -- $a $b $w0 $w1
        awk -v scen="$scen" -v d="$d" -v pids="$pids" -v t0="$t0" -v t1="$t1" \
                -v r0="$1" -v w0="$2" -v k0="$3" -v r1="$4" -v w1="$5" -v k1="$6" \
                -v walks0="$7" -v walks1="$9" -v walk_s="${10}" \
                -v tck="$clk_tck" -v hwm="$hwm" -v rss="$rss" -v thr="$threads" -v events="$events" -v anon="$anon" \
                'BEGIN {
                        win = t1 - t0; cpu = (r1 - r0) / 1e9
                        walks = walks0 == "-" || walks1 == "-" ? "-" : walks1 - walks0
                        walk_ms = walk_s == "-" ? "-" : sprintf("%.2f", walk_s * 1000)
                        printf "%s\t%s\t%d\t%.1f\t%.6f\t%.3f\t%.4f\t%.2f\t%d\t%d\t%d\t%d\t%s\t%s\t%d\n",
                                scen, d, pids, win, cpu, (k1 - k0) / tck, cpu * 60 / win,
                                (w1 - w0) / win, hwm, rss, thr, events, walks, walk_ms, anon
                }' >>"$rows"
        tail -1 "$rows" | awk -F'\t' '{ printf "  %-15s %8.4f CPU s/min  %6.2f wake-ups/s  %6.1f us/wake-up  VmHWM %5d kB  RssAnon %4d kB  walks %s (last %s ms)\n", $2, $7, $8, ($8 ? $7 / 60 / $8 * 1e6 : 0), $9, $15, $13, $14 }'
}

forker_note="-"
for scen in $SCENARIOS; do
        case $scen in
        host) ;;
        children) start_forker; echo "# $forker_note" ;;
        late) ;;
        *) echo "idle.sh: unknown scenario $scen" >&2; exit 2 ;;
        esac
        echo "scenario $scen: $(find /proc -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l) pids, ${WINDOW} s each"
        for d in $DAEMONS; do
                measure "$scen" "$d"
        done
        [ "$scen" = children ] && stop_forker
done

mkdir -p "$(dirname "$OUT")"
{
        echo "# bench/idle.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -r), $(nproc) CPUs," \
                "$MEMGUARD of $REV," \
                "$(earlyoom -v 2>&1 | head -1 || true)"
        [ -z "$NOTE" ] || echo "# note: $NOTE"
        echo "# window ${WINDOW} s after ${WARMUP} s warm-up; children: $forker_note"
        echo "# cpu_s: schedstat run time over the window (all threads); cpu_ticks_s: utime+stime"
        echo "# wakeups_per_s: schedstat run count (≈ polls); events: log lines other than"
        echo "#   banner and reports (rules firing, dry-run actions): 0 when the host was idle"
        echo "# walks: memguard's walks of /proc in the window; walk_ms: CPU time of its last walk;"
        echo "#   rssanon_kb: the daemon's private (anonymous) resident memory at the window's end"
        printf '# scenario\tdaemon\tpids\twindow_s\tcpu_s\tcpu_ticks_s\tcpu_s_per_min\twakeups_per_s\tvmhwm_kb\tvmrss_kb\tthreads\tevents\twalks\twalk_ms\trssanon_kb\n'
        cat "$rows"
        # memguard / earlyoom ratios per scenario
        awk -F'\t' '{ cpu[$1 "/" $2] = $7; wk[$1 "/" $2] = $8; hwm[$1 "/" $2] = $9; seen[$1] = 1 }
                END {
                        split("memguard earlyoom memguard earlyoom-100ms memguard-paced earlyoom-paced", pair, " ")
                        for (s in seen)
                                for (e = 1; e < 6; e += 2) {
                                        d = pair[e + 1]
                                        m = s "/" pair[e]; o = s "/" d
                                        if (!(m in cpu) || !(o in cpu) || cpu[o] == 0 || hwm[o] == 0)
                                                continue
                                        printf "# ratio\t%s\t%s/%s\tcpu %.2f\tper-wake-up %.2f\tvmhwm %.2f\n", s, pair[e], d,
                                                cpu[m] / cpu[o], (wk[m] && wk[o] ? (cpu[m] / wk[m]) / (cpu[o] / wk[o]) : 0),
                                                hwm[m] / hwm[o]
                                }
                }' "$rows" | sort
} >"$OUT"

echo
grep '^# ratio' "$OUT" | sed 's/^# //' || true # none without earlyoom (-d)
echo "results: $OUT"
