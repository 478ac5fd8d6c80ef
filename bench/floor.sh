#!/bin/bash
# floor.sh — memguard's sampling cost against the floor (issue 4, part 3).
#
#   bench/floor.sh            (or: make bench-floor)
#
# Runs build/bench/floor twice, each time on the host as it is and with 1000
# extra sleeping processes (in a 256 MiB memory cgroup, killed at the end):
# once natively for CPU time per sample (medians), once under callgrind for
# user-space instruction counts, which do not vary with the load of this
# shared machine but leave out the kernel's side of every system call.
# Writes bench/results/floor.txt (tab-separated, '#' comments) and prints it.
#
# Environment: ITER (timed full samples per method, default 200; the fast
# tier runs 20x as many), CG_ITER (under callgrind, default 10), CHILDREN
# (default 0,1000), OUT (default bench/results/floor.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

ITER=${ITER:-200}
CG_ITER=${CG_ITER:-10}
CHILDREN=${CHILDREN:-0,1000}
OUT=${OUT:-bench/results/floor.txt}

make -s build/bench/floor
mkdir -p "$(dirname "$OUT")"
tmp=$(mktemp -d /tmp/memguard-floor.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

build/bench/floor --children "$CHILDREN" --iterations "$ITER" >"$tmp/time.txt"

have_cg=0
if command -v valgrind >/dev/null; then
        valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$tmp/cg.out" \
                build/bench/floor --callgrind --children "$CHILDREN" --iterations "$CG_ITER" \
                >"$tmp/irmeta.txt" 2>"$tmp/valgrind.err" && have_cg=1
fi
if [ "$have_cg" = 1 ]; then
        # One dump per method and child count, named by its client request.
        for f in "$tmp"/cg.out.*; do
                name=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
                total=$(sed -n 's/^summary: //p' "$f")
                [ -n "$name" ] && printf '%s\t%s\n' "$name" "$total"
        done >"$tmp/dumps.txt"
fi

{
        echo "# bench/floor.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -r), $(nproc) CPUs"
        echo "# time: median CPU time of this thread (user+kernel); ns/pid divides a"
        echo "#   sample by every pid in /proc. ir: callgrind, user space only."
        echo "# memguard_full = sampler_full (shipped config, all_pss false) + clearing PREV;"
        echo "# floor_needed = readdir + open/read/close of stat, oom_score, oom_score_adj,"
        echo "#   cgroup per user process, nothing per kernel thread; floor_naive = same +"
        echo "#   stat of every kernel thread; memguard_system = sampler_system;"
        echo "#   floor_system = pread of meminfo + pressure/memory."
        echo "# kind	method	children	pids	user	kthreads	value	unit"
        cat "$tmp/time.txt"
        if [ "$have_cg" = 1 ]; then
                awk -F'\t' '
                NR == FNR { total[$1] = $2; next }
                $1 == "irmeta" {
                        name = $2; m = $3; c = $4; pids = $5; calls = $8
                        ir = total[name] / calls
                        full = (m ~ /_full$|_needed$|_naive$/)
                        v = full ? ir / pids : ir
                        printf "ir\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\n", m, c, pids, $6, $7, v,
                                full ? "Ir/pid" : "Ir/call"
                        key[m, c] = v; meta[c] = pids "\t" $6 "\t" $7
                }
                END {
                        for (c in meta) {
                                printf "ratio\tir_full_vs_needed\t%s\t%s\t%.2f\tx\n", c, meta[c],
                                        key["memguard_full", c] / key["floor_needed", c]
                                printf "ratio\tir_system_vs_floor\t%s\t%s\t%.2f\tx\n", c, meta[c],
                                        key["memguard_system", c] / key["floor_system", c]
                        }
                }' "$tmp/dumps.txt" "$tmp/irmeta.txt" | sort -t'	' -k1,1 -k3,3n
        else
                echo "# valgrind not available or failed: no instruction counts"
        fi
} >"$OUT"

cat "$OUT"
