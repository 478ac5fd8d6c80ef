#!/bin/bash
# The guest end of bench/matrix.sh: one boot per daemon configuration, all
# of its cells (rates x reps) in that boot, a full reset between runs.
# Runs at boot from mg-testbed.service (as root, oom_score_adj -1000) with
# the data disk at /mnt/data:
#   bench.conf   DAEMON, RATES, REPS, CAP_<rate> (s), SETTLE (s), SAMPLE_MS
#   root/        copied into / (helpers; memguard's install tree if DAEMON=memguard)
# Writes /mnt/data/out/: info.txt (versions, which daemons run, their
# settings), runs/<rate>MBps-r<rep>/{meta.txt,samples.csv,events.json},
# journal.txt (the whole boot, for debugging; not kept in the repository).
set -u
D=/mnt/data
if [ "$0" != /run/mg-bench-driver.sh ]; then
        cp "$0" /run/mg-bench-driver.sh
        exec /bin/bash /run/mg-bench-driver.sh
fi
cd /
OUT=$D/out
mkdir -p "$OUT/runs"
# shellcheck source=/dev/null
. "$D/bench.conf"
SAMPLE_MS=${SAMPLE_MS:-100}
say() { echo "mg-bench: [$(cut -d' ' -f1 /proc/uptime)] $*" | tee -a "$OUT/progress.log" >/dev/console; }
mono_us() { local u; read -r u _ </proc/uptime; echo $((${u/./} * 10000)); } # uptime: 10 ms steps
# A sleep without a fork (the driver must keep going in a memory stall).
exec {SLEEPFD}<> <(:)
nap() { read -r -t "$1" -u "$SLEEPFD" _ || true; }
avail_kb() { local k v _u; while read -r k v _u; do [ "$k" = MemAvailable: ] && { echo "$v"; return; }; done </proc/meminfo; }

finish() {
        say "done; exporting the journal"
        journalctl -q --no-pager -o short-monotonic >"$OUT/journal.txt" 2>&1
        sync
        umount "$D" || mount -o remount,ro "$D"
        sync
        systemctl poweroff --no-block
        exit 0
}

cp -a "$D/root/." /
systemctl daemon-reload

# --- the daemon under test ------------------------------------------------
PEERS="earlyoom.service nohang.service nohang-desktop.service systemd-oomd.service systemd-oomd.socket memguard.service"
units=()
case $DAEMON in
none) ;;
earlyoom) units=(earlyoom.service) ;;
earlyoom-matched)
        # memguard's shipped thresholds: SIGTERM below 7% MemAvailable,
        # SIGKILL below 3%; the rest as Debian ships it (-r 3600).
        sed -i 's/^EARLYOOM_ARGS=.*/EARLYOOM_ARGS="-r 3600 -m 7,3"/' /etc/default/earlyoom
        units=(earlyoom.service) ;;
nohang) units=(nohang.service) ;;
systemd-oomd) units=(systemd-oomd.socket systemd-oomd.service) ;;
memguard) units=(memguard.service) ;;
memguard-acting)
        # The shipped config's acting rules alone, the thresholds of
        # earlyoom-matched: its [daemon] section (what is protected),
        # near-oom (SIGTERM below 7%) and oom-imminent (SIGKILL below 3%).
        awk '/^\[/ { keep = ($0 == "[daemon]" || $0 == "[rule near-oom]" || $0 == "[rule oom-imminent]") }
             keep' /etc/memguard.conf >/run/memguard-acting.conf
        mv /run/memguard-acting.conf /etc/memguard.conf
        units=(memguard.service) ;;
*) say "unknown daemon $DAEMON"; finish ;;
esac
{
        echo "daemon: $DAEMON"
        echo "kernel: $(uname -r)"
        echo "before enabling (expect all inactive):"
        for u in $PEERS; do echo "  $u: $(systemctl is-enabled "$u" 2>&1) $(systemctl is-active "$u" 2>&1)"; done
} >"$OUT/info.txt"
for u in "${units[@]}"; do
        systemctl unmask "$u" >/dev/null 2>&1
done
systemctl daemon-reload
for u in "${units[@]}"; do
        systemctl start "$u" || say "could not start $u"
done
MAIN=
[ ${#units[@]} -gt 0 ] && MAIN=${units[-1]}
{
        echo "after enabling:"
        for u in $PEERS; do echo "  $u: $(systemctl is-active "$u" 2>&1)"; done
        echo "packages:"
        dpkg-query -W earlyoom nohang systemd-oomd systemd 2>&1 | sed 's/^/  /'
        case $DAEMON in
        earlyoom*)
                echo "/etc/default/earlyoom: $(grep ^EARLYOOM_ARGS /etc/default/earlyoom)"
                nap 2
                journalctl -q --no-pager -u earlyoom.service -o cat | head -n 8 | sed 's/^/  /' ;;
        nohang)
                echo "nohang.conf thresholds:"
                grep -E '^(soft|hard)_threshold|^(psi_checking_enabled|zram_checking_enabled|fill_rate_mem|min_sleep|max_sleep)' \
                        /etc/nohang/nohang.conf | sed 's/^/  /' ;;
        systemd-oomd)
                nap 3
                echo "oomctl (what systemd-oomd monitors):"
                oomctl 2>&1 | sed 's/^/  /'
                echo "ManagedOOM settings of system.slice and -.slice:"
                for s in -.slice system.slice; do
                        echo "  $s: $(systemctl show -p ManagedOOMSwap -p ManagedOOMMemoryPressure -p ManagedOOMMemoryPressureLimit -- "$s" | tr '\n' ' ')"
                done
                systemd-analyze cat-config systemd/oomd.conf 2>&1 | grep -v '^#' | grep . | sed 's/^/  /' ;;
        memguard*)
                /usr/sbin/memguard --version 2>&1 | sed 's/^/  /'
                echo "config: /etc/memguard.conf sha256 $(sha256sum </etc/memguard.conf | cut -c1-16)"
                grep -vE '^\s*(#|;|$)' /etc/memguard.conf | sed 's/^/  /' ;;
        esac
} >>"$OUT/info.txt" 2>&1

# --- the working set and the innocent service --------------------------------
mkdir -p /var/lib/mg-bench
say "writing the 300 MiB working-set file"
dd if=/dev/zero of=/var/lib/mg-bench/ws.dat bs=1M count=300 conv=fsync status=none
cat >/etc/systemd/system/mg-ws.service <<'EOF'
[Unit]
Description=bench: file-backed working set (re-reads a 300 MiB file every second)
[Service]
ExecStart=/usr/local/bin/mg-ws /var/lib/mg-bench/ws.dat 1000
EOF
cat >/etc/systemd/system/mg-innocent.service <<'EOF'
[Unit]
Description=bench: innocent service (100 MiB anonymous, idle)
[Service]
ExecStart=/usr/local/bin/mg-leak innocent 0 100
EOF
systemctl daemon-reload

main_pid() { systemctl show -P MainPID "$1"; }
unit_ok() { systemctl is-active -q "$1"; }

# reset: no leak, the daemon freshly (re)started, working set and innocent
# freshly started with the working set warm, caches dropped, MemAvailable
# settled.
reset_state() {
        local u
        systemctl kill -s KILL 'mg-leak-*' >/dev/null 2>&1
        systemctl stop 'mg-leak-*' >/dev/null 2>&1
        systemctl reset-failed >/dev/null 2>&1
        systemctl stop mg-ws.service mg-innocent.service
        rm -f /run/mg-ws.warm
        for u in "${units[@]}"; do
                [ "$u" = systemd-oomd.socket ] && continue
                systemctl restart "$u" || say "could not restart $u"
        done
        sync
        echo 3 >/proc/sys/vm/drop_caches
        systemctl start mg-innocent.service mg-ws.service
        local i
        for i in $(seq 1 120); do
                [ -e /run/mg-ws.warm ] && break
                nap 0.5
        done
        for i in $(seq 1 60); do
                local pid rss
                pid=$(main_pid mg-innocent.service)
                rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
                [ "${rss:-0}" -ge 100000 ] && break
                nap 0.5
        done
        # Settled: MemAvailable moved less than 8 MiB over 2 s (at most 30 s).
        local a b
        a=$(avail_kb)
        for i in $(seq 1 15); do
                nap 2
                b=$(avail_kb)
                [ $((a > b ? a - b : b - a)) -lt 8192 ] && break
                a=$b
        done
        # nohang (Python) and the others: started and past their first checks.
        nap 3
}

run_one() { # run_one RATE REP
        local rate=$1 rep=$2 id=${1}MBps-r$2
        local dir=$OUT/runs/$id cap_var=CAP_$1
        local cap=${!cap_var:-180}
        mkdir -p "$dir"
        say "run $id: reset"
        reset_state
        local ws0 inn0 d0 cursor
        ws0=$(main_pid mg-ws.service)
        inn0=$(main_pid mg-innocent.service)
        d0=
        [ -n "$MAIN" ] && d0=$(main_pid "$MAIN")
        cursor=$(journalctl -q -n0 --show-cursor 2>/dev/null | sed -n 's/^-- cursor: //p')
        /usr/local/bin/mg-sample "$dir/samples.csv.tmp" "$SAMPLE_MS" &
        local sampler=$!
        nap 1
        local unit=mg-leak-$id.service a0
        a0=$(avail_kb)
        say "run $id: leak $rate MB/s (cap $cap s), MemAvailable $((a0 / 1024)) MiB"
        # The leaker notes when a SIGTERM reaches it (bench/reaction.sh),
        # in a file on tmpfs that it writes once at its start.
        local probe=/run/mg-leak-$id.term
        systemd-run -q --unit="$unit" -p RemainAfterExit=yes -E MG_LEAK_TERM_PROBE="$probe" \
                /usr/local/bin/mg-leak mg-leak "$rate" 8192
        local t0 lp
        t0=$(systemctl show -P ExecMainStartTimestampMonotonic "$unit")
        lp=$(main_pid "$unit")
        local reason=cap
        local deadline=$((t0 + cap * 1000000))
        while :; do
                if ! kill -0 "$lp" 2>/dev/null; then
                        reason=leaker-gone
                        break
                fi
                [ "$(mono_us)" -ge "$deadline" ] && break
                nap 0.2
        done
        local tend
        tend=$(mono_us)
        if [ $reason = leaker-gone ]; then
                nap 3 # what happens right after (escalations, more kills)
        else
                say "run $id: cap reached with the leaker alive; killing it"
                systemctl kill -s KILL "$unit" >/dev/null 2>&1
                nap 3
        fi
        kill -TERM "$sampler"
        wait "$sampler"
        mv "$dir/samples.csv.tmp" "$dir/samples.csv"
        local ws1 inn1 d1
        ws1=$(main_pid mg-ws.service)
        inn1=$(main_pid mg-innocent.service)
        d1=
        [ -n "$MAIN" ] && d1=$(main_pid "$MAIN")
        {
                echo "daemon=$DAEMON"
                echo "rate=$rate"
                echo "rep=$rep"
                echo "cap_s=$cap"
                echo "leak_unit=$unit"
                echo "leak_pid=$lp"
                echo "leak_start_us=$t0"
                echo "end_us=$tend"
                echo "end_reason=$reason"
                echo "avail_before_kb=$a0"
                echo "memtotal_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
                echo "leak_exit_us=$(systemctl show -P ExecMainExitTimestampMonotonic "$unit")"
                echo "leak_term_us=$(head -n1 "$probe" 2>/dev/null | tr -d ' ')"
                echo "sample_ms=$SAMPLE_MS"
                echo "leak_result=$(systemctl show -P Result "$unit")"
                echo "leak_exit_code=$(systemctl show -P ExecMainCode "$unit")"
                echo "leak_exit_status=$(systemctl show -P ExecMainStatus "$unit")"
                echo "ws_pid_before=$ws0"
                echo "ws_pid_after=$ws1"
                echo "ws_active_after=$(systemctl is-active mg-ws.service)"
                echo "innocent_pid_before=$inn0"
                echo "innocent_pid_after=$inn1"
                echo "innocent_active_after=$(systemctl is-active mg-innocent.service)"
                echo "daemon_unit=$MAIN"
                echo "daemon_pid_before=$d0"
                echo "daemon_pid_after=$d1"
                [ -n "$MAIN" ] && echo "daemon_active_after=$(systemctl is-active "$MAIN")"
        } >"$dir/meta.txt"
        # Events: the daemon's lines, the kernel's OOM lines, PID 1 about the
        # bench units, and the bench units' own lines.
        local m=()
        [ -n "$MAIN" ] && m+=("_SYSTEMD_UNIT=$MAIN" +)
        m+=(_SYSTEMD_UNIT="$unit" _SYSTEMD_UNIT=mg-ws.service _SYSTEMD_UNIT=mg-innocent.service +
                UNIT="$unit" UNIT=mg-ws.service UNIT=mg-innocent.service)
        journalctl -q --no-pager --after-cursor="$cursor" -o json \
                --output-fields=_SOURCE_MONOTONIC_TIMESTAMP,_SYSTEMD_UNIT,UNIT,SYSLOG_IDENTIFIER,_TRANSPORT,MESSAGE,MESSAGE_ID,MEMGUARD_RULE,MEMGUARD_ACTION,MEMGUARD_SIGNAL,MEMGUARD_PID,MEMGUARD_COMM,MEMGUARD_MEM_AVAILABLE_KB \
                "${m[@]}" >"$dir/events.json" 2>&1
        # Kernel lines: only those about the OOM killer (a kill prints ~40).
        journalctl -q --no-pager --after-cursor="$cursor" -o json \
                --output-fields=_SOURCE_MONOTONIC_TIMESTAMP,_TRANSPORT,MESSAGE _TRANSPORT=kernel 2>&1 |
                grep -E 'Out of memory|Killed process|invoked oom-killer|oom_reaper' >>"$dir/events.json"
        say "run $id: $reason after $(((tend - t0) / 1000)) ms; MemAvailable now $(($(avail_kb) / 1024)) MiB"
}

for rep in $(seq 1 "$REPS"); do
        for rate in $RATES; do
                run_one "$rate" "$rep"
        done
done
systemctl kill -s KILL 'mg-leak-*' >/dev/null 2>&1
finish
