# shellcheck shell=bash
# host.sh — the host side of one boot of the test-bed guest, shared by
# tests/system/run.sh and bench/matrix.sh (sourced, after `set -euo
# pipefail`). The caller sets CACHE (where build-image.sh left the image)
# and GUEST_MIB, then calls guest_setup once and guest_boot per guest.
#
# QEMU runs in a host memory cgroup of its own (guest RAM + 1 GiB), so a
# runaway guest can never take memory from the rest of this machine, and
# everything in that cgroup (timeout and QEMU) is ours to kill.

guest_cg=
guest_qemu_pid=
# shellcheck disable=SC2034 # results of guest_boot, read by the caller
guest_rc=0 guest_peak_mib=0

guest_memcg_parent() {
        local rel
        if [ -d /sys/fs/cgroup/memory ]; then # v1 (the build host: hybrid)
                rel=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
                echo "/sys/fs/cgroup/memory${rel%/}"
        elif grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
                rel=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
                echo "/sys/fs/cgroup${rel%/}"
        fi
}

guest_kill() {
        local p
        set +e
        [ -n "$guest_cg" ] && [ -d "$guest_cg" ] || return 0
        for p in $(cat "$guest_cg/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        [ -n "$guest_qemu_pid" ] && wait "$guest_qemu_pid" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$guest_cg" 2>/dev/null && break; sleep 0.2; done
}

guest_cleanup() {
        set +e
        guest_kill
        if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

# guest_setup PREFIX: sets work (a fresh /tmp/PREFIX.XXXXXX, removed at exit
# unless KEEP is set) and guest_cg_parent; refuses to go on without a
# writable memory cgroup.
guest_setup() {
        guest_cg_parent=$(guest_memcg_parent)
        if [ -z "$guest_cg_parent" ] || [ ! -w "$guest_cg_parent" ]; then
                echo "$(basename "$0"): no writable memory cgroup to put QEMU in; refusing to run the guest unconfined" >&2
                exit 1
        fi
        work=$(mktemp -d "/tmp/$1.XXXXXX")
        trap guest_cleanup EXIT
        trap 'exit 130' INT TERM
}

# guest_disks DIR: DIR/data.img (ext4 labelled mgdata, from DIR/data) and
# DIR/root.qcow2 (a throwaway overlay on the cached base image).
guest_disks() {
        truncate -s 256M "$1/data.img"
        mkfs.ext4 -q -F -L mgdata -d "$1/data" "$1/data.img"
        qemu-img create -q -f qcow2 -b "$CACHE/base.raw" -F raw "$1/root.qcow2"
}

# guest_boot NAME DIR CONSOLE TIMEOUT QEMULOG: boots DIR's disks and waits
# for the guest to power off, or kills it after TIMEOUT s. CONSOLE is a
# file for the serial console, or "stdio" for an interactive shell (no
# timeout, no log). Sets guest_rc (QEMU's, 124 or 137 on timeout) and
# guest_peak_mib (the cgroup's peak).
guest_boot() {
        local name=$1 dir=$2 console=$3 timeout=$4 qlog=$5 peak
        guest_cg=$guest_cg_parent/$name-$$
        mkdir "$guest_cg"
        if [ -e "$guest_cg/memory.limit_in_bytes" ]; then
                echo $(((GUEST_MIB + 1024) << 20)) >"$guest_cg/memory.limit_in_bytes"
        else
                echo $(((GUEST_MIB + 1024) << 20)) >"$guest_cg/memory.max"
        fi
        local serial=(-serial "file:$console")
        [ "$console" = stdio ] && serial=(-serial mon:stdio)
        # TCG: /dev/kvm here is kvm_pvm, which does not boot stock kernels.
        # tb-size bounds the translation cache (QEMU 7.2 defaults to 1 GiB).
        # shellcheck disable=SC2054 # commas are QEMU option syntax
        local qemu=(qemu-system-x86_64 -name "$name"
                -accel tcg,thread=multi,tb-size=256 -cpu qemu64 -smp 2 -m "$GUEST_MIB"
                -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.img"
                -append "console=ttyS0 root=/dev/vda rw fsck.mode=skip mitigations=off panic=1 quiet"
                -drive "file=$dir/root.qcow2,if=virtio,format=qcow2,cache=unsafe"
                -drive "file=$dir/data.img,if=virtio,format=raw"
                -nic none -display none -monitor none -no-reboot "${serial[@]}")
        guest_rc=0
        if [ "$console" = stdio ]; then
                (echo "$BASHPID" >"$guest_cg/cgroup.procs" && exec "${qemu[@]}") || guest_rc=$?
        else
                (echo "$BASHPID" >"$guest_cg/cgroup.procs" &&
                        exec timeout -k 5 "$timeout" "${qemu[@]}") >"$qlog" 2>&1 &
                guest_qemu_pid=$!
                # shellcheck disable=SC2034
                wait "$guest_qemu_pid" || guest_rc=$?
                guest_qemu_pid=
        fi
        peak=$(cat "$guest_cg/memory.max_usage_in_bytes" "$guest_cg/memory.peak" 2>/dev/null | head -n1 || true)
        # shellcheck disable=SC2034
        guest_peak_mib=$((${peak:-0} >> 20))
        rmdir "$guest_cg" 2>/dev/null || echo "$(basename "$0"): could not remove $guest_cg" >&2
        guest_cg=
}
