#!/usr/bin/env bash
# Builds one libFuzzer target with clang against the codecs and base, runs it for a fixed number of
# executions (not seconds: the same work on a fast or a slow machine, so a run is comparable and
# a finding reproducible from its count), then merges what added coverage into the seed corpus
# in the repository (tests/fuzz/corpus/<target>), so the corpus keeps growing: commit new files
# there when a run reports some.
# Usage: run.sh CLANG FUZZ_SOURCE OUTDIR [RUNS]   (RUNS default: $SGX_FUZZ_RUNS or 200000)
set -euo pipefail
clang=$1 src=$2 out=$3 runs=${4:-${SGX_FUZZ_RUNS:-200000}}
root=$(cd "$(dirname "$0")/../.." && pwd)
name=$(basename "$src" .c)
# The runtime is a separate Debian package from clang; say so instead of a linker error.
rt=$("$clang" -print-file-name=libclang_rt.fuzzer-x86_64.a)
if [ ! -f "$rt" ]; then
    echo "run.sh: clang's libFuzzer runtime ($rt) is missing: install Debian package" \
         "libclang-rt-14-dev (scripts/install-deps.sh does)" >&2
    exit 1
fi
work="$out/$name.corpus"
rm -rf "$work"
mkdir -p "$work"
# shellcheck disable=SC2046
"$clang" -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -I"$root" -I"$out/../generated" "$src" "$root"/codecs/*.c \
    "$root"/base/*.c \
    $(pkg-config --cflags --libs avro-c jansson libcrypto libxxhash libutf8proc libcurl) \
    -o "$out/$name"
seed="$root/tests/fuzz/corpus/$name"
mkdir -p "$seed"
before=$(find "$seed" -type f | wc -l)
# New inputs go to $work (first directory); the seeds are read only.
"$out/$name" -runs="$runs" -seed=1 -rss_limit_mb=2048 -print_final_stats=1 "$work" "$seed" \
    2>"$out/$name.log" || { tail -n 60 "$out/$name.log"; exit 1; }
done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log" | tail -n 1)
# Keep only what adds coverage beyond the seeds (libFuzzer's merge), in the repository.
"$out/$name" -merge=1 "$seed" "$work" >"$out/$name.merge.log" 2>&1 \
    || { tail -n 20 "$out/$name.merge.log"; exit 1; }
after=$(find "$seed" -type f | wc -l)
grep -E '^(stat::|#[0-9]+ +DONE)' "$out/$name.log" || true
echo "fuzz $name: ${done_runs:-?} executions (asked $runs), corpus $before -> $after files" \
     "in tests/fuzz/corpus/$name$([ "$after" -gt "$before" ] && echo ' (new coverage: commit them)')"
[ "${done_runs:-0}" -ge "$runs" ] || { echo "fuzz $name: fewer executions than asked" >&2; exit 1; }
