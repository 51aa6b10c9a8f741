#!/usr/bin/env bash
# The command line as an operator meets it: --help of every command exits 0 and names every
# flag, --version names the libraries, unknown flags and bad numbers are usage errors (exit 2),
# SIGHUP does not stop `run`, SIGTERM stops it gracefully (exit 0).
#   test_cli.sh BUILD_DIR
set -u
bin="$1/segexport"
fails=0 passes=0
ok()   { passes=$((passes + 1)); }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
expect_rc() { # expect_rc RC DESCRIPTION CMD...
    local want=$1 what=$2; shift 2
    "$@" >/tmp/cli.$$.out 2>&1; local rc=$?
    [ "$rc" -eq "$want" ] && ok || fail "$what: exit $rc, expected $want: $(head -c 300 /tmp/cli.$$.out)"
}
expect_out() { # expect_out WORD DESCRIPTION (greps the last output)
    grep -q -- "$1" /tmp/cli.$$.out && ok || fail "$2: output lacks '$1'"
}

expect_rc 0 "--help" "$bin" --help
for f in run check demo normalize --version; do expect_out "$f" "--help lists $f"; done
expect_rc 0 "-h" "$bin" -h
expect_rc 0 "--version" "$bin" --version
for lib in segexport librdkafka libcurl OpenSSL avro-c; do expect_out "$lib" "--version"; done
expect_rc 2 "no command" "$bin"
expect_rc 2 "unknown command" "$bin" frobnicate
for cmd in run check; do
    expect_rc 0 "$cmd --help" "$bin" "$cmd" --help
    for f in --config --log-level --log-format --help; do expect_out "$f" "$cmd --help lists $f"; done
    expect_rc 2 "$cmd unknown flag" "$bin" "$cmd" -c x.yaml --bogus
    expect_out "unknown option --bogus" "$cmd unknown flag message"
    expect_rc 2 "$cmd without -c" "$bin" "$cmd"
    expect_rc 2 "$cmd stray argument" "$bin" "$cmd" -c x.yaml extra
    expect_rc 2 "$cmd bad log level" "$bin" "$cmd" -c x.yaml --log-level loud
    expect_rc 2 "$cmd bad log format" "$bin" "$cmd" -c x.yaml --log-format xml
done
expect_rc 0 "demo --help" "$bin" demo --help
for f in --events --profiles --partitions --bad --seed --log-level --destinations --help; do
    expect_out "$f" "demo --help lists $f"
done
for bad in -5 abc 12x "" 99999999999999999999; do
    expect_rc 2 "demo --events '$bad'" "$bin" demo --events "$bad"
done
expect_rc 2 "demo unknown flag" "$bin" demo --bogus
expect_rc 2 "demo stray argument" "$bin" demo extra
expect_rc 0 "normalize --help" "$bin" normalize --help
for f in --destination --default-country; do expect_out "$f" "normalize --help lists $f"; done
expect_rc 2 "normalize unknown flag" "$bin" normalize --bogus

# run: SIGHUP is logged and ignored, SIGTERM stops it (no broker needed: nothing is assigned).
dir=$(mktemp -d)
cat >"$dir/c.yaml" <<YAML
kafka: {bootstrap.servers: "127.0.0.1:1", group.id: cli-test}
topics: [t]
dead_letter_topic: dlq
schema_registry: {url: "http://127.0.0.1:1"}
destinations:
  - name: meta
    type: facebook
    settings: {access_token: T, base_url: "http://127.0.0.1:1"}
    segments: {s1: "1"}
YAML
"$bin" run -c "$dir/c.yaml" >"$dir/run.log" 2>&1 &
pid=$!
# Start-up waits for the dead-letter producer; signals sent before that are only queued.
for _ in $(seq 1 300); do grep -q "running:" "$dir/run.log" && break; sleep 0.1; done
kill -HUP $pid
for _ in $(seq 1 50); do grep -q "SIGHUP ignored" "$dir/run.log" && break; sleep 0.1; done
kill -0 $pid 2>/dev/null && ok || fail "run died on SIGHUP"
grep -q "SIGHUP ignored" "$dir/run.log" && ok || fail "no log line for SIGHUP"
kill -TERM $pid
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
wait $pid; rc=$?
[ "$rc" -eq 0 ] && ok || fail "run after SIGTERM exited $rc: $(tail -3 "$dir/run.log")"

# demo: SIGTERM stops it gracefully with a summary (exit 128+15).
"$bin" demo --events 5000000 >"$dir/demo.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q "acknowledged [1-9]" "$dir/demo.log" && break; sleep 0.1; done
kill -TERM $pid
wait $pid; rc=$?
[ "$rc" -eq 143 ] && ok || fail "demo after SIGTERM exited $rc: $(tail -3 "$dir/demo.log")"
grep -q "interrupted by signal 15" "$dir/demo.log" && ok || fail "demo printed no summary"
grep -q "stopped (graceful)" "$dir/demo.log" && ok || fail "demo did not stop gracefully"
rm -rf "$dir" /tmp/cli.$$.out
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
