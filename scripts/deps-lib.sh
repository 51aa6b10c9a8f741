# Sourced by install-deps.sh, install-system-deps.sh and check-deps.sh: reads scripts/packages.txt
# so that what is installed and what is checked can never be two different lists.

deps_list="$(dirname "${BASH_SOURCE[0]}")/packages.txt"

# deps_entries GROUP...: prints the package field (PKG or PKG|ALT|...) of every entry in GROUPs.
deps_entries() {
    local g
    for g in "$@"; do
        awk -v g="$g" '$1 == g { print $2 }' "$deps_list"
    done
}

# deps_installed PKG: true when dpkg knows PKG as installed. grep reads all of dpkg's output
# (no -q): an early exit would kill dpkg with SIGPIPE, and under pipefail a long status (podman's)
# would then count as "not installed".
deps_installed() {
    dpkg -s "$1" 2>/dev/null | grep '^Status: install ok installed$' >/dev/null
}

# deps_missing GROUP...: prints, one a line, the first alternative of each entry of which no
# alternative is installed.
deps_missing() {
    local entry alt ok
    for entry in $(deps_entries "$@"); do
        ok=0
        for alt in ${entry//|/ }; do
            deps_installed "$alt" && { ok=1; break; }
        done
        [ $ok -eq 1 ] || echo "${entry%%|*}"
    done
}

# deps_install GROUP...: apt-get installs what deps_missing reports (nothing when complete).
deps_install() {
    local missing sudo=""
    mapfile -t missing < <(deps_missing "$@")
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
