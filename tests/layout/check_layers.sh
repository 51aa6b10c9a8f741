#!/usr/bin/env bash
# Fails when code reaches up the layers declared in layers.txt, or product code reaches tests/:
#   1. every #include "..." of every .c/.h (tracked or new) must name a file of its own layer
#      or of one it may use; a file outside every declared folder is an error too;
#   2. with BUILD_DIR: every sgx_ symbol a layer library leaves undefined must be defined by a
#      library of a layer it may use (an upward call that an include check cannot see);
#   3. with BUILD_DIR: the product executables' link lines name nothing from tests/.
# Usage: check_layers.sh SOURCE_DIR [BUILD_DIR]. Prints file:line for each violation.
set -euo pipefail
root=$(cd "${1:?usage: check_layers.sh SOURCE_DIR [BUILD_DIR]}" && pwd)
build=${2:-}
decl="$root/tests/layout/layers.txt"
cd "$root"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    files=$(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' | sort -u)
else
    files=$(find . -name '*.[ch]' -not -path './build*' -not -path './.*' | sed 's#^\./##' | sort)
fi
# Files listed in the index but deleted from the work tree are not checked.
files=$(for f in $files; do [ -f "$f" ] && echo "$f"; done)

# 1. Includes.
fail=0
# shellcheck disable=SC2086
awk -v decl="$decl" '
    BEGIN {
        while ((getline line < decl) > 0) {
            if (line ~ /^[ \t]*(#|$)/) continue
            n = split(line, w, /[ \t]+/)
            layer[++nl] = w[1]; allow[w[1], w[1]] = 1
            for (i = 2; i <= n; i++) allow[w[1], w[i]] = 1
        }
    }
    function layer_of(path,    i, best) {
        best = ""
        for (i = 1; i <= nl; i++)
            if (index(path, layer[i] "/") == 1 && length(layer[i]) > length(best)) best = layer[i]
        return best
    }
    FNR == 1 {
        me = layer_of(FILENAME)
        if (me == "") { printf "%s: not in any layer of tests/layout/layers.txt\n", FILENAME; bad = 1 }
    }
    me != "" && /^[ \t]*#[ \t]*include[ \t]*"/ {
        split($0, q, "\""); target = q[2]
        to = layer_of(target)
        if (to == "" && target !~ /\//) next   # generated header (build dir), not a layer
        if (to == "") {
            printf "%s:%d: includes \"%s\", which is in no declared layer\n", FILENAME, FNR, target
            bad = 1
        } else if (!((me, to) in allow)) {
            why = (to == "tests") ? "product code includes test code" : "upward include"
            printf "%s:%d: %s: %s (layer %s) may not include \"%s\" (layer %s)\n", \
                FILENAME, FNR, why, FILENAME, me, target, to
            bad = 1
        }
    }
    END { exit bad }
' $files || fail=1

if [ -n "$build" ]; then
    # 2. Symbols: a layer library may only rely on the libraries of layers it may use.
    layers=$(awk '!/^[ \t]*(#|$)/ {print $1}' "$decl")
    while read -r me allowed; do
        lib="$build/libsgx_${me//\//_}.a"
        [ -f "$lib" ] || continue
        own=$(nm -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u)
        need=$(nm -g -u "$lib" 2>/dev/null | awk '$1 == "U" && $2 ~ /^sgx_/ {print $2}' | sort -u |
            comm -23 - <(echo "$own"))
        [ -n "$need" ] || continue
        have=""
        for a in $allowed; do
            al="$build/libsgx_${a//\//_}.a"
            if [ -f "$al" ]; then
                have+=$(nm -g --defined-only "$al" | awk 'NF == 3 {print $3}')$'\n'
            fi
        done
        missing=$(comm -23 <(echo "$need") <(echo "$have" | sort -u))
        for s in $missing; do
            where=""
            for l in $layers; do
                al="$build/libsgx_${l//\//_}.a"
                if [ -f "$al" ] && nm -g --defined-only "$al" | awk -v s="$s" \
                    'NF == 3 && $3 == s {found = 1} END {exit !found}'; then
                    where=$(basename "$al")
                    break
                fi
            done
            echo "libsgx_${me//\//_}.a: calls $s, defined in ${where:-no layer library}: not a layer it may use"
            fail=1
        done
    done < <(grep -v '^[[:space:]]*\(#\|$\)' "$decl" | grep -v '^tests\b')

    # 3. Product executables link no test code.
    for exe in segexport segexport-emulator; do
        link="$build/CMakeFiles/$exe.dir/link.txt"
        [ -f "$link" ] || { echo "$link: missing (not a CMake build dir?)"; fail=1; continue; }
        if grep -Eq 'tests/|testkit' "$link"; then
            echo "$exe: its link line names test code: $(grep -Eo '[^ ]*(tests/|testkit)[^ ]*' "$link" | head -3 | tr '\n' ' ')"
            fail=1
        fi
    done
fi

if [ "$fail" -ne 0 ]; then
    echo "check_layers: FAIL (layers: tests/layout/layers.txt)"
    exit 1
fi
echo "check_layers: OK ($(echo "$files" | wc -l) files${build:+, layer libraries and product links})"
