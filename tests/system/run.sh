#!/usr/bin/env bash
# ctest entry of the system tests: creates the venv (cached), then runs pytest over
# tests/system against the binaries in BUILD_DIR. Extra arguments go to pytest (e.g. -k poison).
#   tests/system/run.sh BUILD_DIR [pytest args...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?usage: run.sh BUILD_DIR [pytest args]}" && pwd)"
shift
export SGX_SOURCE_DIR="${SGX_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
export SGX_BUILD_DIR="$build"
export SGX_SYSTEM_WORK="${SGX_SYSTEM_WORK:-$build/system}"
rm -rf "$SGX_SYSTEM_WORK"
mkdir -p "$SGX_SYSTEM_WORK"
py="$(bash "$here/venv.sh")"
bash "$here/kafka.sh" fetch
cd "$here"
exec "$py" -m pytest -x -v "$@"
