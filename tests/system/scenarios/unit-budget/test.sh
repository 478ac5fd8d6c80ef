# shellcheck shell=bash
# unit budget: a service leaking ~20 MB/s has a `restart` rule at 300M
# (root/etc/memguard.conf.d); memguard, running from the hardened shipped
# unit, restarts it over D-Bus before the machine runs out of memory.
# Then the same with evidence kept first (issue 17): a Node.js service
# writes a heap snapshot on memguard's SIGUSR2 (before =), and another's
# rule runs a command (before = exec). Last, a warn rule asks a service
# to shed memory (notify = SIGUSR1). Each service starts after memguard.
# Under cgroup v2 memguard walks /proc on no timer for these rules: it
# finds the unit because it watches the cgroup tree (inotify), and reads
# its size from memory.current.
U=mg-leaky-api.service
check "memguard watches the cgroup tree" eval 'mg_journal -o cat | grep -q "cgroups watched)"'
systemctl start $U
pid0=$(unit_prop $U MainPID)
log "$U started, MainPID $pid0"
check "the leaking service runs" pid_alive "$pid0"

check "memguard restarts $U and systemd reports the job done" \
        wait_until 90 journal_has MESSAGE_ID=$MID_RESTART_DONE MEMGUARD_UNIT=$U MEMGUARD_JOB_RESULT=done
mg_journal -o verbose MEMGUARD_UNIT=$U | grep -E "^ *(MESSAGE|MEMGUARD_)" | sed 's/^/    /'
check "the restart entry names the rule, the unit and the action" \
        journal_has MESSAGE_ID=$MID_RESTART MEMGUARD_RULE=leak-budget MEMGUARD_UNIT=$U \
        MEMGUARD_ACTION=restart MEMGUARD_DRY_RUN=no
pss=$(journal_field MEMGUARD_PSS_KB MESSAGE_ID=$MID_RESTART MEMGUARD_UNIT=$U | head -n1)
log "unit memory at the restart: ${pss:-?} kB"
check "it acted at the budget (unit memory 300-450 MiB when restarting)" \
        eval '[ -n "$pss" ] && [ "$pss" -ge $((300 * 1024)) ] && [ "$pss" -le $((450 * 1024)) ]'

pid1=$(unit_prop $U MainPID)
log "$U MainPID now $pid1 ($(unit_prop $U ActiveState)), memory $(unit_prop $U MemoryCurrent)"
check "$U is active again" systemctl is-active -q $U
check "with a new MainPID ($pid0 -> $pid1)" eval '[ "$pid1" -gt 0 ] && [ "$pid1" != "$pid0" ] && pid_alive "$pid1"'
check "the old process is gone" eval '! pid_alive "$pid0"'
systemctl stop $U

# Evidence before the restart (issue 17). A Node.js service started with
# --heapsnapshot-signal=SIGUSR2, under a budget rule with before = SIGUSR2
# and before-wait = 10s: memguard signals it, waits, restarts it, and the
# heap snapshot node wrote is left in its working directory.
N=mg-node-api.service
systemctl start $N
npid=$(unit_prop $N MainPID)
log "$N started, MainPID $npid"
check "memguard sends $N's process SIGUSR2 first (rule node-budget, before = SIGUSR2)" \
        wait_until 90 journal_has MESSAGE_ID=$MID_BEFORE MEMGUARD_RULE=node-budget MEMGUARD_BEFORE=SIGUSR2 \
        MEMGUARD_PID="$npid"
check "... then restarts $N (job done)" \
        wait_until 60 journal_has MESSAGE_ID=$MID_RESTART_DONE MEMGUARD_UNIT=$N MEMGUARD_JOB_RESULT=done
mg_journal -o verbose MEMGUARD_UNIT=$N | grep -E "^ *(MESSAGE|MEMGUARD_)" | sed 's/^/    /'
check "... after before-wait had passed (node lives on after a snapshot)" \
        journal_has MESSAGE_ID=$MID_BEFORE_DONE MEMGUARD_RULE=node-budget MEMGUARD_BEFORE_RESULT=wait-elapsed
t_before=$(journal_field __MONOTONIC_TIMESTAMP MESSAGE_ID=$MID_BEFORE MEMGUARD_RULE=node-budget | head -n1)
t_restart=$(journal_field __MONOTONIC_TIMESTAMP MESSAGE_ID=$MID_RESTART MEMGUARD_UNIT=$N | head -n1)
check "... the restart requested 10 s or more after the signal (the journal's own times)" \
        eval '[ -n "$t_before" ] && [ -n "$t_restart" ] && [ $((t_restart - t_before)) -ge 9500000 ]'
snap=$(ls -S /var/lib/mg-node/*.heapsnapshot 2>/dev/null | head -n1)
log "heap snapshot: ${snap:-none} ($(stat -c %s "$snap" 2>/dev/null || echo 0) bytes)"
check "node left a heap snapshot, whole (it parses as JSON, with its snapshot header)" \
        eval '[ -s "$snap" ] && node -e "const s = JSON.parse(require(\"fs\").readFileSync(process.argv[1]));
                                          process.exit(s.snapshot && s.snapshot.node_count > 0 ? 0 : 1)" "$snap"'
anon=$(journal_field MEMGUARD_UNIT_ANON_KB MESSAGE_ID=$MID_RESTART MEMGUARD_UNIT=$N | head -n1)
check "the restart entry carries the memory it threw away: the process's PSS split and fds, the unit's memory.stat (anon ${anon:-?} kB)" \
        eval 'journal_has MESSAGE_ID=$MID_RESTART MEMGUARD_UNIT=$N MEMGUARD_PID="$npid" &&
              [ -n "$(journal_field MEMGUARD_PSS_ANON_KB MESSAGE_ID=$MID_RESTART MEMGUARD_UNIT=$N)" ] &&
              [ -n "$(journal_field MEMGUARD_FD_COUNT MESSAGE_ID=$MID_RESTART MEMGUARD_UNIT=$N)" ] &&
              [ -n "$(journal_field MEMGUARD_UNIT_FILE_KB MESSAGE_ID=$MID_RESTART MEMGUARD_UNIT=$N)" ] &&
              [ -n "$anon" ] && [ "$anon" -ge $((150 * 1024)) ]'
check "$N runs again, a new process" eval 'n1=$(unit_prop $N MainPID); [ "$n1" -gt 0 ] && [ "$n1" != "$npid" ]'
# a real cgroup v2 memory.stat of a Node.js service, for the parser's
# fixtures (tests/fixtures/memstat)
cat /sys/fs/cgroup/system.slice/$N/memory.stat >"$OUT/node-api.memory.stat" 2>/dev/null
systemctl stop $N

# ... and a command run first: before = exec /usr/local/bin/mg-record
# pid=%p %u %c, which records its arguments under /run/memguard.
E=mg-exec-api.service
systemctl start $E
epid=$(unit_prop $E MainPID)
check "memguard runs the before command for $E, then restarts it (job done)" \
        wait_until 90 journal_has MESSAGE_ID=$MID_RESTART_DONE MEMGUARD_UNIT=$E MEMGUARD_JOB_RESULT=done
mg_journal -o verbose MEMGUARD_RULE=exec-budget | grep -E "^ *(MESSAGE|MEMGUARD_)" | sed 's/^/    /'
sed 's/^/    before-args: /' /run/memguard/before-args 2>/dev/null
check "... the command got pid=$epid, the unit and the process's name, each one argument" \
        eval '[ "$(cat /run/memguard/before-args 2>/dev/null)" = "$(printf "pid=%s\n%s\nmg-exec-api" "$epid" "$E")" ]'
check "... its output is in the journal (memguard-before)" \
        eval 'journalctl -q --no-pager -t memguard-before -o cat | grep -q "^mg-record: 3 arguments: pid=$epid $E mg-exec-api$"'
check "... and memguard saw it exit 0 before acting" \
        journal_has MESSAGE_ID=$MID_BEFORE_DONE MEMGUARD_RULE=exec-budget MEMGUARD_BEFORE_RESULT=command-exited \
        MEMGUARD_EXIT_STATUS=0
systemctl stop $E

# A warn rule that asks the service to shed (notify = SIGUSR1): its
# largest process, not the shell that is its MainPID, gets the signal
# once when the warning fires, and drops half its memory. mg-leak stops
# at 200 MiB allocated, so after one shed the unit stays under 150M: one
# episode, one signal.
S=mg-shed.service
systemctl start $S
spid=$(unit_prop $S MainPID)
wait_until 10 eval '[ "$(wc -l </sys/fs/cgroup/system.slice/$S/cgroup.procs)" = 2 ]'
lpid=$(grep -vx "$spid" /sys/fs/cgroup/system.slice/$S/cgroup.procs | head -n1)
log "$S: shell $spid, leaker ${lpid:-?}"
check "the warning on $S sends SIGUSR1 (notify), result sent" \
        wait_until 60 journal_has MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=shed-warn MEMGUARD_NOTIFY_SIGNAL=SIGUSR1 \
        MEMGUARD_NOTIFY_RESULT=sent
mg_journal -o verbose MEMGUARD_RULE=shed-warn | grep -E "^ *(MESSAGE|MEMGUARD_)" | sed 's/^/    /'
check "... to the unit's largest process, the leaker (pid ${lpid:-?}), not the shell (pid $spid)" \
        eval 'mg_journal -o cat MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=shed-warn |
              grep -q "sent SIGUSR1 to mg-shed (pid $lpid)"'
check "... which sheds half its memory on it" \
        wait_until 5 eval 'journalctl -q --no-pager -u $S -o cat | grep -q "mg-shed: SIGUSR1 #1: shed"'
# mg-leak allocates the rest of its 200 MiB (~3 s) and holds
sleep 8
journalctl -q --no-pager -u $S -o cat | tail -n 4 | sed 's/^/    /'
mem=$(($(cat /sys/fs/cgroup/system.slice/$S/memory.current) / 1048576))
check "... and stays under the rule's 150M after it (${mem} MiB), both processes running" \
        eval '[ $mem -lt 150 ] && pid_alive "$spid" && pid_alive "$lpid" && systemctl is-active -q $S'
check "one episode, one signal: one warning, one SIGUSR1 received" \
        eval '[ "$(mg_journal -o cat MESSAGE_ID=$MID_RULE_FIRED MEMGUARD_RULE=shed-warn | wc -l)" = 1 ] &&
              [ "$(journalctl -q --no-pager -u $S -o cat | grep -c "SIGUSR1 #")" = 1 ]'
systemctl stop $S
check "the kernel OOM killer never fired" no_kernel_oom
