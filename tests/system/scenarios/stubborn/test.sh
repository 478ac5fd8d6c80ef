# shellcheck shell=bash
# stubborn process: a leaker that ignores SIGTERM is SIGTERMed by a process
# rule (root/etc/memguard.conf.d, grace = 3s), SIGKILLed when the grace is
# over, and its memory comes back. The leak stops at 600 MiB, far from the
# shipped system rules, so only the rule under test acts.
GRACE_S=3
U=mg-stubborn.service
# Journal timestamps (µs, monotonic) of memguard's entries matching MATCH...
mono_of() { journal_field __MONOTONIC_TIMESTAMP "$@" | head -n1; }

avail0=$(mem_available_mib)
systemd-run -q --unit=$U /usr/local/bin/mg-leak mg-stubborn 20 600 ignore-term
pid=$(unit_prop $U MainPID)
log "mg-stubborn pid $pid (ignores SIGTERM), MemAvailable before $avail0 MiB"
check "the stubborn leaker runs" pid_alive "$pid"

check "memguard reports it gone (MESSAGE_ID=$MID_PROCESS_GONE MEMGUARD_PID=$pid)" \
        wait_until 60 journal_has MESSAGE_ID=$MID_PROCESS_GONE MEMGUARD_PID=$pid
journalctl -q -u $U -o cat | tail -n 4 | sed 's/^/    /'
mg_journal -o verbose MEMGUARD_PID=$pid | grep -E '^ *(MESSAGE|MEMGUARD_)' | sed 's/^/    /'

check "SIGTERM first, from the rule (MEMGUARD_RULE=stubborn-worker MEMGUARD_SIGNAL=SIGTERM)" \
        journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid MEMGUARD_RULE=stubborn-worker \
        MEMGUARD_ACTION=term MEMGUARD_SIGNAL=SIGTERM MEMGUARD_DRY_RUN=no
check "then SIGKILL (MEMGUARD_SIGNAL=SIGKILL MEMGUARD_PID=$pid)" \
        journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid MEMGUARD_SIGNAL=SIGKILL
t_term=$(mono_of MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid MEMGUARD_SIGNAL=SIGTERM)
t_kill=$(mono_of MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid MEMGUARD_SIGNAL=SIGKILL)
t_gone=$(mono_of MESSAGE_ID=$MID_PROCESS_GONE MEMGUARD_PID=$pid)
log "journal: SIGTERM at ${t_term:-?} us, SIGKILL at ${t_kill:-?} us, gone at ${t_gone:-?} us"
# The SIGTERM entry is written after the signal and after the process is
# described (libproc2 reads /proc), so under TCG its journal time may trail
# the signal by some 100 ms; memguard counts the grace from the signal
# itself and says so in the SIGKILL entry ("3.0 s after SIGTERM").
check "the SIGKILL came after the ${GRACE_S} s grace, not before (journal timestamps, 0.5 s slack)" \
        eval '[ -n "$t_term" ] && [ -n "$t_kill" ] && [ $((t_kill - t_term)) -ge $((GRACE_S * 1000000 - 500000)) ]'
after=$(journal_field MESSAGE MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid MEMGUARD_SIGNAL=SIGKILL |
        sed -n 's/.* \([0-9]*\.[0-9]\) s after SIGTERM.*/\1/p' | head -n1)
log "memguard's count from the signal to the SIGKILL: ${after:-?} s"
check "... by memguard's own count from the signal (>= ${GRACE_S}.0 s)" \
        eval '[ -n "$after" ] && [ "${after%.*}${after#*.}" -ge $((GRACE_S * 10)) ]'
check "... and not long after it (< grace + 5 s)" \
        eval '[ -n "$t_term" ] && [ -n "$t_kill" ] && [ $((t_kill - t_term)) -lt $(((GRACE_S + 5) * 1000000)) ]'
check "the SIGKILL entry says it was still alive" \
        eval 'journal_field MESSAGE MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid MEMGUARD_SIGNAL=SIGKILL | grep -q "still alive"'
check "the \"is gone\" entry comes after the SIGKILL and says so" \
        eval '[ -n "$t_gone" ] && [ "$t_gone" -ge "${t_kill:-0}" ] &&
                journal_field MESSAGE MESSAGE_ID=$MID_PROCESS_GONE MEMGUARD_PID=$pid | grep -q "is gone.*after SIGKILL"'
pss=$(journal_field MEMGUARD_PSS_KB MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid MEMGUARD_SIGNAL=SIGTERM | head -n1)
log "PSS when SIGTERMed: ${pss:-?} kB"
check "it acted at the rule's threshold (PSS 200-350 MiB at SIGTERM)" \
        eval '[ -n "$pss" ] && [ "$pss" -ge $((200 * 1024)) ] && [ "$pss" -le $((350 * 1024)) ]'
avail_kb=$(journal_field MEMGUARD_MEM_AVAILABLE_KB MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$pid MEMGUARD_SIGNAL=SIGTERM | head -n1)
log "MemAvailable at the SIGTERM: ${avail_kb:-?} kB"
check "the leak had taken memory (MEMGUARD_MEM_AVAILABLE_KB at the SIGTERM >= 150 MiB below the start)" \
        eval '[ -n "$avail_kb" ] && [ $((avail_kb / 1024)) -le $((avail0 - 150)) ]'
log "$U: Result=$(unit_prop $U Result) ExecMainCode=$(unit_prop $U ExecMainCode) ExecMainStatus=$(unit_prop $U ExecMainStatus)"
check "systemd saw it die of SIGKILL (ExecMainStatus=9), not of SIGTERM" \
        eval '[ "$(unit_prop $U ExecMainStatus)" = 9 ]'
check "the process is gone" eval '! pid_alive "$pid"'
check "its memory came back (MemAvailable within 64 MiB of the $avail0 MiB before the leak)" \
        wait_until 15 eval '[ "$(mem_available_mib)" -ge $((avail0 - 64)) ]'
log "MemAvailable after: $(mem_available_mib) MiB"
check "the kernel OOM killer never fired" no_kernel_oom
systemctl reset-failed $U 2>/dev/null
