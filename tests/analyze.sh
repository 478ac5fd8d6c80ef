#!/usr/bin/env bash
# tests/analyze.sh [--update | --self-test]: GCC's static analyzer (-fanalyzer) over every
# file of src/, each finding named without line numbers ("FILE FUNCTION:
# MESSAGE [-Wanalyzer-KIND]") and compared with tests/analyzer-baseline.txt,
# where each accepted finding is listed under a comment saying why it is no
# bug. A finding not in the baseline fails (new code must be clean or
# explain itself there); a baseline entry no longer found is reported, so
# the list shrinks when code changes. --update rewrites the list of
# findings (the comments must then be written by hand). Env: CC (gcc).
set -u
cd "$(dirname "$0")/.."
BASELINE=tests/analyzer-baseline.txt
CC=${CC:-gcc}
flags=(-std=gnu11 -fanalyzer -O2 -Iinclude -D_GNU_SOURCE '-DMEMGUARD_VERSION="analyze"'
       '-DMEMGUARD_SYSCONFDIR="/etc"' $(pkg-config --cflags libsystemd libproc2 inih 2>/dev/null))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The findings of one file: the function a warning is in (or was inlined
# into: a finding in a header is the caller's) and its message, once each.
findings() { # findings FILE
        LC_ALL=C.UTF-8 "$CC" "${flags[@]}" -c -o "$tmp/o.o" "$1" 2>&1 | awk -v file="$1" '
                /In function ‘/ { fn = $0; sub(/.*In function ‘/, "", fn); sub(/’.*/, "", fn); inl = "" }
                /inlined from ‘/ { inl = $0; sub(/.*inlined from ‘/, "", inl); sub(/’.*/, "", inl) }
                / warning: / {
                        msg = $0; sub(/.* warning: /, "", msg); sub(/ \[CWE-[0-9]+\]/, "", msg)
                        print file " " (inl != "" ? inl : (fn != "" ? fn : "?")) ": " msg
                        inl = ""
                }' | sort -u
}

# --self-test: a file with a real leak must give a finding, named as above
if [ "${1:-}" = --self-test ]; then
        mkdir -p "$tmp/src"
        printf '#include <stdlib.h>\nint leaky(int n)\n{\n\tchar *p = malloc(16);\n\tif (!p)\n\t\treturn -1;\n\tp[0] = (char)n;\n\treturn p[0];\n}\n' >"$tmp/src/leaky.c"
        got=$(cd "$tmp" && findings src/leaky.c)
        if grep -q "^src/leaky.c leaky: leak of ‘p’ \[-Wanalyzer-malloc-leak\]$" <<<"$got"; then
                echo "analyze self-test: ok (a leak is found and named)"
                exit 0
        fi
        echo "not ok - analyze self-test: the leak in a test file was not reported as expected; got: $got"
        exit 1
fi

status=0
for f in src/*/*.c; do
        findings "$f" >>"$tmp/found"
done
sort -u -o "$tmp/found" "$tmp/found"
if [ "${1:-}" = --update ]; then
        cp "$tmp/found" "$BASELINE.new"
        echo "analyze: $(wc -l <"$tmp/found") findings in $BASELINE.new; add a comment for each and move it in place"
        exit 0
fi
grep -v '^#' "$BASELINE" | grep -v '^$' | sort -u >"$tmp/known"
new=$(comm -23 "$tmp/found" "$tmp/known")
gone=$(comm -13 "$tmp/found" "$tmp/known")
if [ -n "$new" ]; then
        echo "not ok - analyze: findings not in $BASELINE (fix them, or add each with why it is no bug):"
        sed 's/^/    /' <<<"$new"
        status=1
else
        echo "ok - analyze: gcc -fanalyzer over src/: $(wc -l <"$tmp/found") findings, each in $BASELINE with why it is no bug"
fi
if [ -n "$gone" ]; then
        echo "note - analyze: baseline entries no longer found (remove them from $BASELINE):"
        sed 's/^/    /' <<<"$gone"
fi
exit $status
