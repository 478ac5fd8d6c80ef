# shellcheck shell=bash
# Units at scale (issue 20, part 3, in the guest): what memguard (installed
# unit, shipped config, cgroup v2 watched) costs with N (default 1000)
# more units, each a leaf cgroup holding one sleeping process, beside
# earlyoom (Debian's unit and defaults). The units are instances of a
# template service (mgu@N.service), so the shipped leak-warning rule
# (unit = *.service) keeps a growth series for each, as it would for a
# box's services. Numbers, not checks: run with bench/guest-scale.sh.
# TCG inflates every CPU figure alike; read the ratio and the difference.
#
# Rows (bench/results/units-guest.tsv): "units+0", the guest's own units;
# "units+N", after the N units started and settled (60 s); "units-N",
# after they stopped again (what memguard gives back). Each holds, over a
# window of W seconds (default 300: the unit tier's period is ~1 min,
# window 30m / GROWTH_BUCKETS / 2 jittered; the watched tree walks only
# when units change), both daemons' CPU and wake-ups, memguard's samples
# by tier and walks, and at the window's end memguard's units known, its
# growth series and their bytes, heap in use, RssAnon, PSS and inotify
# watches (fdinfo), with earlyoom's RssAnon and PSS.
W=${W:-300}
N=${N:-1000}
earlyoom_start
mg=$(unit_prop memguard.service MainPID)
eo=$EO_PID
# inotify watches held by PID: one "inotify wd:" line per watch in the
# fdinfo of its inotify descriptors
watches() { cat /proc/"$1"/fdinfo/* 2>/dev/null | grep -c '^inotify wd:'; }
# From `memguard status --json`: "SYSTEM UNITS WALKS UNITS_KNOWN SERIES
# HISTORY_BYTES HEAP_USED", UNITS_KNOWN the units the last walk found. A walk after time $1 (the window's end) is
# the ask's own (it walks when the last walk is over 10 s old).
status_row() {
        memguard status --json 2>/dev/null | python3 -c 'import json, sys
j = json.load(sys.stdin)
d = j["daemon"]
s = d["samples"]
after = float(sys.argv[1]) if len(sys.argv) > 1 else float("inf")
print(s["system"], s["units"], s["walks"] - (1 if (d["walk_time"] or 0) > after else 0),
      d["walk_units"], d["history_series"], d["history_bytes"], d["heap_used_bytes"])' "$@"
}
units_running() { systemctl list-units --no-legend --state=running 'mgu@*.service' | wc -l; }
measure() { # ROW
        local m0 e0 mw0 ew0 m1 e1 mw1 ew1 t1 n
        n=$(ls -d /proc/[0-9]* | wc -l)
        set -- "$1" $(status_row)
        sleep 1 # the answer's wake-up, outside the window
        m0=$(proc_cpu_ns "$mg"); e0=$(proc_cpu_ns "$eo"); mw0=$(proc_wakes "$mg"); ew0=$(proc_wakes "$eo")
        sleep "$W"
        m1=$(proc_cpu_ns "$mg"); e1=$(proc_cpu_ns "$eo"); mw1=$(proc_wakes "$mg"); ew1=$(proc_wakes "$eo")
        t1=$(date +%s.%N)
        set -- "$@" $(status_row "$t1")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
                "$1" "$n" "$(units_running)" "$W" $(((m1 - m0) / 1000)) $(((e1 - e0) / 1000)) \
                $((mw1 - mw0)) $((ew1 - ew0)) $((${9} - ${2})) $((${10} - ${3})) $((${11} - ${4})) \
                "${12}" "${13}" "${14}" "${15}" "$(proc_anon_kb "$mg")" "$(proc_pss_kb "$mg")" "$(watches "$mg")" \
                "$(proc_anon_kb "$eo")" "$(proc_pss_kb "$eo")" | tee -a "$OUT/units.tsv"
}
printf 'row\tpids\tmgu_units\twindow_s\tmemguard_cpu_us\tearlyoom_cpu_us\tmemguard_wakes\tearlyoom_wakes\tmemguard_system_samples\tmemguard_unit_samples\tmemguard_walks\tmemguard_units_known\tmemguard_series\tmemguard_history_bytes\tmemguard_heap_used_bytes\tmemguard_anon_kb\tmemguard_pss_kb\tmemguard_inotify_watches\tearlyoom_anon_kb\tearlyoom_pss_kb\n' |
        tee "$OUT/units.tsv"
sleep 30
measure units+0
printf '[Service]\nExecStart=/bin/sleep infinity\n' >/etc/systemd/system/mgu@.service
systemctl daemon-reload
t0=$(date +%s)
# in batches: one job per unit, queued without waiting for each
for b in $(seq 0 100 $((N - 1))); do
        systemctl start --no-block $(seq -f 'mgu@%g.service' $((b + 1)) $((b + 100 > N ? N : b + 100)))
done
wait_until 600 eval '[ "$(units_running)" -ge "$N" ]'
log "$(units_running) mgu@ units running after $(($(date +%s) - t0)) s"
check "$N units started" [ "$(units_running)" -ge "$N" ]
sleep 60 # memguard meets them (a walk when units change) and settles
measure units+$N
systemctl stop 'mgu@*.service'
wait_until 600 eval '[ "$(units_running)" -eq 0 ]'
sleep 60
measure units-$N
systemctl stop earlyoom.service
check "memguard and earlyoom were measured" test -s "$OUT/units.tsv"
check "memguard knew the $N units while they ran" \
        eval '[ "$(awk -F"\t" -v r="units+$N" "\$1 == r { print \$12 }" "$OUT/units.tsv")" -ge "$N" ]'
check "memguard watched the cgroup tree" \
        eval 'mg_journal -o cat MESSAGE_ID=$MID_STARTED | grep -q "cgroups watched)"'
