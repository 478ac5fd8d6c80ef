#!/bin/sh
# Host packages the system tests need (root, Debian 12). Idempotent: does
# nothing when every package is already installed.
set -eu
# debhelper and lintian: the package scenario builds memguard's .deb
# (make deb) and lintian must pass it; libcmocka-dev: the package build
# runs the unit tests.
PKGS="qemu-system-x86 qemu-utils debootstrap e2fsprogs gcc make pkg-config
      libsystemd-dev libproc2-dev libinih-dev libcmocka-dev util-linux
      debhelper lintian"
missing=
for p in $PKGS; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
                missing="$missing $p"
done
if [ -z "$missing" ]; then
        echo "system deps: all installed"
        exit 0
fi
if [ "$(id -u)" != 0 ]; then
        echo "system deps: missing:$missing (run as root: $0)" >&2
        exit 1
fi
echo "system deps: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
