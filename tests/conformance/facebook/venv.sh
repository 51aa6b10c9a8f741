#!/usr/bin/env bash
# Creates (once) the virtual environment of the Meta conformance test and prints its python,
# cached under ${SGX_CACHE:-~/.cache/segexport} and keyed by requirements.txt's hash (the msads
# suite's venv.sh does the same for its own requirements).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SGX_CACHE:-$HOME/.cache/segexport}"
venv="$cache/venv-facebook-conf-$(sha256sum "$here/requirements.txt" | cut -c1-12)"
if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    mkdir -p "$cache"
    "$(command -v python3)" -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt" >&2
    touch "$venv/.complete"
fi
echo "$venv/bin/python"
