#!/usr/bin/env bash
# `check` and `run` refuse the same configuration with the same message (run never starts on
# what check would reject); --online belongs to check only, and both list it where it applies.
#   test_check_cli.sh BUILD_DIR
set -u
bin="$(cd "$1" && pwd)/segexport"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0 passes=0
ok()   { passes=$((passes + 1)); }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
cat >"$dir/bad.yaml" <<YAML
kafka: {bootstrap.servers: "127.0.0.1:1", group.id: cli-check}
topics: [t]
dead_letter_topic: dlq
schema_registry: {url: "http://127.0.0.1:1"}
destinations:
  - name: meta
    type: facebook
    settings: {access_token: T, base_url: "http://127.0.0.1:1"}
    segments: {s1: ""}
YAML
msg="destination meta: segment 's1': empty custom audience id"
for cmd in check run; do
    timeout 60 "$bin" "$cmd" -c "$dir/bad.yaml" >"$dir/out" 2>&1; rc=$?
    [ "$rc" -eq 1 ] && ok || fail "$cmd on an empty Meta audience id exited $rc"
    grep -q "$msg" "$dir/out" && ok || fail "$cmd message: $(cat "$dir/out")"
    grep -q "running:" "$dir/out" && fail "$cmd started the pipeline" || ok
done
"$bin" check --help >"$dir/out" 2>&1 && grep -q -- "--online" "$dir/out" && ok \
    || fail "check --help does not list --online"
"$bin" run -c "$dir/bad.yaml" --online >"$dir/out" 2>&1; rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown option --online" "$dir/out" && ok \
    || fail "run --online: exit $rc, $(cat "$dir/out")"
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
