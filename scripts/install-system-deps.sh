#!/usr/bin/env bash
# Installs what the system tests (tests/system, ctest label `system`) need beyond
# install-deps.sh: a Java runtime and Maven (a real Kafka broker from Maven Central jars) and
# python3-venv (confluent-kafka-python from PyPI in a virtual environment). Idempotent: skips apt
# when every package is present.
set -euo pipefail
pkgs=(default-jre-headless maven python3 python3-venv ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Any Java 17+ runtime will do (openjdk-17-jre-headless is what default-jre-headless means on
# Debian 12); do not install a second one when one is there.
if command -v java >/dev/null 2>&1; then
    missing=("${missing[@]/default-jre-headless}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
