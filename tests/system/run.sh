#!/usr/bin/env bash
# Runs system-test scenarios in a Debian 12 guest (2 GiB, no swap, systemd
# 252, cgroup v2, PSI) under QEMU. See tests/system/README.md.
#
#   run.sh [SCENARIO...]          run these (default: all), PASS/FAIL each
#   run.sh --shell [SCENARIO]     boot one guest with memguard (and the
#                                 scenario's files) installed, root shell on
#                                 the serial console; Ctrl-A X quits QEMU
# Env:
#   MEMGUARD_GUEST_CACHE     image cache (default /var/cache/memguard-guest)
#   MEMGUARD_SYSTEM_RESULTS  artifacts (default build/system-results)
#   KEEP=1                   keep the work dir (overlay, data disk)
#   MEMGUARD_SCENARIOS       the scenarios directory (default: scenarios/
#                            here; bench/guest-idle uses its own)
# Needs root (mkfs -d with owners, a host memory cgroup) and deps.sh.
# Exit status 1 if any scenario failed.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
        echo "run.sh: needs root (a host memory cgroup for QEMU, mkfs.ext4 -d with owners)" >&2
        exit 1
fi
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${MEMGUARD_GUEST_CACHE:-/var/cache/memguard-guest}
RESULTS=${MEMGUARD_SYSTEM_RESULTS:-$TOP/build/system-results}
SCENARIOS=${MEMGUARD_SCENARIOS:-$HERE/scenarios}
GUEST_MIB=2048 # QEMU's host cgroup: this + 1 GiB (host.sh)
DEFAULT_TIMEOUT=180 # seconds a scenario may run in the guest; a file
                    # scenarios/NAME/timeout overrides it
BOOT_SLACK=120      # + boot, install, journal export, power-off: hard limit

mode=run
if [ "${1:-}" = --shell ]; then
        mode=shell
        shift
fi
if [ $# -eq 0 ]; then
        if [ $mode = shell ]; then
                set -- none
        else
                # shellcheck disable=SC2046 # scenario names have no spaces
                set -- $(cd "$SCENARIOS" && ls)
        fi
fi
for s in "$@"; do
        if [ "$s" != none ] && [ ! -f "$SCENARIOS/$s/test.sh" ]; then
                echo "run.sh: no scenario '$s' (have: $(cd "$SCENARIOS" && echo *))" >&2
                exit 2
        fi
done

"$HERE/build-image.sh"

# shellcheck source=tests/system/host.sh
. "$HERE/host.sh"
guest_setup memguard-system

# --- memguard as `make install` lays it out, plus the guest helpers ----------
stage=$work/stage
make -s -C "$TOP" all >/dev/null
make -s -C "$TOP" install DESTDIR="$stage" PREFIX=/usr >/dev/null
mkdir -p "$stage/usr/local/bin"
gcc -O2 -Wall -Wextra -Werror -o "$stage/usr/local/bin/mg-leak" "$HERE/helpers/mg-leak.c"
gcc -O2 -Wall -Wextra -Werror -o "$stage/usr/local/bin/mg-churn" "$TOP/tests/helpers/mg-churn.c"
gcc -O2 -Wall -Wextra -Werror -o "$stage/usr/local/bin/mg-tickfloor" "$HERE/helpers/mg-tickfloor.c"

# --- the Debian package, for a scenario that installs it instead (a file
# `package` in its directory): make deb, lintian included, and the same
# tree again as a higher version for the upgrade (debs/1, debs/2) --------
debs=
for s in "$@"; do
        [ -f "$SCENARIOS/$s/package" ] && debs=$work/debs
done
if [ -n "$debs" ]; then
        v=$(awk -F'[()]' 'NR == 1 { print $2; exit }' "$TOP/debian/changelog")
        mkdir -p "$debs/1" "$debs/2"
        echo "package: make deb ($v, then $v+upgrade1)"
        if make -s -C "$TOP" deb >"$work/deb.log" 2>&1 &&
                cp "$TOP/build/memguard_${v}_"*.deb "$debs/1/" &&
                DEB_BUILD_OPTIONS=nocheck make -s -C "$TOP" deb DEB_VERSION="$v+upgrade1" LINTIAN=no \
                        >>"$work/deb.log" 2>&1 &&
                cp "$TOP/build/memguard_${v}+upgrade1_"*.deb "$debs/2/"; then
                : >"$work/deb.ok"
        fi
        # lintian's verdict, whatever it is
        sed -n '/^lintian /,/^build\/memguard_/p' "$work/deb.log" | sed 's/^/    /'
fi

# run_guest NAME MODE: boots one guest; artifacts to $RESULTS/NAME.
run_guest() {
        local name=$1 gmode=$2 dir=$work/$1 res=$RESULTS/$1
        local timeout=$DEFAULT_TIMEOUT
        [ -f "$SCENARIOS/$name/timeout" ] && timeout=$(cat "$SCENARIOS/$name/timeout")
        rm -rf "$res"
        mkdir -p "$dir/data/out" "$res"
        if [ -f "$SCENARIOS/$name/package" ]; then
                # memguard comes from its .deb, which the scenario installs;
                # the disk has the packages and the guest helpers only
                cp "$work/deb.log" "$res/"
                if [ ! -e "$work/deb.ok" ]; then
                        echo "FAIL $name (make deb failed: see $res/deb.log)"
                        return 1
                fi
                mkdir -p "$dir/data/root/usr/local/bin"
                cp -a "$stage/usr/local/bin/." "$dir/data/root/usr/local/bin/"
                cp -a "$debs" "$dir/data/debs"
        else
                cp -a "$stage" "$dir/data/root"
        fi
        cp "$HERE/guest/driver.sh" "$HERE/guest/lib.sh" "$HERE/guest/run-scenario.sh" \
                "$HERE/guest/self-checks.sh" "$dir/data/"
        if [ "$name" != none ]; then
                cp -a "$SCENARIOS/$name" "$dir/data/scenario"
        fi
        echo "$name" >"$dir/data/scenario-name"
        echo "$gmode" >"$dir/data/mode"
        echo "$timeout" >"$dir/data/timeout"
        guest_disks "$dir"

        local t0=$SECONDS console=$res/console.log attempt
        [ "$gmode" = shell ] && console=stdio
        for attempt in 1 2; do
                [ "$attempt" = 2 ] && guest_disks "$dir"
                guest_boot "memguard-system-$name" "$dir" "$console" $((timeout + BOOT_SLACK)) "$res/qemu.log"
                [ "$gmode" = shell ] && return 0
                # A TCG guest now and then locks up while booting (soft
                # lockups in systemd and udevd, never reaching the test
                # driver): boot it once more from a fresh overlay. A guest
                # that reached the driver is never run again.
                if grep -q "mg-testbed: installing" "$console" 2>/dev/null || [ "$attempt" = 2 ]; then
                        break
                fi
                mv "$console" "$res/console.log.boot1"
                echo "$name: the guest never reached the test driver (see $res/console.log.boot1); booting it again"
        done
        local rc=$guest_rc

        debugfs -R "rdump /out $dir" "$dir/data.img" >/dev/null 2>&1 || true
        cp -a "$dir/out/." "$res/" 2>/dev/null || true
        local result
        result=$(cat "$res/result" 2>/dev/null || true)
        local why=""
        [ $rc -eq 124 ] || [ $rc -eq 137 ] && why=" (hard timeout: QEMU killed after $((timeout + BOOT_SLACK)) s)"
        [ -z "$result" ] && [ -z "$why" ] && why=" (no result from the guest; QEMU exit $rc, see console.log)"
        [ "$result" = PASS ] || result=FAIL
        # What the host checks on the guest's artifacts, with the host's
        # tools (python3, promtool): scenarios/NAME/host-checks.sh
        if [ -f "$SCENARIOS/$name/host-checks.sh" ] && [ -s "$res/checks" ]; then
                RES=$res TOP=$TOP bash "$SCENARIOS/$name/host-checks.sh" >"$res/host-checks" 2>&1 ||
                        result=FAIL
                cat "$res/host-checks" >>"$res/checks"
                sed 's/^/    host: /' "$res/host-checks"
        fi
        grep '^not ok' "$res/checks" 2>/dev/null | sed 's/^/    /' || true
        echo "$result $name ($((SECONDS - t0)) s, QEMU peak $guest_peak_mib MiB)$why"
        [ "$result" = PASS ]
}

if [ $mode = shell ]; then
        echo "guest shell: memguard installed; Ctrl-A X quits QEMU" >&2
        run_guest "$1" shell
        exit 0
fi

passed=0 failed=0
for s in "$@"; do
        if run_guest "$s" run; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "artifacts in $RESULTS"
echo "scenarios: $passed passed, $failed failed"
[ $failed -eq 0 ]
