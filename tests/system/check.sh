#!/usr/bin/env bash
# `make check-system`: host deps (as root), the guest image (if missing or
# stale), memguard, then every scenario (or those named) in the guest.
# Last line: "system: N passed, N failed"; exit status 1 if any failed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
t0=$SECONDS
summary() { echo "system: took $((SECONDS - t0)) s"; echo "system: $1 passed, $2 failed"; }

if [ "$(id -u)" = 0 ]; then
        "$HERE/deps.sh" || { summary 0 1; exit 1; }
else
        echo "check-system: not root; skipping deps (the guest and its memory cgroup need root anyway)" >&2
fi
"$HERE/build-image.sh" || { echo "check-system: the guest image could not be built" >&2; summary 0 1; exit 1; }
make -s -C "$TOP" all || { summary 0 1; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$HERE/run.sh" "$@" | tee "$out"
rc=${PIPESTATUS[0]}
passed=$(sed -n 's/^scenarios: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out")
failed=$(sed -n 's/^scenarios: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$out")
if [ -z "$passed" ]; then # run.sh stopped before running scenarios
        passed=0 failed=1
fi
[ "$rc" -ne 0 ] && [ "$failed" = 0 ] && failed=1
summary "$passed" "$failed"
[ "$rc" -eq 0 ]
