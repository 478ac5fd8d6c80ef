# shellcheck shell=bash disable=SC2034
# Helpers for scenario scripts (sourced in the guest). Checks append
# "ok - NAME" / "not ok - NAME" to $OUT/checks; the scenario passes when
# all are ok. Assertions read the journal (memguard's MEMGUARD_* fields and
# MESSAGE_IDs) and the kernel log, never timing alone.
OUT=${OUT:-/mnt/data/out}
CHECKS=$OUT/checks

# MESSAGE_IDs from src/util/log.c.
MID_STARTED=994e93ce9d5f469b9ee172d05d86ce5f
MID_STOPPED=32639f3d6f374233b6fd52394ba1b56f
MID_RULE_FIRED=5464adcc9eec4d26aed4780890f37694
MID_RULE_RECOVERED=9680ea39a6324e1db41863831b8b4a72
MID_SIGNAL_SENT=1620b61433ef4323a49f018b1ef1db0d
MID_PROCESS_GONE=358fc93b6e3842848409263f64f65567
MID_RESTART=ce272e173cf34ea3ae1424b718b2989c
MID_RESTART_DONE=3c412ea41dca475ca6659baa710873e6
MID_ACTION_FAILED=a10e6e30d02449539548266163419298
MID_CONFIG_RELOADED=eab06688b0cf4546b3ef228e3472b528
MID_CONFIG_ERROR=ec151a2a5976474ba9b6ffc6c7dd476a
MID_KERNEL_OOM=7ee4ebcd94e34882b71a31c9571fc278
MID_BEFORE=2c766efa008e4b12a0294e708e7f3e16
MID_BEFORE_DONE=02f75476907d4c9ea50eea80c5425936

log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }

check() { # check NAME COMMAND...
        local name=$1
        shift
        if "$@"; then
                echo "ok - $name" | tee -a "$CHECKS"
        else
                echo "not ok - $name" | tee -a "$CHECKS"
        fi
}

wait_until() { # wait_until SECONDS COMMAND...: polls every 0.2 s
        local deadline=$(($(date +%s) + $1))
        shift
        while :; do
                "$@" && return 0
                [ "$(date +%s)" -ge "$deadline" ] && return 1
                sleep 0.2
        done
}

# memguard's structured entries (sent with sd_journal_send from the unit).
mg_journal() { journalctl -q --no-pager _SYSTEMD_UNIT=memguard.service "$@"; }
# journal_has MATCH...: some memguard entry has all these FIELD=value.
journal_has() { [ -n "$(mg_journal -o cat "$@" | head -n1)" ]; }
# journal_field FIELD MATCH...: the FIELD values of matching entries, one a line.
journal_field() {
        local field=$1
        shift
        mg_journal -o export "$@" | sed -n "s/^$field=//p"
}
kernel_log() { journalctl -q --no-pager -k -o cat; }
kernel_oom_fired() { kernel_log | grep -q 'Out of memory: Killed process'; }
no_kernel_oom() { ! kernel_oom_fired; }
unit_prop() { systemctl show -P "$2" "$1"; }
pid_alive() { [ -n "$1" ] && [ "$1" -gt 0 ] && kill -0 "$1" 2>/dev/null; }
mem_available_mib() { awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo; }

# For the idle benches (bench/guest-idle, bench/guest-scale): earlyoom
# (masked in the image) started beside memguard, EO_PID its pid; a
# process's CPU time (ns, user and kernel, from schedstat), its wake-ups
# (voluntary switches: each ends a sleep in epoll_wait or clock_nanosleep),
# its anonymous memory and its PSS (kB).
earlyoom_start() {
        systemctl unmask -q earlyoom.service
        systemctl start earlyoom.service
        wait_until 20 eval '[ "$(unit_prop earlyoom.service MainPID)" -gt 0 ]'
        EO_PID=$(unit_prop earlyoom.service MainPID)
}
proc_cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
proc_wakes() { awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$1/status"; }
proc_anon_kb() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
proc_pss_kb() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }

# Starts a transient service running mg-leak: leak UNIT NAME RATE MAX [extra properties...]
leak() {
        local unit=$1 name=$2 rate=$3 max=$4
        shift 4
        systemd-run -q --unit="$unit" "$@" /usr/local/bin/mg-leak "$name" "$rate" "$max"
}

# memguard's MainPID when the scenario began: the driver writes it right
# after starting memguard, so the self-checks can run in a process of their
# own even when the scenario was killed by its timeout.
MG_PID_FILE=$OUT/memguard-pid
mg_begin() {
        [ -s "$MG_PID_FILE" ] || unit_prop memguard.service MainPID >"$MG_PID_FILE"
        MG_PID0=$(cat "$MG_PID_FILE")
        log "memguard pid $MG_PID0, MemAvailable $(mem_available_mib) MiB"
        check "memguard logged its start" wait_until 20 journal_has MESSAGE_ID=$MID_STARTED
        # at once, however soon after the boot (the view was first written
        # 60 s after the clock's origin: in a guest booted 40 s before, a
        # minute of "memguard is not running")
        check "memguard status answers from the start (uptime $(cut -d' ' -f1 /proc/uptime) s)" \
                wait_until 5 eval 'memguard status >/dev/null 2>&1'
        # What the hardened unit must still allow: the PSI trigger
        # (CAP_SYS_RESOURCE, /proc/pressure), mlockall, OOMScoreAdjust.
        check "self: the PSI trigger is armed under the hardened unit" \
                eval 'mg_journal -o cat MESSAGE_ID=$MID_STARTED | grep -q "PSI trigger armed"'
        check "self: memguard's memory is locked (VmLck > 0)" \
                eval '[ "$(awk "/^VmLck:/ { print \$2 }" /proc/$MG_PID0/status)" -gt 0 ]'
        check "self: memguard's oom_score_adj is -1000" [ "$(cat /proc/$MG_PID0/oom_score_adj)" = -1000 ]
}

# A scenario that expects a failed action says so (a file, because the
# self-checks run after the scenario's shell has ended).
allow_action_failed() { : >"$OUT/allow-action-failed"; }

# The journal catalog as `make install` put it (PREFIX=/usr), and the
# driver's `journalctl --update-catalog`, as a package's trigger would run.
CATALOG=/usr/lib/systemd/catalog/memguard.catalog
# catalog_gaps: "ID FIELD" for each @FIELD@ of a catalog entry that a
# memguard entry of that MESSAGE_ID lacks (journalctl -x would show the
# field's name where its value belongs), once per pair.
catalog_gaps() {
        if [ ! -r "$CATALOG" ]; then
                echo "- $CATALOG is not installed"
                return
        fi
        mg_journal -o export | awk '
                FNR == NR {
                        if ($0 ~ /^[#;]/)
                                next
                        if ($0 ~ /^-- [0-9a-f]+$/) {
                                id = substr($0, 4)
                                next
                        }
                        s = $0
                        while (match(s, /@[A-Z_]+@/)) {
                                want[id] = want[id] " " substr(s, RSTART + 1, RLENGTH - 2)
                                s = substr(s, RSTART + RLENGTH)
                        }
                        next
                }
                $0 == "" {
                        n = split(want[mid], w, " ")
                        for (i = 1; i <= n; i++)
                                if (!(w[i] in have) && !((mid, w[i]) in said)) {
                                        print mid, w[i]
                                        said[mid, w[i]] = 1
                                }
                        for (k in have)
                                delete have[k]
                        mid = ""
                        next
                }
                {
                        k = substr($0, 1, index($0, "=") - 1)
                        have[k] = 1
                        if (k == "MESSAGE_ID")
                                mid = substr($0, 12)
                }' "$CATALOG" -
}

# A restart of memguard the scenario asks for itself (systemctl restart):
# the self-checks then follow the new process (NRestarts counts systemd's
# own restarts only, and stays 0).
mg_restart() {
        systemctl restart memguard.service || return 1
        wait_until 20 eval '[ "$(unit_prop memguard.service MainPID)" -gt 0 ]' || return 1
        unit_prop memguard.service MainPID >"$MG_PID_FILE"
        MG_PID0=$(cat "$MG_PID_FILE")
        log "memguard restarted by the scenario: pid $MG_PID0"
}

# Self-protection, after every scenario, run by guest/self-checks.sh in a
# process of its own (so also after a scenario timed out or died): memguard
# kept running from the same process, the watchdog never fired, the kernel
# never chose it; and journalctl -x explains its entries (the catalog).
mg_end() {
        MG_PID0=$(cat "$MG_PID_FILE" 2>/dev/null)
        check "self: memguard.service is still active" systemctl is-active -q memguard.service
        check "self: same memguard process throughout (pid $MG_PID0)" \
                [ "$(unit_prop memguard.service MainPID)" = "$MG_PID0" ]
        check "self: memguard was never restarted (NRestarts=0)" \
                [ "$(unit_prop memguard.service NRestarts)" = 0 ]
        mg_end_history
        check "self: journald's catalog has memguard's entries" \
                eval 'journalctl --list-catalog $MID_STARTED | grep -q "memguard: memguard started"'
        # journalctl -x prefixes the catalog's lines ("░░ ", "-- ")
        local x gaps
        x=$(journalctl -x -q --no-pager -u memguard.service MESSAGE_ID=$MID_STARTED)
        check "self: journalctl -x explains memguard's start (the catalog)" \
                eval 'grep -q "Subject: memguard started watching memory" <<<"$x"'
        grep -q "Subject: memguard started" <<<"$x" || sed 's/^/    /' <<<"$x"
        gaps=$(catalog_gaps)
        [ -n "$gaps" ] && sed 's/^/    catalog field missing from an entry: /' <<<"$gaps"
        check "self: every field the catalog fills in is in each entry it explains" [ -z "$gaps" ]
}

# What the journal and the kernel's log say of memguard's whole run, also
# once it is purged: the watchdog never fired, the kernel never chose it,
# and no action failed (unless the scenario allows it).
mg_end_history() {
        check "self: no watchdog timeout in the journal" \
                eval '! journalctl -q --no-pager -u memguard.service -o cat | grep -qi "watchdog timeout"'
        check "self: the kernel never killed memguard" \
                eval '! kernel_log | grep -qE "Killed process [0-9]+ \(memguard\)"'
        if [ -z "${ALLOW_ACTION_FAILED:-}" ] && [ ! -e "$OUT/allow-action-failed" ]; then
                check "self: no failed action (MESSAGE_ID=$MID_ACTION_FAILED)" \
                        eval '! journal_has MESSAGE_ID=$MID_ACTION_FAILED'
        fi
}

# After a package scenario's apt purge (the full mg_end ran before it):
# what must still hold of memguard's whole run, and that it is gone.
mg_end_purged() {
        check "self: memguard.service is gone (purged: LoadState=not-found)" \
                [ "$(unit_prop memguard.service LoadState)" = not-found ]
        check "self: no memguard process is left" eval '! pgrep -x memguard >/dev/null'
        mg_end_history
}
