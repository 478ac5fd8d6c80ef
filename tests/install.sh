#!/usr/bin/env bash
# make install into a scratch DESTDIR, as a package build would: the files
# land where the unit and the man pages say, and a second install keeps an
# operator's edited /etc/memguard.conf. Prints "install: N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d /tmp/memguard-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
passed=0 failed=0
check() {
        local name=$1; shift
        if "$@"; then echo "ok - $name"; passed=$((passed + 1))
        else echo "not ok - $name"; failed=$((failed + 1)); fi
}

make -s -C "$TOP" install DESTDIR="$dest" PREFIX=/usr >/dev/null
unit=$dest/usr/lib/systemd/system/memguard.service
check "binary in /usr/sbin" test -x "$dest/usr/sbin/memguard"
check "unit in /usr/lib/systemd/system" test -f "$unit"
check "unit runs the installed binary with /etc/memguard.conf" \
        grep -qx "ExecStart=/usr/sbin/memguard --config /etc/memguard.conf" "$unit"
check "unit has no unfilled placeholders" eval '! grep -qE "@[A-Z]+@" "$unit"'
check "unit is Type=notify with a watchdog and OOMScoreAdjust=-1000" \
        eval 'grep -qx Type=notify "$unit" && grep -q "^WatchdogSec=" "$unit" && grep -qx OOMScoreAdjust=-1000 "$unit"'
check "config in /etc" cmp -s "$TOP/conf/memguard.conf" "$dest/etc/memguard.conf"
check "drop-in directory" test -d "$dest/etc/memguard.conf.d"
check "man pages" test -f "$dest/usr/share/man/man8/memguard.8" -a -f "$dest/usr/share/man/man5/memguard.conf.5"
check "journal catalog in /usr/lib/systemd/catalog" \
        cmp -s "$TOP/systemd/memguard.catalog" "$dest/usr/lib/systemd/catalog/memguard.catalog"
check "the example alerting rules in the documentation's examples" \
        cmp -s "$TOP/conf/memguard-alerts.yml" "$dest/usr/share/doc/memguard/examples/memguard-alerts.yml"
check "the installed binary accepts the installed config" \
        "$dest/usr/sbin/memguard" --config "$dest/etc/memguard.conf" --check-config
if command -v systemd-analyze >/dev/null; then
        # verify wants the ExecStart binary at its real path: check a copy
        # of the unit that points into DESTDIR.
        sed "s|/usr/sbin/memguard|$dest/usr/sbin/memguard|g" "$unit" >"$dest/memguard.service"
        out=$(systemd-analyze verify --man=no "$dest/memguard.service" 2>&1)
        check "systemd-analyze verify finds nothing wrong" [ -z "$(grep -v 'Failed to .*bus\|is not a symlink\|Cannot add dependency' <<<"$out")" ]
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
fi

echo "# edited by the operator" >>"$dest/etc/memguard.conf"
make -s -C "$TOP" install DESTDIR="$dest" PREFIX=/usr >/dev/null
check "a second install keeps the edited config" grep -q "edited by the operator" "$dest/etc/memguard.conf"
check "... and leaves the new default beside it" cmp -s "$TOP/conf/memguard.conf" "$dest/etc/memguard.conf.dist"

# journalctl --update-catalog: run by a direct install (no DESTDIR) and
# only then, and its failure does not fail the install. A stand-in
# journalctl that records its arguments and fails: the host's journal
# database is never touched.
fake=$dest/fakebin
mkdir -p "$fake"
printf '#!/bin/sh\necho "$*" >>"%s"\nexit 1\n' "$dest/journalctl.calls" >"$fake/journalctl"
chmod +x "$fake/journalctl"
PATH=$fake:$PATH make -s -C "$TOP" install DESTDIR="$dest" PREFIX=/usr >/dev/null 2>&1
check "an install into DESTDIR does not run journalctl" test ! -e "$dest/journalctl.calls"
direct=$dest/direct
PATH=$fake:$PATH make -s -C "$TOP" install PREFIX="$direct/usr" SYSCONFDIR="$direct/etc" >"$dest/direct.log" 2>&1
rc=$?
check "a direct install runs journalctl --update-catalog" grep -qx -- "--update-catalog" "$dest/journalctl.calls"
check "... and succeeds when that fails, saying so" \
        eval '[ $rc -eq 0 ] && grep -q "journalctl --update-catalog failed" "$dest/direct.log"'
check "... with the catalog under PREFIX" test -f "$direct/usr/lib/systemd/catalog/memguard.catalog"

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
