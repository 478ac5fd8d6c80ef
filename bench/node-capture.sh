#!/bin/bash
# node-capture.sh — 36 minutes of Node.js services under the shipped rules in
# the 2 GB guest of the system tests (bench/node-capture/test.sh): what
# memguard said, and each unit's memory.current, which tests/fixtures/growth
# keeps for test_leak.c to replay. Root; ~40 minutes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
scen=$(mktemp -d)
trap 'rm -rf "$scen"' EXIT
cp -a "$HERE/node-capture" "$scen/node-capture"
cp "$TOP/tests/system/scenarios/node-gc/gc.js" "$scen/node-capture/"
MEMGUARD_SCENARIOS=$scen MEMGUARD_SYSTEM_RESULTS=$TOP/build/bench/node-capture \
        "$TOP/tests/system/run.sh" node-capture
echo "series in $TOP/build/bench/node-capture/node-capture/"
