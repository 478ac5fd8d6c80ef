# shellcheck shell=bash
# leak detection: a service leaking 4 MiB/s beside one that warms a 300 MiB
# cache in 30 s and then holds it, under the shipped leak rules (windows
# cut to 2 minutes, root/etc/memguard.conf.d). The leaker is warned about
# with its growth and a sane ETA to its budget, and restarted by the
# exhaustion rule (target = fastest-growing) before the box is in danger:
# near-oom never fires, the kernel OOM killer neither. The cache is never
# flagged and keeps its process.
L=mg-leaker.service
C=mg-cache.service
systemctl start $C
wait_until 60 eval 'journalctl -q -u $C -o cat | grep -q "holding 300 MiB"'
cache_pid=$(unit_prop $C MainPID)
systemctl start $L
t0=$(date +%s)
leak_pid=$(unit_prop $L MainPID)
log "cache pid $cache_pid, leaker pid $leak_pid; MemAvailable $(mem_available_mib) MiB"

check "the leak is warned about (rule leak-warning names $L)" \
        wait_until 240 journal_has MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=leak-warning MEMGUARD_UNIT=$L
t_warn=$(($(date +%s) - t0))
mg_journal -o verbose MEMGUARD_RULE=leak-warning | grep -E '^ *(MESSAGE|MEMGUARD_)' | sed 's/^/    /'
rate=$(journal_field MEMGUARD_GROWTH_BYTES_PER_HOUR MEMGUARD_RULE=leak-warning MEMGUARD_UNIT=$L | head -n1)
eta=$(journal_field MEMGUARD_ETA_SEC MEMGUARD_RULE=leak-warning MEMGUARD_UNIT=$L | head -n1)
kb=$(journal_field MEMGUARD_PSS_KB MEMGUARD_RULE=leak-warning MEMGUARD_UNIT=$L | head -n1)
true_rate=$((4 * 1024 * 1024 * 3600))
log "warned after ${t_warn} s: growth ${rate:-?} B/h (true $true_rate), ETA ${eta:-?} s, unit at ${kb:-?} kB"
check "the warning's growth is the leak's rate, within 25% (${rate:-?} B/h)" \
        eval '[ -n "$rate" ] && [ "$rate" -gt $((true_rate * 3 / 4)) ] && [ "$rate" -lt $((true_rate * 5 / 4)) ]'
# the ETA to the 1200M budget at 4 MiB/s from where the unit was
check "the warning's ETA to the 1200 MiB budget is sane, within 25% (${eta:-?} s)" \
        eval 'want=$(( (1200 * 1024 - kb) / 4096 )); [ -n "$eta" ] && [ "$eta" -gt $((want * 3 / 4)) ] && [ "$eta" -lt $((want * 5 / 4)) ]'
check "the message says it in words (grows, budget, exhausted)" \
        eval 'mg_journal -o cat MEMGUARD_RULE=leak-warning MEMGUARD_UNIT=$L | grep -q "mg-leaker.service grows .* [MG]iB/h (±[0-9.?]*) over the last .*; at this rate it reaches its 1200 MiB budget in .*; memory is exhausted in ~"'

# memguard status, as an operator runs it during the leak (issue 16): the
# leaker is the largest unit once past the cache's 300 MiB, with the leak's
# rate; the rule that fired on it holds; --json is JSON (node's parser:
# the guest has no python3).
status_json() { memguard status --json --all >"$OUT/status.json" 2>"$OUT/status.err"; }
leaker_first() {
        status_json && node -e '
                const s = JSON.parse(require("fs").readFileSync(process.argv[1]));
                const u = s.units[0], want = 4 * 1048576;
                process.exit(u.name === process.argv[2] && u.growth_bytes_per_second > want * 0.8 &&
                             u.growth_bytes_per_second < want * 1.2 ? 0 : 1);' "$OUT/status.json" $L
}
check "memguard status lists $L first, growing at the leak's rate within 20%" wait_until 60 leaker_first
memguard status --top 5 >"$OUT/status.txt" 2>&1
sed 's/^/    /' "$OUT/status.txt"
node -e 'const u = JSON.parse(require("fs").readFileSync(process.argv[1])).units[0];
         console.log(`    status: ${u.name} ${u.memory_bytes} B, growth ${u.growth_bytes_per_second} B/s (±${u.growth_band_bytes_per_second}), budget ${u.budget_bytes} B in ${u.budget_reached_seconds} s`)' \
        "$OUT/status.json" || true
check "... and shows leak-warning fired on it, still holding" \
        grep -qE "^leak-warning +unit +warn +fired at [0-9:]+, holding for .*: $L" "$OUT/status.txt"
check "... and its budget (1200 MiB) with a time to reach it" \
        grep -qE "^$L +[0-9]+ MiB +[0-9.]+ [MG]iB/h \(±[0-9.?]+\) +1200 MiB +[0-9]+ (s|min|h)" "$OUT/status.txt"

# The same view for Prometheus (issue 16): the metrics file where
# node_exporter reads it (root/etc: metrics-file, every 10 s, and the
# unit's ReadWritePaths= drop-in memguard.conf(5) gives), its growth of
# the leaker the leak's rate and the one memguard status shows.
P=/var/lib/prometheus/node-exporter/memguard.prom
prom_value() { # prom_value SERIES: the value of one series of $P
        awk -v s="$1" '$1 == s { print $2 }' "$P" 2>/dev/null
}
check "the metrics file is written where node_exporter reads it, 0644" \
        wait_until 20 eval '[ "$(stat -c %a $P 2>/dev/null)" = 644 ]'
cp "$P" "$OUT/memguard.prom" 2>/dev/null
grep -E "^memguard_(memory_available|unit_(memory|growth)[a-z_]*\{unit=\"mg-|rule_(active|fired_total)\{rule=\"leak)" "$P" | sed 's/^/    /'
pg=$(prom_value "memguard_unit_growth_bytes_per_second{unit=\"$L\",manager=\"system\"}")
sg=$(node -e 'const u = JSON.parse(require("fs").readFileSync(process.argv[1])).units.find(u => u.name === process.argv[2]);
              console.log(u ? u.growth_bytes_per_second : "")' "$OUT/status.json" $L 2>/dev/null)
log "growth of $L: metrics ${pg:-?} B/s, memguard status ${sg:-?} B/s, true $((4 * 1048576)) B/s"
check "... its growth of $L is the leak's rate within 20%, and memguard status's within 10%" \
        awk -v p="$pg" -v s="$sg" -v t=$((4 * 1048576)) \
            'BEGIN { exit !(p != "" && s != "" && p > t * 0.8 && p < t * 1.2 && p > s * 0.9 && p < s * 1.1) }'
check "... and leak-warning active, fired at least once" \
        eval '[ "$(prom_value "memguard_rule_active{rule=\"leak-warning\"}")" = 1 ] &&
              [ "$(prom_value "memguard_rule_fired_total{rule=\"leak-warning\"}")" -ge 1 ]'

check "the exhaustion rule restarts $L (fastest-growing)" \
        wait_until 300 journal_has MESSAGE_ID=$MID_RESTART_DONE MEMGUARD_UNIT=$L MEMGUARD_JOB_RESULT=done
mg_journal -o verbose MEMGUARD_RULE=exhaustion | grep -E '^ *(MESSAGE|MEMGUARD_)' | sed 's/^/    /'
check "... by the exhaustion rule, with growth and ETA fields" \
        journal_has MESSAGE_ID=$MID_RESTART MEMGUARD_RULE=exhaustion MEMGUARD_UNIT=$L MEMGUARD_ACTION=restart
avail=$(journal_field MEMGUARD_MEM_AVAILABLE_KB MESSAGE_ID=$MID_RESTART MEMGUARD_RULE=exhaustion | head -n1)
log "restarted after $(($(date +%s) - t0)) s at MemAvailable ${avail:-?} kB"
check "it acted before the box was in danger (MemAvailable above near-oom's 7%)" \
        eval '[ -n "$avail" ] && [ "$avail" -gt $(( $(awk "/^MemTotal:/ { print \$2 }" /proc/meminfo) * 7 / 100 )) ]'
check "near-oom and oom-imminent never fired" \
        eval '! journal_has MEMGUARD_RULE=near-oom && ! journal_has MEMGUARD_RULE=oom-imminent'
check "the cache was never flagged" eval '! journal_has MEMGUARD_UNIT=$C'
check "the cache kept its process" eval 'pid_alive "$cache_pid" && [ "$(unit_prop $C MainPID)" = "$cache_pid" ]'
check "the leaker runs again with a new process" \
        eval 'systemctl is-active -q $L && [ "$(unit_prop $L MainPID)" != "$leak_pid" ]'
systemctl stop $L $C
check "the kernel OOM killer never fired" no_kernel_oom
