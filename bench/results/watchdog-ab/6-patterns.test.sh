# shellcheck shell=bash
# probe: cost per wake-up of bare wake-up patterns beside memguard and earlyoom
systemctl unmask -q earlyoom.service
systemctl start earlyoom.service
for mode in eo ep epc po; do systemd-run -q --unit=pat-$mode /usr/local/bin/pat $mode; done
sleep 10
declare -A pid
for u in memguard earlyoom pat-eo pat-ep pat-epc pat-po; do pid[$u]=$(unit_prop $u.service MainPID); done
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
wakes() { awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$1/status"; }
printf 'window\tunit\tcpu_us\twakes\tus_per_wake\n' >"$OUT/probe.tsv"
for w in 1 2 3 4 5 6; do
        declare -A c0 k0
        for u in "${!pid[@]}"; do c0[$u]=$(cpu_ns "${pid[$u]}"); k0[$u]=$(wakes "${pid[$u]}"); done
        sleep 30
        for u in "${!pid[@]}"; do
                c=$((($(cpu_ns "${pid[$u]}") - c0[$u]) / 1000)); k=$(($(wakes "${pid[$u]}") - k0[$u]))
                printf '%s\t%s\t%s\t%s\t%s\n' "$w" "$u" "$c" "$k" $((k ? c / k : 0)) | tee -a "$OUT/probe.tsv"
        done
done
check "probed" test -s "$OUT/probe.tsv"
