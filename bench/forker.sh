# shellcheck shell=bash
# forker.sh — sourced by the benches (bench/idle.sh, bench/scale.sh): N
# sleeping children of build/bench/forker in a memory cgroup of ~160 KiB a
# child (~125 KiB each as the cgroup counts it, forker.c), 256 MiB at
# least. Uses $tmp (the caller's scratch directory) and sets forker_pid.
#
# forker_start N TIMEOUT_S: starts them and waits for all N; exits the
#   bench when they do not come. Sets forker_lim (MiB), forker_usage
#   (bytes) and forker_cg (the cgroup).
# forker_stop: ends the forker, which ends its children.
forker_pid=""
forker_start() {
        forker_lim=$(($1 * 160 / 1024 + 64))
        [ "$forker_lim" -ge 256 ] || forker_lim=256
        build/bench/forker -n "$1" -l "$forker_lim" -t "$2" >"$tmp/forker.out" &
        forker_pid=$!
        local made=0
        for _ in $(seq 1 600); do
                grep -q '^ready' "$tmp/forker.out" 2>/dev/null && break
                sleep 0.1
        done
        read -r _ made forker_usage forker_cg <"$tmp/forker.out" || true
        if [ "${made:-0}" != "$1" ]; then
                echo "${0##*/}: forker did not start $1 children" >&2
                exit 1
        fi
}
forker_stop() {
        [ -n "$forker_pid" ] || return 0
        kill "$forker_pid" 2>/dev/null || true
        wait "$forker_pid" 2>/dev/null || true
        forker_pid=""
}
