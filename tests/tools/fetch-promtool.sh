#!/bin/sh
# fetch-promtool.sh DEST — promtool for the tests (issue 16), from Debian's
# prometheus package without installing that package: no prometheus
# service, no user, nothing in /etc. The .deb is downloaded with apt into a
# scratch directory and only /usr/bin/promtool is taken out of it.
# Quick when DEST already runs (make deps is run again and again).
set -eu
dest=${1:?usage: fetch-promtool.sh DEST}
if [ -x "$dest" ] && "$dest" --version >/dev/null 2>&1; then
        echo "deps: promtool present ($dest)"
        exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt downloads as its own user (_apt): let it write here
chmod 0755 "$tmp"
cd "$tmp"
if ! apt-get download -q prometheus >/dev/null 2>&1; then
        apt-get update -qq
        apt-get download -q prometheus
fi
deb=$(ls prometheus_*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x ./usr/bin/promtool
install -D -m 0755 usr/bin/promtool "$dest"
echo "deps: promtool $("$dest" --version 2>&1 | head -n 1 | awk '{ print $3 }') from $deb in $dest"
