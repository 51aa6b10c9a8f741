"""Scenario 8, observability: one `segexport run` (Meta and Microsoft Advertising) with
metrics_listen, JSON logs at debug level and a progress line every second.

* /metrics, parsed by prometheus_client's text parser, agrees with what the test did: records
  consumed and acknowledged = events produced (plus three malformed records, dead-lettered as
  bad_magic_byte), dead letters = the DLQ topic's records, Meta's delivered rows and requests =
  what its emulator received, one latency sample per request, committed offsets = each
  partition's end, lag 0.
* /readyz flips to 503 when Microsoft refuses all work (terms not accepted: blocked longer than
  ready_blocked_max_ms) and back to 200 when it accepts again; /metrics shows the state with
  its reason. The same when the broker is stopped and started again.
* Every log line is one JSON object (RFC 3339 timestamp with date, level, component, msg),
  librdkafka's lines included; debug lines are there; no e-mail, phone or profile id anywhere.

Runs with the broker restarts (last): it stops the session's broker."""
import json
import random
import re

import sgxsys

RESTARTS_BROKER = True
EVENTS = 20000
BAD = 3
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def ready(port):
    return sgxsys.probe(port, "/readyz")


def wait_ready(port, want, timeout, what):
    """Waits until /readyz answers want (200/503); returns its JSON body."""
    last = [None]

    def check():
        status, body = ready(port)
        last[0] = body
        return status == want
    try:
        sgxsys.wait_until(check, timeout, what, interval=0.5)
    except AssertionError:
        raise AssertionError(f"{what}: /readyz still says {last[0]}")
    return last[0]


def failing(body):
    return {c["check"] for c in body["checks"] if not c["ok"]}


def check_figures(env, port, n_events):
    m = sgxsys.scrape(port)
    total = n_events + BAD
    dlq = sum(env.broker.end_offsets(env.dlq).values())
    meta = env.meta.stats()
    assert sgxsys.metric(m, "segexport_records_consumed_total") == total
    assert sgxsys.metric(m, "segexport_records_acknowledged_total") == total
    assert sgxsys.metric(m, "segexport_records_in_flight") == 0
    assert sgxsys.metric(m, "segexport_records_dead_lettered_total") == dlq
    assert sgxsys.metric(m, "segexport_records_dead_lettered_total", reason="bad_magic_byte") == BAD
    # Key-less rows: an ENTER's reason and an EXIT's (the members its ENTER added stay).
    assert (sgxsys.metric(m, "segexport_records_dead_lettered_total",
                          reason="no_usable_identifier") +
            sgxsys.metric(m, "segexport_records_dead_lettered_total",
                          reason="no_usable_identifier_on_exit")) == dlq - BAD
    assert sgxsys.metric(m, "segexport_rows_total", destination="meta",
                         outcome="delivered") == meta["rows_received"]
    requests = sgxsys.metric(m, "segexport_requests_total", destination="meta")
    assert requests == meta["requests"]
    assert sgxsys.metric(m, "segexport_request_duration_seconds_count",
                         destination="meta") == requests
    assert sgxsys.metric(m, "segexport_rows_total", destination="microsoft",
                         outcome="delivered") > 0
    assert sgxsys.metric(m, "segexport_token_refreshes_total", destination="microsoft") >= 1
    assert sgxsys.metric(m, "segexport_destination_state", destination="meta", state="ok") == 1
    return m


def check_partitions(env, port):
    ends = env.broker.end_offsets(env.topic)

    def settled():
        m = sgxsys.scrape(port)
        got = {int(dict(ls)["partition"]): v for (n, ls), v in m.items()
               if n == "segexport_partition_committed_offset"}
        lag = sgxsys.metric(m, "segexport_partition_consumer_lag")
        return got == ends and lag == 0
    sgxsys.wait_until(settled, 60, "committed offsets and lag in /metrics")


def block_microsoft(env, port, seg, rng):
    """Terms refused: Microsoft is blocked; /readyz 503 once it lasted ready_blocked_max_ms."""
    env.msads.fault(kind="terms", accepted=False)
    more, segments, _, _ = sgxsys.make_events(rng, 500, 2, 5000, prefix="seg-")
    for p, s, op in more:
        env.producer.send(p + 100000, s, op)
    env.producer.flush()
    body = wait_ready(port, 503, 60, "not ready while Microsoft is blocked")
    assert failing(body) == {"destination_microsoft"}, body
    m = sgxsys.scrape(port)
    assert sgxsys.metric(m, "segexport_destination_state", destination="microsoft",
                         state="blocked") == 1
    reasons = [dict(ls) for (n, ls), v in m.items()
               if n == "segexport_destination_state_reason" and v == 1]
    assert any(r["destination"] == "microsoft" and r["state"] == "blocked" and r["reason"]
               for r in reasons), reasons
    assert sgxsys.metric(m, "segexport_requests_total", destination="microsoft",
                         outcome="blocked") >= 1
    env.msads.fault(kind="terms", accepted=True)
    wait_ready(port, 200, 90, "ready again once Microsoft accepts")
    m = sgxsys.scrape(port)
    assert sgxsys.metric(m, "segexport_destination_state", destination="microsoft",
                         state="ok") == 1
    return len(more)


def restart_broker(env, port):
    env.broker.stop()
    body = wait_ready(port, 503, 60, "not ready while the broker is down")
    assert "kafka_broker" in failing(body), body
    env.broker.start(keep_data=True)
    wait_ready(port, 200, 120, "ready again after the broker is back")
    status, body = sgxsys.probe(port, "/healthz")
    assert status == 200 and body["status"] == "live", body


def check_log(text, consumed):
    lines = [l for l in text.splitlines() if l.strip()]
    levels, components = set(), set()
    final = None
    for line in lines:
        rec = json.loads(line)  # every line is one JSON object
        assert TS_RE.match(rec["ts"]), rec
        assert rec["level"] in ("error", "warn", "info", "debug"), rec
        assert rec["component"] and isinstance(rec["msg"], str), rec
        levels.add(rec["level"])
        components.add(rec["component"])
        if rec["component"] == "progress" and rec["msg"] == "final summary":
            final = rec
    assert "debug" in levels
    assert {"consumer", "dispatch", "progress", "rdkafka"} <= components, components
    assert any('"msg":"progress"' in l for l in lines)
    assert any("batch sent" in l and '"rows":' in l for l in lines)
    assert any("backoff" in l for l in lines)
    assert final is not None, "no final summary"
    assert final["consumed"] == consumed and final["unacknowledged"] == 0, final
    assert final["committed"], final
    sgxsys.check_no_pii(text)
    return len(lines)


def test_metrics_probes_logs(env):
    rng = random.Random(8)
    events, segments, _, _ = sgxsys.make_events(rng, EVENTS, 2, 20000)
    env.setup(partitions=4, segments=segments)
    env.msads = sgxsys.MsAds(f"{env.name}-msads", segments)
    port = sgxsys.free_port()
    seg = env.segexport(level="debug", metrics_listen=f"127.0.0.1:{port}",
                        log_format="json", progress_interval_s=1, ready_blocked_max_ms=1000,
                        kafka={"statistics.interval.ms": 500}).start()
    for i in range(BAD):
        env.producer.produce_raw(f"bad-{i}".encode(), b"not an avro frame")
    for p, s, op in events:
        env.producer.send(p, s, op)
    env.producer.flush()
    sgxsys.wait_all_exact(env.expected_all(), 240)
    wait_ready(port, 200, 60, "ready")
    check_figures(env, port, len(events))
    check_partitions(env, port)
    n = len(events) + block_microsoft(env, port, seg, rng)
    sgxsys.wait_all_exact(env.expected_all(), 240)
    check_figures(env, port, n)
    # Everything committed first: the rejoin after the restart then re-consumes nothing, and
    # the final summary's figures stay exact.
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    restart_broker(env, port)
    rc, _ = seg.term(30)
    assert rc == 0
    lines = check_log(seg.text(), n + BAD)
    sgxsys.figure("metrics.log_lines", lines)
