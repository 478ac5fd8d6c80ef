#!/bin/bash
# Runs in the guest at boot (mg-testbed.service, as root) with the data disk
# mounted at /mnt/data. Installs memguard and the scenario's files, starts
# memguard from its shipped unit, runs the scenario, exports the journal and
# kernel log to /mnt/data/out and powers off. See tests/system/README.md.
set -u
D=/mnt/data
# bash reads a script as it goes: run from /run so the data disk can be
# unmounted at the end.
if [ "$0" != /run/mg-driver.sh ]; then
        cp "$0" /run/mg-driver.sh
        exec /bin/bash /run/mg-driver.sh
fi
cd /
OUT=$D/out
mkdir -p "$OUT"
NAME=$(cat "$D/scenario-name")
MODE=$(cat "$D/mode")
say() { echo "mg-testbed: $*"; }

finish() { # finish RESULT
        echo "$1" >"$OUT/result"
        say "scenario $NAME: $1"
        journalctl -q --no-pager -o export >"$OUT/journal.export" 2>&1
        journalctl -q --no-pager -o short-monotonic >"$OUT/journal.txt" 2>&1
        journalctl -q --no-pager -k -o short-monotonic >"$OUT/kernel.log" 2>&1
        systemctl status --no-pager memguard.service >"$OUT/memguard-status.txt" 2>&1
        sync
        umount "$D" || mount -o remount,ro "$D"
        sync
        systemctl poweroff --no-block
        exit 0
}

say "installing memguard and scenario $NAME"
cp -a "$D/root/." /
[ -d "$D/scenario/root" ] && cp -a "$D/scenario/root/." /
systemctl daemon-reload
# What a package's trigger does for the catalog `make install` staged.
journalctl --update-catalog

if [ "$MODE" = shell ]; then
        mkdir -p /etc/systemd/system/serial-getty@ttyS0.service.d
        printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %%I $TERM\n' \
                >/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf
        systemctl daemon-reload
        systemctl enable --now memguard.service
        systemctl restart serial-getty@ttyS0.service
        if [ -d "$D/scenario" ]; then
                say "shell mode: memguard is running; run the scenario with: bash $D/run-scenario.sh; bash $D/self-checks.sh; poweroff to leave"
        else
                say "shell mode: memguard is running; poweroff to leave"
        fi
        exit 0
fi

# A package scenario ($D/debs) installs memguard itself, with apt.
if [ ! -d "$D/debs" ]; then
        systemctl enable --now memguard.service
        if ! systemctl is-active -q memguard.service; then
                echo "not ok - memguard.service starts from the shipped unit" >"$OUT/checks"
                finish FAIL
        fi
        mg_pid=$(systemctl show -P MainPID memguard.service)
        echo "$mg_pid" >"$OUT/memguard-pid"
        say "memguard running as pid $mg_pid"
fi
T=$(cat "$D/timeout")
timeout -k 10 "$T" /bin/bash "$D/run-scenario.sh" >"$OUT/scenario.log" 2>&1
rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        echo "not ok - scenario finished within $T s" | tee -a "$OUT/scenario.log" >>"$OUT/checks"
elif [ $rc -ne 0 ]; then
        echo "not ok - scenario script ran to its end (exit status $rc)" | tee -a "$OUT/scenario.log" >>"$OUT/checks"
fi
# Self-protection: always, in a shell of its own, whatever became of the
# scenario (finished, failed, timed out, died).
timeout -k 10 60 /bin/bash "$D/self-checks.sh" >>"$OUT/scenario.log" 2>&1 ||
        echo "not ok - self-checks ran to the end" >>"$OUT/checks"
cat "$OUT/scenario.log"
if grep -q '^ok - ' "$OUT/checks" && ! grep -q '^not ok - ' "$OUT/checks"; then
        finish PASS
fi
finish FAIL
