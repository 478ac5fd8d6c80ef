# shellcheck shell=bash
# Real garbage-collected runtimes (issue 21): two Node.js services churn
# ~20 MiB/s of Buffers, dropped every ~5 s, so their memory saws; one of
# them also keeps 1 MiB a second. A "unit.growth > 1G/h" rule with a 2
# minute window (root/etc/memguard.conf.d), beside the shipped rules, for
# 2.75 windows: the steady one is never flagged; the leaking one is, with
# a rate within 25% of the truth measured here from its cgroup's
# memory.current minima (10 s minima, least squares over the run).
CG=/sys/fs/cgroup/system.slice
systemctl start mg-node-steady.service mg-node-leak.service
check "both Node.js services run" \
        wait_until 30 eval 'systemctl is-active -q mg-node-steady.service && systemctl is-active -q mg-node-leak.service'
t0=$(cut -d' ' -f1 /proc/uptime)
: >"$OUT/leak-memory.tsv"
end=$((SECONDS + 330))
while [ $SECONDS -lt $end ]; do
        printf '%s\t%s\n' "$(cut -d' ' -f1 /proc/uptime)" \
                "$(cat $CG/mg-node-leak.service/memory.current 2>/dev/null || echo 0)" >>"$OUT/leak-memory.tsv"
        sleep 0.5
done
journalctl -q -u mg-node-leak.service -o cat | tail -n 3 | sed 's/^/    /'
journalctl -q -u mg-node-steady.service -o cat | tail -n 3 | sed 's/^/    /'
mg_journal -o cat MEMGUARD_RULE=node-growth | sed 's/^/    /'

# the truth: minima of 10 s slices, and their least-squares slope, in B/h
truth=$(awk -v t0="$t0" '{ s = int(($1 - t0) / 10); if (!(s in m) || $2 < m[s]) { m[s] = $2; x[s] = $1 } }
        END { n = 0; for (s in m) if (s >= 3) { n++; sx += x[s]; sy += m[s]; sxx += x[s] * x[s]; sxy += x[s] * m[s] }
              if (n > 2) printf "%.0f", (n * sxy - sx * sy) / (n * sxx - sx * sx) * 3600 }' "$OUT/leak-memory.tsv")
log "the leaking service's growth from memory.current minima: ${truth:-?} B/h"
check "the steady service is never flagged (MEMGUARD_RULE=node-growth, any rule)" \
        eval '! journal_has MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_UNIT=mg-node-steady.service'
check "the leaking service is flagged (MEMGUARD_RULE=node-growth MEMGUARD_UNIT=mg-node-leak.service)" \
        journal_has MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=node-growth MEMGUARD_UNIT=mg-node-leak.service
got=$(journal_field MEMGUARD_GROWTH_BYTES_PER_HOUR MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=node-growth \
        MEMGUARD_UNIT=mg-node-leak.service | head -n1)
band=$(journal_field MEMGUARD_GROWTH_BAND_BYTES_PER_HOUR MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=node-growth \
        MEMGUARD_UNIT=mg-node-leak.service | head -n1)
log "flagged at ${got:-?} B/h (band ${band:-?})"
check "... at its rate within 25% of the truth (${got:-?} against ${truth:-?} B/h)" \
        eval '[ -n "$got" ] && [ -n "$truth" ] && awk -v g="$got" -v t="$truth" "BEGIN { d = g - t; if (d < 0) d = -d; exit !(t > 0 && d <= 0.25 * t) }"'
check "... with its band in the journal" eval '[ -n "$band" ]'
check "the kernel OOM killer never fired" no_kernel_oom
systemctl stop mg-node-steady.service mg-node-leak.service
