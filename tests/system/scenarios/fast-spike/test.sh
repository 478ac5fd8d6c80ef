# shellcheck shell=bash
# fast spike: a process allocating at ~200 MB/s, with no rule of its own, is
# stopped by the shipped system rules before the kernel OOM killer fires. An
# innocent service holding 400 MB and a protected process survive.
#
# The protected process is named sshd (in the shipped protect list) and has
# oom_score_adj 1000, so it is the process the oom-score target would pick
# first if protect were ignored (real sshd sets -1000, which memguard skips
# for another reason).
leak mg-sshd.service sshd 0 100 -p OOMScoreAdjust=1000
leak mg-db.service mg-db 0 400
wait_until 30 eval 'journalctl -q -u mg-db.service -o cat | grep -q "holding 400 MiB"'
wait_until 30 eval 'journalctl -q -u mg-sshd.service -o cat | grep -q "holding 100 MiB"'
sshd=$(unit_prop mg-sshd.service MainPID)
db=$(unit_prop mg-db.service MainPID)
log "sshd pid $sshd, mg-db pid $db; MemAvailable $(mem_available_mib) MiB"
check "the innocent and the protected process are up" eval 'pid_alive "$sshd" && pid_alive "$db"'

leak mg-spike.service mg-spike 200 4096
spike=$(unit_prop mg-spike.service MainPID)
log "mg-spike pid $spike"
check "the spike is stopped" wait_until 60 eval '! systemctl is-active -q mg-spike.service'
journalctl -q -u mg-spike.service -o cat | sed 's/^/    /'
mg_journal -o verbose MEMGUARD_PID=$spike | grep -E '^ *(MESSAGE|MEMGUARD_)' | sed 's/^/    /'
log "mg-spike: Result=$(unit_prop mg-spike.service Result) ExecMainStatus=$(unit_prop mg-spike.service ExecMainStatus)"

rules=$(journal_field MEMGUARD_RULE MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$spike MEMGUARD_DRY_RUN=no | sort -u | tr '\n' ' ')
log "rules that signalled the spike: $rules"
check "memguard signalled the spike (MEMGUARD_PID=$spike, MEMGUARD_COMM=mg-spike)" \
        journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$spike MEMGUARD_COMM=mg-spike MEMGUARD_DRY_RUN=no
check "... by a shipped system rule (near-oom or oom-imminent)" \
        eval 'echo "$rules" | grep -qwE "near-oom|oom-imminent"'
check "the kernel OOM killer never fired" no_kernel_oom
check "the innocent service kept its process" \
        eval 'systemctl is-active -q mg-db.service && [ "$(unit_prop mg-db.service MainPID)" = "$db" ]'
check "the protected process (sshd) survived" pid_alive "$sshd"
check "memguard never signalled sshd or mg-db" \
        eval '! journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$sshd && ! journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$db'
check "the memory came back (MemAvailable > 1 GiB)" wait_until 15 eval '[ "$(mem_available_mib)" -gt 1024 ]'
systemctl stop mg-db.service mg-sshd.service
