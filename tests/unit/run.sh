#!/usr/bin/env bash
# Runs the cmocka unit-test binaries given as arguments, every one even if
# one fails, and sums them up: one line per binary (its whole output when
# it failed), then the totals, the failed tests and every skipped test
# with its reason.
#
# Counted from what cmocka prints as tests run, up to its "[==========] N
# test(s) run." line (the summary after it repeats names): "[ RUN      ]
# NAME" starts a test, "[       OK ] NAME" is a pass, "[  SKIPPED ] NAME"
# a skip; a test that ends any other way (an assertion, a failed setup, a
# crash) failed. cmocka flushes every line, so stdout and stderr share one
# file in order. A skip's reason is the "SKIPPED: REASON" line the test
# printed before it skipped (SKIP() in testutil.h). A binary that exits
# non-zero with no failed test counted (a crash between tests, a failed
# group setup) fails too.
#
# Each binary's output is kept in NAME.log beside it. VERBOSE=1 prints
# every output. Exit status 1 if anything failed.
set -u

ran=0 passed=0 failed=0 skipped=0 bad=0
skips=() fails=()

for t in "$@"; do
        name=${t##*/}
        log=$t.log
        "$t" >"$log" 2>&1
        rc=$?
        # "R", "O" per test started and passed; "S<TAB>test<TAB>reason" per
        # skip; "F<TAB>test" per failure.
        r=0 ok=0 sk=0 f=0
        while IFS=$'\t' read -r kind test reason; do
                case $kind in
                R) r=$((r + 1)) ;;
                O) ok=$((ok + 1)) ;;
                S) sk=$((sk + 1)); skips+=("$name"$'\t'"$reason"$'\t'"$test") ;;
                F) f=$((f + 1)); fails+=("$name"$'\t'"$test") ;;
                esac
        done < <(awk '
                function end_test() { if (cur != "") print "F\t" cur; cur = "" }
                /^\[==========\] [0-9]+ test\(s\) run\./ { exit }
                /^\[ RUN      \] / { end_test(); cur = substr($0, 14); reason = ""; print "R" }
                /^\[       OK \] / { print "O"; cur = "" }
                /^SKIPPED: / { reason = substr($0, 10) }
                /^\[  SKIPPED \] / {
                        print "S\t" substr($0, 14) "\t" (reason == "" ? "no reason printed" : reason)
                        cur = ""
                }
                END { end_test() }' "$log")
        note=
        if [ "$rc" -gt 128 ]; then
                note=" (killed by signal $((rc - 128)))"
        elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
                note=" (exit status $rc)"
        fi
        ran=$((ran + r)) passed=$((passed + ok)) failed=$((failed + f)) skipped=$((skipped + sk))

        line="$name: $ok passed"
        [ "$f" -gt 0 ] && line+=", $f FAILED"
        [ "$sk" -gt 0 ] && line+=", $sk skipped"
        echo "$line$note"
        if [ "${VERBOSE:-}" ] || [ "$rc" -ne 0 ] || [ "$f" -gt 0 ]; then
                sed 's/^/    /' "$log"
        fi
        if [ "$rc" -ne 0 ] || [ "$f" -gt 0 ]; then
                bad=$((bad + 1))
        fi
done

echo "unit: $ran ran, $passed passed, $failed failed, $skipped skipped ($# binaries)"
# One line per binary (and, for skips, per reason), naming its tests.
if [ "${#fails[@]}" -gt 0 ]; then
        printf '%s\n' "${fails[@]}" | awk -F '\t' '
                { if (!($1 in names)) order[++k] = $1
                  names[$1] = names[$1] ($1 in seen ? ", " : "") $2; seen[$1] = 1 }
                END { for (i = 1; i <= k; i++) printf "  FAILED %s: %s\n", order[i], names[order[i]] }'
fi
if [ "${#skips[@]}" -gt 0 ]; then
        printf '%s\n' "${skips[@]}" | awk -F '\t' '
                { key = $1 "\t" $2; if (!(key in names)) order[++k] = key
                  names[key] = names[key] (key in seen ? ", " : "") $3; seen[key] = 1 }
                END { for (i = 1; i <= k; i++) {
                        split(order[i], p, "\t")
                        printf "  skipped %s: %s: %s\n", p[1], names[order[i]], p[2] } }'
fi
[ "$failed" -eq 0 ] && [ "$bad" -eq 0 ]
