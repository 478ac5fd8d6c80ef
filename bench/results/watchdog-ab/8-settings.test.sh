# shellcheck shell=bash
# probe: which of memguard.service's settings costs CPU per wake-up in the
# guest: the same binary bare, with Nice=-10, with IOSchedulingClass=realtime,
# with the whole sandbox, and for real (not dry: its D-Bus connection);
# memguard.service and earlyoom beside. All Type=notify, WatchdogSec=10s.
MG=$(command -v memguard)
systemctl unmask -q earlyoom.service
systemctl start earlyoom.service
common="-p Type=notify -p WatchdogSec=10s"
systemd-run -q --unit=mg-bare $common "$MG" --config /etc/memguard.conf --dry-run
systemd-run -q --unit=mg-nice $common -p Nice=-10 "$MG" --config /etc/memguard.conf --dry-run
systemd-run -q --unit=mg-io $common -p IOSchedulingClass=realtime "$MG" --config /etc/memguard.conf --dry-run
systemd-run -q --unit=mg-sand $common -p 'CapabilityBoundingSet=CAP_KILL CAP_SYS_PTRACE CAP_SYS_RESOURCE CAP_DAC_OVERRIDE CAP_IPC_LOCK' -p 'NoNewPrivileges=yes' -p 'ProtectSystem=strict' -p 'ProtectHome=yes' -p 'PrivateTmp=yes' -p 'PrivateDevices=yes' -p 'ProtectKernelTunables=yes' -p 'ProtectKernelModules=yes' -p 'ProtectKernelLogs=yes' -p 'ProtectControlGroups=yes' -p 'ProtectClock=yes' -p 'ProtectHostname=yes' -p 'ProtectProc=default' -p 'ProcSubset=all' -p 'RestrictAddressFamilies=AF_UNIX' -p 'IPAddressDeny=any' -p 'RestrictNamespaces=yes' -p 'RestrictRealtime=yes' -p 'RestrictSUIDSGID=yes' -p 'LockPersonality=yes' -p 'MemoryDenyWriteExecute=yes' -p 'SystemCallArchitectures=native' -p 'SystemCallFilter=@system-service @memlock process_mrelease pidfd_open pidfd_send_signal' -p 'SystemCallErrorNumber=EPERM' -p 'UMask=0077'  "$MG" --config /etc/memguard.conf --dry-run
systemd-run -q --unit=mg-real $common "$MG" --config /etc/memguard.conf
systemd-run -q --unit=mg-filter $common -p 'SystemCallFilter=@system-service @memlock process_mrelease pidfd_open pidfd_send_signal' -p SystemCallErrorNumber=EPERM "$MG" --config /etc/memguard.conf --dry-run
sleep 10
declare -A pid
for u in memguard mg-bare mg-nice mg-io mg-sand mg-real mg-filter earlyoom; do pid[$u]=$(unit_prop $u.service MainPID); done
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
wakes() { awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$1/status"; }
printf 'window\tunit\tcpu_us\twakes\tus_per_wake\n' >"$OUT/probe.tsv"
for w in 1 2 3 4 5 6 7 8; do
        declare -A c0 k0
        for u in "${!pid[@]}"; do c0[$u]=$(cpu_ns "${pid[$u]}"); k0[$u]=$(wakes "${pid[$u]}"); done
        sleep 40
        for u in "${!pid[@]}"; do
                c=$((($(cpu_ns "${pid[$u]}") - c0[$u]) / 1000)); k=$(($(wakes "${pid[$u]}") - k0[$u]))
                printf '%s\t%s\t%s\t%s\t%s\n' "$w" "$u" "$c" "$k" $((k ? c / k : 0)) | tee -a "$OUT/probe.tsv"
        done
done
for u in mg-bare mg-nice mg-io mg-sand mg-real mg-filter; do systemctl is-active -q $u.service || log "$u not active"; done
check "probed" test -s "$OUT/probe.tsv"
