#!/usr/bin/env bash
# The journal catalog, systemd/memguard.catalog (issue 16), against the
# sources: `journalctl -x` explains an entry only if the catalog has its
# MESSAGE_ID, and shows a field's name where an entry lacks it.
#
#   tests/catalog.sh              checks; one summary line if all is well,
#                                 else FILE:LINE: lines and exit 1
#   tests/catalog.sh --self-test  checks the checker on scratch trees
#   tests/catalog.sh --root DIR   checks DIR instead of this tree
#
# Fails when
#   - a MESSAGE_ID of message_ids[] in src/util/log.c has no entry, or an
#     entry's id is none of them, or an id has two entries;
#   - an entry has no Subject:, Defined-By: memguard or Documentation:
#     header, or no text;
#   - the text substitutes a field (@NAME@) that memguard never sends: the
#     fields are the "MEMGUARD_*" string literals of src/ (fields_build()
#     in log.c), or names a MEMGUARD_ field in a form journalctl does not
#     substitute (only A-Z and _ between the @: @MEMGUARD_PSI_SOME_AVG10@
#     would show as it is written);
#   - journalctl, where there is one, cannot read the file, or does not
#     list every id as memguard's after `journalctl --update-catalog` in
#     a scratch root.
# The catalog is read as systemd reads it (src/libsystemd/sd-journal/
# catalog.c): a line starting with # or ; is a comment anywhere, an entry
# starts at "-- " and 32 hex digits after an empty line (a language may
# follow), its headers run to the first empty line. @NAME@ is found as
# replace_var() finds it: at each @, capital letters and _ up to the next @.
# Which fields every entry of a kind carries is not checked here: the
# catalog's head comment says how its entries were written.
# Needs bash, coreutils, grep, sed and a POSIX awk (mawk will do).
set -u
export LC_ALL=C
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
root=$(cd "$(dirname "$0")/.." && pwd)
mode=check
CATALOG=systemd/memguard.catalog

usage() {
        echo "usage: tests/catalog.sh [--self-test] [--root DIR]" >&2
        exit 2
}

while [ $# -gt 0 ]; do
        case $1 in
        --self-test) mode='self-test' ;;
        --root) [ $# -ge 2 ] || usage; root=$2; shift ;;
        -h|--help) usage ;;
        *) echo "catalog: unknown argument: $1" >&2; usage ;;
        esac
        shift
done

# The checker: awk reads the catalog with the ids and the field names in
# variables, prints problems as FILE:LINE: lines, and on success the
# number of entries on stdout.
read -r -d '' CHECK <<'AWK'
function problem(msg) {
        nproblems++
        print msg > "/dev/stderr"
}
function end_entry() {
        if (cur == "")
                return
        if (!has["Subject:"])
                problem(where ": entry " cur ": no Subject:")
        if (!has["Defined-By:"])
                problem(where ": entry " cur ": no Defined-By:")
        else if (definedby != "memguard")
                problem(where ": entry " cur ": Defined-By: " definedby ", not memguard")
        if (!has["Documentation:"])
                problem(where ": entry " cur ": no Documentation:")
        if (!text)
                problem(where ": entry " cur ": no text after the headers")
        cur = ""
}
# The @NAME@ of LINE as replace_var() takes them.
function fields_of(line, lineno,   i, n, c, rest, name) {
        n = length(line)
        for (i = 1; i <= n; i++) {
                if (substr(line, i, 1) != "@")
                        continue
                rest = substr(line, i + 1)
                if (!match(rest, /^[A-Z_]+@/))
                        continue
                name = substr(rest, 1, RLENGTH - 1)
                if (!(name in field))
                        problem(FILENAME ":" lineno ": @" name "@ is not a field memguard sends")
                used[name] = 1
                i += RLENGTH
        }
        # a MEMGUARD_ name journalctl would leave as it is
        rest = line
        while (match(rest, /@MEMGUARD_[A-Za-z0-9_]*@/)) {
                name = substr(rest, RSTART + 1, RLENGTH - 2)
                if (name ~ /[^A-Z_]/)
                        problem(FILENAME ":" lineno ": @" name "@ is not substituted by journalctl (only A-Z and _ between the @)")
                rest = substr(rest, RSTART + RLENGTH - 1)
        }
}
BEGIN {
        nids = split(ids, idl, " ")
        for (i = 1; i <= nids; i++)
                want[idl[i]] = 1
        nf = split(fields, fl, " ")
        for (i = 1; i <= nf; i++)
                field[fl[i]] = 1
        empty = 1
}
{
        line = $0
        if (line == "") {
                empty = 1
                if (cur != "")
                        inheader = 0
                next
        }
        if (line ~ /^[#;]/)
                next
        # "-- " and 32 hex digits, then the end or a space (no {32}: mawk)
        if (empty && substr(line, 1, 3) == "-- " && substr(line, 4, 32) ~ /^[0-9a-fA-F]+$/ &&
            length(substr(line, 4, 32)) == 32 && (length(line) == 35 || substr(line, 36, 1) == " ")) {
                end_entry()
                cur = tolower(substr(line, 4, 32))
                lang = substr(line, 36)
                sub(/^ +/, "", lang)
                where = FILENAME ":" FNR
                key = cur (lang == "" ? "" : " " lang)
                if (key in seen)
                        problem(where ": entry " key " again (first at line " seen[key] ")")
                seen[key] = FNR
                if (!(cur in want))
                        problem(where ": entry " cur ": not a MESSAGE_ID of src/util/log.c")
                else if (lang == "")
                        found[cur] = 1
                delete has
                definedby = ""
                inheader = 1
                text = 0
                nentries++
                empty = 0
                next
        }
        empty = 0
        if (cur == "") {
                problem(FILENAME ":" FNR ": text before the first entry (journalctl refuses the file)")
                next
        }
        if (inheader && match(line, /^[A-Za-z-]+:/)) {
                h = substr(line, 1, RLENGTH)
                v = substr(line, RLENGTH + 1)
                sub(/^[ \t]+/, "", v)
                sub(/[ \t]+$/, "", v)
                if (v != "")
                        has[h] = 1
                if (h == "Defined-By:")
                        definedby = v
        } else if (inheader) {
                problem(FILENAME ":" FNR ": entry " cur ": \"" line "\" among the headers (an empty line must come first)")
        } else
                text = 1
        fields_of(line, FNR)
}
END {
        end_entry()
        for (i = 1; i <= nids; i++)
                if (!(idl[i] in found))
                        problem(FILENAME ": no entry for " idl[i])
        if (nproblems) {
                print "catalog: " nproblems " problem" (nproblems > 1 ? "s" : "") > "/dev/stderr"
                exit 1
        }
        print nentries + 0
}
AWK

check_tree() {
        cd "$root" || exit 2
        local log=src/util/log.c ids names fields n
        if [ ! -f "$log" ] || [ ! -f "$CATALOG" ]; then
                echo "catalog: no $log or $CATALOG under $root" >&2
                exit 2
        fi
        # message_ids[]: [EVENT_X] = "32 hex digits", EVENT_NONE's "" aside
        ids=$(sed -n 's/^[[:space:]]*\[EVENT_[A-Z_]*\][[:space:]]*=[[:space:]]*"\([0-9a-f]\{32\}\)".*/\1/p' "$log")
        if [ -z "$ids" ]; then
                echo "catalog: no MESSAGE_ID found in $log (message_ids[])" >&2
                exit 2
        fi
        fields=$(grep -rhoE '"MEMGUARD_[A-Z0-9_]+"' src | tr -d '"' | sort -u)
        n=$(awk -v ids="$(echo $ids)" -v fields="$(echo $fields)" "$CHECK" "$CATALOG") || exit 1
        local via=""
        if command -v journalctl >/dev/null; then
                via=$(journal_check "$ids") || exit 1
        else
                via=", journalctl not found: not read by systemd"
        fi
        echo "catalog: $n entries, one per MESSAGE_ID of $log, fields from src/$via"
}

# journal_check IDS: journalctl builds its database from the catalog alone
# in a scratch root and lists every id as memguard's.
journal_check() {
        local ids=$1 t out id bad=0
        t=$(mktemp -d /tmp/memguard-catalog.XXXXXX) || exit 2
        mkdir -p "$t/usr/lib/systemd/catalog"
        cp "$CATALOG" "$t/usr/lib/systemd/catalog/memguard.catalog"
        if ! out=$(journalctl --update-catalog --root="$t" 2>&1); then
                echo "$CATALOG: journalctl --update-catalog refuses it:" >&2
                printf '%s\n' "$out" | sed 's/^/    /' >&2
                rm -rf "$t"
                return 1
        fi
        if ! out=$(journalctl --root="$t" --list-catalog 2>&1); then
                echo "$CATALOG: journalctl --list-catalog fails after the update:" >&2
                printf '%s\n' "$out" | sed 's/^/    /' >&2
                rm -rf "$t"
                return 1
        fi
        rm -rf "$t"
        for id in $ids; do
                if ! grep -q "^$id memguard: ." <<<"$out"; then
                        echo "$CATALOG: journalctl --list-catalog does not show $id as memguard's" >&2
                        bad=1
                fi
        done
        [ "$(grep -c . <<<"$out")" -eq "$(wc -w <<<"$ids")" ] || {
                echo "$CATALOG: journalctl lists $(grep -c . <<<"$out") entries for $(wc -w <<<"$ids") ids" >&2
                bad=1
        }
        [ $bad -eq 0 ] || return 1
        echo ", journalctl $(journalctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') reads it"
}

# ---- --self-test: the checker against scratch trees whose verdicts are
# known.
self_test() {
        local passed=0 failed=0 out rc t
        tmp=$(mktemp -d /tmp/memguard-catalog-self.XXXXXX) || exit 2
        trap 'rm -rf "$tmp"' EXIT
        check() {
                local name=$1; shift
                if "$@"; then echo "ok - $name"; passed=$((passed + 1))
                else echo "not ok - $name"; failed=$((failed + 1))
                        printf '%s\n' "$out" | sed 's/^/    /'
                fi
        }
        run() { out=$("$self" --root "$@" 2>&1); rc=$?; }
        # has TEXT: a line of the last run's output contains TEXT
        has() { grep -qF -- "$1" <<<"$out"; }
        A=0123456789abcdef0123456789abcdef
        B=fedcba9876543210fedcba9876543210
        C=00112233445566778899aabbccddeeff
        # entry ID [SUBJECT [DEFINED-BY [DOCUMENTATION [TEXT]]]]: an entry's
        # lines; "-" leaves a header out.
        entry() {
                local s=${2:-A subject} d=${3:-memguard} doc=${4:-man:memguard(8)}
                local text=${5:-What happened to @MEMGUARD_RULE@.}
                printf '\n-- %s\n' "$1"
                [ "$s" = - ] || printf 'Subject: %s\n' "$s"
                [ "$d" = - ] || printf 'Defined-By: %s\n' "$d"
                printf 'Support: man:memguard(8)\n'
                [ "$doc" = - ] || printf 'Documentation: %s\n' "$doc"
                [ "$text" = - ] || printf '\n%s\n' "$text"
        }
        # tree NAME: a tree with log.c's ids A and B and two fields
        tree() {
                t=$tmp/$1
                mkdir -p "$t/src/util" "$t/src/act" "$t/systemd"
                cat >"$t/src/util/log.c" <<EOF
static const char *const message_ids[_EVENT_MAX] = {
        [EVENT_NONE] = "",
        [EVENT_STARTED] = "$A",
        [EVENT_STOPPED] = "$B",
};
static void fields_build(void) { field_add(fb, "MEMGUARD_RULE", "%s", r); }
EOF
                echo 'f.x = "MEMGUARD_PSI_SOME_AVG10";' >"$t/src/act/fields.c"
                printf '# a comment\n; another\n' >"$t/$CATALOG"
        }

        tree clean
        { entry $A; entry $B "Stopped" memguard "man:memguard(8) man:memguard.conf(5)" \
                'Rule @MEMGUARD_RULE@; mail user@host.example, not a field.
# a comment inside the text'; } >>"$t/$CATALOG"
        run "$t"
        check "a catalog with every id passes" [ "$rc" -eq 0 ]
        check "with one line, its count" has "catalog: 2 entries, one per MESSAGE_ID of src/util/log.c"
        if command -v journalctl >/dev/null; then
                check "journalctl reads it" has ", journalctl "
        fi

        tree missing
        entry $A >>"$t/$CATALOG"
        run "$t"
        check "a MESSAGE_ID without an entry fails" [ "$rc" -eq 1 ]
        check "naming the id" has "no entry for $B"

        tree extra
        { entry $A; entry $B; entry $C; } >>"$t/$CATALOG"
        run "$t"
        check "an entry for an id memguard does not have fails" [ "$rc" -eq 1 ]
        check "naming the file, the line and the id" has "$CATALOG:20: entry $C: not a MESSAGE_ID of src/util/log.c"

        tree twice
        { entry $A; entry $B; entry $A "Again"; } >>"$t/$CATALOG"
        run "$t"
        check "an id with two entries fails" [ "$rc" -eq 1 ]
        check "saying where the first was" has "entry $A again (first at line 4)"

        tree headers
        { entry $A -; entry $B "S" - -; } >>"$t/$CATALOG"
        run "$t"
        check "entries without Subject, Defined-By, Documentation fail" [ "$rc" -eq 1 ]
        check "each missing header named" eval \
                'has "entry $A: no Subject:" && has "entry $B: no Defined-By:" && has "entry $B: no Documentation:"'
        check "three problems, nothing else" has "catalog: 3 problems"

        tree other
        { entry $A "S" systemd; entry $B "S" memguard man:x "-"; } >>"$t/$CATALOG"
        run "$t"
        check "Defined-By: other than memguard, or no text, fails" eval \
                '[ "$rc" -eq 1 ] && has "entry $A: Defined-By: systemd, not memguard" && has "entry $B: no text after the headers"'

        tree fields
        { entry $A "Rule @MEMGUARD_RULE@ on @MEMGUARD_UNIT@"
          entry $B "S" memguard man:x 'PSI @MEMGUARD_PSI_SOME_AVG10@, @Lower@ and @@ and @_SYSTEMD_UNIT@'; } >>"$t/$CATALOG"
        run "$t"
        check "a field memguard never sends fails" [ "$rc" -eq 1 ]
        check "... in a header too, with its line" has "$CATALOG:5: @MEMGUARD_UNIT@ is not a field memguard sends"
        check "... any field, not only MEMGUARD_ ones" has "@_SYSTEMD_UNIT@ is not a field memguard sends"
        check "a field journalctl would not substitute fails" \
                has "@MEMGUARD_PSI_SOME_AVG10@ is not substituted by journalctl"
        check "three problems, nothing else" has "catalog: 3 problems"

        tree order
        { echo 'Subject: loose'; entry $A; entry $B; printf -- '-- %s\nText: among headers\n' "$C"; } >>"$t/$CATALOG"
        sed -i "/^-- $B/{n;s/^Subject: .*/Subject: S\nnot a header/}" "$t/$CATALOG"
        run "$t"
        check "text before the first entry fails" has "$CATALOG:3: text before the first entry"
        check "a non-header line among the headers fails" has "entry $B: \"not a header\" among the headers"
        check "\"-- ID\" right after text is text, not an entry" eval '! has "$C"'

        echo "catalog self-test: $passed passed, $failed failed"
        [ "$failed" -eq 0 ]
}

case $mode in
self-test) self_test ;;
*) check_tree ;;
esac
