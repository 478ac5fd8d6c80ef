#!/usr/bin/env bash
# The layering of the sources (issue 15, DESIGN §5): src/STAGE/NAME.c and
# include/STAGE/NAME.h are one module, STAGE/NAME, and the stages run in
# pipeline order
#
#     util config read select sample rules act report daemon
#
# A file may include headers of its own stage and of earlier ones, never of
# a later one, and the modules' include graph has no cycle.
#
#   tests/layers.sh              checks; one summary line if all is well,
#                                else FILE:LINE: lines and exit 1
#   tests/layers.sh --dot        the module graph as Graphviz dot (stages
#                                as clusters, a backward include in red)
#   tests/layers.sh --self-test  checks the checker on scratch trees
#   tests/layers.sh --root DIR   checks DIR instead of this tree
#
# Reads every `#include "..."` line of src/*/*.c and include/*/*.h as it is
# written: one in a comment or under #if 0 counts too. An edge goes from
# module M to module H when M's .c or .h includes H's header (self-edges
# aside). The cycle search leaves out the edges that already break the
# stage order: a cycle across stages has one of them, and is reported once,
# as that include. Once the stage order holds, the whole graph is searched.
# Needs bash, coreutils, grep, sed and a POSIX awk (mawk will do).
set -u
export LC_ALL=C
STAGES="util config read select sample rules act report daemon"
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
root=$(cd "$(dirname "$0")/.." && pwd)
mode=check

usage() {
        echo "usage: tests/layers.sh [--dot | --self-test] [--root DIR]" >&2
        exit 2
}

while [ $# -gt 0 ]; do
        case $1 in
        --dot) mode='dot' ;;
        --self-test) mode='self-test' ;;
        --root) [ $# -ge 2 ] || usage; root=$2; shift ;;
        -h|--help) usage ;;
        *) echo "layers: unknown argument: $1" >&2; usage ;;
        esac
        shift
done

# The checker proper: awk reads the include lines of FILES (relative to
# the tree's top) and judges them in END, when it knows every module.
read -r -d '' CHECK <<'AWK'
function module_of(f,   m) {
        m = f
        sub(/^(src|include)\//, "", m)
        sub(/\.[ch]$/, "", m)
        return m
}
function stage_of(m) {
        return substr(m, 1, index(m, "/") - 1)
}
function problem(msg) {
        nproblems++
        if (mode == "check")
                print msg > "/dev/stderr"
}
# Depth first from U over the edges that keep the stage order; a grey
# successor closes a cycle: the stack from it to U.
function dfs(u,   i, v, j, line, why) {
        colour[u] = 1
        stack[++sp] = u
        pos[u] = sp
        for (i = 1; i <= deg[u]; i++) {
                v = adj[u, i]
                if (backward[u, v])
                        continue
                if (colour[v] == 1) {
                        line = "cycle:"
                        why = ""
                        for (j = pos[v]; j <= sp; j++) {
                                line = line " " stack[j] " ->"
                                why = why "\n    " witness[stack[j], j < sp ? stack[j + 1] : v]
                        }
                        problem(line " " v why)
                        ncycles++
                } else if (colour[v] == 0)
                        dfs(v)
        }
        sp--
        colour[u] = 2
}
BEGIN {
        nstages = split(stages, st, " ")
        for (i = 1; i <= nstages; i++)
                rank[st[i]] = i
        nfiles = split(files, fl, " ")
        for (i = 1; i <= nfiles; i++) {
                f = fl[i]
                m = module_of(f)
                if (f ~ /^include\//)
                        header[substr(f, 9)] = 1
                if (!(m in known)) {
                        known[m] = 1
                        mods[++nmods] = m
                }
                if (!(stage_of(m) in rank))
                        problem(f ": " stage_of(m) "/ is not a stage (" stages ")")
        }
        # insertion sort: a stable order for the search and the dot output
        for (i = 2; i <= nmods; i++) {
                m = mods[i]
                for (j = i - 1; j >= 1 && mods[j] > m; j--)
                        mods[j + 1] = mods[j]
                mods[j + 1] = m
        }
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
        h = $0
        sub(/^[^"]*"/, "", h)
        sub(/".*$/, "", h)
        where = FILENAME ":" FNR
        m = module_of(FILENAME)
        s = stage_of(m)
        if (!(s in rank))
                next
        if (split(h, part, "/") != 2 || part[2] !~ /^[^.]+\.h$/ || !(part[1] in rank)) {
                problem(where ": includes \"" h "\", not a stage header (STAGE/NAME.h)")
                next
        }
        if (!(h in header)) {
                problem(where ": includes \"" h "\", which is not under include/")
                next
        }
        hm = h
        sub(/\.h$/, "", hm)
        later = rank[part[1]] > rank[s]
        if (later)
                problem(where ": includes \"" h "\" of stage " part[1] ", later than " s)
        if (hm == m || ((m, hm) in witness))
                next
        witness[m, hm] = where ": includes \"" h "\""
        backward[m, hm] = later
        adj[m, ++deg[m]] = hm
        nedges++
}
END {
        if (mode == "dot") {
                print "digraph memguard {"
                print "        rankdir=LR;"
                print "        node [shape=box, fontname=\"monospace\"];"
                for (i = 1; i <= nstages; i++) {
                        print "        subgraph \"cluster_" st[i] "\" {"
                        print "                label=\"" st[i] "\";"
                        for (j = 1; j <= nmods; j++)
                                if (stage_of(mods[j]) == st[i])
                                        print "                \"" mods[j] "\";"
                        print "        }"
                }
                for (i = 1; i <= nmods; i++)
                        for (j = 1; j <= deg[mods[i]]; j++) {
                                v = adj[mods[i], j]
                                print "        \"" mods[i] "\" -> \"" v "\"" \
                                      (backward[mods[i], v] ? " [color=red]" : "") ";"
                        }
                print "}"
                exit 0
        }
        for (i = 1; i <= nmods; i++)
                if (colour[mods[i]] == 0)
                        dfs(mods[i])
        counts = nmods " modules, " (nedges + 0) " edges"
        if (nproblems) {
                print "layers: " nproblems " problem" (nproblems > 1 ? "s" : "") \
                      " (" counts ")" > "/dev/stderr"
                exit 1
        }
        print "layers: " counts ", no cycle, no stage includes a later one"
}
AWK

check_tree() {
        cd "$root" || exit 2
        shopt -s nullglob
        local files=(src/*/*.c include/*/*.h)
        if [ ${#files[@]} -eq 0 ]; then
                echo "layers: no src/*/*.c or include/*/*.h under $root" >&2
                exit 2
        fi
        awk -v mode="$mode" -v stages="$STAGES" -v files="${files[*]}" "$CHECK" "${files[@]}"
}

# ---- --self-test: the checker against scratch trees whose verdicts are
# known, and GNU tsort's verdict on the same graphs.
self_test() {
        local passed=0 failed=0 out rc t
        tmp=$(mktemp -d /tmp/memguard-layers.XXXXXX) || exit 2
        trap 'rm -rf "$tmp"' EXIT
        check() {
                local name=$1; shift
                if "$@"; then echo "ok - $name"; passed=$((passed + 1))
                else echo "not ok - $name"; failed=$((failed + 1))
                        printf '%s\n' "$out" | sed 's/^/    /'
                fi
        }
        # put TREE FILE LINE...: FILE in TREE, one include line per LINE
        put() {
                local t=$1 f=$2 l; shift 2
                mkdir -p "$t/$(dirname "$f")"
                : >"$t/$f"
                for l in "$@"; do printf '%s\n' "$l" >>"$t/$f"; done
        }
        run() { out=$("$self" --root "$@" 2>&1); rc=$?; }
        # has LINE: the last run printed LINE
        has() { grep -qxF -- "$1" <<<"$out"; }
        # tsort_loops TREE: GNU tsort finds a loop in TREE's graph (--dot)
        tsort_loops() {
                "$self" --root "$1" --dot | sed -n 's/^ *"\([^"]*\)" -> "\([^"]*\)".*/\1 \2/p' |
                        tsort 2>&1 >/dev/null | grep -q 'input contains a loop'
        }
        no_tsort_loop() { ! tsort_loops "$1"; }

        # A clean tree: a header-only module (util/cleanup), a module without
        # a header (daemon/main), self-includes, an edge from a header,
        # `#  include` spelt loosely, a system header, an edge seen twice.
        t=$tmp/clean
        put "$t" src/util/log.c '#include "util/log.h"'
        put "$t" include/util/log.h
        put "$t" include/util/cleanup.h
        put "$t" src/config/config.c '#include "config/config.h"' '#include "util/log.h"'
        put "$t" include/config/config.h '#include "util/cleanup.h"'
        put "$t" src/act/a.c '#include "act/a.h"' '#include "act/b.h"' '#include <stdio.h>'
        put "$t" include/act/a.h '#include "act/b.h"'
        put "$t" src/act/b.c '#include "act/b.h"' ' #  include "config/config.h"'
        put "$t" include/act/b.h
        put "$t" src/daemon/main.c '#include "config/config.h"' '#include "act/a.h"'
        run "$t"
        check "a clean tree passes" [ "$rc" -eq 0 ]
        check "with one line, its counts" [ "$out" = "layers: 6 modules, 6 edges, no cycle, no stage includes a later one" ]
        check "tsort finds no loop in it either" no_tsort_loop "$t"
        run "$t" --dot
        check "--dot: a digraph" has "digraph memguard {"
        check "--dot: its 6 edges" [ "$(grep -c -- ' -> ' <<<"$out")" -eq 6 ]

        # A cycle inside a stage, closed by headers:
        # act/a -> act/b -> act/c -> act/a.
        t=$tmp/cycle
        cp -r "$tmp/clean" "$t"
        put "$t" include/act/b.h '#include "act/c.h"'
        put "$t" include/act/c.h '#include "act/a.h"'
        run "$t"
        check "a cycle fails" [ "$rc" -eq 1 ]
        check "the cycle is printed in order" has "cycle: act/a -> act/b -> act/c -> act/a"
        check "each of its edges names its include" eval \
                'has "    src/act/a.c:2: includes \"act/b.h\"" &&
                 has "    include/act/b.h:1: includes \"act/c.h\"" &&
                 has "    include/act/c.h:1: includes \"act/a.h\""'
        check "the cycle is the one problem" has "layers: 1 problem (7 modules, 8 edges)"
        check "tsort finds the loop too" tsort_loops "$t"

        # A later stage's header, which here closes a cycle across stages
        # too (config/config -> act/a -> act/b -> config/config): reported
        # once, as the include.
        t=$tmp/backward
        cp -r "$tmp/clean" "$t"
        put "$t" src/config/config.c '#include "config/config.h"' '#include "util/log.h"' '#include "act/a.h"'
        run "$t"
        check "a later stage's header fails" [ "$rc" -eq 1 ]
        check "naming the file, the line and the header" \
                has 'src/config/config.c:3: includes "act/a.h" of stage act, later than config'
        check "the backward include is the one problem" has "layers: 1 problem (6 modules, 7 edges)"
        run "$t" --dot
        check "--dot draws it red" has '        "config/config" -> "act/a" [color=red];'

        # Headers that are not there or not a stage's, a folder that is
        # not a stage.
        t=$tmp/missing
        cp -r "$tmp/clean" "$t"
        put "$t" src/util/log.c '#include "util/log.h"' '#include "util/nope.h"' '#include "log.h"' '#include "extra/x.h"'
        put "$t" src/extra/x.c '#include "util/log.h"'
        run "$t"
        check "a missing header fails" [ "$rc" -eq 1 ]
        check "a header not under include/ is named" has 'src/util/log.c:2: includes "util/nope.h", which is not under include/'
        check "headers outside the stages are named" eval \
                'has "src/util/log.c:3: includes \"log.h\", not a stage header (STAGE/NAME.h)" &&
                 has "src/util/log.c:4: includes \"extra/x.h\", not a stage header (STAGE/NAME.h)"'
        check "a folder outside the stages is named" has "src/extra/x.c: extra/ is not a stage (util config read select sample rules act report daemon)"
        check "four problems, nothing else" has "layers: 4 problems (7 modules, 6 edges)"

        echo "layers self-test: $passed passed, $failed failed"
        [ "$failed" -eq 0 ]
}

case $mode in
self-test) self_test ;;
*) check_tree ;;
esac
