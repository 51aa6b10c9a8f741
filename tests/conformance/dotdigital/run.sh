#!/usr/bin/env bash
# Runs the Dotdigital conformance test: bash run.sh BUILD_DIR [pytest args].
# Needs Dotdigital's v2 OpenAPI description (README.md): $SGX_DD_OPENAPI, else
# ${SGX_CACHE:-~/.cache/segexport}/dotdigital-v2-swagger.json, else one fetched from Dotdigital
# into that cache. Without any, it exits 77 (ctest: skipped) and says why.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)"
shift
cache="${SGX_CACHE:-$HOME/.cache/segexport}"
spec="${SGX_DD_OPENAPI:-$cache/dotdigital-v2-swagger.json}"
url="https://r2-api.dotdigital.com/swagger/v1/swagger.json"
if [ ! -s "$spec" ]; then
    # only the cache is written to, never a path given in SGX_DD_OPENAPI
    if [ -n "${SGX_DD_OPENAPI:-}" ] || ! mkdir -p "$cache" ||
       ! curl -fsS --max-time 30 -o "$spec.tmp" "$url" 2>/dev/null; then
        rm -f "$spec.tmp"
        echo "SKIPPED: Dotdigital's v2 OpenAPI description is not at $spec and $url is out" \
             "of reach; see tests/conformance/dotdigital/README.md for where to get it" >&2
        exit 77
    fi
    mv "$spec.tmp" "$spec"
fi
echo "openapi description: $spec sha256 $(sha256sum "$spec" | cut -c1-64)" >&2
py="$(bash "$here/../../system/venv.sh" "$here/requirements.txt")"
cd "$here"
SGX_BUILD_DIR="$build" SGX_DD_OPENAPI="$spec" exec "$py" -m pytest -q -p no:cacheprovider "$@" \
    test_dd_openapi.py
