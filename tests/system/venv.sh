#!/usr/bin/env bash
# Creates (once) the virtual environment the system tests run in and prints its python.
# `venv.sh REQUIREMENTS` does the same for another requirements file (tests/deploy uses it).
# The environment is cached under ${SGX_CACHE:-~/.cache/segexport}, keyed by the requirements
# file's content, so later runs reuse it. Uses Debian's /usr/bin/python3 (python3-venv) when
# present.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SGX_CACHE:-$HOME/.cache/segexport}"
req="${1:-$here/requirements.txt}"
key="$(sha256sum "$req" | cut -c1-12)"
venv="$cache/venv-$key"
py=/usr/bin/python3
[ -x "$py" ] || py="$(command -v python3)"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    mkdir -p "$cache"
    "$py" -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
    touch "$venv/.complete"
fi
echo "$venv/bin/python"
