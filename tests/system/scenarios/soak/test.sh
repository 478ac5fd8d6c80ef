# shellcheck shell=bash
# soak (issue 19): memguard with the shipped configuration under churn.
# 100 processes start and 100 end every second (mg-churn, each living 2 s),
# a transient unit appears every 2 s and goes 20 s later, and memguard is
# reloaded every 10 s, for SOAK seconds (120 here; bench/soak.sh runs 1800).
# Its anonymous memory, open descriptors and history memory must stay flat
# (the second half of the churn no higher than the first), its CPU within
# an order of magnitude of its idle cost measured first in the same guest,
# every reload taken, and nothing acted on. Every 5 s a line goes to
# soak.tsv; soak-summary.txt has the slopes.
SOAK=$(cat "$D/scenario/seconds" 2>/dev/null || echo 120)
IDLE=30
prom=/run/memguard/soak.prom
pid=$MG_PID0
TSV=$OUT/soak.tsv
printf 't\tphase\tvmrss_kb\trss_anon_kb\tfds\tcpu_ticks\thistory_bytes\thistory_series\tprocesses\tunits\theap_used\theap_free\n' >"$TSV"
metric() { awk -v m="$1" '$1 == m { print $2; exit }' "$prom" 2>/dev/null; }
sample() { # sample PHASE
        local st
        st=$(cat /proc/"$pid"/status)
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(cut -d' ' -f1 /proc/uptime)" "$1" \
                "$(awk '/^VmRSS:/ { print $2 }' <<<"$st")" "$(awk '/^RssAnon:/ { print $2 }' <<<"$st")" \
                "$(ls /proc/"$pid"/fd | wc -l)" "$(awk '{ print $14 + $15 }' /proc/"$pid"/stat)" \
                "$(metric memguard_history_bytes)" "$(metric memguard_history_series)" \
                "$(metric memguard_processes)" "$(metric memguard_units)" \
                "$(metric 'memguard_heap_bytes{state="used"}')" "$(metric 'memguard_heap_bytes{state="free"}')" >>"$TSV"
}
check "memguard writes the metrics file the soak reads" wait_until 20 test -s $prom

log "idle for $IDLE s"
for _ in $(seq $((IDLE / 5))); do sample idle; sleep 5; done
sample idle

log "churn for $SOAK s: 100 processes/s, a unit every 2 s, a reload every 10 s"
systemd-run -q --unit=mg-churn.service --collect /usr/local/bin/mg-churn 100 2000
(
        i=0
        while :; do
                systemd-run -q --unit="mg-soak-$i.service" --collect -p RuntimeMaxSec=20 /bin/sleep 30
                i=$((i + 1))
                sleep 2
        done
) &
units_loop=$!
n0=$(mg_journal -o cat MESSAGE_ID=$MID_CONFIG_RELOADED | wc -l)
reloads=0
t0=$SECONDS
while [ $((SECONDS - t0)) -lt "$SOAK" ]; do
        sample churn
        sleep 5
        if [ $(((SECONDS - t0) / 10)) -gt "$reloads" ]; then
                systemctl reload memguard.service && reloads=$((reloads + 1))
        fi
done
sample churn
kill "$units_loop"
wait "$units_loop" 2>/dev/null
systemctl stop mg-churn.service
journalctl -q --no-pager -u mg-churn.service -o cat | tail -n 1 | sed 's/^/    /'
sleep 2

# The figures: first and second half of the churn, slopes over the second
awk -F'\t' -v idle_s=$IDLE '
        NR == 1 { next }
        $2 == "idle" { if (!it0) { it0 = $1; ic0 = $6 } it1 = $1; ic1 = $6; next }
        { t[n] = $1; anon[n] = $4; fd[n] = $5; cpu[n] = $6; hb[n] = $7; hs[n] = $8; pr[n] = $9; un[n] = $10
          hu[n] = $11; hf[n] = $12; n++ }
        function slope(v, a, b,   i, st, sv, stt, stv, k) {
                for (i = a; i < b; i++) { st += t[i]; sv += v[i]; stt += t[i] * t[i]; stv += t[i] * v[i]; k++ }
                return (k * stt - st * st) ? (k * stv - st * sv) / (k * stt - st * st) : 0
        }
        function max(v, a, b,   i, m) { m = v[a]; for (i = a; i < b; i++) if (v[i] + 0 > m + 0) m = v[i]; return m }
        END {
                h = int(n / 2)
                hz = 100
                idle = (ic1 - ic0) / hz / (it1 - it0) * 100
                churn = (cpu[n - 1] - cpu[0]) / hz / (t[n - 1] - t[0]) * 100
                printf "samples %d (idle %.0f s, churn %.0f s)\n", n, it1 - it0, t[n - 1] - t[0]
                printf "cpu_idle_percent %.3f\ncpu_churn_percent %.3f\ncpu_ratio %.2f\n", idle, churn, (idle > 0 ? churn / idle : 0)
                printf "anon_kb_first_half_max %d\nanon_kb_second_half_max %d\nanon_slope_kb_per_h %.1f\n", max(anon, 0, h), max(anon, h, n), slope(anon, h, n) * 3600
                printf "fds_first_half_max %d\nfds_second_half_max %d\nfds_slope_per_h %.2f\n", max(fd, 0, h), max(fd, h, n), slope(fd, h, n) * 3600
                printf "history_bytes_first_half_max %d\nhistory_bytes_second_half_max %d\nhistory_slope_bytes_per_h %.0f\n", max(hb, 0, h), max(hb, h, n), slope(hb, h, n) * 3600
                printf "history_series_max %d\nprocesses_max %d\nunits_max %d\n", max(hs, 0, n), max(pr, 0, n), max(un, 0, n)
                printf "heap_used_first_half_max %d\nheap_used_second_half_max %d\nheap_used_slope_bytes_per_h %.0f\n", max(hu, 0, h), max(hu, h, n), slope(hu, h, n) * 3600
                printf "heap_free_first_half_max %d\nheap_free_second_half_max %d\n", max(hf, 0, h), max(hf, h, n)
        }' "$TSV" >"$OUT/soak-summary.txt"
sed 's/^/    /' "$OUT/soak-summary.txt"
fig() { awk -v k="$1" '$1 == k { print $2 }' "$OUT/soak-summary.txt"; }

n1=$(mg_journal -o cat MESSAGE_ID=$MID_CONFIG_RELOADED | wc -l)
check "every reload was taken ($reloads sent, $((n1 - n0)) reloaded entries), none refused" \
        eval '[ "$reloads" -ge $((SOAK / 10 - 1)) ] && [ $((n1 - n0)) -ge "$reloads" ] && ! journal_has MESSAGE_ID=$MID_CONFIG_ERROR'
check "memguard saw the churn (up to $(fig processes_max) processes, $(fig units_max) units)" \
        eval '[ "$(fig processes_max)" -ge 150 ] && [ "$(fig units_max)" -ge 8 ]'
check "anonymous memory flat: second half max $(fig anon_kb_second_half_max) kB <= first half max $(fig anon_kb_first_half_max) kB + 64" \
        eval '[ "$(fig anon_kb_second_half_max)" -le $(($(fig anon_kb_first_half_max) + 64)) ]'
check "open descriptors flat: second half max $(fig fds_second_half_max) <= first half max $(fig fds_first_half_max) + 1" \
        eval '[ "$(fig fds_second_half_max)" -le $(($(fig fds_first_half_max) + 1)) ]'
check "history memory flat: second half max $(fig history_bytes_second_half_max) B <= first half max $(fig history_bytes_first_half_max) B x 1.25" \
        eval '[ $(($(fig history_bytes_second_half_max) * 4)) -le $(($(fig history_bytes_first_half_max) * 5)) ]'
check "CPU under churn within an order of magnitude of idle ($(fig cpu_churn_percent)% vs $(fig cpu_idle_percent)%)" \
        eval 'awk -v r="$(fig cpu_ratio)" "BEGIN { exit !(r > 0 && r <= 10) }"'
check "nothing was acted on (no signal, no restart)" \
        eval '! journal_has MESSAGE_ID=$MID_SIGNAL_SENT && ! journal_has MESSAGE_ID=$MID_RESTART'
