#!/usr/bin/env bash
# Fault injection (issue 19): memguard-test on a fixture proc root, run
# under tests/faults/mgfault.so, an LD_PRELOAD shim that fails allocations,
# fails or shortens reads of the root's files, or moves the wall clock (its
# head comment says how). Each fault is checked for what must not change:
# the system rule still acts (the victim, a child of this script, is
# signalled), memguard does not crash (exit 0 on SIGTERM), nothing else is
# signalled (the decoy: the highest oom_score, in a unit the config
# protects), and the log says what failed where memguard can know it.
# Also: the system bus lost while a restart is in flight (a private
# dbus-daemon and tests/faults/mg-fakesd), and journald absent.
#
# Plain build only: ASan's allocator and an interposed malloc conflict.
# Children hold at most 24 + 16 + 8 MiB.
#
# Env: MEMGUARD_TEST (memguard-test), HELPERS (dir with mg-hog), FAULTS (dir
# with mgfault.so and mg-fakesd), FAULTS_FULL=1 (fail every allocation of
# the kill path; without it, past the 40th only every 5th: 31 to 34 when
# this was written, so all of them), KEEP=1 (keep the work directory). Prints one line per check ("ok - # SKIP WHAT: WHY" for one
# that cannot run here), "# " lines with figures, and "N passed, N failed,
# N skipped" last; exit status 1 if any failed.
set -u
set +m
MEMGUARD_TEST=${MEMGUARD_TEST:-build/memguard-test}
HELPERS=${HELPERS:-build/helpers}
FAULTS=${FAULTS:-build/faults}
SHIM=$(realpath "$FAULTS/mgfault.so")
# resolved: the shim compares paths as /proc/self/fd names them
work=$(realpath "$(mktemp -d /tmp/memguard-faults.XXXXXX)")
export RUNTIME_DIRECTORY=$work/run
passed=0 failed=0 skipped=0
skips=()
children=()
mg_pid=

cleanup() {
        for p in "${children[@]}" $mg_pid; do kill -KILL "$p" 2>/dev/null; done
        wait 2>/dev/null
        [ "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

check() { # check NAME COMMAND...
        local name=$1; shift
        if "$@"; then echo "ok - $name"; passed=$((passed + 1))
        else echo "not ok - $name"; failed=$((failed + 1)); fi
}

skip() { # skip WHAT WHY
        echo "ok - # SKIP $1: $2"
        skipped=$((skipped + 1))
        skips+=("$1")
}

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# gone PID: PID has exited (it is gone, or a zombie not yet reaped).
gone() {
        local st
        st=$(awk '{ sub(/.*\) /, ""); print $1 }' /proc/"$1"/stat 2>/dev/null) || return 0
        [ "$st" = Z ]
}

until_true() { # until_true SECONDS COMMAND...: polls COMMAND every 20 ms
        local deadline=$(($(now_ms) + $1 * 1000)); shift
        until "$@"; do
                [ "$(now_ms)" -lt $deadline ] || return 1
                sleep 0.02
        done
}

has() { grep -qE -- "$2" "$1" 2>/dev/null; } # has FILE PATTERN

# ---- the fixture proc root -------------------------------------------------
# meminfo this script writes; the decoy (a directory of links to its live
# /proc files, and a cgroup file that puts it in a protected unit), and a
# victim per episode (a link to its live /proc directory).
root=$work/root
mkdir -p "$root" "$work/nocgroup" "$work/run"
printf '%s\n' "MemTotal:        2097152 kB" "MemFree:         1048576 kB" \
        "MemAvailable:    1048576 kB" "SwapTotal:             0 kB" \
        "SwapFree:              0 kB" >"$root/meminfo"
set_available() { # KB, in place and of the same length: no read sees it empty
        printf 'MemFree:         %07d kB\nMemAvailable:    %07d kB\n' "$1" "$1" |
                dd of="$root/meminfo" bs=1 seek=28 conv=notrunc status=none
}
NORMAL=1048576 LOW=150000 CRITICAL=40000 # 50%, 7%, 1.9% of 2 GiB

spawn() { # spawn NAME MIB [ignore-term]: a child holding MIB; sets $child
        local fifo=$work/fifo
        mkfifo "$fifo"
        "$HELPERS/mg-hog" "$@" >"$fifo" 2>/dev/null &
        child=$!
        children+=("$child")
        read -r -t 10 _ _ <"$fifo"
        rm -f "$fifo"
}

link_dir() { # link_dir PID CGROUP-LINE: a directory of links, with its own cgroup file
        mkdir "$root/$1"
        for f in stat status cmdline oom_score oom_score_adj smaps_rollup exe; do
                ln -s /proc/"$1"/$f "$root/$1/$f"
        done
        printf '%s\n' "$2" >"$root/$1/cgroup"
}

# A decoy that a fault got signalled is replaced, so that the next
# checks stand on their own.
decoy=
new_decoy() {
        [ -n "$decoy" ] && rm -rf "${root:?}/$decoy"
        spawn mgtest-decoy 8; decoy=$child
        echo 1000 >/proc/"$decoy"/oom_score_adj
        link_dir "$decoy" 0::/system.slice/mgtest-keep.service
}
new_decoy
victim=
victim_status=

new_victim() { # new_victim [ignore-term]
        spawn mgtest-victim 24 "$@"; victim=$child victim_status=
        echo 500 >/proc/"$victim"/oom_score_adj
        ln -s /proc/"$victim" "$root/$victim"
}

# victim_gone [SECONDS]: waits up to SECONDS (default 0) for the victim
# to exit; if it did, reaps it and sets $victim_status: 143 for SIGTERM,
# 137 for SIGKILL. (bash reports a child's SIGKILL on stderr as soon as it
# sees it: not here.)
victim_gone() {
        [ -z "$victim_status" ] || return 0
        until_true "${1:-0}" gone "$victim" 2>/dev/null || return 1
        wait "$victim" 2>/dev/null; victim_status=$?
}

# Ends the victim if memguard did not (then with status 137, but too late
# to count), and removes it from the root.
drop_victim() {
        kill -KILL "$victim" 2>/dev/null
        victim_gone 5
        rm -f "$root/$victim"
}

# The daemon's configurations. Only system rules: they act on a process
# of the root, and nothing but this script's children is in it (and
# memguard-test, given a root, signals nothing that is not).
conf=$work/system.conf
cat >"$conf" <<CONF
[daemon]
interval = 200ms
fast-interval = 100ms
cooldown = 30s
protect = mgtest-keep.service

[rule near-oom]
when = mem.available < 10%
action = term
target = oom-score
grace = 2s
CONF

# mg_start CONF LOG [VAR=VALUE...]: memguard-test under the shim, the
# faults set by the VAR=VALUEs; waits for it to start; sets $mg_pid.
mg_start() {
        local c=$1 log=$2; shift 2
        # emptied here: the child opens it after the poll below may look
        : >"$log"
        env "$@" LD_PRELOAD="$SHIM" "$MEMGUARD_TEST" --config "$c" --proc-root "$root" \
                --cgroup-root "$work/nocgroup" 2>"$log" &
        mg_pid=$!
        until_true 10 has "$log" "started: "
}

# low_until_gone KB: memory at KB until the victim exits (up to 5 s), then
# back to normal; sets ep_ms (ms until it exited, or empty).
low_until_gone() {
        local t0
        t0=$(now_ms) ep_ms=
        set_available "$1"
        victim_gone 5 && ep_ms=$(($(now_ms) - t0))
        set_available $NORMAL
}

mg_stop() { # sets $mg_rc
        kill -TERM "$mg_pid" 2>/dev/null
        wait "$mg_pid"; mg_rc=$?
        mg_pid=
}

# episode NAME CONF [ARM] [VAR=VALUE...]: one run. A new victim (VICTIM
# in a VALUE stands for its pid); memguard started under the faults; with
# ARM, armed only now (the faults wait for the arm file); memory made low;
# up to 5 s for the victim to be signalled; memory back to normal;
# memguard stopped. Sets ep_log, ep_report, ep_started, ep_ms (low memory
# to the victim's end, or empty), victim_status, mg_rc, and ep_ok: the
# outcome every fault must keep.
episode() {
        local name=$1 c=$2 armed=(); shift 2
        [ "${1:-}" = ARM ] && { armed=(MGF_ARM_FILE="$work/arm"); shift; }
        ep_log=$work/$name.log ep_report=$work/$name.report
        rm -f "$work/arm" "$ep_report"
        kill -0 "$decoy" 2>/dev/null || new_decoy
        new_victim
        set -- "${@//VICTIM/$victim}"
        ep_started=yes
        mg_start "$c" "$ep_log" MGF_REPORT="$ep_report" MGF_PROC_ROOT="$root" "${armed[@]}" "$@" ||
                ep_started=no
        if [ ${#armed[@]} -gt 0 ]; then
                : >"$work/arm"
                until_true 5 has "$ep_report" "^armed$"
        fi
        low_until_gone $LOW
        until_true 3 has "$ep_log" "back above 10%"
        mg_stop
        drop_victim
        ep_ok=yes
        outcome_ok || ep_ok=no
}

# What every episode must keep: the victim signalled by memguard (SIGTERM
# here), memguard exits 0 with no sanitizer report, the decoy alive and
# never acted on.
outcome_ok() {
        [ "$ep_started" = yes ] && [ -n "$ep_ms" ] && [ "$victim_status" = 143 ] &&
                [ "$mg_rc" = 0 ] && ! has "$ep_log" "Sanitizer|runtime error" && decoy_ok
}

decoy_ok() { kill -0 "$decoy" 2>/dev/null && ! has "$ep_log" "action=(term|kill) pid=$decoy "; }

# What an outcome was, for a figure line.
outcome() {
        local s="victim ${ep_ms:-not signalled}${ep_ms:+ ms} (status $victim_status), exit $mg_rc"
        decoy_ok || s+=", DECOY SIGNALLED"
        echo "$s"
}

# --- no fault ---------------------------------------------------------------
episode baseline "$conf"
check "baseline (shim loaded, no fault): the victim is terminated, memguard exits 0, the decoy is spared" \
        [ $ep_ok = yes ]
echo "# baseline: $(outcome)"

# Logs compared as decisions: numbers made N; without the clause that
# describes a SIGTERM's victim (libproc2 reads it after the signal, and
# finds it only if the victim has not exited yet), and without "no process
# may be terminated" (whether memguard looks again before this script
# makes memory normal again is a race).
norm() {
        sed -E '/no process may be (terminated|killed)/d; s/; uid [0-9]+, running for [^[]*\[/ [/
                s/[0-9]+(\.[0-9]+)?/N/g' "$1" | sort -u
}
norm "$work/baseline.log" >"$work/baseline.norm"
same_as() { cmp -s "$1" <(norm "$ep_log"); } # same_as NORM: the same decisions and messages

# What an episode said that the reference (NORM) did not, and the
# reverse, in one line.
changes() {
        { comm -13 "$1" <(norm "$ep_log") | sed 's/^/+ /'; comm -23 "$1" <(norm "$ep_log") | sed 's/^/- /'; } |
                cut -c1-160 | paste -sd'|'
}

# --- 1. allocation failures --------------------------------------------------
# Armed just before memory turns low, the shim fails the Nth allocation
# (malloc, calloc, realloc: memguard's, libsystemd's, libproc2's and
# glibc's own) for N = 1, 2, ... until an episode made fewer than N: every
# allocation of the tick that finds memory low, the walk, the SIGTERM and
# its follow-up, the recovery and the stop fails once. Past N = 40 only
# every 5th, unless FAULTS_FULL=1 (the path had 31 to 34 when this was
# written: all of them run).

# The function of memguard that made the failed call: the first frame of
# memguard-test in the backtrace the shim wrote.
site_of() {
        local off
        off=$(sed -n 's/^[^ ]*memguard-test(+\(0x[0-9a-f]*\)).*/\1/p' "$1" | head -1)
        [ -n "$off" ] || { echo "?"; return; }
        addr2line -f -s -e "$MEMGUARD_TEST" "$(printf '%x' $((off - 1)))" | paste -sd' ' |
                sed 's/ (discriminator [0-9]*)//'
}

bad=() unsaid=() table=$work/alloc-table.txt
: >"$table"
n=0 ran=0
while :; do
        n=$((n + (n < 40 || ${FAULTS_FULL:-0} == 1 ? 1 : 5)))
        episode alloc-$n "$conf" ARM MGF_ALLOC_FAIL_AT=$n
        seen=$(sed -n 's/^allocs-seen //p' "$ep_report")
        [ "${seen:-0}" -ge $n ] || break
        ran=$((ran + 1)) last=$n
        said=$(changes "$work/baseline.norm")
        printf '%3d %-30s %s%s\n' $n "$(site_of "$ep_report" | cut -d' ' -f1)" "$(outcome)" \
                "${said:+; $said}" >>"$table"
        [ $ep_ok = yes ] || bad+=($n)
        # what changed, memguard says: the walk, the follow-up, the loop,
        # the status file (a SIGTERM's description is not counted, above)
        same_as "$work/baseline.norm" || has "$ep_log" "short of memory|out of memory|Cannot allocate memory" ||
                unsaid+=($n)
done
check "allocation N of the kill path failed, for N = 1..$last ($ran runs; $seen allocations when none fails): the victim is still terminated, memguard exits 0, the decoy spared" \
        [ ${#bad[@]} -eq 0 ]
[ ${#bad[@]} -eq 0 ] || echo "#   not for N = ${bad[*]}"
check "... and where that changed what memguard did or said, its log says memory was short" [ ${#unsaid[@]} -eq 0 ]
[ ${#unsaid[@]} -eq 0 ] || echo "#   not for N = ${unsaid[*]}"
echo "# allocation sites failed, by the function of memguard on the stack:"
awk '{ print $2 }' "$table" | sort | uniq -c | sort -rn | paste -sd',' | sed 's/^ */#   /; s/,  */, /g'
[ "${VERBOSE:-}" ] && sed 's/^/#   /' "$table"

# Every allocation failing from the Nth on: nothing after the SIGTERM can
# be followed (it becomes a SIGKILL at once), but the SIGTERM goes out,
# even from the first: the walk fills the tables the walk before last
# left, grown to its size while nothing was at stake (tick_full()).
episode alloc-from-2 "$conf" ARM MGF_ALLOC_FAIL_FROM=2
check "every allocation failing from the 2nd on: the victim is still signalled, memguard exits 0, the decoy spared" \
        eval '[ -n "$ep_ms" ] && [ "$mg_rc" = 0 ] && decoy_ok'
echo "# every allocation failing from the 2nd on: $(outcome)"
episode alloc-from-1 "$conf" ARM MGF_ALLOC_FAIL_FROM=1
check "every allocation failing: the walk holds every process all the same, the victim is signalled, memguard exits 0, the decoy spared" \
        eval '[ -n "$ep_ms" ] && [ "$mg_rc" = 0 ] && decoy_ok &&
              ! has "$ep_log" "processes only partly sampled"'
echo "# every allocation failing: $(outcome)"

# --- 2. reads of the proc root failing ---------------------------------------
# (a) The decoy's files, one at a time, fail to open with each errno
# (ENOENT: a process that vanishes mid-walk, its directory still listed);
# then every read of them fails with EIO. memguard logs nothing for one
# process it cannot read (sample.c: not a candidate), so the log must be
# the baseline's: the same decisions, nothing else said.
for e in EACCES ESRCH EIO ENOENT; do
        bad=() opened=()
        for f in stat status cmdline oom_score oom_score_adj smaps_rollup cgroup exe; do
                episode decoy-$f-$e "$conf" MGF_PATH="$decoy/$f" MGF_OPEN_ERRNO=$e
                { [ $ep_ok = yes ] && same_as "$work/baseline.norm"; } ||
                        bad+=("$f: $(outcome); $(changes "$work/baseline.norm")")
                has "$ep_report" "^open-fail " && opened+=("$f")
        done
        check "each of the decoy's files failing with $e: the victim is still terminated, the decoy spared, the same log" \
                [ ${#bad[@]} -eq 0 ]
        for b in "${bad[@]}"; do echo "#   $b"; done
done
echo "# the decoy's files memguard opened (and saw fail): ${opened[*]}"
episode decoy-read-EIO "$conf" MGF_PATH="$decoy/*" MGF_READ_ERRNO=EIO
check "every read of the decoy's files failing with EIO: the same, and the same log" \
        eval '[ $ep_ok = yes ] && same_as "$work/baseline.norm"'
echo "# decoy's files unreadable: $(sed -n 's/^opens-failed/opens failed/p' "$ep_report")"

# (b) The victim's smaps_rollup fails (EIO): for target = oom-score it is
# not needed; for target = pss the victim is ranked by its RSS instead.
sed 's/^target = oom-score/target = pss/' "$conf" >"$work/pss.conf"
episode pss-baseline "$work/pss.conf"
norm "$ep_log" >"$work/pss.norm"
for c in "$conf:oom-score" "$work/pss.conf:pss"; do
        episode victim-smaps-${c#*:} "${c%:*}" MGF_PATH=VICTIM/smaps_rollup MGF_OPEN_ERRNO=EIO
        echo "# target = ${c#*:}: $(outcome); $(grep -m1 -o 'terminating mgtest-victim ([^)]*)' "$ep_log")"
        check "the victim's smaps_rollup failing (EIO), target = ${c#*:}: the victim is still chosen and terminated, the decoy spared" \
                [ $ep_ok = yes ]
done
check "... for target = pss, ranked by its RSS: the same decisions and log as when it can be read" \
        same_as "$work/pss.norm"

# (c) Every read of every file of the root returns at most K bytes: the
# readers read on to EOF, so the decisions and the log are the baseline's.
for k in 1 7 64; do
        episode short-$k "$conf" MGF_PATH='*' MGF_READ_MAX=$k
        check "every read of the root cut to $k bytes: the same decisions and log as without" \
                eval '[ $ep_ok = yes ] && same_as "$work/baseline.norm"'
        same_as "$work/baseline.norm" || echo "#   $(changes "$work/baseline.norm")"
        echo "# reads cut to $k bytes: $(sed -n 's/^.*reads-cut //p' "$ep_report")"
done

# (d) meminfo unreadable (EIO) for a second while memory is low: said
# once, not every tick, and again when it reads; then the rule acts.
new_victim
rm -f "$work/arm"
ep_log=$work/meminfo.log
mg_start "$conf" "$ep_log" MGF_REPORT="$work/meminfo.report" MGF_PROC_ROOT="$root" MGF_PATH=meminfo \
        MGF_READ_ERRNO=EIO MGF_ARM_FILE="$work/arm"
: >"$work/arm"
until_true 5 has "$work/meminfo.report" "^armed$"
set_available $LOW
sleep 1
check "meminfo unreadable while memory is low: nobody is signalled meanwhile" eval '! gone "$victim"'
rm "$work/arm"
t0=$(now_ms)
victim_gone 5 && ms=$(($(now_ms) - t0)) || ms=
set_available $NORMAL
until_true 3 has "$ep_log" "back above 10%"
mg_stop
drop_victim
check "... said once, not every tick; and that it reads again" \
        eval '[ "$(grep -c "cannot read meminfo: Input/output error; the system rules wait for it" "$ep_log")" = 1 ] &&
              has "$ep_log" "meminfo read again"'
check "... readable again: the victim is terminated at once, memguard exits 0, the decoy spared" \
        eval '[ -n "$ms" ] && [ "$victim_status" = 143 ] && [ "$mg_rc" = 0 ] && decoy_ok'
echo "# meminfo unreadable for 1 s: $(sed -n 's/^.*reads-failed \([0-9]*\).*/\1/p' "$work/meminfo.report") reads failed; the victim ${ms:-not} ms after"

# --- 3. the wall clock jumps -------------------------------------------------
# CLOCK_REALTIME, time() and gettimeofday() an hour ahead (or behind) from
# just before memory turns low, and an hour the other way in the middle of
# the SIGTERM's grace. Every deadline is on CLOCK_MONOTONIC: the `for` of
# both rules, the grace, the cooldown. The victim ignores SIGTERM, so the
# grace must run out: SIGKILL 1 s after SIGTERM, 1 s after memory turned
# low; and the log is the run's without a jump.
clock_conf=$work/clock.conf
# The metrics file's view time is the wall clock memguard saw.
sed 's/^grace = 2s/grace = 1s/; s/^action = term/for = 1s\naction = term/' "$conf" |
        sed "/^protect/a metrics-file = $work/clock.prom\nmetrics-interval = 0" >"$clock_conf"
printf '\n[rule low]\nwhen = mem.available < 20%%\nfor = 1s\naction = warn\n' >>"$clock_conf"

clock_run() { # clock_run NAME [SHIFT MID-GRACE-SHIFT]: sets t_term, t_kill (ms), seen_s
        local name=$1
        ep_log=$work/$name.log ep_report=$work/$name.report ep_started=yes t_term= t_kill=
        rm -f "$work/arm"
        new_victim ignore-term
        mg_start "$clock_conf" "$ep_log" MGF_REPORT="$ep_report" MGF_ARM_FILE="$work/arm" || ep_started=no
        if [ $# -gt 1 ]; then
                echo "clock_shift=$2" >"$work/arm"
                until_true 5 has "$ep_report" "^clock-shift $2$"
        fi
        local t0
        t0=$(now_ms)
        set_available $LOW
        until_true 5 has "$ep_log" "action=term pid=$victim .*signal=SIGTERM" && t_term=$(($(now_ms) - t0))
        if [ $# -gt 2 ]; then
                echo "clock_shift=$3" >"$work/arm"
                until_true 5 has "$ep_report" "^clock-shift $3$"
        fi
        victim_gone 5 && t_kill=$(($(now_ms) - t0))
        set_available $NORMAL
        until_true 3 has "$ep_log" "back above 20%"
        # how far memguard's wall clock is from ours, in whole seconds
        seen_s=$(awk -v now="$(date +%s)" '$1 == "memguard_view_timestamp_seconds" {
                d = $2 - now; printf "%d", d < 0 ? d - 0.5 : d + 0.5 }' "$work/clock.prom")
        mg_stop
        drop_victim
}

# The times: the SIGTERM 1 s after memory turned low, the SIGKILL 1 s
# after that (never early; up to 1.5 s late: the fast tick, this script's
# polls, a busy shared host).
on_time() {
        [ "$ep_started" = yes ] && [ -n "$t_term" ] && [ -n "$t_kill" ] &&
                [ "$t_term" -ge 900 ] && [ "$t_term" -le 2500 ] &&
                [ $((t_kill - t_term)) -ge 900 ] && [ $((t_kill - t_term)) -le 2500 ] &&
                [ "$victim_status" = 137 ] && [ "$mg_rc" = 0 ] && decoy_ok
}

clock_run clock-none
norm "$ep_log" >"$work/clock.norm"
check "no jump (the reference): SIGTERM after the for, SIGKILL after the grace, memguard exits 0" on_time
echo "# no jump: SIGTERM at ${t_term:-?} ms, SIGKILL at ${t_kill:-?} ms"
for j in "3600 -3600" "-3600 3600"; do
        set -- $j
        clock_run clock-$1 "$1" "$2"
        check "wall clock ${1}s just before memory turns low, ${2}s during the grace: the same times and the same log" \
                eval 'on_time && same_as "$work/clock.norm"'
        want=$2
        check "... memguard's wall clock was ${2}s off at the end (its metrics' view time)" \
                eval '[ -n "$seen_s" ] && [ $((seen_s - want)) -ge -5 ] && [ $((seen_s - want)) -le 5 ]'
        echo "# ${1}s, then ${2}s: SIGTERM at ${t_term:-?} ms, SIGKILL at ${t_kill:-?} ms; view time ${seen_s:-?} s off"
        same_as "$work/clock.norm" || echo "#   $(changes "$work/clock.norm")"
done

# --- 4. the system bus lost in the middle of a restart ------------------------
# A private dbus-daemon with a fake systemd (mg-fakesd) that takes the
# restart of mgtest.service and never finishes it. With the restart in
# flight, a system kill rule acts at once; then the bus dies in the middle
# of the restart: said, and the kill rule still acts at once.
bus_up() { # a private dbus-daemon and mg-fakesd on it; sets $bus and $fake
        cat >"$work/bus.conf" <<BUSCONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$work/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/>
    <allow send_type="method_call"/> <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/> <allow receive_type="method_return"/>
    <allow receive_type="error"/> <allow receive_type="signal"/>
  </policy>
</busconfig>
BUSCONF
        rm -f "$work/bus"
        dbus-daemon --nofork --nopidfile --nosyslog --config-file="$work/bus.conf" >/dev/null 2>&1 &
        bus=$!
        children+=("$bus")
        until_true 5 test -S "$work/bus" || { check "a private dbus-daemon starts" false; return 1; }
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/bus
        "$FAULTS/mg-fakesd" >"$work/fakesd.out" 2>&1 &
        fake=$!
        children+=("$fake")
        until_true 5 has "$work/fakesd.out" "^ready$"
}

bus_run() {
        bus_up || return
        # a grandchild: memguard-test may choose it once the victim is gone
        # and memory is still low, but never signals it (not its parent's)
        bash -c "exec \"$HELPERS/mg-hog\" mgtest-unit 16 & wait" >/dev/null 2>&1 &
        children+=("$!")
        local shell=$! unit=
        until_true 5 eval 'unit=$(pgrep -P "$shell" -x mgtest-unit)'
        children+=("$unit")
        link_dir "$unit" 0::/system.slice/mgtest.service
        sed -n '1,/^$/p' "$conf" >"$work/restart.conf"
        printf '%s\n' "[rule oom-imminent]" "when = mem.available < 3%" "action = kill" "" \
                "[rule unit-budget]" "unit = mgtest.service" "when = unit.memory > 8M" "action = restart" \
                >>"$work/restart.conf"
        ep_log=$work/restart.log
        new_victim
        mg_start "$work/restart.conf" "$ep_log"
        check "a restart of mgtest.service is in flight (the fake systemd took it)" \
                until_true 5 has "$work/fakesd.out" "^restart mgtest.service$"
        low_until_gone $CRITICAL
        drop_victim
        check "... memory critical meanwhile: the kill rule acts at once (${ep_ms:-no} ms), SIGKILL" \
                eval '[ -n "$ep_ms" ] && [ "$ep_ms" -lt 1000 ] && [ "$victim_status" = 137 ]'
        kill -KILL "$bus"
        wait "$bus" 2>/dev/null
        check "the bus dies in the middle of the restart: memguard says so" \
                until_true 5 has "$ep_log" "lost the connection to the system bus while restarting mgtest.service"
        new_victim
        low_until_gone $CRITICAL
        until_true 3 has "$ep_log" "back above 3%"
        mg_stop
        drop_victim
        check "... memory critical again: the kill rule acts at once (${ep_ms:-no} ms), SIGKILL; memguard exits 0" \
                eval '[ -n "$ep_ms" ] && [ "$ep_ms" -lt 1000 ] && [ "$victim_status" = 137 ] && [ "$mg_rc" = 0 ]'
        check "... and signals no one else: the unit's process (chosen next while memory stays low, refused by the sandbox) and the decoy live" \
                eval 'kill -0 "$unit" && decoy_ok && ! has "$ep_log" "(killing|terminating) mgtest-unit"'
        kill -KILL "$fake" "$unit" "$shell" 2>/dev/null
        wait "$fake" "$shell" 2>/dev/null
        unset DBUS_SYSTEM_BUS_ADDRESS
}
# Allocation N failed from a reload that adds a restart rule on: the new
# configuration, the walk, the bus connection and the RestartUnit call (a
# few hundred: libsystemd's sd-bus allocates per message), every 3rd N
# unless FAULTS_FULL=1. Each time memguard must restart the unit (the fake
# systemd sees it) or say memory was short, and go on: no crash, SIGTERM
# ends it with 0, no process signalled.
bus_alloc_run() {
        bus_up || return
        bash -c "exec \"$HELPERS/mg-hog\" mgtest-unit 16 & wait" >/dev/null 2>&1 &
        children+=("$!")
        local shell=$! unit= n=0 runs=0 restarted=0 said=0 bad=() seen last bad_last=0
        until_true 5 eval 'unit=$(pgrep -P "$shell" -x mgtest-unit)'
        children+=("$unit")
        link_dir "$unit" 0::/system.slice/mgtest.service
        cp "$conf" "$work/reload-base.conf"
        { cat "$conf"; printf '%s\n' "" "[rule unit-budget]" "unit = mgtest.service" \
                "when = unit.memory > 8M" "action = restart"; } >"$work/reload-restart.conf"
        while :; do
                n=$((n + (${FAULTS_FULL:-0} == 1 || n < 20 ? 1 : 3)))
                ep_log=$work/busalloc.log ep_report=$work/busalloc.report
                rm -f "$work/arm" "$ep_report"
                cp "$work/reload-base.conf" "$work/reload.conf"
                local before
                before=$(grep -c "^restart mgtest.service$" "$work/fakesd.out")
                mg_start "$work/reload.conf" "$ep_log" MGF_REPORT="$ep_report" \
                        MGF_ARM_FILE="$work/arm" MGF_ALLOC_FAIL_AT=$n || { bad+=("$n:start"); break; }
                : >"$work/arm"
                until_true 5 has "$ep_report" "^armed$"
                cp "$work/reload-restart.conf" "$work/reload.conf"
                kill -HUP "$mg_pid"
                until_true 3 eval '[ "$(grep -c "^restart mgtest.service$" "$work/fakesd.out")" -gt $before ] ||
                        has "$ep_log" "out of memory|Cannot allocate memory"'
                # a failure said may be retried: give it the rule's next evaluation
                sleep 0.3
                mg_stop
                seen=$(sed -n 's/^allocs-seen //p' "$ep_report")
                [ "${seen:-0}" -ge $n ] || break
                runs=$((runs + 1)) last=$n
                if [ "$(grep -c "^restart mgtest.service$" "$work/fakesd.out")" -gt "$before" ]; then
                        restarted=$((restarted + 1))
                elif has "$ep_log" "out of memory|Cannot allocate memory|lost the connection to the system bus"; then
                        said=$((said + 1))
                else
                        bad+=("$n:unsaid")
                fi
                [ "$mg_rc" = 0 ] || bad+=("$n:exit=$mg_rc")
                if [ ${#bad[@]} -gt $bad_last ]; then
                        bad_last=${#bad[@]}
                        echo "#   N = $n failed in $(site_of "$ep_report"); memguard's log:"
                        sed 's/^/#     /' "$ep_log"
                fi
                has "$ep_log" "Sanitizer|runtime error" && bad+=("$n:sanitizer")
                kill -0 "$unit" 2>/dev/null && decoy_ok || { bad+=("$n:signalled"); break; }
        done
        check "allocation N failed from a reload that adds a restart rule, for N = 1..${last:-?} ($runs runs; ${seen:-?} allocations when none fails): the unit restarted or the failure said, memguard exits 0, nobody signalled" \
                eval '[ $runs -gt 20 ] && [ ${#bad[@]} -eq 0 ]'
        [ ${#bad[@]} -eq 0 ] || echo "#   not for N = ${bad[*]}"
        echo "# reload and restart short of memory: $runs runs, $restarted restarted all the same, $said said memory was short"
        kill -KILL "$bus" "$fake" "$unit" "$shell" 2>/dev/null
        wait "$bus" "$fake" "$shell" 2>/dev/null
        rm -rf "${root:?}/$unit"
        unset DBUS_SYSTEM_BUS_ADDRESS
}

if command -v dbus-daemon >/dev/null; then
        bus_run
        bus_alloc_run
elif [ "${MEMGUARD_REQUIRE_DBUS:-}" = 1 ]; then
        check "the bus lost mid-restart (MEMGUARD_REQUIRE_DBUS=1 and no dbus-daemon: run make deps)" false
else
        skip "the bus lost mid-restart" "no dbus-daemon (make deps installs it)"
fi

# --- 6. start-up short of memory ----------------------------------------------
# The shim armed from the start fails the Nth allocation of a start and a
# stop (config, /proc, libproc2, sd-event, the first walk, SIGTERM), for N
# = 1 up to the count of a clean run. Each run must either start and stop
# at SIGTERM (exit 0), or end at once with exit 1, having said why: never
# 78 (the configuration is fine), never by a signal, never deaf to the
# SIGTERM. The same for `--check-config`, which reads the configuration only.
startup_run() { # startup_run N [ARG...]: sets su_rc, su_started, su_log
        local n=$1; shift
        su_log=$work/startup.log
        : >"$su_log" # before the poll below may look (the child opens it later)
        env MGF_ALLOC_FAIL_AT="$n" MGF_REPORT="$work/startup.report" LD_PRELOAD="$SHIM" \
                "$MEMGUARD_TEST" --config "$conf" "$@" 2>"$su_log" >>"$su_log" &
        local p=$!
        until_true 10 eval 'has "$su_log" "memguard [^ ]* started: " || gone $p'
        if has "$su_log" "memguard [^ ]* started: "; then su_started=yes
        elif gone $p; then su_started=no
        else su_started=slow # neither started nor ended in 10 s: a failure
        fi
        kill -TERM $p 2>/dev/null
        if ! until_true 5 gone $p; then
                kill -KILL $p
                su_started=deaf
        fi
        wait $p; su_rc=$?
}
startup_loop() { # startup_loop NAME [ARG...]: sets su_runs, su_bad, su_starts, su_count
        local name=$1; shift
        rm -f "$work/startup.report"
        startup_run 1000000 "$@"
        su_count=$(sed -n 's/^allocs-seen //p' "$work/startup.report")
        su_runs=0 su_bad=() su_starts=0
        for ((n = 1; n <= ${su_count:-0}; n++)); do
                startup_run $n "$@"
                su_runs=$((su_runs + 1))
                if [ $su_rc = 0 ] && { [ "$su_started" = yes ] || has "$su_log" "^configuration OK$"; }; then
                        su_starts=$((su_starts + 1))
                elif [ "$su_started" = deaf ] || [ "$su_started" = slow ] || [ $su_rc != 1 ] ||
                        ! has "$su_log" "out of memory|Out of memory|Cannot allocate memory"; then
                        su_bad+=("$n:rc=$su_rc:$su_started:$(head -c 120 "$su_log" | tr '\n' '|')")
                fi
        done
}
startup_loop daemon --proc-root "$root" --cgroup-root "$work/nocgroup"
check "start-up and stop with allocation N failed, for N = 1..${su_count:-?}: started and stopped (exit 0), or ended at once (exit 1) saying memory was short; never 78, never a signal, never deaf to SIGTERM" \
        eval '[ "${su_count:-0}" -gt 50 ] && [ ${#su_bad[@]} -eq 0 ]'
for b in "${su_bad[@]}"; do echo "#   not for N = $b"; done
echo "# start-up: $su_runs runs, $su_starts started anyway, $((su_runs - su_starts)) ended at once"
startup_loop check --check-config
check "--check-config with allocation N failed, for N = 1..${su_count:-?}: \"configuration OK\" or exit 1 saying memory was short, never 78" \
        eval '[ "${su_count:-0}" -gt 10 ] && [ ${#su_bad[@]} -eq 0 ]'
for b in "${su_bad[@]}"; do echo "#   not for N = $b"; done

# --- 5. journald absent ---------------------------------------------------------
# stderr is what $JOURNAL_STREAM names, as systemd sets it for a service,
# but journald's socket is not there: sd_journal_send() drops an entry
# without an error then, and every entry must still reach stderr whole.
if [ -e /run/systemd/journal/socket ]; then
        skip "journald absent" "a journald listens on this host"
else
        : >"$work/journal.log"
        episode journal "$conf" JOURNAL_STREAM="$(stat -c '%d:%i' "$work/journal.log")"
        check "JOURNAL_STREAM is stderr but journald is absent: every entry reaches stderr, whole (the baseline's lines)" \
                eval '[ $ep_ok = yes ] && same_as "$work/baseline.norm" &&
                      ! grep -v "^memguard: [^[]*\(\[[^]]*\]\)\?$" "$ep_log"'
fi

echo "$passed passed, $failed failed, $skipped skipped${skips[*]:+ (skipped: ${skips[*]})}"
[ $failed -eq 0 ]
