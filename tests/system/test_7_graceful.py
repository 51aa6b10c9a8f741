"""Scenario 7, graceful shutdown: SIGTERM under full load (a backlog far above
max_inflight_events, requests in flight) exits 0 within shutdown_grace_ms, and a restart re-sends
nothing that had been acknowledged: 0 duplicate rows. As in scenario 1, the three enter-only
audiences must receive exactly one row per event (sgxsys.make_events). Then a stop while every
request fails: the grace period bounds it, exit 3, and the records left unacknowledged are
consumed again after the restart (re-sending them is expected there: a record is committed only
once every earlier record of its partition is acknowledged), the audiences still exact."""
import random
import time

import sgxsys

EVENTS = 300000
GRACE_MS = 8000


def test_graceful(env):
    rng = random.Random(7)
    events, segments, plain_segs, _ = sgxsys.make_events(rng, EVENTS, 3, 150000)
    cut = EVENTS * 5 // 6  # the last sixth is produced later, for the stop that runs out of time
    first, later = events[:cut], events[cut:]
    n_plain_first = sum(1 for _, s, _ in first if s in plain_segs)
    env.setup(partitions=12, segments=segments)
    for p, s, op in first:
        env.producer.send(p, s, op)
    env.producer.flush()

    # 2,500 in flight: Meta removals carry ~40 rows each (URL-sized DELETEs), so what is in
    # flight at a stop must drain within the grace period at 300 ms per request.
    seg = env.segexport(shutdown_grace_ms=GRACE_MS, max_inflight_events=2500)
    # Slow requests (300 ms each) keep 4 requests in flight at every moment of the stop.
    seg.start()
    env.meta.fault(kind="delay", count=1000000, param=300)
    results = []
    for frac in (0.2, 0.55):
        sgxsys.wait_until(lambda: env.meta.stats()["rows_received"] >= frac * cut, 120,
                          f"{frac:.0%} delivered")
        time.sleep(rng.uniform(0, 0.3))
        before = env.meta.stats()["rows_received"]
        rc, secs = seg.term(GRACE_MS / 1000 + 20)
        results.append((before, rc, round(secs, 2)))
        assert rc == 0, f"exit code {rc} after SIGTERM (log: {seg.proc.logpath})"
        assert secs <= GRACE_MS / 1000 + 1.0, f"took {secs:.1f} s, grace is {GRACE_MS} ms"
        assert "stopped (graceful)" in seg.text()
        seg.start()
    env.meta.fault(kind="delay", count=0)
    sgxsys.wait_exact(env.meta, env.producer.expected(segments), 180)
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    time.sleep(2)
    stats = env.meta.stats()
    rows_plain = sgxsys.delivered_rows(env.meta, plain_segs)
    assert rows_plain is not None, f"too many requests for the emulator's log: {stats}"
    dup = rows_plain - n_plain_first
    sgxsys.log(f"SIGTERM results (rows before, rc, seconds): {results}")
    sgxsys.figure("graceful.events", cut)
    sgxsys.figure("graceful.sigterm_exit_seconds", [r[2] for r in results])
    sgxsys.figure("graceful.grace_ms", GRACE_MS)
    sgxsys.figure("graceful.duplicate_rows", dup)
    assert dup == 0, f"{dup} rows re-sent after a graceful stop ({stats})"

    # A stop while every request fails (503) and rows wait for their retry: the grace period
    # bounds it; unacknowledged rows are simply not committed.
    received = env.meta.stats()["rows_received"]
    env.meta.fault(kind="delay", count=1000000, param=300)
    for p, s, op in later:
        env.producer.send(p, s, op)
    env.producer.flush()
    sgxsys.wait_until(lambda: env.meta.stats()["rows_received"] >= received + len(later) // 5,
                      120, "a fifth of the rest delivered")
    env.meta.fault(kind="5xx", code=503, count=1000000)
    time.sleep(3)
    rc, secs = seg.term(GRACE_MS / 1000 + 20)
    sgxsys.figure("graceful.out_of_grace_exit_seconds", round(secs, 2))
    # Exit 3: the grace period ended with records unacknowledged (README, Running).
    assert rc == 3, f"exit code {rc} after SIGTERM, expected 3 (log: {seg.proc.logpath})"
    assert "unacknowledged" in seg.text()
    assert secs <= GRACE_MS / 1000 + 1.0, f"took {secs:.1f} s, grace is {GRACE_MS} ms"
    env.meta.fault(kind="delay", count=0)
    env.meta.fault(kind="5xx", count=0)
    seg.start()
    sgxsys.wait_exact(env.meta, env.producer.expected(segments), 180)
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    rc, _ = seg.term(GRACE_MS / 1000 + 5)
    assert rc == 0
