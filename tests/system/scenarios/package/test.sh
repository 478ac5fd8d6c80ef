# shellcheck shell=bash
# package (issue 18): memguard from its Debian package, as an operator
# installs it. apt install ./memguard_V_ARCH.deb (its dependencies are the
# guest's own packages) enables and starts the hardened unit; memguard acts
# on a leak (a restart over D-Bus); an edited /etc/memguard.conf survives
# an upgrade to a rebuilt package of a higher version, which restarts the
# daemon; apt remove stops it and keeps the configuration; apt purge then
# leaves no file of the package and no process. run.sh
# built the packages with make deb (lintian clean) into debs/1 and debs/2.
export DEBIAN_FRONTEND=noninteractive
deb1=$(ls "$D"/debs/1/memguard_*.deb)
deb2=$(ls "$D"/debs/2/memguard_*.deb)
v1=$(dpkg-deb -f "$deb1" Version) v2=$(dpkg-deb -f "$deb2" Version)
log "packages: ${deb1##*/} ($v1), ${deb2##*/} ($v2)"
conffile=/etc/memguard.conf
# memguard's files outside the data disk and the kernel's trees, the
# package's or not (a name with memguard in it)
memguard_files() {
        find / -xdev \( -path /mnt -o -path /proc -o -path /sys -o -path /dev \) -prune -o \
                -name '*memguard*' -print 2>/dev/null | sort
}
memguard_files >"$OUT/files-before-install.txt"

# --- install ---------------------------------------------------------------
cp "$deb1" "$deb2" /root/
cd /root || exit 1
check "apt install ./${deb1##*/} (dependencies from the guest's packages)" \
        eval 'apt-get install -y ./"${deb1##*/}" >"$OUT/apt-install.log" 2>&1'
grep -v "Reading database" "$OUT/apt-install.log" | sed 's/^/    /' | tail -n 10
check "... installed at version $v1" [ "$(dpkg-query -W -f='${Status} ${Version}' memguard)" = "install ok installed $v1" ]
dpkg -L memguard >"$OUT/dpkg-L.txt"
check "... with the daemon, the unit in /lib/systemd/system, the conffile, the drop-in directory, the catalog and the manual pages" \
        eval 'for f in /usr/sbin/memguard /lib/systemd/system/memguard.service $conffile /etc/memguard.conf.d \
                       /usr/lib/systemd/catalog/memguard.catalog /usr/share/man/man8/memguard.8.gz \
                       /usr/share/man/man5/memguard.conf.5.gz /usr/share/doc/memguard/copyright; do
                      grep -qx "$f" "$OUT/dpkg-L.txt" && [ -e "$f" ] || exit 1; done'
check "... /etc/memguard.conf is a conffile" eval 'dpkg-query -W -f="\${Conffiles}" memguard | grep -q "^ $conffile "'
check "memguard.service is enabled and started by the package" \
        eval 'systemctl is-enabled -q memguard.service && wait_until 20 systemctl is-active -q memguard.service'
check "... it runs the packaged binary, version $v1" \
        eval '[ "$(readlink /proc/$(unit_prop memguard.service MainPID)/exe)" = /usr/sbin/memguard ] &&
              memguard --version | grep -qF "$v1"'
mg_begin
check "the package's catalog is in journald's database (systemd's trigger)" \
        eval 'journalctl --list-catalog $MID_STARTED | grep -q "memguard: memguard started"'

# --- acting on a leak --------------------------------------------------------
# An operator's drop-in: a budget for one service, applied with a reload.
cat >/etc/memguard.conf.d/50-package.conf <<'CONF'
[rule pkg-budget]
unit = mg-pkg-api.service
when = unit.memory > 200M
action = restart
CONF
systemctl reload memguard.service
check "a drop-in is taken on reload" \
        wait_until 10 eval 'mg_journal -o cat MESSAGE_ID=$MID_CONFIG_RELOADED | grep -q "configuration reloaded"'
systemctl start mg-pkg-api.service
apid=$(unit_prop mg-pkg-api.service MainPID)
check "the packaged memguard restarts a leaking service at its budget (job done)" \
        wait_until 60 journal_has MESSAGE_ID=$MID_RESTART_DONE MEMGUARD_UNIT=mg-pkg-api.service MEMGUARD_JOB_RESULT=done
mg_journal -o cat MEMGUARD_RULE=pkg-budget | sed 's/^/    /'
check "... a new process runs it" eval 'n=$(unit_prop mg-pkg-api.service MainPID); [ "$n" -gt 0 ] && [ "$n" != "$apid" ]'
systemctl stop mg-pkg-api.service

# --- upgrade, with an edited conffile -----------------------------------------
# The operator's edit: a rule of their own at the end of the main file.
printf '\n# added by the operator (package scenario)\n[rule operator-edit]\nwhen = mem.available < 1%%\naction = warn\n' \
        >>$conffile
systemctl reload memguard.service
sha_edit=$(sha256sum <$conffile)
pid1=$(unit_prop memguard.service MainPID)
check "apt install ./${deb2##*/}: an upgrade to $v2" \
        eval 'apt-get install -y ./"${deb2##*/}" >"$OUT/apt-upgrade.log" 2>&1 &&
              [ "$(dpkg-query -W -f="\${Status} \${Version}" memguard)" = "install ok installed $v2" ]'
grep -v "Reading database" "$OUT/apt-upgrade.log" | sed 's/^/    /' | tail -n 6
check "... the edited /etc/memguard.conf is kept as it was (no .dpkg-new, .dpkg-dist or .dpkg-old beside it)" \
        eval '[ "$(sha256sum <$conffile)" = "$sha_edit" ] && ! ls $conffile.dpkg-* 2>/dev/null | grep -q .'
check "... and the operator's drop-in" [ -s /etc/memguard.conf.d/50-package.conf ]
check "... memguard was restarted by the upgrade: a new process, version $v2" \
        wait_until 20 eval 'p=$(unit_prop memguard.service MainPID); [ "$p" -gt 0 ] && [ "$p" != "$pid1" ] &&
                           systemctl is-active -q memguard.service && memguard --version | grep -qF "$v2"'
unit_prop memguard.service MainPID >"$MG_PID_FILE"
check "... running with the edited configuration (memguard status lists operator-edit)" \
        wait_until 10 eval 'memguard status 2>/dev/null | grep -q "^operator-edit "'

# The self-checks of every scenario, while memguard is still installed.
mg_end

# --- purge ---------------------------------------------------------------------
rm -f /root/memguard_*.deb # (the operator's downloads, not the package's)
# remove first: the daemon stops, the configuration stays (state rc)
check "apt remove memguard: memguard is stopped, its configuration kept" \
        eval 'apt-get remove -y memguard >"$OUT/apt-remove.log" 2>&1 &&
              [ "$(dpkg-query -W -f="\${db:Status-Abbrev}" memguard | cut -c1-2)" = rc ] &&
              ! pgrep -x memguard >/dev/null && [ "$(sha256sum <$conffile)" = "$sha_edit" ]'
check "apt purge memguard" eval 'apt-get purge -y memguard >"$OUT/apt-purge.log" 2>&1'
grep -v "Reading database" "$OUT/apt-purge.log" | sed 's/^/    /' | tail -n 6
check "... the package is gone from dpkg's database, conffiles too" \
        eval '[ -z "$(dpkg-query -W -f="\${db:Status-Abbrev}" memguard 2>/dev/null | tr -d " ")" ] ||
              [ "$(dpkg-query -W -f="\${db:Status-Abbrev}" memguard 2>/dev/null | cut -c1-2)" = un ]'
check "... no memguard process is left" eval '! pgrep -x memguard >/dev/null'
memguard_files >"$OUT/files-after-purge.txt"
sed 's/^/    left: /' "$OUT/files-after-purge.txt"
# what is left is what was there before, and the directory of the
# operator's drop-in (dpkg leaves a directory that is not empty, and says so)
{
        cat "$OUT/files-before-install.txt"
        echo /etc/memguard.conf.d
} | sort -u >"$OUT/files-expected.txt"
check "... no file of the package is left: only the directory of the operator's drop-in" \
        diff -u "$OUT/files-expected.txt" "$OUT/files-after-purge.txt"
check "... which keeps the drop-in, and nothing else" \
        [ "$(ls -A /etc/memguard.conf.d)" = 50-package.conf ]
check "... nor its catalog in journald's database" \
        eval '! journalctl --list-catalog $MID_STARTED 2>/dev/null | grep -q memguard'
rm -r /etc/memguard.conf.d
