"""Scenario 7, graceful shutdown: SIGTERM under full load (a backlog far above
max_inflight_events, requests in flight) exits 0 within shutdown_grace_ms; a restart re-sends
nothing that had been acknowledged: 0 duplicate rows. As in scenario 1, the three enter-only
audiences must receive exactly one row per event (sgxsys.make_events)."""
import random
import time

import sgxsys

EVENTS = 300000
GRACE_MS = 8000


def test_graceful(env):
    rng = random.Random(7)
    events, segments, plain_segs, n_plain = sgxsys.make_events(rng, EVENTS, 3, 150000)
    env.setup(partitions=12, segments=segments)
    for p, s, op in events:
        env.producer.send(p, s, op)
    env.producer.flush()
    expected = env.producer.expected(segments)

    seg = env.segexport(shutdown_grace_ms=GRACE_MS, max_inflight_events=50000)
    # Slow requests (300 ms each) keep 4 requests in flight at every moment of the stop.
    seg.start()
    env.meta.fault(kind="delay", count=1000000, param=300)
    results = []
    for frac in (0.2, 0.55):
        sgxsys.wait_until(lambda: env.meta.stats()["rows_received"] >= frac * EVENTS, 120,
                          f"{frac:.0%} delivered")
        time.sleep(rng.uniform(0, 0.3))
        before = env.meta.stats()["rows_received"]
        rc, secs = seg.term(GRACE_MS / 1000 + 20)
        results.append((before, rc, round(secs, 2)))
        assert rc == 0, f"exit code {rc} after SIGTERM (log: {seg.proc.logpath})"
        assert secs <= GRACE_MS / 1000 + 1.0, f"took {secs:.1f} s, grace is {GRACE_MS} ms"
        assert "stopped (graceful)" in seg.text()
        seg.start()
    # A stop while every request fails (503) and rows wait for their retry: the grace period
    # bounds it; unacknowledged rows are simply not committed.
    sgxsys.wait_until(lambda: env.meta.stats()["rows_received"] >= 0.7 * EVENTS, 120,
                      "70% delivered")
    env.meta.fault(kind="5xx", code=503, count=1000000)
    time.sleep(3)
    rc, secs = seg.term(GRACE_MS / 1000 + 20)
    results.append(("503", rc, round(secs, 2)))
    # Exit 3: the grace period ended with records unacknowledged (README, Running).
    assert rc == 3, f"exit code {rc} after SIGTERM, expected 3 (log: {seg.proc.logpath})"
    assert "unacknowledged" in seg.text()
    assert secs <= GRACE_MS / 1000 + 1.0, f"took {secs:.1f} s, grace is {GRACE_MS} ms"
    env.meta.fault(kind="delay", count=0)
    seg.start()
    sgxsys.log(f"SIGTERM results (rows before, rc, seconds): {results}")
    sgxsys.wait_exact(env.meta, expected, 180)
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    time.sleep(2)
    stats = env.meta.stats()
    rows_plain = sgxsys.delivered_rows(env.meta, plain_segs)
    assert rows_plain is not None, f"too many requests for the emulator's log: {stats}"
    dup = rows_plain - n_plain
    sgxsys.figure("graceful.events", EVENTS)
    sgxsys.figure("graceful.sigterm_exit_seconds", [r[2] for r in results])
    sgxsys.figure("graceful.grace_ms", GRACE_MS)
    sgxsys.figure("graceful.duplicate_rows", dup)
    assert dup == 0, f"{dup} rows re-sent after a graceful stop ({stats})"
    rc, _ = seg.term(GRACE_MS / 1000 + 5)
    assert rc == 0
