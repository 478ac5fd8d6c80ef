#!/usr/bin/env bash
# Rebuilds the protection-matrix report from every run stored under
# bench/results/matrix/DAEMON/RATEMBps-rREP/ (whatever bench/matrix.sh left
# there, in any mix of old and new runs):
#   bench/results/matrix/runs.tsv     one line of metrics per run
#   bench/results/matrix.md           medians and spread (min..max) per cell
#   bench/results/avail-50MBps.png    MemAvailable over time, one curve per
#   bench/results/avail-200MBps.png   daemon (its median run by time to act)
#   bench/RESULTS.md                  the summary table between its
#                                     <!-- matrix-summary --> markers
# Needs awk, sort and gnuplot (gnuplot-nox) for the plots; no root, no guest.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RES=$HERE/results
M=$RES/matrix
DAEMONS="none earlyoom earlyoom-matched nohang systemd-oomd memguard"
[ -d "$M" ] || { echo "matrix-report: no runs in $M (run bench/matrix.sh)" >&2; exit 1; }

# --- per run ------------------------------------------------------------------
# Columns of runs.tsv (times in s from leak start, sizes in MiB):
cols="daemon rate rep end achieved_mibs first_actor first_action first_victim t_action t_leak_stopped kernel_oom kernel_victims actions min_avail_mib psi_some_s psi_full_s innocent_kept ws_kept ws_slowest_pass_s"
run_metrics() { # run_metrics DIR
        local dir=$1
        awk -F'\t' -v OFS='\t' '
        function role(c) {
                if (c ~ /^mg-leak/) return "leaker"
                if (c ~ /^mg-ws/) return "working-set"
                if (c ~ /^(innocent|mg-innocent)/) return "innocent"
                return c
        }
        function act(t, who, sig, victim) {
                na++; at[na] = t; aw[na] = who; as[na] = sig; av[na] = role(victim)
        }
        FILENAME ~ /meta.txt$/ { split($0, kv, "="); k = kv[1]; sub(/^[^=]*=/, ""); meta[k] = $0; next }
        FILENAME ~ /samples.csv$/ {
                split($0, s, ","); t = s[1] + 0
                ns++; st[ns] = t; sa[ns] = s[2] / 1024; ssome[ns] = s[3]; sfull[ns] = s[4]
                next
        }
        # events.tsv: t_us t_recv source message_id rule signal pid comm message
        FILENAME ~ /events.tsv$/ {
                t = $1 + 0; src = $3; msg = $9
                if (src == "kernel" && match(msg, /Out of memory: Killed process [0-9]+ \([^)]*\)/)) {
                        v = substr(msg, RSTART, RLENGTH); sub(/^.*\(/, "", v); sub(/\)$/, "", v)
                        act(t, "kernel", "OOM-kill", v); nk++; kv_[nk] = role(v)
                } else if (src == "earlyoom.service" && match(msg, /sending SIG[A-Z]+ to process [0-9]+ uid [0-9]+ "[^"]*"/)) {
                        m = substr(msg, RSTART, RLENGTH); split(m, w, " ")
                        v = m; sub(/^[^"]*"/, "", v); sub(/"$/, "", v)
                        act(t, "earlyoom", w[2], v)
                } else if (src == "nohang.service") {
                        # Python buffers its stdout: nohang'"'"'s lines reach the
                        # journal together, after the action. Its time is taken
                        # from the victim'"'"'s exit (systemd) minus the "became a
                        # zombie in / died in" delay nohang reports.
                        if (match(msg, /PID: +[0-9]+, name: [^,]+/)) { nv = substr(msg, RSTART, RLENGTH); sub(/^.*name: /, "", nv) }
                        if (match(msg, /Sending SIG[A-Z]+ to the victim/)) {
                                m = substr(msg, RSTART, RLENGTH); split(m, w, " ")
                                act(t, "nohang", w[2], nv != "" ? nv : "?"); nh = na
                        }
                        if (nh && match(msg, /The victim (became a zombie|died) in [0-9.]+s/)) {
                                m = substr(msg, RSTART, RLENGTH); sub(/^.* in /, "", m); sub(/s$/, "", m)
                                nhdelay[nh] = m + 0; nh = 0
                        }
                } else if (src == "systemd-oomd.service" && match(msg, /Killed [^ ]+ due to/)) {
                        v = substr(msg, RSTART + 7, RLENGTH - 14); sub(/^.*\//, "", v)
                        act(t, "systemd-oomd", "kill-cgroup", v)
                } else if (src == "memguard.service" && $4 == "1620b61433ef4323a49f018b1ef1db0d") {
                        act(t, "memguard", $6 "(" $5 ")", $8)
                } else if (src == "mg-ws.service" && match(msg, /slow pass [0-9]+: [0-9.]+ s/)) {
                        split(substr(msg, RSTART, RLENGTH), w, " "); x = w[4] + 0
                        if (t >= meta["leak_start_us"] + 0 && x > wsmax) wsmax = x
                }
                next
        }
        END {
                t0 = meta["leak_start_us"] + 0; te = meta["end_us"] + 0
                le = meta["leak_exit_us"] + 0
                for (i = 1; i <= na; i++)
                        if (aw[i] == "nohang" && av[i] == "leaker" && (i in nhdelay) && le > 0 && le - nhdelay[i] * 1e6 < at[i])
                                at[i] = le - nhdelay[i] * 1e6
                # MemAvailable and PSI over [t0, end]
                minav = -1; a0 = -1; some0 = ""; full0 = ""
                for (i = 1; i <= ns; i++) {
                        if (st[i] <= t0) { a0 = sa[i]; some0 = ssome[i]; full0 = sfull[i] }
                        if (st[i] >= t0 && st[i] <= te) {
                                if (some0 == "") { a0 = sa[i]; some0 = ssome[i]; full0 = sfull[i] }
                                if (minav < 0 || sa[i] < minav) minav = sa[i]
                                some1 = ssome[i]; full1 = sfull[i]
                        }
                }
                # Achieved rate: MemAvailable falling by 600 MiB from the start
                # (far above every threshold), else its whole fall to the minimum.
                ach = "-"
                for (i = 1; i <= ns; i++)
                        if (st[i] > t0 && sa[i] <= a0 - 600) { ach = sprintf("%.0f", 600 / ((st[i] - t0) / 1e6)); break }
                if (ach == "-") for (i = 1; i <= ns; i++)
                        if (st[i] > t0 && sa[i] == minav && a0 > minav) { ach = sprintf("%.0f", (a0 - minav) / ((st[i] - t0) / 1e6)); break }
                # Actions in time order (only those after the leak started)
                first = 0
                for (i = 1; i <= na; i++) if (at[i] >= t0 && (first == 0 || at[i] < at[first])) first = i
                acts = ""
                n2 = 0
                for (i = 1; i <= na; i++) if (at[i] >= t0) ord[++n2] = i
                for (i = 1; i <= n2; i++) for (j = i + 1; j <= n2; j++) if (at[ord[j]] < at[ord[i]]) { x = ord[i]; ord[i] = ord[j]; ord[j] = x }
                for (i = 1; i <= n2; i++) acts = acts (i > 1 ? "," : "") sprintf("%s:%s:%s@%.1f", aw[ord[i]], as[ord[i]], av[ord[i]], (at[ord[i]] - t0) / 1e6)
                kvs = ""
                for (i = 1; i <= nk; i++) kvs = kvs (i > 1 ? "," : "") kv_[i]
                le = meta["leak_exit_us"] + 0
                tl = (meta["end_reason"] == "leaker-gone" && le > t0) ? sprintf("%.2f", (le - t0) / 1e6) : "-"
                end = meta["end_reason"] == "cap" ? "cap" : "stopped"
                print meta["daemon"], meta["rate"], meta["rep"], end, ach,
                        first ? aw[first] : "none", first ? as[first] : "-", first ? av[first] : "-",
                        first ? sprintf("%.2f", (at[first] - t0) / 1e6) : "-", tl,
                        nk + 0, kvs == "" ? "-" : kvs, acts == "" ? "-" : acts,
                        sprintf("%.0f", minav), sprintf("%.2f", (some1 - some0) / 1e6), sprintf("%.2f", (full1 - full0) / 1e6),
                        (meta["innocent_pid_before"] == meta["innocent_pid_after"] && meta["innocent_active_after"] == "active") ? "yes" : "no",
                        (meta["ws_pid_before"] == meta["ws_pid_after"] && meta["ws_active_after"] == "active") ? "yes" : "no",
                        sprintf("%.1f", wsmax + 0)
        }' "$dir/meta.txt" "$dir/samples.csv" "$dir/events.tsv"
}

runs=$M/runs.tsv
{
        echo "$cols" | tr ' ' '\t'
        for d in $DAEMONS; do
                for dir in "$M/$d"/*MBps-r*/; do
                        [ -s "$dir/meta.txt" ] || continue
                        run_metrics "${dir%/}"
                done | sort -t$'\t' -k2,2n -k3,3n
        done
} >"$runs"

# --- per cell: medians and spread ---------------------------------------------------
md=$RES/matrix.md
sum=$RES/matrix-summary.md
awk -F'\t' -v daemons="$DAEMONS" -v sumfile="$sum" '
# the runs of KEY that have a value in COL, sorted into V[1..n]; returns n
function sorted(key, col, v,    n, i, j, x) {
        n = 0
        for (i = 1; i <= cnt[key]; i++) { x = val[key, i, col]; if (x != "-" && x != "") v[++n] = x + 0 }
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
        return n
}
function middle(v, n) { return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
function med(key, col,    n, v, m, fmt, s) {
        n = sorted(key, col, v)
        if (n == 0) return "–"
        m = middle(v, n)
        fmt = col == "min_avail_mib" || col == "achieved_mibs" ? "%.0f" : "%.1f"
        s = sprintf(fmt, m)
        if (n > 1) s = s " (" sprintf(fmt, v[1]) "–" sprintf(fmt, v[n]) ")"
        if (n < cnt[key]) s = s " [" n "/" cnt[key] "]"
        return s
}
function tally(key, col,    i, c, k, s, first) {
        delete c
        for (i = 1; i <= cnt[key]; i++) c[val[key, i, col]]++
        s = ""
        for (k in c) s = s (s == "" ? "" : ", ") k (cnt[key] > 1 ? " " c[k] "/" cnt[key] : "")
        return s
}
function count(key, col,    i, y) { y = 0; for (i = 1; i <= cnt[key]; i++) if (val[key, i, col] == "yes" || (col == "kernel_oom" && val[key, i, col] > 0)) y++; return y }
function yes(key, col) { return count(key, col) "/" cnt[key] }
# one line per daemon for RESULTS.md: per rate the median first action and
# lowest MemAvailable, or the kernel OOM count when it fired in every run
function summary(    i, j, k, d, key, line, n, v, t, o, runs, kept, h, u) {
        h = "| daemon |"; u = "|---|"
        for (i = 1; i <= nr; i++) { h = h " " rl[i] " MiB/s |"; u = u "---|" }
        print h " innocent and working set kept |" >sumfile
        print u "---|" >sumfile
        for (j = 1; j <= nd; j++) {
                d = dl[j]; line = "| " d " |"; runs = 0; kept = 0
                for (i = 1; i <= nr; i++) {
                        key = d SUBSEP rl[i]
                        if (!cnt[key]) { line = line " – |"; continue }
                        runs += cnt[key]
                        for (k = 1; k <= cnt[key]; k++) if (val[key, k, "innocent_kept"] == "yes" && val[key, k, "ws_kept"] == "yes") kept++
                        delete v; n = sorted(key, "t_action", v)
                        t = n ? sprintf("%.1f s", middle(v, n)) : "no action"
                        o = count(key, "kernel_oom")
                        if (o == cnt[key]) { line = line " **kernel OOM " o "/" cnt[key] "** at " t " |"; continue }
                        delete v; n = sorted(key, "min_avail_mib", v)
                        line = line " acted at " t ", " sprintf("%.0f MiB", middle(v, n)) " left" (o ? ", kernel OOM " o "/" cnt[key] : "") " |"
                }
                if (runs) print line " " kept "/" runs " |" >sumfile
        }
}
NR == 1 { for (i = 1; i <= NF; i++) name[i] = $i; next }
{
        key = $1 SUBSEP $2
        n = ++cnt[key]
        for (i = 1; i <= NF; i++) val[key, n, name[i]] = $i
        # who acted first, on which process (the signal in brackets)
        val[key, n, "who"] = $6 == "none" ? ($4 == "cap" ? "nobody (stalled, no action)" : "nobody") : $6 " → " $8 " (" $7 ")"
        val[key, n, "stall"] = $4 == "cap" ? "yes" : "no"
        rates[$2] = 1
}
END {
        nr = 0
        for (r in rates) rl[++nr] = r + 0
        for (i = 1; i <= nr; i++) for (j = i + 1; j <= nr; j++) if (rl[j] < rl[i]) { x = rl[i]; rl[i] = rl[j]; rl[j] = x }
        nd = split(daemons, dl, " ")
        for (i = 1; i <= nr; i++) {
                r = rl[i]
                printf "\n### Leak at %d MiB/s\n\n", r
                print "| daemon | runs | achieved MiB/s | first to act → on (signal) | kernel OOM kill | leak start → first action, s | → leak stopped, s | lowest MemAvailable, MiB | PSI some, s | PSI full, s | innocent kept | working set kept | slowest working-set pass, s |"
                print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
                for (j = 1; j <= nd; j++) {
                        key = dl[j] SUBSEP r
                        if (!cnt[key]) continue
                        printf "| %s | %d | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", dl[j], cnt[key],
                                med(key, "achieved_mibs"), tally(key, "who"),
                                "", yes(key, "kernel_oom"), med(key, "t_action"), med(key, "t_leak_stopped"),
                                med(key, "min_avail_mib"), med(key, "psi_some_s"), med(key, "psi_full_s"),
                                yes(key, "innocent_kept"), yes(key, "ws_kept"), med(key, "ws_slowest_pass_s")
                }
        }
        summary()
}' "$runs" >"$md.body"
{
        cat <<'EOF'
## Protection matrix (2 GiB guest, no swap)

A leak (`mg-leak`, anonymous memory, touched) at each rate in a 2 GiB
Debian 12 guest under QEMU TCG, next to a 300 MiB file-backed working set
(`mg-ws`: mmap'd file, every page read once a second) and an innocent
service (100 MiB anonymous, idle). Daemons as Debian 12 ships them (earlyoom
1.7: `-r 3600`, SIGTERM below 10% MemAvailable, SIGKILL below 5%;
earlyoom-matched: `-m 7,3`, memguard's thresholds; nohang 0.2.0 `nohang.service`;
systemd-oomd 252 with Debian's defaults), memguard with its shipped
`conf/memguard.conf` and unit, "none": the kernel alone. Rates are what
mg-leak was asked for (MiB/s); "achieved" is how fast MemAvailable fell over
its first 600 MiB. A run ends 3 s after the leaker is gone, or at a cap
(1800/rate + 90 s) with the leaker still alive ("stalled, no action"; the
harness then kills it). Cells: median (min–max) over the runs; k/n counts.
"First to act": the first signal or kill by anyone (kernel = OOM killer), on
the leaker, the working set or the innocent. PSI: stall seconds (delta of
`total=` in /proc/pressure/memory) from leak start to the end of the run.
"Kept": the same process still active at the end. Per-run numbers:
`matrix/runs.tsv`; raw data: `matrix/DAEMON/RATEMBps-rREP/`. Produced by
`bench/matrix.sh` and `bench/matrix-report.sh`; timings under TCG are
slower than on real hardware and are reported, not asserted.
EOF
        cat "$md.body"
        echo
        echo "MemAvailable over time: avail-50MBps.png, avail-200MBps.png."
} >"$md"
rm -f "$md.body"

# --- the summary table into RESULTS.md, between its markers ----------------------
if grep -q '^<!-- matrix-summary -->$' "$RES/../RESULTS.md" 2>/dev/null; then
        awk -v f="$sum" '
                /^<!-- matrix-summary -->$/ { print; while ((getline l <f) > 0) print l; skip = 1; next }
                /^<!-- \/matrix-summary -->$/ { skip = 0 }
                !skip' "$RES/../RESULTS.md" >"$sum.new" && mv "$sum.new" "$RES/../RESULTS.md"
fi
rm -f "$sum"

# --- plots ----------------------------------------------------------------------
if ! command -v gnuplot >/dev/null; then
        echo "matrix-report: gnuplot not found (apt-get install gnuplot-nox); no plots" >&2
        echo "wrote $md, $runs"
        exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for rate in 50 200; do
        plot=()
        xmax=0
        for d in $DAEMONS; do
                # The median run by time to the first action (runs without
                # action sort last, by their end).
                rep=$(awk -F'\t' -v d="$d" -v r="$rate" '$1 == d && $2 == r {
                        t = $9 == "-" ? 1e6 + $3 : $9; print t "\t" $3 }' "$runs" | sort -n | awk '{ a[NR] = $2 } END { if (NR) print a[int((NR + 1) / 2)] }')
                [ -n "$rep" ] || continue
                dir=$M/$d/${rate}MBps-r$rep
                t0=$(sed -n 's/^leak_start_us=//p' "$dir/meta.txt")
                awk -F, -v t0="$t0" '{ printf "%.2f %.1f\n", ($1 - t0) / 1e6, $2 / 1024 }' "$dir/samples.csv" >"$tmp/$d.dat"
                x=$(tail -n1 "$tmp/$d.dat" | cut -d' ' -f1)
                xmax=$(awk -v a="$xmax" -v b="$x" 'BEGIN { print (b > a ? b : a) }')
                case $d in
                none) c='#000000' ;; earlyoom) c='#e69f00' ;; earlyoom-matched) c='#56b4e9' ;;
                nohang) c='#009e73' ;; systemd-oomd) c='#cc79a7' ;; *) c='#d55e00' ;;
                esac
                plot+=("'$tmp/$d.dat' using 1:2 with lines lw 2 lc rgb '$c' title '$d (run $rep)'")
        done
        [ ${#plot[@]} -gt 0 ] || continue
        memtotal=$(sed -n 's/^memtotal_kb=//p' "$dir/meta.txt")
        mt=$(( ${memtotal:-2007000} / 1024 ))
        {
                echo "set terminal pngcairo size 1000,600 font 'sans,10'"
                echo "set output '$RES/avail-${rate}MBps.png'"
                echo "set title 'MemAvailable during a ${rate} MiB/s leak (2 GiB guest, no swap; median run per daemon)'"
                echo "set xlabel 'seconds since leak start'"
                echo "set ylabel 'MemAvailable, MiB'"
                echo "set grid"
                echo "set key outside below horizontal"
                echo "set xrange [-1:$xmax]"
                echo "set yrange [0:*]"
                echo "set arrow from graph 0, first 0.07*$mt to graph 1, first 0.07*$mt nohead dt 2 lc rgb 'gray'"
                echo "set arrow from graph 0, first 0.03*$mt to graph 1, first 0.03*$mt nohead dt 3 lc rgb 'gray'"
                echo "set label '7%' at graph 0.005, first 0.07*$mt offset 0,0.6 tc rgb 'gray'"
                echo "set label '3%' at graph 0.005, first 0.03*$mt offset 0,0.6 tc rgb 'gray'"
                printf 'plot %s\n' "$(IFS=,; echo "${plot[*]}")"
        } >"$tmp/plot.gp"
        gnuplot "$tmp/plot.gp"
done
echo "wrote $md, $runs, $RES/avail-50MBps.png, $RES/avail-200MBps.png"
