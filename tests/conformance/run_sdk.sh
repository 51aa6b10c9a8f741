#!/usr/bin/env bash
# Runs one SDK conformance suite: bash run_sdk.sh SUITE_DIR TEST_FILE BUILD_DIR [pytest args].
# Its virtual environment holds SUITE_DIR/requirements.txt (the platform's official SDK from
# PyPI, pinned, and pytest), made once and cached by tests/system/venv.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
suite="$(cd "${1:?usage: run_sdk.sh SUITE_DIR TEST_FILE BUILD_DIR}" && pwd)"
test_file="${2:?usage: run_sdk.sh SUITE_DIR TEST_FILE BUILD_DIR}"
build="$(cd "${3:?usage: run_sdk.sh SUITE_DIR TEST_FILE BUILD_DIR}" && pwd)"
shift 3
py="$(bash "$here/../system/venv.sh" "$suite/requirements.txt")"
cd "$suite"
SGX_BUILD_DIR="$build" exec "$py" -m pytest -q -p no:cacheprovider "$@" "$test_file"
