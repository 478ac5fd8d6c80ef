# shellcheck shell=bash
# A/B: the loop through sd_event_wait() on every tick (old, a6de434)
# against idle ticks outside sd-event (new), both as Type=notify,
# WatchdogSec=10s, dry run; memguard.service (new) and earlyoom beside.
MG=$(command -v memguard)
systemctl unmask -q earlyoom.service
systemctl start earlyoom.service
systemd-run -q --unit=mg-old -p Type=notify -p WatchdogSec=10s /usr/local/bin/memguard-old --config /etc/memguard.conf --dry-run
systemd-run -q --unit=mg-new -p Type=notify -p WatchdogSec=10s "$MG" --config /etc/memguard.conf --dry-run
sleep 10
declare -A pid
for u in memguard mg-old mg-new earlyoom; do pid[$u]=$(unit_prop $u.service MainPID); done
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
check "memguard.service alive" systemctl is-active -q memguard.service
check "probed" test -s "$OUT/probe.tsv"
