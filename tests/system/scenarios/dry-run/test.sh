# shellcheck shell=bash
# dry run: with dry-run = yes (root/etc/memguard.conf.d), a 200 MB/s spike is
# decided on and journaled with MEMGUARD_DRY_RUN=yes, and memguard signals
# nothing. Here the kernel OOM killer may fire, and that is expected.
check "memguard started in dry-run mode" journal_has MESSAGE_ID=$MID_STARTED
leak mg-spike.service mg-spike 200 4096
spike=$(unit_prop mg-spike.service MainPID)
log "mg-spike pid $spike"
# Until the kernel kills it, or it holds 4 GiB (it cannot: 2 GiB guest).
wait_until 90 eval '! systemctl is-active -q mg-spike.service'
journalctl -q -u mg-spike.service -o cat | tail -n 3 | sed 's/^/    /'
mg_journal -o verbose MEMGUARD_DRY_RUN=yes | grep -E '^ *(MESSAGE|MEMGUARD_)' | sed 's/^/    /'
log "mg-spike: ActiveState=$(unit_prop mg-spike.service ActiveState) Result=$(unit_prop mg-spike.service Result) ExecMainStatus=$(unit_prop mg-spike.service ExecMainStatus)"
kernel_log | grep -E 'Out of memory|Killed process' | sed 's/^/    /'

check "the decision on the spike is journaled with MEMGUARD_DRY_RUN=yes" \
        journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$spike MEMGUARD_DRY_RUN=yes
check "... naming a shipped system rule" \
        eval 'journal_field MEMGUARD_RULE MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$spike | grep -qwE "near-oom|oom-imminent"'
check "no memguard entry says it acted for real (MEMGUARD_DRY_RUN=no)" eval '! journal_has MEMGUARD_DRY_RUN=no'
check "the spike did not die of SIGTERM" eval '[ "$(unit_prop mg-spike.service ExecMainStatus)" != 15 ]'
check "the spike was ended by the kernel OOM killer, or is still running" \
        eval 'systemctl is-active -q mg-spike.service || kernel_log | grep -qE "Killed process $spike \(mg-spike\)"'
systemctl stop mg-spike.service 2>/dev/null
