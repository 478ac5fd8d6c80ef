#!/usr/bin/env bash
# tests/hardening.sh BINARY: the hardening the shipped memguard is built
# with, read from the ELF file itself (readelf, nm), as Debian's
# hardening-check does: a position-independent executable, full RELRO (a
# GNU_RELRO segment and BIND_NOW: the GOT is read-only before main), the
# stack protector (__stack_chk_fail is called), and fortified libc calls
# (_FORTIFY_SOURCE: __*_chk functions are called). One line per property;
# exit status 1 if any is missing.
set -u
bin=$1
fail=0
say() { # say OK NAME
        if [ "$1" = 0 ]; then echo "ok - hardening: $2"; else echo "not ok - hardening: $2"; fail=1; fi
}
[ -r "$bin" ] || { echo "hardening: cannot read $bin" >&2; exit 1; }
hdr=$(readelf -h "$bin") dyn=$(readelf -d "$bin") seg=$(readelf -lW "$bin") syms=$(nm -D "$bin")
grep -q 'Type: *DYN' <<<"$hdr" && grep -q 'FLAGS_1.*PIE' <<<"$dyn"
say $? "position-independent executable (ELF type DYN, DF_1_PIE)"
grep -q GNU_RELRO <<<"$seg"
say $? "RELRO (a GNU_RELRO segment)"
grep -qE 'BIND_NOW|FLAGS_1.*NOW' <<<"$dyn"
say $? "... full: BIND_NOW"
grep -qw __stack_chk_fail <<<"$syms"
say $? "stack protector (__stack_chk_fail)"
n=$(grep -cE ' U __[a-z]+_chk(@|$)' <<<"$syms")
say $(( n > 0 ? 0 : 1 )) "fortified libc calls ($n __*_chk functions)"
grep GNU_STACK <<<"$seg" | grep -qv RWE
say $? "non-executable stack (GNU_STACK not RWE)"
exit $fail
