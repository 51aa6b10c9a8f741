#!/usr/bin/env bash
# Installs the Debian packages segexport builds and tests with. Idempotent: skips apt when
# every package is already present, so `make test` stays fast on a prepared machine.
set -euo pipefail
pkgs=(build-essential cmake pkg-config librdkafka-dev libavro-dev libmicrohttpd-dev
      libcurl4-openssl-dev libjansson-dev libxxhash-dev libutf8proc-dev libcmocka-dev
      libyaml-dev libssl-dev libzip-dev clang)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
