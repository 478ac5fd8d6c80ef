# shellcheck shell=bash
# slow leak, shipped config: a unit leaking 5 MB/s with no rule of its own is
# acted upon by the shipped rules (conf/memguard.conf, unmodified: no
# drop-in here) before exhaustion. The journal says which rule and why:
# first the low-memory warning (< 15% for 10 s), then near-oom (< 7%)
# terminates the leaker, and oom-imminent (< 3%) is never needed. No kernel
# OOM kill. A "database" holding 400 MiB, as on the 2 GB servers memguard is
# for, survives; it also shortens the leak to about 1.3 GiB (~4 min).
check "no drop-in: memguard runs the shipped rules only" \
        eval '! ls /etc/memguard.conf.d/*.conf >/dev/null 2>&1'
total_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
leak mg-db.service mg-db 0 400
wait_until 30 eval 'journalctl -q -u mg-db.service -o cat | grep -q "holding 400 MiB"'
db=$(unit_prop mg-db.service MainPID)
avail0=$(mem_available_mib)
log "mg-db pid $db holds 400 MiB; MemTotal $((total_kb / 1024)) MiB, MemAvailable $avail0 MiB"

U=mg-slowleak.service
leak $U mg-slowleak 5 4096
pid=$(unit_prop $U MainPID)
log "mg-slowleak pid $pid, 5 MiB/s"
# Until it stops (about 4 min); progress every 30 s, so a slow run shows
# where it was.
next=$((SECONDS + 30))
while systemctl is-active -q $U && [ $SECONDS -lt 420 ]; do
        sleep 1
        if [ $SECONDS -ge $next ]; then
                log "MemAvailable $(mem_available_mib) MiB; $(journalctl -q -u $U -o cat | tail -n1)"
                next=$((next + 30))
        fi
done
check "the leaking unit is stopped" eval '! systemctl is-active -q $U'
journalctl -q -u $U -o cat | tail -n 3 | sed 's/^/    /'
mg_journal -o verbose MEMGUARD_RULE=low-memory + MEMGUARD_PID=$pid | grep -E '^ *(MESSAGE|MEMGUARD_)' | sed 's/^/    /'
log "$U: Result=$(unit_prop $U Result) ExecMainStatus=$(unit_prop $U ExecMainStatus)"

check "the kernel OOM killer never fired" no_kernel_oom
check "low-memory warned first (MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=low-memory MEMGUARD_ACTION=warn)" \
        journal_has MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=low-memory MEMGUARD_ACTION=warn
t_warn=$(journal_field __MONOTONIC_TIMESTAMP MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=low-memory | head -n1)
t_term=$(journal_field __MONOTONIC_TIMESTAMP MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid | head -n1)
check "... before memguard signalled the leaker (journal timestamps)" \
        eval '[ -n "$t_warn" ] && [ -n "$t_term" ] && [ "$t_warn" -lt "$t_term" ]'
check "the warning says why: available memory below 15%" \
        eval 'journal_field MESSAGE MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=low-memory | head -n1 | grep -q "^low-memory: available memory .*below 15%"'
check "near-oom terminated the leaker (MEMGUARD_RULE=near-oom MEMGUARD_SIGNAL=SIGTERM MEMGUARD_PID=$pid MEMGUARD_COMM=mg-slowleak)" \
        journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_RULE=near-oom MEMGUARD_ACTION=term \
        MEMGUARD_SIGNAL=SIGTERM MEMGUARD_PID=$pid MEMGUARD_COMM=mg-slowleak MEMGUARD_UNIT=$U MEMGUARD_DRY_RUN=no
msg=$(journal_field MESSAGE MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_RULE=near-oom MEMGUARD_PID=$pid | head -n1)
log "why: $msg"
check "... and its MESSAGE says why: available memory below 7%, terminating mg-slowleak" \
        eval 'grep -q "^near-oom: available memory .*below 7%.*terminating mg-slowleak (pid $pid" <<<"$msg"'
avail_kb=$(journal_field MEMGUARD_MEM_AVAILABLE_KB MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid | head -n1)
log "MemAvailable when signalled: ${avail_kb:-?} kB of $total_kb kB"
check "it acted before exhaustion: MemAvailable at the action between 3% and 7%" \
        eval '[ -n "$avail_kb" ] && [ $((avail_kb * 100)) -lt $((total_kb * 7)) ] && [ $((avail_kb * 100)) -gt $((total_kb * 3)) ]'
check "the last resort was never needed (no oom-imminent action, no SIGKILL)" \
        eval '! journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_RULE=oom-imminent && ! journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_SIGNAL=SIGKILL'
check "the leaker is gone (MESSAGE_ID=$MID_PROCESS_GONE)" \
        wait_until 10 journal_has MESSAGE_ID=$MID_PROCESS_GONE MEMGUARD_PID=$pid
check "the database kept its process and was never signalled" \
        eval 'pid_alive "$db" && [ "$(unit_prop mg-db.service MainPID)" = "$db" ] && ! journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$db'
check "the memory came back (MemAvailable within 64 MiB of the $avail0 MiB before the leak)" \
        wait_until 15 eval '[ "$(mem_available_mib)" -ge $((avail0 - 64)) ]'
check "near-oom recovered (MESSAGE_ID=$MID_RULE_RECOVERED)" \
        wait_until 15 journal_has MESSAGE_ID=$MID_RULE_RECOVERED MEMGUARD_RULE=near-oom
systemctl stop mg-db.service
systemctl reset-failed $U 2>/dev/null
