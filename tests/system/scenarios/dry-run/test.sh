# shellcheck shell=bash
# dry run: with dry-run = yes (root/etc/memguard.conf.d), a 200 MB/s spike is
# decided on and journaled with MEMGUARD_DRY_RUN=yes, and memguard signals
# nothing. Here the kernel OOM killer may fire, and that is expected.
# Before it, memguard status is run on a box held at ~97% memory.
check "memguard started in dry-run mode" journal_has MESSAGE_ID=$MID_STARTED

# memguard status on a box at ~97% memory (issue 16): a hog holds all but
# ~3% of MemTotal (dry run: memguard decides, signals nothing) while an
# operator runs memguard status five times. Each must show the box as it
# is (MemAvailable under 5%); how long each took, and whether the daemon
# answered with a fresh view, go to status-pressure.tsv (a figure, not a
# pass/fail timing).
total=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
hold=$(($(mem_available_mib) - total * 3 / 100))
leak mg-hold.service mg-hold 200 $hold
check "a hog holds all but ~3% of memory (MemAvailable under 5%)" \
        wait_until 60 eval '[ $(($(mem_available_mib) * 100)) -lt $((total * 5)) ]'
printf 'run\tmilliseconds\tfresh\tavailable_mib\texit\n' >"$OUT/status-pressure.tsv"
low=0
for i in 1 2 3 4 5; do
        t=$(date +%s%N)
        memguard status --json >"$OUT/pressure.json" 2>"$OUT/pressure.err"; rc=$?
        ms=$((($(date +%s%N) - t) / 1000000))
        fresh=yes
        grep -q "did not answer" "$OUT/pressure.err" && fresh=no
        # no node here: its ~40 MiB would be most of what is left
        a=$(grep -o '"available_bytes":[0-9]*' "$OUT/pressure.json" | head -n1 | cut -d: -f2)
        tb=$(grep -o '"total_bytes":[0-9]*' "$OUT/pressure.json" | head -n1 | cut -d: -f2)
        printf '%s\t%s\t%s\t%s\t%s\n' $i $ms $fresh $((${a:-0} / 1048576)) $rc >>"$OUT/status-pressure.tsv"
        [ $rc = 0 ] && [ $fresh = yes ] && [ -n "$a" ] && [ -n "$tb" ] && [ $((a * 20)) -lt "$tb" ] && low=$((low + 1))
        sleep 1
done
sed 's/^/    /' "$OUT/status-pressure.tsv"
memguard status >"$OUT/pressure.txt" 2>&1 && sed -n '1,5p' "$OUT/pressure.txt" | sed 's/^/    /'
# fresh: the daemon answered within the second memguard status waits for
# it (else the command shows the view left, with its age)
check "memguard status answers each time with a view of now, MemAvailable under 5% ($low of 5)" [ $low = 5 ]
systemctl stop mg-hold.service
wait_until 30 eval '[ $(($(mem_available_mib) * 100)) -gt $((total * 30)) ]'

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
