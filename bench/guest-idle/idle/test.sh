# shellcheck shell=bash
# Idle cost under cgroup v2 (issue 4, part 2, in the guest): CPU time and
# peak RSS of memguard (installed unit, shipped config) and of earlyoom
# (Debian's unit and defaults) running side by side for W seconds, with the
# guest's own processes and then with 1000 extra sleeping ones. Numbers,
# not checks: run with bench/guest-idle.sh. TCG inflates every CPU figure
# alike; read the ratio.
# The window is 420 s (issue 20: two periods of the longest periodic walk
# the shipped config can make, a third of a 10 min window, so that no
# window holds one by chance; 200 s until then). With the cgroup tree
# watched memguard walks /proc only when units change (the sleepers' unit
# starting, before its window) and once an hour; until 4e9de9d it walked
# every third of the shortest growth window (10m), once per window. Each
# row counts what memguard did in its window: its samples by tier
# (`memguard status --json`, asked just outside the window) and its
# wake-ups; and the memory of both daemons: peak RSS, RssAnon and
# RssFile at the end, and PSS (smaps_rollup), where libraries' pages
# shared with systemd and its services count in part. Beside them runs
# mg-tickfloor (tests/system/helpers), the least a daemon can do at the
# same pace: one pread of meminfo and one clock_nanosleep a wake-up, the
# sleep sized to the shipped 7% as memguard's acting rules size it. Its
# CPU and wake-ups in the same window are the floor both daemons are read
# against.
W=${W:-420}
earlyoom_start
systemd-run -q --unit=mg-tickfloor /usr/local/bin/mg-tickfloor 7
wait_until 20 eval '[ "$(unit_prop mg-tickfloor.service MainPID)" -gt 0 ]'
mg=$(unit_prop memguard.service MainPID)
eo=$EO_PID
fl=$(unit_prop mg-tickfloor.service MainPID)
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# What the resident memory is at the window's end: anonymous (heap, stacks)
# and file-backed (the binary's and libraries' pages touched so far), which
# the peak (VmHWM) does not tell apart.
rss_parts() { awk '/^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } END { print a "\t" f }' "/proc/$1/status"; }
# memguard's samples by tier since its start: "SYSTEM UNITS WALKS". The
# ask walks for its processes when the last walk is over 10 s old: a walk
# after time $1 (Unix seconds, the window's end) is the ask's.
samples() {
        memguard status --json 2>/dev/null | python3 -c 'import json, sys
d = json.load(sys.stdin)["daemon"]
s = d["samples"]
after = float(sys.argv[1]) if len(sys.argv) > 1 else float("inf")
print(s["system"], s["units"], s["walks"] - (1 if (d["walk_time"] or 0) > after else 0))' "$@"
}
measure() { # SCENARIO
        local m0 e0 m1 e1 mw0 ew0 f0 f1 fw0 n s0 s1
        sleep 10
        n=$(ls -d /proc/[0-9]* | wc -l)
        s0=$(samples)
        sleep 1 # the answer's wake-up, outside the window
        m0=$(proc_cpu_ns "$mg"); e0=$(proc_cpu_ns "$eo"); mw0=$(proc_wakes "$mg"); ew0=$(proc_wakes "$eo")
        f0=$(proc_cpu_ns "$fl"); fw0=$(proc_wakes "$fl")
        sleep "$W"
        m1=$(proc_cpu_ns "$mg"); e1=$(proc_cpu_ns "$eo"); f1=$(proc_cpu_ns "$fl")
        local mw1=$(proc_wakes "$mg") ew1=$(proc_wakes "$eo") fw1=$(proc_wakes "$fl") t1
        t1=$(date +%s.%N)
        s1=$(samples "$t1")
        set -- "$1" $s0 $s1
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$n" "$W" \
                $(((m1 - m0) / 1000)) $(((e1 - e0) / 1000)) $((mw1 - mw0)) $((ew1 - ew0)) \
                "$(hwm "$mg")" "$(hwm "$eo")" "$(rss_parts "$mg")" "$(rss_parts "$eo")" \
                "$(proc_pss_kb "$mg")" "$(proc_pss_kb "$eo")" $(($5 - $2)) $(($6 - $3)) $(($7 - $4)) \
                $(((f1 - f0) / 1000)) $((fw1 - fw0)) | tee -a "$OUT/idle.tsv"
}
printf 'scenario\tpids\twindow_s\tmemguard_cpu_us\tearlyoom_cpu_us\tmemguard_wakes\tearlyoom_wakes\tmemguard_hwm_kb\tearlyoom_hwm_kb\tmemguard_anon_kb\tmemguard_file_kb\tearlyoom_anon_kb\tearlyoom_file_kb\tmemguard_pss_kb\tearlyoom_pss_kb\tmemguard_system_samples\tmemguard_unit_samples\tmemguard_walks\tfloor_cpu_us\tfloor_wakes\n' | tee "$OUT/idle.tsv"
measure guest
systemd-run -q --unit=mg-sleepers /bin/bash -c 'for i in $(seq 1000); do sleep 1000000 & done; wait'
wait_until 60 eval '[ "$(systemctl show -P TasksCurrent mg-sleepers.service)" -ge 1000 ]'
sleep 60 # the sleepers settle
measure guest+1000
systemctl stop mg-sleepers.service
# The metrics file off and on (issue 16), each measured the same way: memguard
# restarted, 60 s to settle (its first walk, its growth histories), then
# the window. On: metrics-file where node_exporter reads it, at its
# default pace (metrics-interval = 1m), with the drop-in memguard.conf(5)
# gives. Read the two rows against each other, with earlyoom's column for
# how the guest itself drifted between them.
mg_restart
mg=$MG_PID0
sleep 60
measure guest+restarted
mkdir -p /var/lib/prometheus/node-exporter /etc/systemd/system/memguard.service.d
printf '[Service]\nReadWritePaths=/var/lib/prometheus/node-exporter\n' \
        >/etc/systemd/system/memguard.service.d/50-metrics.conf
printf '[daemon]\nmetrics-file = /var/lib/prometheus/node-exporter/memguard.prom\n' \
        >/etc/memguard.conf.d/60-metrics.conf
systemctl daemon-reload
mg_restart
mg=$MG_PID0
sleep 60
measure guest+metrics
check "the metrics file was written" test -s /var/lib/prometheus/node-exporter/memguard.prom
systemctl stop earlyoom.service mg-tickfloor.service
mg_journal -o cat MESSAGE_ID=$MID_STARTED | sed 's/^/    /'
check "memguard and earlyoom were measured" test -s "$OUT/idle.tsv"
check "memguard used the unit tier (cgroup v2)" \
        eval 'mg_journal -o cat MESSAGE_ID=$MID_STARTED | grep -q "unit memory from cgroup v2"'
check "memguard watched the cgroup tree" \
        eval 'mg_journal -o cat MESSAGE_ID=$MID_STARTED | grep -q "cgroups watched)"'
