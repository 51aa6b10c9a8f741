"""Scenario 1, crash: CRASH_EVENTS events on a 12-partition topic; segexport is killed with
SIGKILL at 10 random moments and restarted each time. Afterwards every audience equals the
membership the log implies, exactly, and every offset is committed. Reports the rows delivered
more than once.

Events (sgxsys.make_events): on three segments every (profile, segment) pair is ENTERed exactly
once, so every row those audiences receive beyond one per event is a duplicate delivery; on a
fourth segment pairs ENTER and, for a third of them, EXIT later (those rows may legitimately be
coalesced, so they are checked for exactness only)."""
import os
import random
import time

import sgxsys

EVENTS = int(os.environ.get("SGX_CRASH_EVENTS", "500000"))
KILLS = 10


def test_crash(env):
    rng = random.Random(1)
    events, segments, plain_segs, n_plain = sgxsys.make_events(rng, EVENTS, 3, 200000)
    env.setup(partitions=12, segments=segments)

    seg = env.segexport(max_inflight_events=50000).start()
    t0 = time.monotonic()

    def produce():
        for p, s, op in events:
            env.producer.send(p, s, op)
        env.producer.flush()
        return time.monotonic() - t0

    thread, res = sgxsys.produce_in_background(produce)
    # Kill at random points of progress (rows acknowledged by the emulator), then at a random
    # sub-second offset, so kills land in startup, rebalance, steady state and backpressure.
    marks = sorted(rng.uniform(0.03, 0.9) * EVENTS for _ in range(KILLS))
    kills = []
    for mark in marks:
        sgxsys.wait_until(lambda: env.meta.stats()["rows_received"] >= mark, 300,
                          f"{mark:.0f} rows delivered")
        time.sleep(rng.uniform(0, 0.5))
        seg.kill9()
        kills.append(env.meta.stats()["rows_received"])
        seg.start()
    sgxsys.log(f"killed at rows_received {kills}")
    thread.join(300)
    assert "error" not in res, res.get("error")
    sgxsys.log(f"produced {env.producer.count} events in {res['value']:.1f} s")
    expected = env.producer.expected(segments)
    sgxsys.wait_exact(env.meta, expected, 300)
    total = time.monotonic() - t0
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    # Quiet for a moment: nothing more may arrive (late resends would be counted below).
    time.sleep(2)
    assert sgxsys.audiences_equal(env.meta, expected) is None
    stats = env.meta.stats()
    rows_plain = sgxsys.delivered_rows(env.meta, plain_segs)
    assert rows_plain is not None, f"too many requests for the emulator's log: {stats}"
    dup = rows_plain - n_plain
    assert dup >= 0, f"fewer rows than events on the enter-only audiences: {rows_plain}"
    assert seg.alive()
    assert sum(env.broker.end_offsets(env.dlq).values()) == 0, "good events dead-lettered"
    sgxsys.figure("crash.events", EVENTS)
    sgxsys.figure("crash.kills", len(kills))
    sgxsys.figure("crash.rows_received", stats["rows_received"])
    sgxsys.figure("crash.duplicate_rows_enter_only_audiences", dup)
    sgxsys.figure("crash.enter_only_events", n_plain)
    sgxsys.figure("crash.duplicate_rate", round(dup / n_plain, 4))
    sgxsys.figure("crash.requests", stats["requests"])
    sgxsys.figure("crash.seconds_total", round(total, 1))
    sgxsys.figure("crash.members_expected", sum(len(v) for v in expected.values()))
    rc, _ = seg.term(15)
    assert rc == 0
