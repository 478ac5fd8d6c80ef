#!/usr/bin/env bash
# Builds the system-test guest: Debian 12 (bookworm) minbase with systemd as
# PID 1, journald, D-Bus, udev and the cloud kernel, as a raw ext4 image
# (no partition table: root=/dev/vda) plus the kernel and a small initrd.
#
# Rebuilt only when missing or stale: the stamp is a hash of this script and
# image-packages. Cached outside the repository so clean clones reuse it:
#   MEMGUARD_GUEST_CACHE   cache directory (default /var/cache/memguard-guest)
#   MEMGUARD_GUEST_MIRROR  Debian mirror (default: the host's apt mirror)
#   FORCE=1                rebuild even if the stamp matches
# Needs root (debootstrap, chroot) and tests/system/deps.sh installed.
# Output: $CACHE/{base.raw,vmlinuz,initrd.img,stamp}. Prints the cache dir.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${MEMGUARD_GUEST_CACHE:-/var/cache/memguard-guest}
SUITE=bookworm
IMAGE_SIZE=3G   # sparse; ~0.6 GiB used, the rest is room for scenarios

stamp=$(cat "$HERE/build-image.sh" "$HERE/image-packages" | sha256sum | cut -d' ' -f1)
up_to_date() {
        [ -z "${FORCE:-}" ] && [ -s "$CACHE/base.raw" ] && [ -s "$CACHE/vmlinuz" ] &&
                [ -s "$CACHE/initrd.img" ] && [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$stamp" ]
}
if up_to_date; then
        echo "image: up to date in $CACHE" >&2
        exit 0
fi
if [ "$(id -u)" != 0 ]; then
        echo "image: building the guest image needs root" >&2
        exit 1
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9
if up_to_date; then # another build finished while we waited
        echo "image: up to date in $CACHE" >&2
        exit 0
fi

# The mirror apt uses on this host for $SUITE (deb822 .sources or one-line
# .list), so the guest is built from the same (possibly snapshot) archive.
host_mirror() {
        local f
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -e "$f" ] || continue
                awk -v suite="$SUITE" '
                        /^[ \t]*$/ { if (uri != "" && ok) { print uri; exit } uri = ""; ok = 0; next }
                        /^URIs:/ { uri = $2 }
                        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
                        END { if (uri != "" && ok) print uri }' "$f"
        done
        cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                sed -nE "s/^deb[ \t]+(\[[^]]*\][ \t]+)?([^ \t]+)[ \t]+${SUITE}[ \t].*/\2/p"
        true
}
MIRROR=${MEMGUARD_GUEST_MIRROR:-$(host_mirror | sed -n 1p)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

work=$(mktemp -d "$CACHE/build.XXXXXX")
root=$work/root
cleanup() {
        umount "$root/proc" 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT

pkgs=$(grep -vE '^[[:space:]]*(#|$)' "$HERE/image-packages" | tr -s ' \n' ',' | sed 's/,$//')
echo "image: debootstrap $SUITE from $MIRROR" >&2
t0=$SECONDS
debootstrap --variant=minbase --include="$pkgs" "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
        tail -n 30 "$work/debootstrap.log" >&2
        echo "image: debootstrap failed" >&2
        exit 1
}
echo "image: debootstrap took $((SECONDS - t0)) s" >&2

# --- configuration --------------------------------------------------------
echo memguard-guest >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 memguard-guest\n' >"$root/etc/hosts"
# A filled machine-id: an empty one makes every boot a "first boot" that
# re-runs presets.
tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"
printf '/dev/vda / ext4 rw,noatime 0 0\n' >"$root/etc/fstab"
# Root logs in on the serial console without a password (run.sh --shell).
chroot "$root" passwd -qd root
# Nothing but the test may allocate or do I/O on a schedule, and no swap.
for u in apt-daily.timer apt-daily-upgrade.timer fstrim.timer e2scrub_all.timer \
        e2scrub_reap.service man-db.timer systemd-tmpfiles-clean.timer dpkg-db-backup.timer \
        getty@tty1.service; do
        ln -sf /dev/null "$root/etc/systemd/system/$u"
done
# The peers of bench/matrix.sh (earlyoom, nohang, systemd-oomd) enable
# themselves on install; nothing but memguard may run in a system test, so
# they are disabled and masked here, and a bench run unmasks exactly one.
for u in earlyoom.service nohang.service nohang-desktop.service \
        systemd-oomd.service systemd-oomd.socket; do
        chroot "$root" systemctl disable "$u" >/dev/null 2>&1 || true
        ln -sf /dev/null "$root/etc/systemd/system/$u"
done
if find "$root/etc/systemd/system" -name '*.wants' -type d -exec ls {} + 2>/dev/null |
        grep -qE 'earlyoom|nohang|oomd'; then
        echo "image: a peer OOM daemon is still enabled" >&2
        exit 1
fi
# The shipped protect list names systemd-networkd.service: run it (with no
# .network file it manages nothing) so that the entry meets its process.
chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
# Keep the journal in RAM (/run): it is exported before power-off anyway.
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nRateLimitBurst=0\n' >"$root/etc/systemd/journald.conf.d/memguard-test.conf"

# The guest end of run.sh: at boot, if the data disk (/dev/vdb) is there,
# mount it and hand over to its driver. Everything a scenario needs (the
# driver, memguard, helpers) comes on that disk, so changing a scenario never
# rebuilds the image.
cat >"$root/usr/local/sbin/mg-testbed-boot" <<'EOF'
#!/bin/sh
[ -b /dev/vdb ] || { echo "mg-testbed: no data disk"; exit 0; }
mkdir -p /mnt/data
mount -o rw /dev/vdb /mnt/data || exit 1
exec /bin/bash /mnt/data/driver.sh
EOF
chmod 0755 "$root/usr/local/sbin/mg-testbed-boot"
cat >"$root/etc/systemd/system/mg-testbed.service" <<'EOF'
[Unit]
Description=memguard system test driver
After=basic.target dbus.socket systemd-journald.service
Wants=dbus.socket

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/mg-testbed-boot
StandardOutput=journal+console
StandardError=journal+console
# The driver must outlive every scenario, and memguard skips -1000.
OOMScoreAdjust=-1000
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf ../mg-testbed.service "$root/etc/systemd/system/multi-user.target.wants/mg-testbed.service"

# --- kernel and a small initrd ----------------------------------------------
kver=$(ls "$root/lib/modules" | sort -V | tail -n1)
# The cloud kernel has ext4 built in; virtio_pci and virtio_blk are modules.
printf 'virtio_pci\nvirtio_blk\n' >"$root/etc/initramfs-tools/modules"
printf 'MODULES=list\nCOMPRESS=gzip\n' >"$root/etc/initramfs-tools/conf.d/memguard-test.conf"
mount -t proc proc "$root/proc"
chroot "$root" mkinitramfs -o /boot/initrd.small "$kver" >"$work/initramfs.log" 2>&1 || {
        cat "$work/initramfs.log" >&2
        exit 1
}
umount "$root/proc"
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$root/boot/initrd.small" "$work/initrd.img"
rm -f "$root/boot/initrd.img-"* "$root/boot/initrd.small"
# Smaller image, nothing an offline guest can use.
rm -rf "$root/var/cache/apt/"*.bin "$root/var/lib/apt/lists/"* "$root/usr/share/doc" \
        "$root/usr/share/man" "$root/usr/share/locale"

rm -f "$work/base.raw"
truncate -s "$IMAGE_SIZE" "$work/base.raw"
mkfs.ext4 -q -F -L mgroot -d "$root" "$work/base.raw"

mv -f "$work/base.raw" "$work/vmlinuz" "$work/initrd.img" "$CACHE/"
echo "$kver" >"$CACHE/kernel-version"
echo "$stamp" >"$CACHE/stamp"
echo "image: built $CACHE/base.raw (kernel $kver, initrd $(du -k "$CACHE/initrd.img" | cut -f1) KiB) in $((SECONDS - t0)) s" >&2
