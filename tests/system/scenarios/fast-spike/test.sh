# shellcheck shell=bash
# fast spike, and who is spared: a process allocating at ~200 MB/s, with no
# rule of its own, is stopped by the shipped system rules before the kernel
# OOM killer fires. Beside it:
#  - mg-db, an innocent 400 MB service: survives;
#  - mg-keep, in a unit the operator protects (a drop-in), with
#    oom_score_adj 1000 so that it is the first the oom-score target would
#    take: survives, never signalled;
#  - two processes that call themselves sshd, a name the drop-in protects
#    (both with oom_score_adj 1000): a user's program (its own file,
#    /var/tmp/spoof/sshd, run as nobody) and a root process whose
#    executable is another file (mg-leak, renamed with prctl). Neither is
#    protected by the name it took, so memguard takes them rather than the
#    database (issue 14; before, a comm was enough to become immune). The
#    real sshd is protected both by its unit and by the name.
# First, memguard --list-protected on the running guest: every entry of the
# shipped protect list meets its real process here (Debian 12), the
# spoofer is not listed and mg-keep is.
SHIPPED=/etc/memguard.conf
systemctl start getty@tty2.service # getty@tty1 is masked in the test image

leak mg-keep.service mg-keep 0 100 -p OOMScoreAdjust=1000
leak mg-db.service mg-db 0 400
mkdir -p /var/tmp/spoof
cp /usr/local/bin/mg-leak /var/tmp/spoof/sshd
chown -R nobody /var/tmp/spoof
systemd-run -q --unit=mg-spoof.service -p User=nobody -p OOMScoreAdjust=1000 \
        /var/tmp/spoof/sshd sshd 0 50
leak mg-spoof-root.service sshd 0 50 -p OOMScoreAdjust=1000
wait_until 30 eval 'journalctl -q -u mg-db.service -o cat | grep -q "holding 400 MiB"'
wait_until 30 eval 'journalctl -q -u mg-keep.service -o cat | grep -q "holding 100 MiB"'
wait_until 30 eval 'journalctl -q -u mg-spoof.service -o cat | grep -q "holding 50 MiB"'
wait_until 30 eval 'journalctl -q -u mg-spoof-root.service -o cat | grep -q "holding 50 MiB"'
keep=$(unit_prop mg-keep.service MainPID)
db=$(unit_prop mg-db.service MainPID)
spoof=$(unit_prop mg-spoof.service MainPID)
spoof_root=$(unit_prop mg-spoof-root.service MainPID)
log "mg-keep pid $keep, mg-db pid $db, spoofed sshd pids $spoof (nobody) and $spoof_root (root, comm $(cat /proc/"$spoof_root"/comm)); MemAvailable $(mem_available_mib) MiB"
check "the innocent, the protected and the spoofers are up" \
        eval 'pid_alive "$keep" && pid_alive "$db" && pid_alive "$spoof" && pid_alive "$spoof_root"'

memguard --list-protected >"$OUT/protected.txt" 2>&1
sed 's/^/    /' "$OUT/protected.txt"
for entry in $(sed -n 's/^protect *= *//p' "$SHIPPED"); do
        check "shipped protect entry $entry meets its real process here" \
                grep -qF "protect = $entry (unit)" "$OUT/protected.txt"
done
check "the drop-in's unit entry protects mg-keep (pid $keep)" \
        eval 'grep -qE "^ *$keep .*protect = mg-keep.service \(unit\)" "$OUT/protected.txt"'
check "the processes that call themselves sshd are not protected (pids $spoof, $spoof_root)" \
        eval '! grep -qE "^ *($spoof|$spoof_root) " "$OUT/protected.txt"'
check "the real sshd is (ssh.service)" \
        eval 'grep -qE " sshd .*ssh.service .*protect = ssh.service \(unit\)" "$OUT/protected.txt"'

leak mg-spike.service mg-spike 200 4096
spike=$(unit_prop mg-spike.service MainPID)
log "mg-spike pid $spike"
check "the spike is stopped" wait_until 60 eval '! systemctl is-active -q mg-spike.service'
journalctl -q -u mg-spike.service -o cat | sed 's/^/    /'
mg_journal -o verbose MEMGUARD_PID=$spike | grep -E '^ *(MESSAGE|MEMGUARD_)' | sed 's/^/    /'
mg_journal -o verbose MEMGUARD_PID=$spoof | grep -E '^ *(MESSAGE|MEMGUARD_)' | sed 's/^/    /'
mg_journal -o verbose MEMGUARD_PID=$spoof_root | grep -E '^ *(MESSAGE|MEMGUARD_)' | sed 's/^/    /'
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
check "the process in the protected unit survived" pid_alive "$keep"
check "memguard never signalled mg-keep or mg-db" \
        eval '! journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$keep && ! journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$db'
check "the user's spoofed sshd was taken, not spared (MEMGUARD_PID=$spoof MEMGUARD_COMM=sshd)" \
        journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$spoof MEMGUARD_COMM=sshd MEMGUARD_DRY_RUN=no
check "root's renamed mg-leak was taken too (MEMGUARD_PID=$spoof_root MEMGUARD_COMM=sshd)" \
        journal_has MESSAGE_ID=$MID_SIGNAL_SENT MEMGUARD_PID=$spoof_root MEMGUARD_COMM=sshd MEMGUARD_DRY_RUN=no
check "the real sshd survived" systemctl is-active -q ssh.service
check "the memory came back (MemAvailable > 1 GiB)" wait_until 15 eval '[ "$(mem_available_mib)" -gt 1024 ]'
systemctl stop mg-db.service mg-keep.service mg-spoof.service mg-spoof-root.service 2>/dev/null
