#!/usr/bin/env bash
# Runs validate.py in its virtual environment (kubernetes-validate, jsonschema, PyYAML from PyPI,
# cached by tests/system/venv.sh; validation itself needs no network).
#   validate.sh SEGEXPORT SOURCE_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="$(bash "$here/../system/venv.sh" "$here/requirements.txt")"
exec "$py" "$here/validate.py" "$@"
