# shellcheck shell=bash
# reload: a bad drop-in sent with `systemctl reload memguard` (SIGHUP) is
# refused: each error is journaled with FILE:LINE (MESSAGE_ID of the
# reload-refused event), and the running rules keep acting on a leaker the
# existing rule matches. Then the good config reloads, which proves the
# reload path itself works.
BAD=/etc/memguard.conf.d/60-broken.conf
# hog N: runs the leaker mg-hogN and checks that hog-limit terminates it.
hog() {
        local u=mg-hog$1.service pid pss
        leak $u mg-hog$1 30 600
        pid=$(unit_prop $u MainPID)
        log "mg-hog$1 pid $pid"
        check "$2: hog-limit terminates mg-hog$1 (MEMGUARD_RULE=hog-limit, not dry run)" \
                wait_until 60 journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid \
                MEMGUARD_RULE=hog-limit MEMGUARD_DRY_RUN=no
        check "$2: mg-hog$1 is gone (MESSAGE_ID=$MID_PROCESS_GONE)" \
                wait_until 20 journal_has MESSAGE_ID=$MID_PROCESS_GONE MEMGUARD_PID=$pid
        pss=$(journal_field MEMGUARD_PSS_KB MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid | head -n1)
        log "mg-hog$1: PSS at the action ${pss:-?} kB; $(unit_prop $u Result), status $(unit_prop $u ExecMainStatus)"
        check "$2: at the running 150M limit (PSS 150-300 MiB), not at the refused 4G" \
                eval '[ -n "$pss" ] && [ "$pss" -ge $((150 * 1024)) ] && [ "$pss" -le $((300 * 1024)) ]'
        systemctl reset-failed $u 2>/dev/null
        return 0
}

hog 1 "before the reload"

cp "$D/scenario/broken.conf" $BAD
l_when=$(grep -n '< lots' $BAD | cut -d: -f1)
l_action=$(grep -n 'explode' $BAD | cut -d: -f1)
systemctl reload memguard.service
check "memguard refuses the reload (MESSAGE_ID=$MID_CONFIG_ERROR)" \
        wait_until 20 journal_has MESSAGE_ID=$MID_CONFIG_ERROR
mg_journal -o verbose MESSAGE_ID=$MID_CONFIG_ERROR | grep -E '^ *(MESSAGE|PRIORITY)=' | sed 's/^/    /'
errs=$(journal_field MESSAGE MESSAGE_ID=$MID_CONFIG_ERROR)
check "the journal has $BAD:$l_when (the bad size)" eval 'grep -qF "$BAD:$l_when: " <<<"$errs"'
check "... and $BAD:$l_action (the bad action): every error in one pass" \
        eval 'grep -qF "$BAD:$l_action: " <<<"$errs"'
check "... at PRIORITY=3 (err)" journal_has MESSAGE_ID=$MID_CONFIG_ERROR PRIORITY=3
check "... and says the running configuration is kept" eval 'grep -q "keeping the running configuration" <<<"$errs"'
check "no 'configuration reloaded' entry for the bad config" \
        eval '! journal_has MESSAGE_ID=$MID_CONFIG_RELOADED'
check "memguard is back to running (ActiveState=active, SubState=running)" \
        wait_until 10 eval '[ "$(unit_prop memguard.service ActiveState)/$(unit_prop memguard.service SubState)" = active/running ]'
check "the refused config's dry-run = yes did not take (no MEMGUARD_DRY_RUN=yes)" \
        eval '! journal_has MEMGUARD_DRY_RUN=yes'

hog 2 "after the refused reload"
check "the kernel OOM killer never fired" no_kernel_oom

rm -f $BAD
systemctl reload memguard.service
check "with the bad drop-in gone, a reload is accepted (MESSAGE_ID=$MID_CONFIG_RELOADED)" \
        wait_until 20 journal_has MESSAGE_ID=$MID_CONFIG_RELOADED
mg_journal -o cat MESSAGE_ID=$MID_CONFIG_RELOADED | sed 's/^/    /'
