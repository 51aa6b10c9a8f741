#!/usr/bin/env bash
# Prints, one a line, the Debian packages that ship the shared libraries BINARY links against
# directly (its DT_NEEDED entries, resolved the way the loader resolves them). The Containerfile's
# runtime stage installs exactly these (apt brings their own dependencies), so the image follows
# the binary when a library is added or dropped instead of a second hand-kept list.
#   runtime-packages.sh BINARY
set -euo pipefail
bin="$1"
[ -x "$bin" ] || { echo "runtime-packages: $bin is not an executable" >&2; exit 1; }
mapfile -t needed < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ ${#needed[@]} -gt 0 ] || { echo "runtime-packages: $bin has no NEEDED entries" >&2; exit 1; }
for lib in "${needed[@]}"; do
    path=$(ldd "$bin" | awk -v l="$lib" '$1 == l && $3 ~ /^\// { print $3 }')
    [ -n "$path" ] || { echo "runtime-packages: $lib not found by the loader" >&2; exit 1; }
    # Merged /usr: dpkg may know the file under /lib or /usr/lib, so ask for both spellings.
    real=$(readlink -f "$path")
    pkg=$({ dpkg -S "$path" "$real" "${real#/usr}" 2>/dev/null || true; } | head -n1 | cut -d: -f1)
    [ -n "$pkg" ] || { echo "runtime-packages: no Debian package owns $path" >&2; exit 1; }
    echo "$pkg"
done | sort -u
