#!/usr/bin/env bash
# Runs libFuzzer harnesses built by make (build-fuzz/fuzz_NAME), one at a
# time and nice'd (the machine is shared), each within 256 MiB.
#
#   run.sh --smoke [--seconds S] BIN...   make check-fuzz: each harness over
#           its committed corpus (tests/fuzz/corpus/NAME) and regression
#           inputs (tests/fuzz/regress/NAME), then S seconds (default 3) of
#           fuzzing from a fresh scratch directory; fails on any crash,
#           leak, timeout or broken contract.
#   run.sh [--seconds S] [--runs N] BIN...   make fuzz (and the long run of
#           README.md): S seconds (default 60) or N executions each, whichever
#           comes first, new inputs kept in build-fuzz/corpus/NAME across runs.
#
# NAME is the binary's name without "fuzz_". One line per harness:
# "NAME: N executions in S s (R/s), ok" (or FAILED and the tail of its log;
# every log is kept in build-fuzz/logs/NAME.log, a crash's input in
# build-fuzz/artifacts/NAME/). With --table FILE, the figures also go to
# FILE as tab-separated lines. Exit status 1 if any harness failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/build-fuzz
smoke=0 seconds= runs= table=

while [ $# -gt 0 ]; do
        case $1 in
        --smoke) smoke=1 ;;
        --seconds) seconds=$2; shift ;;
        --runs) runs=$2; shift ;;
        --table) table=$2; shift ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
        esac
        shift
done
[ $# -gt 0 ] || { echo "usage: run.sh [--smoke] [--seconds S] [--runs N] [--table FILE] BIN..." >&2; exit 2; }
[ -n "$seconds" ] || seconds=$([ $smoke = 1 ] && echo 3 || echo 60)
mkdir -p "$out/logs"
# ASan keeps 256 MiB of freed blocks by default to catch a use after free,
# which alone would pass -rss_limit_mb=256 on a harness that allocates
# per input; 16 MiB still covers every harness's own frees. Options given
# in the environment come after, and win.
export ASAN_OPTIONS="quarantine_size_mb=16${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
[ -z "$table" ] || printf 'harness\texecutions\texec_per_s\tcrashes\tseconds\n' >"$table"

failed=0 total_execs=0 start_all=$(date +%s)
for bin in "$@"; do
        base=${bin##*/}
        name=${base#fuzz_}
        log=$out/logs/$name.log
        art=$out/artifacts/$name
        mkdir -p "$art"
        dirs=()
        if [ $smoke = 1 ]; then
                scratch=$out/smoke/$name
                rm -rf "$scratch"
        else
                scratch=$out/corpus/$name
        fi
        mkdir -p "$scratch"
        dirs+=("$scratch")
        for d in "$here/corpus/$name" "$here/regress/$name"; do
                [ -d "$d" ] && dirs+=("$d")
        done
        dict=
        if [ -f "$here/$name.dict" ]; then
                dict=$here/$name.dict
        elif [[ $name == config* ]]; then
                dict=$here/config.dict
        fi
        args=(-rss_limit_mb=256 -malloc_limit_mb=256 -timeout=10 -print_final_stats=1
              -max_total_time="$seconds" -artifact_prefix="$art/")
        [ -z "$runs" ] || args+=(-runs="$runs")
        [ -z "$dict" ] || args+=(-dict="$dict")
        touch "$out/logs/.$name.start"
        t0=$(date +%s.%N)
        nice -n 10 "$bin" "${args[@]}" "${dirs[@]}" >"$log" 2>&1
        rc=$?
        t1=$(date +%s.%N)
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
        secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
        crashes=$(find "$art" -type f -newer "$out/logs/.$name.start" | wc -l)
        total_execs=$((total_execs + ${execs:-0}))
        if [ $rc -eq 0 ]; then
                printf '%s: %s executions in %s s (%s/s), ok\n' "$name" "${execs:-?}" "$secs" "${rate:-?}"
        else
                failed=1
                printf '%s: FAILED (exit %d) after %s executions; log %s\n' "$name" $rc "${execs:-?}" "$log"
                grep -E '^(==[0-9]+==|SUMMARY|.*contract broken|.*runtime error)' "$log" | head -8 | sed 's/^/    /'
        fi
        [ -z "$table" ] || printf '%s\t%s\t%s\t%s\t%s\n' "$name" "${execs:-0}" "${rate:-0}" "$crashes" "$secs" >>"$table"
done
printf 'fuzz: %d harnesses, %d executions in %d s%s\n' $# $total_execs $(( $(date +%s) - start_all )) \
        "$([ $failed = 0 ] && echo ', all ok' || echo ', FAILED')"
exit $failed
