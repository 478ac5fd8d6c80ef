#!/usr/bin/env bash
# Integration test on this host: memguard in the foreground with a test
# config whose process rules match only the test's own children by name
# (mgtest-*). No system rule, so nothing else on the host can be chosen.
# Children hold at most 96+64 MiB at once (the house limit is 256 MiB).
#
# Env: MEMGUARD (the production binary: everything that needs no fixture
# root), MEMGUARD_TEST (memguard-test, the same with --proc-root and
# --cgroup-root), HELPERS (dir with mg-hog), PROMTOOL (Debian's promtool,
# which make deps fetches; the checks that need it skip without it, and
# fail under MEMGUARD_REQUIRE_PROMTOOL=1, as make check sets). Prints one line per check
# ("ok - # SKIP WHAT: WHY" for one that cannot run here) and "N passed,
# N failed, N skipped" last, naming the skipped; exit status 1 if any failed.
set -u
set +m
MEMGUARD=${MEMGUARD:-build/memguard}
MEMGUARD_TEST=${MEMGUARD_TEST:-build/memguard-test}
HELPERS=${HELPERS:-build/helpers}
HOG=$HELPERS/mg-hog
TOP=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/memguard-it.XXXXXX)
# Every daemon here keeps its view for `memguard status` in the test's own
# runtime directory, never in the host's /run/memguard.
export RUNTIME_DIRECTORY=$work/run
passed=0 failed=0 skipped=0
skips=()
children=()
mg_pid=
cgdirs=() # real cgroups this test made, deepest first

cleanup() {
        for p in "${children[@]}" $mg_pid; do kill -KILL "$p" 2>/dev/null; done
        wait 2>/dev/null
        for d in "${cgdirs[@]}"; do rmdir "$d" 2>/dev/null; done
        [ "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

check() { # check NAME CONDITION...
        local name=$1; shift
        if "$@"; then echo "ok - $name"; passed=$((passed + 1))
        else echo "not ok - $name"; failed=$((failed + 1)); fi
}

skip() { # skip WHAT WHY: a check that cannot run here, counted and named last
        echo "ok - # SKIP $1: $2"
        skipped=$((skipped + 1))
        skips+=("$1")
}

# Waits up to $2 seconds for process $1 to exit (gone or zombie).
wait_exit() {
        local pid=$1 deadline=$((SECONDS + $2))
        while [ $SECONDS -lt "$deadline" ]; do
                local st
                st=$(awk '{ sub(/.*\) /, ""); print $1 }' /proc/"$pid"/stat 2>/dev/null) || return 0
                [ "$st" = Z ] && return 0
                sleep 0.05
        done
        return 1
}

wait_log() { # wait_log FILE PATTERN SECONDS
        local deadline=$((SECONDS + $3))
        while [ $SECONDS -lt "$deadline" ]; do
                grep -qE -- "$2" "$1" && return 0
                sleep 0.05
        done
        return 1
}

# Starts a child: spawn NAME MIB [ignore-term]; sets $child.
spawn() {
        local fifo=$work/fifo.$1
        mkfifo "$fifo"
        "$HOG" "$@" >"$fifo" &
        child=$!
        children+=("$child")
        read -r -t 10 _ready _pid <"$fifo"
        rm -f "$fifo"
}

# fixture_proc ROOT PID UNIT: PID, a live test child, in the proc root
# ROOT (its files linked to /proc's) as a process of system UNIT.
fixture_proc() {
        mkdir "$1/$2"
        for f in stat status cmdline oom_score oom_score_adj smaps_rollup; do
                ln -s /proc/"$2"/$f "$1/$2/$f"
        done
        printf '0::/system.slice/%s\n' "$3" >"$1/$2/cgroup"
}

exit_status() { wait "$1"; echo $?; }

wait_cmd() { # wait_cmd SECONDS COMMAND...: until COMMAND succeeds
        local deadline=$((SECONDS + $1)); shift
        while [ $SECONDS -lt "$deadline" ]; do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        return 1
}

# promtool: make deps takes it out of Debian's prometheus package
# (tests/tools/fetch-promtool.sh) without installing that package.
PROMTOOL=${PROMTOOL:-/usr/local/lib/memguard-tools/promtool}
[ -x "$PROMTOOL" ] || PROMTOOL=$(command -v promtool || true)

# promtool_check WHAT ARGS...: `promtool ARGS` passes (its output shown if
# not). Without promtool a skip, or a failure under make check (CI).
promtool_check() {
        local what=$1 out rc; shift
        if [ -z "$PROMTOOL" ]; then
                if [ "${MEMGUARD_REQUIRE_PROMTOOL:-}" = 1 ]; then
                        check "$what (MEMGUARD_REQUIRE_PROMTOOL=1 and no promtool: run make deps)" false
                else
                        skip "$what" "no promtool (make deps fetches it)"
                fi
                return
        fi
        out=$("$PROMTOOL" "$@" 2>&1); rc=$?
        check "$what" [ $rc -eq 0 ]
        [ $rc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/    /'
}

# metrics_agree FILE: the metrics file and `memguard status --json` show
# the same view (waits up to 10 s for a moment when both are of one view)
# and agree on it: each rule's fire count and whether it is active, the
# actions by rule, action and result (the status's last actions are all
# of them in these short runs; one in progress is not counted yet), the
# memory available. Prints what differs.
metrics_agree() {
        # One copy of the file is read for its time and its figures: at
        # metrics-interval = 0 the daemon may rewrite it between two reads.
        local file=$1 snap=$work/metrics-agree.prom json= deadline=$((SECONDS + 10)) a= b=
        while [ $SECONDS -lt $deadline ]; do
                json=$("$MEMGUARD" status --json 2>/dev/null) &&
                        cp "$file" "$snap" 2>/dev/null &&
                        a=$(awk '$1 == "memguard_view_timestamp_seconds" { print $2 }' "$snap") &&
                        b=$(jq -r .daemon.view_time <<<"$json") &&
                        awk -v a="$a" -v b="$b" 'BEGIN { exit !(a != "" && a - b < 0.000002 && b - a < 0.000002) }' &&
                        break
                json=
                sleep 0.1
        done
        [ -n "$json" ] || { echo "    no moment when the metrics and the status showed one view (metrics $a, status $b)"; return 1; }
        a=$(sed -n 's/^memguard_rule_fired_total{rule="\([^"]*\)"} \([0-9]*\)$/fired \1 \2/p
                    s/^memguard_rule_active{rule="\([^"]*\)"} \([0-9]*\)$/active \1 \2/p
                    s/^memguard_actions_total{rule="\([^"]*\)",action="\([a-z]*\)",result="\([a-z_]*\)"} \([0-9]*\)$/action \1 \2 \3 \4/p
                    s/^memguard_memory_available_bytes \([0-9]*\)$/available \1/p' "$snap" | sort)
        b=$(jq -r '(.rules[] | "fired \(.name) \(.fires)", "active \(.name) \(if .state == "quiet" then 0 else 1 end)"),
                   (.actions | map(select(.result != "in progress") | .result |= (
                           if . == "not done" then "not_done" elif startswith("failed") then "failed"
                           elif startswith("dry run") then "dry_run" else . end))
                    | group_by([.rule, .action, .result])[] | "action \(.[0].rule) \(.[0].action) \(.[0].result) \(length)"),
                   "available \(.memory.available_bytes)"' <<<"$json" | sort)
        [ "$a" = "$b" ] && return 0
        diff <(echo "$b") <(echo "$a") | sed 's/^/    status < > metrics: /'
        return 1
}

# Stops the daemon started as $mg_pid; checks it exits 0 (under the
# sanitizers a report makes it fail) and that LOG holds no sanitizer report.
stop_memguard() { # stop_memguard LOG WHAT
        local stop_log=$1
        kill -TERM "$mg_pid"; wait "$mg_pid"; local rc=$?; mg_pid=
        check "$2: memguard exits 0 on SIGTERM" [ $rc -eq 0 ]
        check "$2: no sanitizer report" eval '! grep -qE "Sanitizer|runtime error" "$stop_log"'
}

mkdir -p "$work/metrics"
cat >"$work/test.conf" <<CONF
[daemon]
interval = 200ms
fast-interval = 100ms
cooldown = 1s
metrics-file = $work/metrics/memguard.prom
metrics-interval = 0

[rule hog]
process = mgtest-hog
when = proc.rss > 48M
action = term
grace = 3s

[rule stubborn]
process = mgtest-stubborn
cmdline = *ignore-term*
when = proc.pss > 32M and proc.rss > 32M
action = term
grace = 1s
CONF

# --- command line -------------------------------------------------------
out=$("$MEMGUARD" --config "$work/test.conf" --check-config 2>&1); rc=$?
check "--check-config accepts a good file" [ $rc -eq 0 -a "$out" = "configuration OK" ]
printf '[rule x]\nwhen = mem.available < 5%%\naction = explode\n' >"$work/bad.conf"
out=$("$MEMGUARD" --config "$work/bad.conf" --check-config 2>&1); rc=$?
check "--check-config rejects a bad file with exit 78" [ $rc -eq 78 ]
check "--check-config names FILE:LINE: key" grep -q "^$work/bad.conf:3: action: " <<<"$out"
"$MEMGUARD" --config "$work/bad.conf" >/dev/null 2>&1; rc=$?
check "a bad config stops the daemon with exit 78" [ $rc -eq 78 ]
"$MEMGUARD" --no-such-option >/dev/null 2>&1; rc=$?
check "an unknown option is a usage error (exit 2)" [ $rc -eq 2 ]
# The test hooks are not in the daemon that is installed (issue 14).
"$MEMGUARD" --config "$work/test.conf" --proc-root "$work" --check-config >/dev/null 2>&1; rc=$?
check "the production binary refuses --proc-root (exit 2)" [ $rc -eq 2 ]
"$MEMGUARD" --config "$work/test.conf" --cgroup-root "$work" --check-config >/dev/null 2>&1; rc=$?
check "the production binary refuses --cgroup-root (exit 2)" [ $rc -eq 2 ]
"$MEMGUARD" --config "$work/test.conf" --kmsg "$work/x" --check-config >/dev/null 2>&1; rc=$?
check "the production binary refuses --kmsg (exit 2)" [ $rc -eq 2 ]
check "... and its --help does not mention them" eval '! "$MEMGUARD" --help | grep -q -- "-root"'
check "memguard-test takes both" eval '"$MEMGUARD_TEST" --config "$work/test.conf" \
        --proc-root /proc --cgroup-root /sys/fs/cgroup --check-config >/dev/null'
out=$("$MEMGUARD" --version); rc=$?
check "--version" [ $rc -eq 0 -a "${out%% *}" = memguard ]
"$MEMGUARD" --config "$work/missing.conf" --check-config >/dev/null 2>&1; rc=$?
check "a missing config file is a configuration error" [ $rc -eq 78 ]

# --- live: terminate, escalate, leave the sibling alone -----------------
log=$work/live.log
"$MEMGUARD" --config "$work/test.conf" 2>"$log" &
mg_pid=$!
check "memguard starts and samples" wait_log "$log" "memguard .* started" 10

spawn mgtest-sibling 64; sibling=$child
spawn mgtest-hog 96; hog=$child
check "the matching hog is signalled and exits" wait_exit "$hog" 10
check "the hog died of SIGTERM (143)" [ "$(exit_status "$hog")" = 143 ]
check "the journal line names rule, action, pid and comm" \
        grep -qE "\[rule=hog action=term pid=$hog comm=mgtest-hog .*signal=SIGTERM dry_run=no\]" "$log"
check "the process-gone line follows" wait_log "$log" "mgtest-hog \(pid $hog\) is gone" 5

spawn mgtest-stubborn 64 ignore-term; stubborn=$child
check "a process ignoring SIGTERM is killed after its grace" wait_exit "$stubborn" 10
check "the stubborn one died of SIGKILL (137)" [ "$(exit_status "$stubborn")" = 137 ]
check "SIGTERM then SIGKILL are both logged" \
        grep -qE "still alive .* after SIGTERM: sent SIGKILL .*pid=$stubborn" "$log"
check "the non-matching sibling is untouched" kill -0 "$sibling"

# --- memguard status: the daemon's view --------------------------------
check "the view is kept in the runtime directory, root's only" \
        eval '[ "$(stat -c %a "$RUNTIME_DIRECTORY")" = 700 ] && [ "$(stat -c %a "$RUNTIME_DIRECTORY/status")" = 600 ]'
check "memguard status names the daemon and its config" \
        eval '"$MEMGUARD" status | grep -q "^memguard .*, pid $mg_pid, up .*config $work/test.conf"'
sleep 2
check "... asked for it, a view of now (SIGUSR1; the last one is seconds old)" \
        eval '"$MEMGUARD" status | grep -qE "its view of [01] s ago"'
kill -STOP "$mg_pid"
"$MEMGUARD" status >"$work/stuck.out" 2>"$work/stuck.err"; rc=$?
kill -CONT "$mg_pid"
check "... a daemon that cannot answer: the view it left, and why" \
        eval '[ $rc -eq 0 ] && grep -q "did not answer within 1 s" "$work/stuck.err" && grep -q "^memguard .*, pid $mg_pid" "$work/stuck.out"'
check "... every rule, and what each has done" \
        wait_cmd 5 eval '"$MEMGUARD" status | grep -qE "^hog +process +term +quiet; fired once, at "'
check "... the last actions and how they ended" \
        wait_cmd 5 eval '"$MEMGUARD" status | grep -qE "stubborn +term +mgtest-stubborn \(pid $stubborn\): done"'
check "... the sibling among the largest processes, in no unit here" \
        eval '"$MEMGUARD" status --all | grep -qE "^ +$sibling +mgtest-sibling +- +[0-9]+ MiB"'
out=$("$MEMGUARD" status --json); rc=$?
check "memguard status --json is JSON" eval 'jq -e . >/dev/null <<<"$out"'
check "... with the daemon, its rules and actions under stable names" \
        eval 'jq -e ".daemon.pid == $mg_pid and .daemon.running and
                ([.rules[] | select(.name == \"hog\") | .fires][0] == 1) and
                ([.actions[] | select(.rule == \"stubborn\")][0].result == \"done\") and
                (.memory.total_bytes > 0) and (.processes | length) > 0" >/dev/null <<<"$out"'
check "... and the samples it took: meminfo more often than whole walks, and walks (the hog's)" \
        eval 'jq -e ".daemon.samples.walks >= 1 and .daemon.samples.system > .daemon.samples.walks" >/dev/null <<<"$out"'

# --- the metrics file: the same view, for Prometheus ---------------------
prom=$work/metrics/memguard.prom
check "the metrics file is written, readable by node_exporter (0644)" \
        eval '[ "$(stat -c %a "$prom")" = 644 ]'
promtool_check "promtool check metrics passes on it" check metrics <"$prom"
check "... and it agrees with memguard status: fires, actions by result, memory" metrics_agree "$prom"
check "... the actions it counts: hog's and stubborn's terms, done" \
        eval 'grep -qx "memguard_actions_total{rule=\"hog\",action=\"term\",result=\"done\"} 1" "$prom" &&
              grep -qx "memguard_actions_total{rule=\"stubborn\",action=\"term\",result=\"done\"} 1" "$prom"'
check "... the kernel's OOM kills, from /proc/vmstat" \
        eval '[ "$(awk "\$1 == \"memguard_kernel_oom_kills_total\" { print \$2 }" "$prom")" -le \
                "$(awk "\$1 == \"oom_kill\" { print \$2 }" /proc/vmstat)" ]'
check "... the samples it took, counted by tier" \
        eval 'grep -qE "^memguard_samples_total\{tier=\"walks\"\} [1-9][0-9]*$" "$prom" &&
              grep -qE "^memguard_samples_total\{tier=\"system\"\} [1-9][0-9]*$" "$prom" &&
              grep -qE "^memguard_samples_total\{tier=\"units\"\} [0-9]+$" "$prom"'
check "... no temporary left beside it" eval '[ "$(ls -A "$work/metrics")" = memguard.prom ]'
promtool_check "the example alerting rules pass promtool check rules" check rules "$TOP/conf/memguard-alerts.yml"
promtool_check "... and fire as they say (promtool test rules)" test rules "$TOP/tests/integration/alerts-test.yml"

cp "$RUNTIME_DIRECTORY/status" "$work/status.kept"
live_pid=$mg_pid
"$MEMGUARD" status --top 1 >"$work/top1" 2>&1; rc=$?
check "--top 1 shows one process and says how many more" \
        eval '[ $rc -eq 0 ] && grep -qE "^\([0-9]+ more: --all\)" "$work/top1"'

# --- reload: a bad file is refused, the old rules keep acting -----------
cp "$work/test.conf" "$work/good.conf"
printf '\n[rule broken]\nwhen = proc.rss >> 1M\naction = term\n' >>"$work/test.conf"
kill -HUP "$mg_pid"
check "a bad reload is reported with FILE:LINE" \
        wait_log "$log" "reload refused, keeping the running configuration: $work/test.conf:[0-9]+: when: " 5
spawn mgtest-hog 96; hog2=$child
check "after a refused reload the old rules still act" wait_exit "$hog2" 10
check "... with SIGTERM" [ "$(exit_status "$hog2")" = 143 ]
sed "s|^metrics-file = .*|metrics-file = $work/metrics/moved.prom|" "$work/good.conf" >"$work/test.conf"
printf '\n[rule none]\nprocess = nothing-matches-this\nwhen = proc.rss > 1G\naction = warn\n' >>"$work/test.conf"
kill -HUP "$mg_pid"
check "a good reload is applied" wait_log "$log" "configuration reloaded from .*: 3 rules" 5
check "... a metrics file it names elsewhere moves there, the old one removed" \
        wait_cmd 10 eval '[ -f "$work/metrics/moved.prom" ] && [ ! -e "$prom" ]'
check "... counters kept across the reload" \
        grep -qx 'memguard_actions_total{rule="hog",action="term",result="done"} 2' "$work/metrics/moved.prom"

stop_memguard "$log" live
check "the stop is logged" grep -q "memguard stopped" "$log"
check "the metrics file is removed at the stop, as the view is" \
        eval '[ -z "$(ls -A "$work/metrics")" ]'
"$MEMGUARD" status >/dev/null 2>"$work/status.err"; rc=$?
check "memguard status after the stop: not running, exit 3" \
        eval '[ $rc -eq 3 ] && grep -q "memguard is not running" "$work/status.err"'
cp "$work/status.kept" "$RUNTIME_DIRECTORY/status"
"$MEMGUARD" status >/dev/null 2>"$work/status.err"; rc=$?
check "... and with a view its writer left behind: exit 3, naming the pid" \
        eval '[ $rc -eq 3 ] && grep -q "pid $live_pid, which wrote .* is gone" "$work/status.err"'
out=$("$MEMGUARD" status --sample --config "$work/test.conf"); rc=$?
check "memguard status --sample without a daemon: one sample of this box" \
        eval '[ $rc -eq 0 ] && grep -q "one sample taken now" <<<"$out" && grep -qE "^memory +[0-9]+ MiB available" <<<"$out"'
kill -KILL "$sibling" 2>/dev/null; wait "$sibling" 2>/dev/null

# --- dry run: decided and logged, nothing signalled ----------------------
cp "$work/good.conf" "$work/test.conf"
log=$work/dry.log
"$MEMGUARD" --config "$work/test.conf" --dry-run 2>"$log" &
mg_pid=$!
check "dry run starts" wait_log "$log" "started.*dry run" 10
spawn mgtest-hog 96; hog=$child
check "dry run logs the decision" wait_log "$log" "dry run: SIGTERM not sent\] \[rule=hog action=term pid=$hog .*dry_run=yes\]" 10
sleep 1
check "dry run signals nothing" kill -0 "$hog"
check "dry run follows the grace and says what would follow" \
        wait_log "$log" "mgtest-hog \(pid $hog\) still alive .* SIGKILL \[dry run: not sent\]" 10
check "... and still signals nothing" kill -0 "$hog"
check "dry run: memguard status and the metrics say so after the grace: dry_run" \
        eval 'metrics_agree "$prom" && grep -qx "memguard_actions_total{rule=\"hog\",action=\"term\",result=\"dry_run\"} 1" "$prom"'
check "... and memguard_dry_run 1" grep -qx "memguard_dry_run 1" "$prom"
kill -KILL "$hog"; wait "$hog" 2>/dev/null
stop_memguard "$log" "dry run"

# --- before a term or kill: a signal, a command; the evidence; notify (issue 17)
cat >"$work/record.sh" <<'SH'
#!/bin/sh
# a `before = exec` command: records its arguments, one per line
printf '%s\n' "$@" >"$RECORD_OUT"
SH
chmod 0755 "$work/record.sh"
export RECORD_OUT=$work/record.out
cat >"$work/before.conf" <<CONF
[daemon]
interval = 200ms
fast-interval = 100ms
cooldown = 1s

[rule heap-first]
process = mgtest-heap
when = proc.rss > 48M
action = term
before = SIGUSR2
before-wait = 1s

[rule dump-first]
process = mgtest-dump
when = proc.rss > 48M
action = kill
before = exec $work/record.sh %p %c pid=%p 100%%
before-wait = 5s

[rule shed]
process = mgtest-shed
when = proc.rss > 48M
action = warn
notify = SIGUSR2
CONF
log=$work/before.log
: >"$log"
"$MEMGUARD" --config "$work/before.conf" 2>"$log" &
mg_pid=$!
check "before: memguard starts" wait_log "$log" "memguard .* started" 10
spawn mgtest-heap 64 "usr2=$work/heap.usr2"; heap=$child
check "before = SIGUSR2: the process is signalled, then terminated" wait_exit "$heap" 10
check "... it got SIGUSR2 first (it wrote its 'snapshot'), then SIGTERM (143)" \
        eval '[ "$(cat "$work/heap.usr2" 2>/dev/null)" = usr2 ] && [ "$(exit_status "$heap")" = 143 ]'
check "... one entry says what is done first and what follows" \
        grep -qE "heap-first: sending SIGUSR2 to mgtest-heap \(pid $heap\); terminating it in 1 s, or sooner if it exits \[.*before=SIGUSR2 before_wait_sec=1" "$log"
check "... the wait's end is logged" \
        grep -qE "heap-first: waited 1 s after SIGUSR2 .*before_result=wait-elapsed" "$log"
check "... the SIGTERM's entry carries the victim's memory and descriptors" \
        grep -qE "heap-first: .*mgtest-heap \(pid $heap\): anon [0-9.]+ MiB, file [0-9.]+ MiB, [0-9]+ open files \[.*signal=SIGTERM rss_kb=[0-9]+ pss_anon_kb=[0-9]+ pss_file_kb=[0-9]+ pss_shmem_kb=[0-9]+ swap_kb=[0-9]+ fd_count=[0-9]+" "$log"
spawn mgtest-dump 64; dump=$child
check "before = exec: the command runs, then the process is killed" wait_exit "$dump" 10
check "... SIGKILL (137) after the command" [ "$(exit_status "$dump")" = 137 ]
check "... the command got pid, comm and pid=PID as whole arguments, %% as %" \
        eval '[ "$(cat "$RECORD_OUT" 2>/dev/null)" = "$(printf "%s\n" "$dump" mgtest-dump "pid=$dump" "100%")" ]'
check "... the entries: the command as run, its exit" \
        eval 'grep -qE "dump-first: running $work/record.sh $dump mgtest-dump pid=$dump 100% for mgtest-dump \(pid $dump\); killing it in 5 s, or sooner if the command ends" "$log" &&
              grep -qE "dump-first: the command for mgtest-dump \(pid $dump\) exited with status 0 .*before_result=command-exited exit_status=0" "$log"'
spawn mgtest-shed 64 "usr2=$work/shed.usr2"; shed=$child
check "notify = SIGUSR2: the warn rule signals the process once" \
        wait_cmd 10 eval '[ "$(cat "$work/shed.usr2" 2>/dev/null)" = usr2 ]'
check "... and the warning's entry says so" \
        grep -qE "shed: .*; sent SIGUSR2 to mgtest-shed \(pid $shed\) \[.*notify_signal=SIGUSR2 notify_result=sent" "$log"
sleep 1
check "... once per firing, and the process lives on" \
        eval '[ "$(wc -l <"$work/shed.usr2")" = 1 ] && kill -0 "$shed"'
kill -KILL "$shed"; wait "$shed" 2>/dev/null
stop_memguard "$log" before

# --- systemd notification protocol: READY, STATUS, WATCHDOG, STOPPING ------
SINK=$HELPERS/mg-notify-sink
"$SINK" "$work/notify.sock" >"$work/notify.log" &
children+=("$!")
sleep 0.2
NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=1000000 "$MEMGUARD" --config "$work/test.conf" 2>"$work/notify.err" &
mg_pid=$!
check "READY=1 after the first sample" wait_log "$work/notify.log" "READY=1" 10
check "STATUS= carries a one-line summary" wait_log "$work/notify.log" "STATUS=available .* of .* processes in .* units; 2 rules" 5
check "the loop pings the watchdog" wait_log "$work/notify.log" "WATCHDOG=1" 5
# The system tier sleeps 2 s on this host, twice WatchdogSec: the ping must
# wake the loop itself, every half period (8 in 4 s; 6 leaves room for a
# loaded machine, one per period would let systemd kill a healthy daemon).
n0=$(grep -c '^WATCHDOG=1' "$work/notify.log")
sleep 4
n1=$(grep -c '^WATCHDOG=1' "$work/notify.log")
check "the watchdog is pinged every half period ($((n1 - n0)) in 4 s of 1 s)" [ $((n1 - n0)) -ge 6 ]
stop_memguard "$work/notify.err" notify
check "STOPPING=1 on SIGTERM" wait_log "$work/notify.log" "STOPPING=1" 5

# --- the shipped configuration, in dry run on this host --------------------
"$MEMGUARD" --config "$TOP/conf/memguard.conf" --check-config >/dev/null 2>&1; rc=$?
check "the shipped config is valid" [ $rc -eq 0 ]
"$MEMGUARD" --config "$TOP/conf/memguard.conf" --dry-run 2>"$work/shipped.log" &
mg_pid=$!
check "the shipped config runs (dry run)" wait_log "$work/shipped.log" "started: [0-9]+ rules.*dry run" 10
stop_memguard "$work/shipped.log" "shipped config"

# Idle, the shipped config walks /proc only every few minutes where units
# need no walk (cgroup v2's memory.current, or no unit at all, as on a host
# without systemd). Over 20 s, each wake-up of the system tier reads at most
# 3 files (meminfo, PSI, its timer); the unit tier one per unit every 10 s;
# one walk past the test's 200 sleeping children would read 800 more.
sleepers=()
for _ in $(seq 200); do sleep 300 & sleepers+=($!); children+=($!); done
"$MEMGUARD" --config "$TOP/conf/memguard.conf" --dry-run 2>"$work/idle.log" &
mg_pid=$!
# Counts the reads of $mg_pid over $1 s: prints them, sets $extra to those
# beyond the system tier's 3 per wake-up.
count_reads() {
        io_reads() { awk '$1 == "syscr:" { print $2 }' /proc/$mg_pid/io; }
        wakeups() { awk '$1 == "voluntary_ctxt_switches:" { print $2 }' /proc/$mg_pid/status; }
        local r0 w0 r1 w1
        sleep 1
        r0=$(io_reads) w0=$(wakeups)
        sleep "$1"
        r1=$(io_reads) w1=$(wakeups)
        extra=$((r1 - r0 - 3 * (w1 - w0)))
        echo "# $((r1 - r0)) reads in $((w1 - w0)) wake-ups in $1 s beside 200 sleepers ($extra beyond the system tier's)"
}
if wait_log "$work/idle.log" "started: .*( 0 units|cgroup v2)" 10; then
        # memguard status: its processes as of the last walk while it is
        # recent (under 10 s), walked for anew when older (walks may be an
        # hour apart); the asks are in count_reads' first second and after
        walks() { "$MEMGUARD" status --json | jq -r .daemon.samples.walks; }
        walks0=$(walks)
        count_reads 20
        check "idle with no unit to feed, no /proc walk in 20 s" [ "$extra" -lt 400 ]
        walks1=$(walks)
        check "memguard status right after the start shows the start's walk (walks: $walks0)" [ "$walks0" = 1 ]
        check "... and 20 s later walks for the processes anew (walks: $walks1)" [ "$walks1" = 2 ]
        check "... which it shows as fresh (no 'as the last walk found them' note)" \
                eval '! "$MEMGUARD" status | grep -q "as the last walk found them"'
else
        skip "idle walk count" "units without cgroup v2 here ($(grep -o 'started: .*' "$work/idle.log"))"
fi
stop_memguard "$work/idle.log" "idle"
kill "${sleepers[@]}" 2>/dev/null
wait "${sleepers[@]}" 2>/dev/null

# Where systemd does not run no unit can appear, and nothing asks the
# shipped rules on units' growth for a walk (issue 20: one every 200 s on
# a host without systemd, for units that could not exist). Told by pid
# 1's cgroup in the proc root: "0::/" (none of systemd's), "0::/init.scope"
# (systemd's own); the real /proc also by sd_booted().
for init in "/" "/init.scope"; do
        sroot=$work/sdroot
        rm -rf "$sroot" && mkdir -p "$sroot/1" "$work/nocg-sd"
        printf '%s\n' "MemTotal:        2097152 kB" "MemFree:         1000000 kB" \
                "MemAvailable:    1000000 kB" "SwapTotal:             0 kB" "SwapFree:              0 kB" \
                >"$sroot/meminfo"
        printf '0::%s\n' "$init" >"$sroot/1/cgroup"
        "$MEMGUARD_TEST" --config "$TOP/conf/memguard.conf" --dry-run --proc-root "$sroot" \
                --cgroup-root "$work/nocg-sd" 2>"$work/sd.log" &
        mg_pid=$!
        if [ "$init" = / ]; then
                check "pid 1 in no cgroup of systemd's: no unit memory, no walk for units" \
                        wait_log "$work/sd.log" "started: .*no unit memory \(systemd does not run\)" 10
        else
                check "pid 1 in init.scope: units may appear, their memory is sampled" \
                        wait_log "$work/sd.log" "started: .*unit memory from (cgroup v2|process PSS)" 10
        fi
        stop_memguard "$work/sd.log" "pid 1 in $init"
done
if [ -d /run/systemd/system ]; then
        check "this host runs systemd: the shipped config samples units' memory" \
                grep -qE "started: .*unit memory from" "$work/idle.log"
else
        check "this host runs no systemd (no /run/systemd/system): no unit memory" \
                grep -qE "started: .*no unit memory \(systemd does not run\)" "$work/idle.log"
fi

# --- system rules on a sandboxed proc root ---------------------------------
# The daemon reads a proc root that holds a meminfo this test writes and
# only this test's children (links to their live /proc entries), so system
# rules can fire here and can only ever choose these children. Signals go
# to live pids after a start-time check against the live /proc.
root=$work/root
mkdir -p "$root" "$work/nocgroup"
printf '%s\n' "MemTotal:        2097152 kB" "MemFree:         0000000 kB" \
        "MemAvailable:    0000000 kB" "SwapTotal:             0 kB" \
        "SwapFree:              0 kB" >"$root/meminfo"
# the kernel's OOM kills as this proc root says them, for the metrics
printf '%s\n' "nr_free_pages 1" "oom_kill 3" "nr_unaccepted 0" >"$root/vmstat"
set_available() { # KB, written in place (same length) so a read never sees it empty
        printf 'MemFree:         %07d kB\nMemAvailable:    %07d kB\n' "$1" "$1" |
                dd of="$root/meminfo" bs=1 seek=28 conv=notrunc status=none
}
set_available 1048576
# e: highest oom_score but a grandchild (its parent is a subshell): the
# sandbox must refuse it. a: next highest, ignores SIGTERM. b, c: plain;
# c sits in a fake unit whose restart fails (no bus): that leaves it no
# cooldown, it is a candidate like any other. d: in a unit the config
# protects. f: calls itself by a protected name (prctl), but runs a file
# of ours, not a root-owned one: not protected.
bash -c "exec \"$HOG\" mgtest-e 16 & wait" >/dev/null &
children+=("$!"); eshell=$!
for _ in $(seq 100); do e=$(pgrep -P "$eshell" -x mgtest-e) && break; sleep 0.05; done
children+=("$e")
echo 1000 >/proc/"$e"/oom_score_adj
ln -s /proc/"$e" "$root/$e"
spawn mgtest-a 32 ignore-term; a=$child
echo 500 >/proc/"$a"/oom_score_adj
ln -s /proc/"$a" "$root/$a"
spawn mgtest-b 32; b=$child
ln -s /proc/"$b" "$root/$b"
spawn mgtest-c 16; c=$child
mkdir "$root/$c"
for f in stat status cmdline oom_score oom_score_adj smaps_rollup; do ln -s /proc/"$c"/$f "$root/$c/$f"; done
printf '0::/system.slice/mgtest.service\n' >"$root/$c/cgroup"
spawn mgtest-d 16; d=$child
mkdir "$root/$d"
for f in stat status cmdline oom_score oom_score_adj smaps_rollup exe; do ln -s /proc/"$d"/$f "$root/$d/$f"; done
printf '0::/system.slice/mgtest-keep.service\n' >"$root/$d/cgroup"
spawn mgtest-f 24; f=$child
ln -s /proc/"$f" "$root/$f"

cat >"$work/system.conf" <<CONF
[daemon]
interval = 200ms
fast-interval = 100ms
cooldown = 30s
protect = mgtest-keep.service mgtest-f
metrics-file = $work/metrics/system.prom
metrics-interval = 0

[rule low]
when = mem.available < 20%
action = warn

[rule near-oom]
when = mem.available < 10%
action = term
target = oom-score
grace = 30s

[rule oom-imminent]
when = mem.available < 3%
action = kill

[rule unit-budget]
unit = mgtest.service
when = unit.memory > 8M
action = restart
CONF
"$MEMGUARD_TEST" --config "$work/system.conf" --proc-root "$root" --cgroup-root "$work/nocgroup" \
        --list-protected >"$work/protected.txt" 2>&1
check "--list-protected names the process of the protected unit, and why" \
        grep -qE "^ *$d .*mgtest-keep.service +protect = mgtest-keep.service \(unit\)" "$work/protected.txt"
check "... and not the one that took a protected name" eval '! grep -qE "^ *$f " "$work/protected.txt"'
log=$work/system.log
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/no-bus \
        "$MEMGUARD_TEST" --config "$work/system.conf" --proc-root "$root" --cgroup-root "$work/nocgroup" 2>"$log" &
mg_pid=$!
check "sandboxed: memguard starts on the proc root" wait_log "$log" "started: 4 rules, 6 processes" 10
check "restart without a reachable system bus is logged as a failure" \
        wait_log "$log" "cannot restart mgtest.service: no connection to systemd.*\[rule=unit-budget action=restart" 5
sleep 0.5
check "... and nothing is signalled in its place" eval '! grep -qE "rule=unit-budget action=(term|kill)|action=(term|kill) pid=$c " "$log"'
set_available 300000
check "a system warn rule fires below its threshold" wait_log "$log" "\[rule=low action=warn .*mem_available_kb=300000" 5
set_available 180000
check "the sandbox refuses a process that is not the test's own child" \
        wait_log "$log" "mgtest-e \(pid $e\) is not a child of the process that started memguard" 5
check "... which is left alone" kill -0 "$e"
check "near-oom then terminates the next highest oom_score (adj 500)" \
        wait_log "$log" "\[rule=near-oom action=term pid=$a comm=mgtest-a" 5
check "... and not the others" eval '! grep -qE "action=(term|kill) pid=($b|$c|$d|$f) " "$log"'
set_available 40000
check "a kill rule due during the grace escalates the SIGTERM at once" wait_exit "$a" 5
check "... SIGKILL (137)" [ "$(exit_status "$a")" = 137 ]
check "... and says why" grep -q "mgtest-a (pid $a) is still alive and memory is critically low .* sent SIGKILL" "$log"
check "still critical: the kill rule takes the next victim" wait_exit "$b" 5
check "... with SIGKILL (137)" [ "$(exit_status "$b")" = 137 ]
check "a process that took a protected name is not protected by it" wait_exit "$f" 5
check "... signalled by memguard (SIGTERM or SIGKILL)" eval 'case $(exit_status "$f") in 137|143) true ;; *) false ;; esac'
check "a process whose restart failed has no cooldown: it is next" wait_exit "$c" 5
check "the process in a protected unit is never chosen" eval 'sleep 1; kill -0 "$d"'
check "when nothing may be killed, it says so once" \
        wait_log "$log" "oom-imminent: .* no process may be killed" 5
set_available 1048576
check "recovery is logged" wait_log "$log" "\[rule=low action=warn .*mem_available_kb=1048576" 5
# (memguard status cannot be asked here: the daemon's own pid is not in
# its proc root, so the command takes it for gone; the live run above
# compares the two.)
prom=$work/metrics/system.prom
promtool_check "sandboxed: promtool check metrics passes" check metrics <"$prom"
check "... the failed restart is counted as failed, the kills as done" \
        eval 'grep -qx "memguard_actions_total{rule=\"unit-budget\",action=\"restart\",result=\"failed\"} 1" "$prom" &&
              grep -qE "^memguard_actions_total\{rule=\"oom-imminent\",action=\"kill\",result=\"done\"\} [1-9]" "$prom"'
check "... the kernel's OOM kills, read from the proc root's vmstat" \
        grep -qx "memguard_kernel_oom_kills_total 3" "$prom"
stop_memguard "$log" sandboxed
kill -KILL "$e" "$d" 2>/dev/null

# --- a reload that protects a target ends its `before` step (issue 17) ----
# A restart's step and a term's, each waiting out its before-wait, when a
# reload protects their units: both steps end at once and no action
# follows (memguard.conf(5), BEFORE ACTING). The restart would fail here
# (no bus) and the term would end a child of ours: neither may be tried.
evroot=$work/evroot
mkdir -p "$evroot"
cp "$root/meminfo" "$evroot/meminfo"
spawn mgtest-evr 16 "usr2=$work/evr.usr2"; evr=$child
spawn mgtest-evt 16 "usr2=$work/evt.usr2"; evt=$child
for x in "$evr:mgtest-evr" "$evt:mgtest-evt"; do
        p=${x%%:*}
        mkdir "$evroot/$p"
        for f in stat status cmdline oom_score oom_score_adj smaps_rollup exe; do ln -s /proc/"$p"/$f "$evroot/$p/$f"; done
        printf '0::/system.slice/%s.service\n' "${x#*:}" >"$evroot/$p/cgroup"
done
evconf() { # evconf [PROTECT...]
        printf '%s\n' "[daemon]" "interval = 200ms" "fast-interval = 100ms" "cooldown = 30s"
        [ $# -gt 0 ] && echo "protect = $*"
        printf '%s\n' "" "[rule ev-restart]" "unit = mgtest-evr.service" "when = unit.memory > 8M" \
                "action = restart" "before = SIGUSR2" "before-wait = 5s" \
                "" "[rule ev-term]" "process = mgtest-evt" "when = proc.rss > 8M" "action = term" \
                "before = SIGUSR2" "before-wait = 5s"
}
evconf >"$work/ev.conf"
log=$work/ev.log
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/no-bus \
        "$MEMGUARD_TEST" --config "$work/ev.conf" --proc-root "$evroot" --cgroup-root "$work/nocgroup" 2>"$log" &
mg_pid=$!
check "reload during before: memguard starts" wait_log "$log" "started: 2 rules" 10
check "... the restart's step and the term's step both start (SIGUSR2 sent, waiting 5 s)" \
        eval 'wait_log "$log" "ev-restart: sending SIGUSR2 to mgtest-evr \(pid $evr\) of mgtest-evr.service; restarting mgtest-evr.service in 5 s" 5 &&
              wait_log "$log" "ev-term: sending SIGUSR2 to mgtest-evt \(pid $evt\) of mgtest-evt.service; terminating it in 5 s" 5'
evconf mgtest-evr.service mgtest-evt.service >"$work/ev.conf"
kill -HUP "$mg_pid"
check "a reload that protects both units ends both steps, saying why" \
        eval 'wait_log "$log" "mgtest-evr \(pid $evr\): protected after reload; the step before acting ends, and no action follows" 5 &&
              wait_log "$log" "mgtest-evt \(pid $evt\): protected after reload; the step before acting ends, and no action follows" 5'
sleep 6
check "... past their wait, no restart is tried and no SIGTERM sent; both live, signalled once" \
        eval '! grep -qE "cannot restart mgtest-evr|action=restart .*error=|rule=ev-term action=term pid=$evt signal=SIGTERM" "$log" &&
              kill -0 "$evr" && kill -0 "$evt" &&
              [ "$(cat "$work/evr.usr2")" = usr2 ] && [ "$(cat "$work/evt.usr2")" = usr2 ]'
stop_memguard "$log" "reload during before"
kill -KILL "$evr" "$evt" 2>/dev/null

# --- units between walks: a watched cgroup v2 tree -------------------------
# A cgroup v2 tree (a fixture: its cgroup.controllers names memory), whose
# directories the daemon watches with inotify. A unit that appears is
# walked for at once; from then its size comes from memory.current, read by
# the unit tier, and its rule is judged there, with a walk only when the
# rule's state changes. (A unit cgroup is built aside and moved in: on
# cgroupfs its files exist from mkdir() on.)
cg=$work/cg uroot=$work/uroot
mkdir -p "$cg/system.slice" "$uroot" "$work/aside/mgnew.service"
echo "cpuset cpu io memory pids" >"$cg/cgroup.controllers"
printf '%s\n' "MemTotal:        2097152 kB" "MemFree:         1048576 kB" \
        "MemAvailable:    1048576 kB" "SwapTotal:             0 kB" \
        "SwapFree:              0 kB" >"$uroot/meminfo"
cat >"$work/units.conf" <<CONF
[daemon]
interval = 200ms
fast-interval = 100ms
metrics-file = $work/metrics/units.prom

[rule budget]
unit = mgnew.service
when = unit.memory > 8M
action = warn

[rule nomem]
unit = mgnomem.service
when = unit.memory > 1K
action = warn
CONF
log=$work/units.log
"$MEMGUARD_TEST" --config "$work/units.conf" --proc-root "$uroot" --cgroup-root "$cg" 2>"$log" &
mg_pid=$!
check "watched: memguard watches the cgroup tree" \
        wait_log "$log" "started: 2 rules, 0 processes in 0 units.*cgroup v2 \(0 units, 2 cgroups watched\)" 10
spawn mgtest-u 1; u=$child
spawn mgtest-v 1; v=$child
mkdir "$uroot/$u"
for f in stat status cmdline oom_score oom_score_adj smaps_rollup; do ln -s /proc/"$u"/$f "$uroot/$u/$f"; done
printf '0::/system.slice/mgnew.service\n' >"$uroot/$u/cgroup"
printf 'populated 1\nfrozen 0\n' >"$work/aside/mgnew.service/cgroup.events"
echo 16777216 >"$work/aside/mgnew.service/memory.current"
mv "$work/aside/mgnew.service" "$cg/system.slice/"
check "a unit that appears is walked for at once and its rule judged" \
        wait_log "$log" "\[rule=budget action=warn unit=mgnew.service" 3
echo 4194304 >"$cg/system.slice/mgnew.service/memory.current"
check "between walks the unit tier sees it shrink: recovery" \
        wait_log "$log" "mgnew.service .*back .*\[rule=budget" 3
echo 33554432 >"$cg/system.slice/mgnew.service/memory.current"
check "... and grow again: a new episode" \
        wait_log "$log" "mgnew.service uses 32 MiB .*\[rule=budget action=warn" 3
# A unit without memory.current (no memory controller there) is summed
# from its processes by walks, so unit rules go back to a walk every
# interval while it exists; once it is gone they are judged between walks
# again.
mkdir "$uroot/$v" "$work/aside/mgnomem.service"
for f in stat status cmdline oom_score oom_score_adj smaps_rollup; do ln -s /proc/"$v"/$f "$uroot/$v/$f"; done
printf '0::/system.slice/mgnomem.service\n' >"$uroot/$v/cgroup"
printf 'populated 1\nfrozen 0\n' >"$work/aside/mgnomem.service/cgroup.events"
mv "$work/aside/mgnomem.service" "$cg/system.slice/"
# found by the walk for this change, 10 s after the last such walk at most
check "a unit without memory.current is found and summed from its processes" \
        wait_log "$log" "mgnomem.service uses .*\[rule=nomem" 15
printf 'populated 0\nfrozen 0\n' >"$cg/system.slice/mgnomem.service/cgroup.events"
rm -rf "${uroot:?}/$v"
sleep 0.5
rm -rf "$cg/system.slice/mgnomem.service"
sleep 1
echo 2097152 >"$cg/system.slice/mgnew.service/memory.current"
check "after a unit without memory.current came and went, unit rules are judged between walks again" \
        wait_log "$log" "mgnew.service back under budget: 2.0 MiB .*\[rule=budget" 3
# metrics-interval at its default (1m): written with the first view, not
# with every view since (the views are seconds apart here)
check "with metrics-interval at its default, the metrics file keeps its first view" \
        eval '[ $(($(stat -c %Y "$RUNTIME_DIRECTORY/status") - $(stat -c %Y "$work/metrics/units.prom"))) -ge 5 ]'
check "... and without a vmstat in its proc root, no kernel OOM kills" \
        eval '! grep -q "^memguard_kernel_oom_kills_total" "$work/metrics/units.prom"'
stop_memguard "$log" "watched units"
kill -KILL "$u" "$v" 2>/dev/null; wait "$u" "$v" 2>/dev/null

# The same unit rule beside 200 sleeping processes of the real /proc: with
# the tree watched, no walk every interval (one would read 800 files).
sleepers=()
for _ in $(seq 200); do sleep 300 & sleepers+=($!); children+=($!); done
"$MEMGUARD_TEST" --config "$work/units.conf" --cgroup-root "$cg" --dry-run 2>"$work/uidle.log" &
mg_pid=$!
if wait_log "$work/uidle.log" "started: .*cgroups watched" 10; then
        count_reads 5
        check "a unit rule at interval 200ms walks /proc for changes only" [ "$extra" -lt 400 ]
else
        check "watched idle: memguard starts" false
fi
stop_memguard "$work/uidle.log" "watched idle"
kill "${sleepers[@]}" 2>/dev/null
wait "${sleepers[@]}" 2>/dev/null

# The watch's budget outgrown, then fit again. With a budget of 6 watches
# (the root, system.slice, and two for each unit: its directory and its
# cgroup.events) a tree of three units is not watched at the start, and
# walks find the units instead (a unit rule on sizes: one every interval);
# once a unit is gone, the walk that finds fewer units than the failed
# watch had takes the watch up again, and says so.
bcg=$work/bcg broot=$work/broot
mkdir -p "$bcg/system.slice" "$broot"
echo "cpuset cpu io memory pids" >"$bcg/cgroup.controllers"
cp "$uroot/meminfo" "$broot/meminfo"
bunits=()
for d in mgb1 mgb2 mgb3; do
        mkdir "$bcg/system.slice/$d.service"
        printf 'populated 1\nfrozen 0\n' >"$bcg/system.slice/$d.service/cgroup.events"
        echo 1048576 >"$bcg/system.slice/$d.service/memory.current"
        spawn "mgtest-$d" 1
        bunits+=("$child")
        fixture_proc "$broot" "$child" "$d.service"
done
printf '[daemon]\ninterval = 200ms\n[rule big]\nunit = *.service\nwhen = unit.memory > 1G\naction = warn\n' \
        >"$work/budget.conf"
"$MEMGUARD_TEST" --config "$work/budget.conf" --proc-root "$broot" --cgroup-root "$bcg" \
        --cgroup-watches 6 --dry-run 2>"$work/budget.log" &
mg_pid=$!
check "watch budget: a tree past it is not watched, walks find its units (3 units)" \
        eval 'wait_log "$work/budget.log" "3 processes in 3 units.*cgroup tree not watched: No space left on device" 10'
sleep 1
check "... and while it does not fit, it is not watched (no word of it)" \
        eval '! grep -q "watched again" "$work/budget.log"'
# the cgroup first, so that the walk that finds one unit fewer finds a
# tree that fits (systemd removes a cgroup after its processes are gone:
# a walk between the two tries too soon, and the hourly retry mends it)
rm -rf "$bcg/system.slice/mgb3.service"
rm -rf "${broot:?}/${bunits[2]}"
check "... once a unit is gone, the next walk watches the tree again and says so" \
        wait_log "$work/budget.log" "cgroup tree watched again \(2 units, 4 cgroups watched\)" 10
stop_memguard "$work/budget.log" "watch budget"
kill -KILL "${bunits[@]}" 2>/dev/null; wait "${bunits[@]}" 2>/dev/null

# A burst of processes and units, then gone (issue 20): the walk's tables
# do not stay at the burst's size. 1,500 processes in 500 units (fixture
# pids whose files are one live child's), walked every interval by a
# process rule that never fires; once they are gone, a few walks later the
# heap in use is back near what it was before them.
rroot=$work/rroot
mkdir -p "$rroot" "$work/nocg-burst"
cp "$uroot/meminfo" "$rroot/meminfo"
spawn mgtest-burst 1
burst_child=$child
fixture_proc "$rroot" "$burst_child" mgburst.service
printf '[daemon]\ninterval = 500ms\n[rule walk]\nprocess = mg-none\nwhen = proc.pss > 100G\naction = warn\n' \
        >"$work/burst.conf"
"$MEMGUARD_TEST" --config "$work/burst.conf" --proc-root "$rroot" --cgroup-root "$work/nocg-burst" \
        --dry-run 2>"$work/burst.log" &
mg_pid=$!
# memguard itself in the proc root, so that `memguard status` knows it
# once a walk has found it and a view is asked for (SIGUSR1)
fixture_proc "$rroot" "$mg_pid" mgself.service
burst_status() {
        kill -USR1 "$mg_pid"; sleep 0.3
        "$MEMGUARD" status --json 2>/dev/null | jq -r ".daemon.$1"
}
wait_log "$work/burst.log" "started: " 10
wait_cmd 10 eval '[ "$(burst_status walk_processes)" = 2 ]'
sleep 1.5
heap0=$(burst_status heap_used_bytes)
for i in $(seq 1 1500); do
        d=$rroot/$((400000 + i))
        mkdir "$d"
        for f in stat status cmdline oom_score oom_score_adj smaps_rollup; do
                ln -s "/proc/$burst_child/$f" "$d/$f"
        done
        printf '0::/system.slice/mgburst-%d.service\n' $((i % 500)) >"$d/cgroup"
done
check "burst: the walks find 1,502 processes" \
        wait_cmd 20 eval '[ "$(burst_status walk_processes)" = 1502 ]'
sleep 1.5
heap1=$(burst_status heap_used_bytes)
walks1=$(burst_status samples.walks)
rm -rf "${rroot:?}"/4?????
check "... then 2 once they are gone" wait_cmd 20 eval '[ "$(burst_status walk_processes)" = 2 ]'
wait_cmd 20 eval '[ "$(burst_status samples.walks)" -ge $((walks1 + 4)) ]'
heap2=$(burst_status heap_used_bytes)
echo "# heap in use: $heap0 bytes before the burst, $heap1 with it, $heap2 after"
if [ "${heap1:-0}" -eq 0 ]; then
        skip "burst: the walk's tables cut after it" "mallinfo2() reads no heap (not glibc's malloc)"
else
        check "burst: the walk's tables are cut after it (heap $heap0 -> $heap1 -> $heap2 bytes)" \
                [ $((heap2 - heap0)) -lt $(((heap1 - heap0) / 8)) ]
fi
stop_memguard "$work/burst.log" "burst"

# --- kernel OOM kills: a FIFO for /dev/kmsg, a fixture cgroup tree -----------
# The kernel's records are written to a FIFO standing in for /dev/kmsg
# (memguard-test --kmsg), one write per record as the kernel hands them
# out (a write of two shows the reader splits them); the units' counters
# are files of a fixture tree the test bumps, with /proc/vmstat's oom_kill
# in the proc root. Kills counted before memguard starts are never news.
ocg=$work/ocg oroot=$work/oroot kfifo=$work/kmsg
mkdir -p "$ocg/system.slice/mgoom.service" "$ocg/system.slice/mgother.service" "$oroot"
echo "cpuset cpu io memory pids" >"$ocg/cgroup.controllers"
for d in mgoom mgother; do
        printf 'populated 1\nfrozen 0\n' >"$ocg/system.slice/$d.service/cgroup.events"
        echo 209715200 >"$ocg/system.slice/$d.service/memory.current"
done
events() { # events UNIT OOM OOM_KILL
        printf 'low 0\nhigh 0\nmax 9\noom %s\noom_kill %s\noom_group_kill 0\n' "$2" "$3" \
                >"$ocg/system.slice/$1.service/memory.events.new"
        mv "$ocg/system.slice/$1.service/memory.events.new" "$ocg/system.slice/$1.service/memory.events"
}
vmstat() { printf 'nr_free_pages 1\noom_kill %s\nnr_foo 2\n' "$1" >"$oroot/vmstat.new"; mv "$oroot/vmstat.new" "$oroot/vmstat"; }
events mgoom 5 5; events mgother 0 0; vmstat 5
printf '%s\n' "MemTotal:        2097152 kB" "MemFree:         1048576 kB" \
        "MemAvailable:    1048576 kB" "SwapTotal:             0 kB" \
        "SwapFree:              0 kB" >"$oroot/meminfo"
spawn mg-leak 1; ol=$child
spawn mg-other 1; oo=$child
fixture_proc "$oroot" "$ol" mgoom.service
fixture_proc "$oroot" "$oo" mgother.service
cat >"$work/oom.conf" <<CONF
[daemon]
interval = 200ms
fast-interval = 100ms

[rule oom-budget]
unit = mgoom.service
when = unit.memory > 1G
action = restart
CONF
mkfifo "$kfifo"
exec 7<>"$kfifo" # held open for writing: the reader never sees the end
log=$work/oom.log
"$MEMGUARD_TEST" --config "$work/oom.conf" --proc-root "$oroot" --cgroup-root "$ocg" --kmsg "$kfifo" \
        --dry-run 2>"$log" &
mg_pid=$!
check "kernel OOM: memguard reads the kernel's log from the FIFO" \
        wait_log "$log" "started: .*2 units.*kernel OOM kills from $kfifo" 10
sleep 0.5
check "... and reports no kill from before it started" eval '! grep -q "kernel OOM killer" "$log"'
# a cgroup OOM as 6.1 writes it: the counter moves first, then the two
# records (here in one write), then other kernel chatter
events mgoom 6 6; vmstat 6
printf '%s\n%s\n' \
        "6,1874,38117362,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/system.slice/mgoom.service,task_memcg=/system.slice/mgoom.service,task=mg-leak,pid=$ol,uid=0" \
        "3,1875,38117390,-;Memory cgroup out of memory: Killed process $ol (mg-leak) total-vm:208340kB, anon-rss:202752kB, file-rss:1024kB, shmem-rss:0kB, UID:0 pgtables:452kB oom_score_adj:0" >&7
printf '6,1876,38117400,-;oom_reaper: reaped process %s (mg-leak), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n' "$ol" >&7
check "a cgroup OOM is reported with its unit, pid, comm and scope" \
        wait_log "$log" "kernel OOM killer killed mg-leak \(pid $ol\) in mgoom.service: the unit hit its own memory limit .*\[pid=$ol comm=mg-leak unit=mgoom.service cgroup=/system.slice/mgoom.service .*kernel_oom_scope=cgroup kernel_oom_source=kmsg oom_cgroup=/system.slice/mgoom.service .*anon_rss_kb=202752" 5
check "... with what memguard knew: the unit's size and the rule that covers it" \
        grep -q "anon 198 MiB, file 1.0 MiB; memguard last saw the unit at 200 MiB.*memguard is in dry run and acts on nothing; no rule that covers this unit was holding" "$log"
sleep 4 # past the counters' grace: the counter's move was the same kill
check "... once: the counter's move is that kill, not another" \
        eval '[ "$(grep -c "kernel OOM killer" "$log")" -eq 1 ]'
# a system-wide OOM whose summary was rate-limited: the Killed line alone
events mgother 0 1; vmstat 7
printf '3,1900,39000000,-;Out of memory: Killed process %s (mg-other) total-vm:9kB, anon-rss:8kB, file-rss:4kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0\n' "$oo" >&7
check "a system-wide OOM without its summary line: scope system, unit from memguard's last walk" \
        wait_log "$log" "kernel OOM killer killed mg-other \(pid $oo\) in mgother.service: the system ran out of memory.*kernel_oom_scope=system" 5
kill -HUP "$mg_pid"
check "reload" wait_log "$log" "configuration reloaded" 5
sleep 4
check "... re-reports nothing" eval '[ "$(grep -c "kernel OOM killer" "$log")" -eq 2 ]'
stop_memguard "$log" "kernel OOM"
# Started again on the same counters and log: nothing from before.
log=$work/oom2.log
"$MEMGUARD_TEST" --config "$work/oom.conf" --proc-root "$oroot" --cgroup-root "$ocg" --kmsg "$kfifo" \
        --dry-run 2>"$log" &
mg_pid=$!
check "restarted: memguard starts" wait_log "$log" "started: " 10
sleep 4
check "... and re-reports nothing" eval '! grep -q "kernel OOM killer" "$log"'
stop_memguard "$log" "kernel OOM restarted"
# Without the kernel's log (a test root without --kmsg stands for a
# container's EPERM): the counters alone, pid and comm unknown.
log=$work/oom3.log
"$MEMGUARD_TEST" --config "$work/oom.conf" --proc-root "$oroot" --cgroup-root "$ocg" --dry-run 2>"$log" &
mg_pid=$!
check "no kernel log: memguard says the counters stand in" \
        wait_log "$log" "started: .*kernel OOM kills from the units' memory.events only" 10
sleep 0.5
events mgother 2 3; vmstat 9
check "a kill only the counters saw is reported at its unit, after the grace" \
        wait_log "$log" "kernel OOM killer killed 2 processes in mgother.service \(counted in its memory.events; the kernel log did not show them\): the unit hit its own memory limit.*kernel_oom_scope=cgroup kernel_oom_source=memory.events kernel_oom_kills=2" 8
check "... not before the grace" eval '[ "$(grep -c "kernel OOM killer" "$log")" -eq 1 ]'
stop_memguard "$log" "kernel OOM from counters"
exec 7>&-
kill -KILL "$ol" "$oo" 2>/dev/null; wait "$ol" "$oo" 2>/dev/null

# --- a cgroup root alone sandboxes memguard-test -----------------------------
# With --cgroup-root and no --proc-root, memguard-test reads real processes
# and a fixture's memory.current: the units it would act on are real. It
# must be sandboxed all the same: a restart needs a bus the test names,
# and a process that is not the test's own child is not signalled. For the
# restart, a test child sits in a real cgroup v2 unit of this test's own
# (empty of controllers, removed at the end), which the fixture says is
# over its budget.
cg2=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
        /proc/self/mountinfo | head -n 1)
self_cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
self_cg=${self_cg%/}
slice=mgtest-it-$$.slice
unit_cg=$self_cg/$slice/mgtest-sbx.service
sbx= have_unit=
if [ -n "$cg2" ] && mkdir -p "$cg2$unit_cg" 2>/dev/null; then
        cgdirs=("$cg2$unit_cg" "$cg2$self_cg/$slice")
        spawn mgtest-sbx 1; sbx=$child
        echo "$sbx" >"$cg2$unit_cg/cgroup.procs" 2>/dev/null
        grep -qx "0::$unit_cg" /proc/"$sbx"/cgroup && have_unit=1
fi
fake=$work/sbxcg
mkdir -p "$fake$unit_cg"
echo "cpuset cpu io memory pids" >"$fake/cgroup.controllers"
printf 'populated 1\nfrozen 0\n' >"$fake$unit_cg/cgroup.events"
echo 67108864 >"$fake$unit_cg/memory.current"
# a grandchild: its parent is a subshell, not this script
bash -c "exec \"$HOG\" mgtest-sbxg 4 & wait" >/dev/null &
children+=("$!"); gshell=$!
for _ in $(seq 100); do g=$(pgrep -P "$gshell" -x mgtest-sbxg) && break; sleep 0.05; done
children+=("$g")
cat >"$work/sbx.conf" <<CONF
[daemon]
interval = 200ms
fast-interval = 100ms

[rule sbx-restart]
unit = mgtest-sbx.service
when = unit.memory > 8M
action = restart

[rule sbx-term]
process = mgtest-sbxg
when = proc.rss > 1M
action = term
CONF
log=$work/sbx.log
env -u DBUS_SYSTEM_BUS_ADDRESS "$MEMGUARD_TEST" --config "$work/sbx.conf" --cgroup-root "$fake" 2>"$log" &
mg_pid=$!
check "cgroup root alone: a process that is not the test's own child is not signalled" \
        wait_log "$log" "mgtest-sbxg \(pid $g\) is not a child of the process that started memguard" 10
check "... which is left alone" kill -0 "$g"
if [ "$have_unit" ]; then
        check "cgroup root alone: a restart without DBUS_SYSTEM_BUS_ADDRESS is refused as sandboxed, and logged" \
                wait_log "$log" "not restarting mgtest-sbx.service.*\[rule=sbx-restart action=restart .*error=sandboxed" 10
        check "... no system bus is asked" \
                eval '! grep "action=restart" "$log" | grep -qv "error=sandboxed"'
else
        skip "cgroup root alone: restart refused" "no writable cgroup2 mount to put a test unit in"
fi
stop_memguard "$log" "cgroup root alone"
kill -KILL "$g" 2>/dev/null
[ -n "$sbx" ] && { kill -KILL "$sbx" 2>/dev/null; wait "$sbx" 2>/dev/null; }
for d in "${cgdirs[@]}"; do rmdir "$d" 2>/dev/null; done
cgdirs=()

# --- the heap under process churn and reloads (issue 19) ----------------
# What the daemon holds must not grow with the processes a reload sees.
# glibc's own cache is switched off for this run: mallinfo2() counts the
# freed chunks its per-thread cache keeps (up to 7 per size class, 235 KiB
# in all) as in use, and under churn that cache fills for tens of minutes,
# which read as a heap growing ~350 kB/h (bench/RESULTS.md). Without it,
# heap used is what memguard holds plus the chunks' headers. The floors of
# the second and the last 30 reloads are compared: a walk that finds more
# processes holds more for a moment; a reload that keeps one 24-byte
# allocation raises the floor by ~2.2 kB over the 70 reloads between them,
# against up to 0.7 kB of noise seen here.
mkdir -p "$work/churn-metrics"
cat >"$work/churn.conf" <<CONF
[daemon]
interval = 200ms
metrics-file = $work/churn-metrics/memguard.prom
metrics-interval = 0

[rule churn]
process = mg-churn
when = proc.pss > 1G
action = warn
CONF
log=$work/churn.log
GLIBC_TUNABLES=glibc.malloc.tcache_count=0 "$MEMGUARD" --dry-run --config "$work/churn.conf" 2>"$log" &
mg_pid=$!
wait_log "$log" "memguard .* started" 10
"$HELPERS/mg-churn" 100 2000 >"$work/churn.out" &
churn=$!
children+=("$churn")
heap=()
for _ in $(seq 120); do
        kill -HUP "$mg_pid"
        sleep 0.15
        heap+=("$(awk '$1 == "memguard_heap_bytes{state=\"used\"}" { print $2 }' \
                "$work/churn-metrics/memguard.prom" 2>/dev/null)")
done
kill -TERM "$churn"; wait "$churn" 2>/dev/null
floor() { printf '%s\n' "$@" | sort -n | head -n 1; }
first=$(floor "${heap[@]:20:30}") second=$(floor "${heap[@]:90:30}")
check "churn and reloads: every reload taken" \
        [ "$(grep -c 'configuration reloaded' "$log")" -ge 110 ]
if [ -z "$first" ] || [ "$first" -eq 0 ]; then
        # ASan's allocator answers mallinfo2() with zeros
        skip "churn and reloads: heap in use flat" "mallinfo2() reads no heap (not glibc's malloc)"
else
        check "churn and reloads: heap in use flat (floor $first then $second bytes)" \
                [ $((second - first)) -lt 1024 ]
fi
stop_memguard "$log" "churn and reloads"

echo
line="integration: $passed passed, $failed failed, $skipped skipped"
[ "$skipped" -gt 0 ] && line+=" ($(IFS=';'; echo "${skips[*]}" | sed 's/;/; /g'))"
echo "$line"
[ "$failed" -eq 0 ]
