#!/usr/bin/env bash
# Installs the Debian packages segexport builds and tests with (group `build` of
# scripts/packages.txt), then checks they are all there. Idempotent: skips apt when every package
# is already present, so `make test` stays fast on a prepared machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/deps-lib.sh"
deps_install build
bash "$here/check-deps.sh" build
