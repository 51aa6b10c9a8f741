#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, combined broker+controller) for the system tests and
# for trying segexport by hand. The jars come from Maven Central (tests/system/pom.xml) and are
# cached in ${SGX_CACHE:-~/.cache/segexport}/kafka-<version>; every `start` formats a fresh log
# dir unless --keep-data is given (used to restart the same broker).
#
#   kafka.sh start [--keep-data]   starts it, waits until it serves requests, prints the bootstrap
#   kafka.sh stop                  SIGTERM (controlled shutdown), SIGKILL after 30 s
#   kafka.sh kill                  SIGKILL
#   kafka.sh status                prints the bootstrap address and exits 0 when it runs, else 1
#   kafka.sh fetch                 only downloads the jars
#
# Environment: KAFKA_PORT (default 19092), KAFKA_CONTROLLER_PORT (default KAFKA_PORT+1),
# KAFKA_STATE_DIR (default /tmp/segexport-kafka-$KAFKA_PORT: pid, config, logs, data),
# KAFKA_OWNER_PID (when set, a watchdog stops the broker as soon as that process is gone, so an
# interrupted or killed test run never leaves a broker behind), KAFKA_HEAP (default 512m).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
version=3.9.1
cache="${SGX_CACHE:-$HOME/.cache/segexport}"
lib="$cache/kafka-$version"
port="${KAFKA_PORT:-19092}"
cport="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
state="${KAFKA_STATE_DIR:-/tmp/segexport-kafka-$port}"
heap="${KAFKA_HEAP:-512m}"
bootstrap="127.0.0.1:$port"

die() { echo "kafka.sh: $*" >&2; exit 1; }

fetch() {
    [ -f "$lib/.complete" ] && return 0
    command -v mvn >/dev/null || die "mvn not found (scripts/install-system-deps.sh installs it)"
    local tmp="$lib.tmp.$$"
    rm -rf "$tmp"
    mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$tmp" >&2 || { rm -rf "$tmp"; die "downloading the Kafka jars failed"; }
    ls "$tmp"/kafka_2.13-$version.jar >/dev/null || die "kafka_2.13-$version.jar missing"
    touch "$tmp/.complete"
    rm -rf "$lib"
    mv "$tmp" "$lib"
}

pid_alive() {
    local p
    p="$(cat "$state/pid" 2>/dev/null)" || return 1
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null
}

write_config() {
    mkdir -p "$state"
    cat >"$state/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$state/data
num.partitions=12
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
num.network.threads=2
num.io.threads=4
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
log.segment.bytes=268435456
EOF
    cat >"$state/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$state/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
EOF
}

# Ready when the broker logged that it started and its port accepts connections.
wait_ready() {
    local deadline=$((SECONDS + 90))
    while [ $SECONDS -lt $deadline ]; do
        pid_alive || { tail -n 30 "$state/server.log" "$state/stdout.log" >&2 2>/dev/null; die "broker exited"; }
        if grep -q "Kafka Server started" "$state/server.log" 2>/dev/null &&
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    die "broker not ready after 90 s (see $state/server.log)"
}

start_watchdog() {
    local owner="$1" broker="$2"
    # Detached from the caller's process group: it must outlive a SIGKILL of the test run.
    setsid bash -c '
        while kill -0 '"$owner"' 2>/dev/null && kill -0 '"$broker"' 2>/dev/null; do sleep 1; done
        if kill -0 '"$broker"' 2>/dev/null; then
            kill -TERM '"$broker"' 2>/dev/null
            for i in $(seq 1 100); do kill -0 '"$broker"' 2>/dev/null || exit 0; sleep 0.2; done
            kill -KILL '"$broker"' 2>/dev/null
        fi' </dev/null >/dev/null 2>&1 &
    echo $! >"$state/watchdog.pid"
}

start() {
    local keep=0
    [ "${1:-}" = "--keep-data" ] && keep=1
    command -v java >/dev/null || die "java not found (scripts/install-system-deps.sh installs it)"
    pid_alive && die "already running (pid $(cat "$state/pid")) on $bootstrap"
    fetch
    if [ $keep -eq 0 ]; then
        rm -rf "$state"
    fi
    write_config
    rm -f "$state/server.log"
    local cp="$lib/*"
    if [ $keep -eq 0 ] || [ ! -f "$state/data/meta.properties" ]; then
        local id
        id="$(java -Xmx256m -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
        java -Xmx256m -Dlog4j.configuration="file:$state/log4j.properties" -cp "$cp" \
            kafka.tools.StorageTool format -t "$id" -c "$state/server.properties" \
            --ignore-formatted >"$state/format.log" 2>&1 ||
            { cat "$state/format.log" >&2; die "storage format failed"; }
    fi
    setsid java -Xmx"$heap" -Xms"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -Djava.awt.headless=true -Dlog4j.configuration="file:$state/log4j.properties" \
        -cp "$cp" kafka.Kafka "$state/server.properties" </dev/null >"$state/stdout.log" 2>&1 &
    echo $! >"$state/pid"
    if [ -n "${KAFKA_OWNER_PID:-}" ]; then
        start_watchdog "$KAFKA_OWNER_PID" "$(cat "$state/pid")"
    fi
    wait_ready
    echo "$bootstrap"
}

stop() {
    local sig="${1:-TERM}"
    if pid_alive; then
        local p
        p="$(cat "$state/pid")"
        kill -"$sig" "$p" 2>/dev/null || true
        for _ in $(seq 1 150); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$p" 2>/dev/null; then
            echo "kafka.sh: broker did not stop in 30 s; SIGKILL" >&2
            kill -KILL "$p" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    if [ -f "$state/watchdog.pid" ]; then
        kill "$(cat "$state/watchdog.pid")" 2>/dev/null || true
        rm -f "$state/watchdog.pid"
    fi
    rm -f "$state/pid"
}

case "${1:-}" in
start) shift; start "$@" ;;
stop) stop TERM ;;
kill) stop KILL ;;
status)
    if pid_alive; then echo "$bootstrap"; else echo "kafka.sh: not running ($bootstrap)" >&2; exit 1; fi ;;
fetch) fetch ;;
*) echo "usage: kafka.sh start [--keep-data]|stop|kill|status|fetch" >&2; exit 2 ;;
esac
