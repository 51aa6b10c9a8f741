#!/usr/bin/env bash
# Verifies with `dpkg -s` that every package of the given groups of scripts/packages.txt is
# installed (default: all groups) and names each one that is not, with what needs it, instead of
# letting a build or a link fail later with a message that names a file. .ci/run calls it after
# the install scripts, so a green CI proves that the scripts installed everything: a package the
# build needs but the list lacks is the only way left to pass here and fail on a bare machine,
# and the fuzz targets' runtime check (tests/fuzz/run.sh) closes the one such gap we had.
#   check-deps.sh [build] [system] [deploy]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/deps-lib.sh"
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build system deploy)
mapfile -t missing < <(deps_missing "${groups[@]}")
if [ ${#missing[@]} -gt 0 ]; then
    for p in "${missing[@]}"; do
        why=$(awk -v p="$p" '{ split($2, a, "|"); if (a[1] == p) { $1 = ""; $2 = ""; sub(/^ +/, ""); print } }' "$deps_list")
        echo "check-deps: Debian package '$p' is not installed (needed for: $why)" >&2
    done
    echo "check-deps: run scripts/install-deps.sh and scripts/install-system-deps.sh (as root)" >&2
    exit 1
fi
n=$(deps_entries "${groups[@]}" | wc -l)
echo "check-deps: all $n packages of group(s) ${groups[*]} installed (dpkg -s)"
