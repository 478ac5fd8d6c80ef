# shellcheck shell=bash
# leak-detect, checked on the host (tests/system/run.sh): the guest has
# neither python3 nor promtool, so what the guest wrote is checked here.
# RES: the scenario's artifacts. Exit status 1 if a check failed.
failed=0
check() { # check WHAT COMMAND...
        local what=$1
        shift
        if "$@" >/dev/null 2>&1; then echo "ok - $what"; else echo "not ok - $what"; failed=1; fi
}
check "memguard status --json, taken during the leak, parses with python3 -m json.tool" \
        python3 -m json.tool "$RES/status.json"
PROMTOOL=${PROMTOOL:-/usr/local/lib/memguard-tools/promtool}
[ -x "$PROMTOOL" ] || PROMTOOL=$(command -v promtool || true)
if [ -n "$PROMTOOL" ]; then
        if "$PROMTOOL" check metrics <"$RES/memguard.prom" >"$RES/promtool.out" 2>&1; then
                echo "ok - the guest's metrics file passes promtool check metrics"
        else
                echo "not ok - the guest's metrics file passes promtool check metrics"
                sed 's/^/    /' "$RES/promtool.out"
                failed=1
        fi
elif [ "${MEMGUARD_REQUIRE_PROMTOOL:-0}" = 1 ]; then
        echo "not ok - the guest's metrics file passes promtool check metrics (no promtool: run make deps)"
        failed=1
else
        echo "skip - the guest's metrics file passes promtool check metrics: no promtool (make deps fetches it)"
fi
exit $failed
