#!/bin/bash
# reaction-report.sh — bench/reaction.sh's table and plot from its stored
# runs: how long after MemAvailable crossed the SIGTERM threshold the
# leaker got its SIGTERM, per daemon and rate (issue 20, part 2).
#
#   bench/reaction-report.sh [RESULTS_DIR]   (default bench/results/reaction)
#
# For each run (DAEMON/RATEMBps-rREP/: meta.txt, samples.csv):
#   crossing  when MemAvailable fell below 7% of MemTotal (memguard's
#             near-oom, earlyoom-matched's -m 7), from the bench's own
#             sampler (mg-sample, every sample_ms), interpolated linearly
#             between the last sample above and the first below;
#   signal    when the leaker's SIGTERM handler ran (leak_term_us, its
#             CLOCK_MONOTONIC); a leaker that got no SIGTERM (a SIGKILL
#             first, or the kernel's OOM killer) is counted apart, with
#             its exit as systemd saw it.
# Writes RESULTS_DIR/reaction.md (the table, and one row per run) and
# RESULTS_DIR/reaction.svg (every run's latency by daemon and rate).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RES=${1:-$HERE/results/reaction}
[ -d "$RES" ] || { echo "reaction-report: no $RES" >&2; exit 1; }

rows=$(mktemp)
trap 'rm -f "$rows" "$rows.sorted"' EXIT
for meta in "$RES"/*/*MBps-r*/meta.txt; do
        [ -f "$meta" ] || continue
        dir=$(dirname "$meta")
        [ -s "$dir/samples.csv" ] || continue
        awk -F'[=,]' -v cell="$(basename "$dir")" '
                FNR == NR { m[$1] = $2; next }
                FNR == 1 { thr = m["memtotal_kb"] * 7 / 100; start = m["leak_start_us"] }
                $1 + 0 >= start && !done {
                        if ($2 < thr) {
                                if (have_prev && pa > $2)
                                        cross = pt + (pa - thr) / (pa - $2) * ($1 - pt)
                                else
                                        cross = $1
                                done = 1
                        } else { pt = $1; pa = $2; have_prev = 1 }
                }
                END {
                        term = m["leak_term_us"] + 0
                        # ExecMainCode 2 is CLD_KILLED; ExecMainStatus the signal
                        kind = term > 0 ? "sigterm" : (m["leak_exit_code"] == 2 && m["leak_exit_status"] == 9 ? "killed" : "other")
                        t = term > 0 ? term : m["leak_exit_us"] + 0
                        lat = done && t > 0 ? (t - cross) / 1000 : "nan"
                        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m["daemon"], m["rate"], m["rep"], kind,
                                (done ? sprintf("%.1f", lat) : "no-crossing"), m["sample_ms"], cell
                }' "$meta" "$dir/samples.csv"
done >"$rows"
[ -s "$rows" ] || { echo "reaction-report: no runs in $RES" >&2; exit 1; }

# Percentiles by nearest rank over the runs that got a SIGTERM.
table=$(sort -t$'\t' -k1,1 -k2,2n -k5,5g "$rows" | awk -F'\t' '
        function pct(p,   k) { k = int(p / 100 * n + 0.999999); if (k < 1) k = 1; return v[k] }
        function flush() {
                if (key == "") return
                printf "| %s | %s | %d | %s | %s | %s | %s | %d | %d | %d |\n", d, r, n,
                        n ? pct(50) : "-", n ? pct(95) : "-", n ? pct(99) : "-", n ? v[n] : "-", early, killed, other
        }
        { k = $1 "\t" $2
          if (k != key) { flush(); key = k; d = $1; r = $2; n = 0; early = 0; killed = 0; other = 0 }
          if ($5 == "no-crossing") early++
          else if ($4 == "sigterm") v[++n] = $5 + 0
          else if ($4 == "killed") killed++
          else other++ }
        END { flush() }')

{
        echo "# Reaction: MemAvailable below 7% to the leaker's SIGTERM"
        echo
        echo "\`bench/reaction.sh\` ($(date -u +%Y-%m-%d)); milliseconds, nearest-rank percentiles over"
        echo "the runs whose leaker got a SIGTERM; the crossing from the bench's sampler"
        echo "(every $(cut -f6 "$rows" | sort -u | tr '\n' ' ')ms), interpolated."
        echo
        echo "| daemon | MB/s | runs | p50 | p95 | p99 | max | acted above 7% | SIGKILL first | other end |"
        echo "|---|---|---|---|---|---|---|---|---|---|"
        echo "$table"
        echo
        echo "Every run (daemon, MB/s, rep, how the leaker ended, latency ms, sample ms, cell):"
        echo
        echo '```'
        sort -t$'\t' -k1,1 -k2,2n -k3,3n "$rows"
        echo '```'
} >"$RES/reaction.md"

# The plot: one column per daemon and rate, a dot per run, the 100 ms of
# one fast tick drawn across.
sort -t$'\t' -k1,1 -k2,2n "$rows" >"$rows.sorted"
awk -F'\t' -f "$HERE/svg.awk" -f /dev/stdin "$rows.sorted" >"$RES/reaction.svg" <<'AWK'
        $4 == "sigterm" && $5 != "no-crossing" { k = $1 " " $2 " MB/s"; if (!(k in col)) { col[k] = ++nc; name[nc] = k }
                n++; c[n] = col[k]; y[n] = $5 + 0; if (y[n] > ymax) ymax = y[n] }
        END {
                W = 640; H = 380; L = 60; R = 20; T = 30; B = 60
                if (ymax < 120) ymax = 120; ymax *= 1.1
                svg_frame(W, H, L, R, T, B, "MemAvailable below 7% to SIGTERM (ms), one dot per run", ymax, 5)
                yy = svg_y(100)
                printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n", L, yy, W - R, yy
                printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#888\">100 ms: one fast tick</text>\n", W - R - 4, yy - 4
                cw = (W - L - R) / (nc ? nc : 1)
                for (i = 1; i <= nc; i++)
                        printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", L + (i - 0.5) * cw, H - B + 18, name[i]
                for (i = 1; i <= n; i++) {
                        x = L + (c[i] - 0.5) * cw + ((i * 37) % 21 - 10) * cw / 60
                        printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\" fill-opacity=\"0.7\"/>\n", x,
                                svg_y(y[i]), name[c[i]] ~ /^memguard/ ? "#c0392b" : "#2471a3"
                }
                svg_close()
        }
AWK

sed -n '/^| daemon/,/^$/p' "$RES/reaction.md"
echo "reaction-report: $RES/reaction.md, $RES/reaction.svg"
