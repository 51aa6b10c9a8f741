#!/usr/bin/env bash
# Installs what the system tests (tests/system, ctest label `system`) need beyond
# install-deps.sh (group `system` of scripts/packages.txt): a Java runtime and Maven (a real Kafka
# broker from Maven Central jars) and python3-venv (confluent-kafka-python from PyPI in a virtual
# environment), and group `deploy`: podman, runc and mmdebstrap for building the container image
# in tests/deploy. Idempotent: skips apt when every package is present. Any Java 17+ runtime
# package listed as an alternative counts; none is installed twice.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/deps-lib.sh"
deps_install system deploy
bash "$here/check-deps.sh" system deploy
