# shellcheck shell=bash
# unit budget: a service leaking ~20 MB/s has a `restart` rule at 300M
# (root/etc/memguard.conf.d); memguard, running from the hardened shipped
# unit, restarts it over D-Bus before the machine runs out of memory.
# The service starts after memguard. Under cgroup v2 memguard walks /proc
# on no timer for these rules: it finds the unit because it watches the
# cgroup tree (inotify), and reads its size from memory.current.
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
check "the kernel OOM killer never fired" no_kernel_oom
