# shellcheck shell=bash
# A restart in flight never disarms the rules that prevent a kernel OOM
# (issue 14). mg-stubborn grows past its 200M budget and is restarted over
# D-Bus; it ignores SIGTERM, so systemd's stop waits its TimeoutStopSec
# (90 s) and the restart job stays in flight. Meanwhile mg-burst allocates
# at ~200 MB/s. The shipped near-oom / oom-imminent rules must stop the
# burst within their tick, while the job runs: no kernel OOM, the 300 MB
# bystander keeps its process. (Before, any restart job made every
# destructive system rule wait up to 120 s: the kernel OOM killer won.)
mono_of() { journal_field __MONOTONIC_TIMESTAMP "$@" | head -n1; }

leak mg-db.service mg-db 0 300
wait_until 30 eval 'journalctl -q -u mg-db.service -o cat | grep -q "holding 300 MiB"'
db=$(unit_prop mg-db.service MainPID)
systemctl start mg-stubborn.service
check "the restart of the stubborn unit is asked for (MESSAGE_ID=$MID_RESTART)" \
        wait_until 60 journal_has MESSAGE_ID=$MID_RESTART MEMGUARD_UNIT=mg-stubborn.service
check "... and its stop hangs: the job is in flight (ActiveState=deactivating)" \
        wait_until 10 eval '[ "$(unit_prop mg-stubborn.service ActiveState)" = deactivating ]'
log "restart in flight; MemAvailable $(mem_available_mib) MiB"

leak mg-burst.service mg-burst 200 4096
burst=$(unit_prop mg-burst.service MainPID)
log "mg-burst pid $burst, mg-db pid $db"
check "the burst is stopped" wait_until 60 eval '! systemctl is-active -q mg-burst.service'
mg_journal -o verbose MEMGUARD_PID=$burst | grep -E '^ *(MESSAGE|MEMGUARD_)' | sed 's/^/    /'
rules=$(journal_field MEMGUARD_RULE MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$burst MEMGUARD_DRY_RUN=no | sort -u | tr '\n' ' ')
log "rules that signalled the burst: $rules"
check "memguard signalled the burst (MEMGUARD_PID=$burst)" \
        journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$burst MEMGUARD_DRY_RUN=no
check "... by a shipped system rule (near-oom or oom-imminent)" \
        eval 'echo "$rules" | grep -qwE "near-oom|oom-imminent"'
t_sig=$(mono_of MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$burst)
t_done=$(mono_of MESSAGE_ID=$MID_RESTART_DONE MEMGUARD_UNIT=mg-stubborn.service)
log "burst signalled at ${t_sig:-?} us; the restart finished at ${t_done:-not yet} us"
check "... while the restart job was still in flight" \
        eval '[ -n "$t_sig" ] && { [ -z "$t_done" ] || [ "$t_sig" -lt "$t_done" ]; }'
check "the kernel OOM killer never fired" no_kernel_oom
check "the bystander kept its process" \
        eval 'systemctl is-active -q mg-db.service && [ "$(unit_prop mg-db.service MainPID)" = "$db" ]'
check "the memory came back (MemAvailable > 1 GiB)" wait_until 20 eval '[ "$(mem_available_mib)" -gt 1024 ]'
systemctl kill -s KILL mg-stubborn.service 2>/dev/null
systemctl stop mg-db.service mg-stubborn.service 2>/dev/null
