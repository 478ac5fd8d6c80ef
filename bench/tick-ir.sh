#!/bin/bash
# tick-ir.sh — user-space instructions and calls of an idle fast tick
# (issue 20): what the tick itself executes, the part of a wake-up's cost
# that is memguard's own, counted by callgrind, which does not vary with
# the load of this shared machine (it leaves out the kernel's side).
#
#   bench/tick-ir.sh [SECONDS]        (default 25; root not needed)
#
# memguard-test, dry run, with the shipped configuration on a proc root
# of tests/fixtures/host-v1 whose meminfo says 2 GiB with 1.7 GiB
# available, so that it ticks ~4 times a second as on a 2 GB box. Only
# manager_run() is counted (callgrind --toggle-collect), not the start;
# its first walk and start-up log lines fall in it and are counted too
# (~500 instructions a tick over 25 s). Prints the ticks, instructions
# and calls, each a tick. BIN= another build's memguard-test to compare.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${1:-25}
BIN=${BIN:-build/memguard-test}
[ "$BIN" != build/memguard-test ] || make -s build/memguard-test
command -v valgrind >/dev/null || { echo "tick-ir.sh: valgrind is needed (make deps)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/memguard-tickir.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp -r tests/fixtures/host-v1/proc "$tmp/proc"
sed -i -E 's/^(MemTotal: +)[0-9]+/\12027016/; s/^(MemFree: +)[0-9]+/\11500000/;
        s/^(MemAvailable: +)[0-9]+/\11700000/' "$tmp/proc/meminfo"
mkdir "$tmp/run"
RUNTIME_DIRECTORY=$tmp/run timeout -s INT "$SECS" \
        valgrind --tool=callgrind --toggle-collect=manager_run --callgrind-out-file="$tmp/cg.out" \
        "$BIN" -n -c conf/memguard.conf --proc-root "$tmp/proc" --cgroup-root "$tmp/no-cgroup" \
        >/dev/null 2>&1 || true
python3 - "$tmp/cg.out" <<'PY'
import collections, re, sys
calls = collections.Counter()
names, callee, total = {}, None, 0
for line in open(sys.argv[1]):
    m = re.match(r'^(c?fn)=\((\d+)\)(?: (.*))?', line)
    if m:
        kind, idx, name = m.groups()
        if name:
            names[idx] = name
        if kind == 'cfn':
            callee = names[idx]
        continue
    m = re.match(r'^calls=(\d+)', line)
    if m and callee:
        calls[callee] += int(m.group(1))
    m = re.match(r'^(?:summary|totals): (\d+)', line)
    if m:
        total = int(m.group(1))
ticks = calls['fast_tick']
if not ticks:
    sys.exit('tick-ir.sh: no fast tick was counted')
print('ticks %d, instructions a tick %.0f, calls a tick %.0f'
      % (ticks, total / ticks, sum(calls.values()) / ticks))
PY
