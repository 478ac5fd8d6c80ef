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
GUEST_MIB=2048
CGROUP_MIB=$((GUEST_MIB + 1024))
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

work=$(mktemp -d /tmp/memguard-system.XXXXXX)
qemu_pid=
cg=
# Everything in the guest's cgroup is ours (timeout and QEMU).
kill_guest() {
        local p
        set +e
        [ -n "$cg" ] && [ -d "$cg" ] || return 0
        for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        [ -n "$qemu_pid" ] && wait "$qemu_pid" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cg" 2>/dev/null && break; sleep 0.2; done
}
cleanup() {
        set +e
        kill_guest
        if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- memguard as `make install` lays it out, plus the guest helpers ----------
stage=$work/stage
make -s -C "$TOP" all >/dev/null
make -s -C "$TOP" install DESTDIR="$stage" PREFIX=/usr >/dev/null
mkdir -p "$stage/usr/local/bin"
gcc -O2 -Wall -Wextra -Werror -o "$stage/usr/local/bin/mg-leak" "$HERE/helpers/mg-leak.c"

# The host memory cgroup QEMU runs in: a child of ours, guest RAM + 1 GiB.
memcg_parent() {
        local rel
        if [ -d /sys/fs/cgroup/memory ]; then # v1 (this host: hybrid)
                rel=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
                echo "/sys/fs/cgroup/memory${rel%/}"
        elif grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
                rel=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
                echo "/sys/fs/cgroup${rel%/}"
        fi
}
cg_parent=$(memcg_parent)
if [ -z "$cg_parent" ] || [ ! -w "$cg_parent" ]; then
        echo "run.sh: no writable memory cgroup to put QEMU in; refusing to run the guest unconfined" >&2
        exit 1
fi

# run_guest NAME MODE: boots one guest; artifacts to $RESULTS/NAME.
run_guest() {
        local name=$1 gmode=$2 dir=$work/$1 res=$RESULTS/$1
        local timeout=$DEFAULT_TIMEOUT
        [ -f "$SCENARIOS/$name/timeout" ] && timeout=$(cat "$SCENARIOS/$name/timeout")
        rm -rf "$res"
        mkdir -p "$dir/data/out" "$res"
        cp -a "$stage" "$dir/data/root"
        cp "$HERE/guest/driver.sh" "$HERE/guest/lib.sh" "$HERE/guest/run-scenario.sh" \
                "$HERE/guest/self-checks.sh" "$dir/data/"
        if [ "$name" != none ]; then
                cp -a "$SCENARIOS/$name" "$dir/data/scenario"
        fi
        echo "$name" >"$dir/data/scenario-name"
        echo "$gmode" >"$dir/data/mode"
        echo "$timeout" >"$dir/data/timeout"
        truncate -s 256M "$dir/data.img"
        mkfs.ext4 -q -F -L mgdata -d "$dir/data" "$dir/data.img"
        qemu-img create -q -f qcow2 -b "$CACHE/base.raw" -F raw "$dir/root.qcow2"

        cg=$cg_parent/memguard-system-$$-$name
        mkdir "$cg"
        if [ -e "$cg/memory.limit_in_bytes" ]; then
                echo $((CGROUP_MIB << 20)) >"$cg/memory.limit_in_bytes"
        else
                echo $((CGROUP_MIB << 20)) >"$cg/memory.max"
        fi

        local serial=(-serial "file:$res/console.log")
        [ "$gmode" = shell ] && serial=(-serial mon:stdio)
        # TCG: /dev/kvm here is kvm_pvm, which does not boot stock kernels.
        # tb-size bounds the translation cache (QEMU 7.2 defaults to 1 GiB).
        # shellcheck disable=SC2054 # commas are QEMU option syntax
        local qemu=(qemu-system-x86_64 -name "memguard-$name"
                -accel tcg,thread=multi,tb-size=256 -cpu qemu64 -smp 2 -m "$GUEST_MIB"
                -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.img"
                -append "console=ttyS0 root=/dev/vda rw fsck.mode=skip mitigations=off panic=1 quiet"
                -drive "file=$dir/root.qcow2,if=virtio,format=qcow2,cache=unsafe"
                -drive "file=$dir/data.img,if=virtio,format=raw"
                -nic none -display none -monitor none -no-reboot "${serial[@]}")
        local t0=$SECONDS rc=0
        if [ "$gmode" = shell ]; then
                (echo "$BASHPID" >"$cg/cgroup.procs" && exec "${qemu[@]}") || rc=$?
        else
                (echo "$BASHPID" >"$cg/cgroup.procs" &&
                        exec timeout -k 5 $((timeout + BOOT_SLACK)) "${qemu[@]}") >"$res/qemu.log" 2>&1 &
                qemu_pid=$!
                wait "$qemu_pid" || rc=$?
                qemu_pid=
        fi
        local peak
        peak=$(cat "$cg/memory.max_usage_in_bytes" "$cg/memory.peak" 2>/dev/null | head -n1 || true)
        rmdir "$cg" 2>/dev/null || echo "run.sh: could not remove $cg" >&2
        cg=
        [ "$gmode" = shell ] && return 0

        debugfs -R "rdump /out $dir" "$dir/data.img" >/dev/null 2>&1 || true
        cp -a "$dir/out/." "$res/" 2>/dev/null || true
        local result
        result=$(cat "$res/result" 2>/dev/null || true)
        local why=""
        [ $rc -eq 124 ] || [ $rc -eq 137 ] && why=" (hard timeout: QEMU killed after $((timeout + BOOT_SLACK)) s)"
        [ -z "$result" ] && [ -z "$why" ] && why=" (no result from the guest; QEMU exit $rc, see console.log)"
        [ "$result" = PASS ] || result=FAIL
        grep '^not ok' "$res/checks" 2>/dev/null | sed 's/^/    /' || true
        echo "$result $name ($((SECONDS - t0)) s, QEMU peak $((${peak:-0} >> 20)) MiB)$why"
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
