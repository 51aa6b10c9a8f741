#!/usr/bin/env bash
# Creates (once) the virtual environment of the Criteo conformance test and
# prints its python: tests/system/venv.sh's approach with this folder's requirements.txt
# (cached under ${SGX_CACHE:-~/.cache/segexport}, keyed by the file's hash).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SGX_CACHE:-$HOME/.cache/segexport}"
key="$(sha256sum "$here/requirements.txt" | cut -c1-12)"
venv="$cache/venv-criteo-conf-$key"
py=/usr/bin/python3
[ -x "$py" ] || py="$(command -v python3)"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    mkdir -p "$cache"
    "$py" -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt" >&2
    touch "$venv/.complete"
fi
echo "$venv/bin/python"
