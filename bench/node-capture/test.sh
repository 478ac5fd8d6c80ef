# shellcheck shell=bash
# Node.js services under the shipped rules for 36 minutes (bench/node-capture.sh):
# one steady with a sawing RSS, two leaking 0.1 MiB/s (360 MiB/h), one with
# glibc's default malloc, one sawing. Records each unit's memory.current
# and MemAvailable every second, and what memguard said.
CG=/sys/fs/cgroup/system.slice
SERVICES="mg-node-steady mg-node-slowleak mg-node-slowsaw"
# shellcheck disable=SC2086
systemctl start $(printf '%s.service ' $SERVICES)
for s in $SERVICES; do : >"$OUT/$s.tsv"; done
: >"$OUT/mem-available.tsv"
end=$((SECONDS + 36 * 60))
while [ $SECONDS -lt $end ]; do
        now=$(cut -d' ' -f1 /proc/uptime)
        for s in $SERVICES; do
                printf '%s\t%s\n' "$now" "$(cat $CG/$s.service/memory.current 2>/dev/null || echo 0)" \
                        >>"$OUT/$s.tsv"
        done
        printf '%s\t%s\n' "$now" "$(awk '/^MemAvailable:/ { print $2 * 1024 }' /proc/meminfo)" \
                >>"$OUT/mem-available.tsv"
        sleep 1
done
for s in $SERVICES; do journalctl -q -u $s.service -o cat | tail -n 1 | sed 's/^/    /'; done
mg_journal -o short-monotonic MESSAGE_ID=$MID_RULE_FIRED + MESSAGE_ID=$MID_RULE_RECOVERED | sed 's/^/    /'
check "the steady service is never flagged" \
        eval '! journal_has MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_UNIT=mg-node-steady.service'
check "the kernel OOM killer never fired" no_kernel_oom
# shellcheck disable=SC2086
systemctl stop $(printf '%s.service ' $SERVICES)
