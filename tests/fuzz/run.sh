#!/usr/bin/env bash
# Builds one libFuzzer target with clang against the codecs and runs it briefly.
# Usage: run.sh CLANG FUZZ_SOURCE OUTDIR [SECONDS]
set -euo pipefail
clang=$1 src=$2 out=$3 secs=${4:-${SGX_FUZZ_SECONDS:-15}}
root=$(cd "$(dirname "$0")/../.." && pwd)
name=$(basename "$src" .c)
mkdir -p "$out/$name.corpus"
# shellcheck disable=SC2046
"$clang" -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -I"$root" -I"$out/../generated" "$src" "$root"/codecs/*.c \
    "$root"/base/err.c "$root"/base/log.c \
    $(pkg-config --cflags --libs avro-c jansson libcrypto libxxhash libutf8proc libcurl) \
    -o "$out/$name"
seed="$root/tests/fuzz/corpus/$name"
dirs=("$out/$name.corpus")
[ -d "$seed" ] && dirs+=("$seed")
"$out/$name" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "${dirs[@]}"
