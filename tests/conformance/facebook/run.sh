#!/usr/bin/env bash
# Runs the Meta conformance test: bash run.sh BUILD_DIR [pytest args].
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)"
shift
py="$(bash "$here/venv.sh")"
cd "$here"
SGX_BUILD_DIR="$build" exec "$py" -m pytest -q -p no:cacheprovider "$@" test_facebook_sdk.py
