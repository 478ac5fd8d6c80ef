#!/bin/bash
# scale.sh — memguard on a big host: the cost of a walk per process
# against the raw floor, and the daemon's memory, at 1,000, 3,000 and
# 10,000 sleeping processes (issue 20, part 3).
#
#   bench/scale.sh            (or: make bench-scale; root: the cgroups)
#
# The processes are children of build/bench/forker in a memory cgroup
# capped at ~160 KiB a child (1.6 GiB for 10,000): each a copy-on-write
# fork, ~125 KiB as the cgroup counts it.
#
# 1. Cost: build/bench/floor --children N,... (bench/floor.sh's
#    measurement, natively, ITER full samples of each method at each N,
#    interleaved): memguard's sampler_full() per process against the bare
#    reads of the files it needs (floor_needed). A ratio that rose with N
#    would be a step worse than linear.
# 2. Memory: for each N, memguard (this build, dry run) with the shipped
#    configuration plus one process rule that never fires, so that it
#    walks /proc every `interval` (1 s) as a process rule makes it do;
#    after WALKS walks (default 5), its RssAnon and VmRSS, and from
#    `memguard status --json` its heap in use, its histories' bytes, its
#    walks and the CPU time of its last walk. A least-squares line through
#    the points gives bytes per process.
#
# Writes OUT (default bench/results/scale.tsv: '#' comments, then
# tab-separated rows) and OUT with .svg for .tsv: the per-process cost of
# both at each N, on one plot. Signals only what it started, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 3000 10000"}
ITER=${ITER:-40}
WALKS=${WALKS:-5}
OUT=${OUT:-bench/results/scale.tsv}
# the tree measured, named before this run writes its results into it
REV=$(git describe --always --dirty 2>/dev/null || echo '?')
SVG=${OUT%.tsv}.svg

make -s build/memguard build/bench/floor build/bench/forker
command -v jq >/dev/null || { echo "scale.sh: jq is needed (make deps)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/memguard-scale.XXXXXX)
daemon_pid="" forker_pid=""
cleanup() {
        [ -z "$daemon_pid" ] || { kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; }
        [ -z "$forker_pid" ] || { kill "$forker_pid" 2>/dev/null || true; wait "$forker_pid" 2>/dev/null || true; }
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' /proc/"$1"/status; }

# shellcheck source=bench/forker.sh
. bench/forker.sh
start_forker() { # N
        forker_start "$1" 1800
        echo "# $1 children: cgroup usage $((forker_usage / 1048576)) MiB (limit $forker_lim MiB)" >>"$tmp/notes"
}
stop_forker() { forker_stop; }

# --- 1. cost per process against the floor ---------------------------------
echo "scale: floor, $ITER full samples of each method at ${SIZES// /, } children" >&2
build/bench/floor --children "$(tr ' ' ',' <<<"$SIZES")" --iterations "$ITER" >"$tmp/floor.txt"
grep -v '^#' "$tmp/floor.txt" | awk -F'\t' '$1 == "time" && $8 == "ns/pid" || $1 == "ratio"' >"$tmp/cost"

# --- 2. the daemon's memory --------------------------------------------------
cp conf/memguard.conf "$tmp/walking.conf"
cat >>"$tmp/walking.conf" <<'CONF'

# bench/scale.sh: a process rule that never fires, so that memguard walks
# /proc every interval
[rule scale-walk]
process = scale-bench-none
when = proc.pss > 64G
action = warn
CONF
for n in 0 $SIZES; do
        [ "$n" = 0 ] || start_forker "$n"
        pids=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
        rt=$tmp/rt-$n
        mkdir -p "$rt"
        RUNTIME_DIRECTORY=$rt GLIBC_TUNABLES=glibc.malloc.tcache_count=0 \
                build/memguard --config "$tmp/walking.conf" --dry-run >"$tmp/mg-$n.log" 2>&1 &
        daemon_pid=$!
        walks=0
        for _ in $(seq 1 600); do
                sleep 0.5
                walks=$(build/memguard status --json --state "$rt/status" 2>/dev/null |
                        jq -r '.daemon.samples.walks' 2>/dev/null || echo 0)
                [ "${walks:-0}" -ge "$WALKS" ] && break
        done
        anon=$(status_kb "$daemon_pid" RssAnon)
        rss=$(status_kb "$daemon_pid" VmRSS)
        build/memguard status --json --state "$rt/status" >"$tmp/status-$n.json"
        jq -r --arg n "$n" --arg pids "$pids" --arg anon "$anon" --arg rss "$rss" \
                '["memory", $n, $pids, $anon, $rss, .daemon.heap_used_bytes, .daemon.history_bytes,
                  .daemon.samples.walks, (.daemon.sample_seconds * 1000)] | @tsv' \
                "$tmp/status-$n.json" >>"$tmp/memory"
        kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=""
        [ "$n" = 0 ] || stop_forker
        tail -1 "$tmp/memory" | awk -F'\t' '{ printf "scale: %6d children: RssAnon %6d kB, heap %7d B, walk %.1f ms\n", $2, $4, $6, $9 }' >&2
done

mkdir -p "$(dirname "$OUT")"
{
        echo "# bench/scale.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -r), $(nproc) CPUs," \
                "build/memguard of $REV"
        cat "$tmp/notes"
        echo "# cost: bench/floor's median CPU time of a whole sample divided by every pid in"
        echo "#   /proc (ns/pid), memguard_full against floor_needed, $ITER samples each"
        echo "# kind	method	children	pids	user	kthreads	value	unit"
        cat "$tmp/cost"
        echo "# memory: memguard with the shipped config and a process rule (a walk every 1 s),"
        echo "#   glibc's tcache off as the shipped unit runs it, after $WALKS walks"
        echo "# kind	children	pids	rssanon_kb	vmrss_kb	heap_used_bytes	history_bytes	walks	walk_ms"
        cat "$tmp/memory"
        # least squares: heap and RssAnon against pids
        awk -F'\t' '$1 == "memory" { n++; x = $3; sx += x; sxx += x * x
                        sa += $4 * 1024; sxa += x * $4 * 1024; sh += $6; sxh += x * $6 }
                END {
                        d = n * sxx - sx * sx
                        if (n < 2 || d == 0) exit
                        ba = (n * sxa - sx * sa) / d; aa = (sa - ba * sx) / n
                        bh = (n * sxh - sx * sh) / d; ah = (sh - bh * sx) / n
                        printf "# fit\trssanon\t%.0f B + %.1f B per pid\n", aa, ba
                        printf "# fit\theap_used\t%.0f B + %.1f B per pid\n", ah, bh
                }' "$tmp/memory"
} >"$OUT"

# One plot: ns per process of memguard's walk and of the floor, against
# the processes in /proc.
awk -F'\t' -f bench/svg.awk -f /dev/stdin "$tmp/cost" >"$SVG" <<'AWK'
        $1 == "time" && $8 == "ns/pid" { v[$2, $4] = $7; if ($2 == "memguard_full") xs[++nx] = $4
                if ($7 > ymax) ymax = $7; if ($4 > xmax) xmax = $4 }
        END {
                W = 640; H = 360; L = 70; R = 20; T = 30; B = 50
                ymax *= 1.2
                svg_frame(W, H, L, R, T, B, "CPU time of a walk of /proc per process (ns), bench/scale.sh", ymax, 4)
                printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">processes in /proc</text>\n", (L + W - R) / 2, H - 10
                split("memguard_full floor_needed", m, " "); split("#c0392b #2471a3", col, " ")
                for (k = 1; k <= 2; k++) {
                        pts = ""
                        for (i = 1; i <= nx; i++) {
                                x = L + xs[i] / xmax * (W - L - R); y = svg_y(v[m[k], xs[i]])
                                pts = pts sprintf("%.1f,%.1f ", x, y)
                                printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", x, y, col[k]
                                if (k == 1) printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x, H - B + 16, xs[i]
                        }
                        printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", pts, col[k]
                        printf "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n", L + 12, T + 16 * k, col[k], m[k] == "memguard_full" ? "memguard (sampler_full)" : "floor (bare reads)"
                }
                svg_close()
        }
AWK

grep -E '^(ratio|memory|# fit)' "$OUT" || true
echo "results: $OUT, $SVG"
