"""Scenario 2, scale out and in: three segexport processes in one consumer group. One starts;
two join mid-run; one of them is killed with SIGKILL, the other stopped with SIGTERM; the first
finishes alone. Audiences exact; every partition's committed offset reaches its end (no
partition left behind)."""
import random
import time

import sgxsys

EVENTS = 240000
RATE = 8000  # events/s, so the run spans the membership changes


def test_scale(env):
    rng = random.Random(2)
    events, segments, plain_segs, n_plain = sgxsys.make_events(rng, EVENTS, 3, 100000)
    env.setup(partitions=12, segments=segments)
    a, b, c = (env.segexport(i) for i in range(3))
    a.start()
    t0 = time.monotonic()

    def produce():
        for i in range(0, EVENTS, RATE // 10):
            for p, s, op in events[i:i + RATE // 10]:
                env.producer.send(p, s, op)
            time.sleep(max(0.0, t0 + (i + RATE // 10) / RATE - time.monotonic()))
        env.producer.flush()

    thread, res = sgxsys.produce_in_background(produce)

    def delivered(frac):
        sgxsys.wait_until(lambda: env.meta.stats()["rows_received"] >= frac * EVENTS, 120,
                          f"{frac:.0%} delivered")

    delivered(0.2)
    b.start()
    c.start()
    sgxsys.wait_until(lambda: "assigned" in b.text() and "assigned" in c.text(), 60,
                      "the new members to get partitions")
    delivered(0.45)
    b.kill9()
    delivered(0.65)
    rc, secs = c.term(20)
    assert rc == 0, f"SIGTERM exit code {rc}"
    thread.join(120)
    assert "error" not in res, res.get("error")
    expected = env.producer.expected(segments)
    t_last = time.monotonic()
    secs_exact = sgxsys.wait_exact(env.meta, expected, 180)
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    time.sleep(2)
    assert sgxsys.audiences_equal(env.meta, expected) is None
    assert a.alive()
    assert sum(env.broker.end_offsets(env.dlq).values()) == 0
    rows_plain = sgxsys.delivered_rows(env.meta, plain_segs)
    for s in (a, b, c):
        sgxsys.log(f"{s.name}: " + "; ".join(l.split("consumer", 1)[-1].strip() for l in
                                             s.text().splitlines() if "partition(s)" in l))
    sgxsys.figure("scale.events", EVENTS)
    sgxsys.figure("scale.sigterm_exit_seconds", round(secs, 2))
    if rows_plain is not None:
        sgxsys.figure("scale.duplicate_rows_enter_only_audiences", rows_plain - n_plain)
    sgxsys.figure("scale.seconds_to_exact_after_last_event", round(secs_exact, 1))
    sgxsys.figure("scale.seconds_total", round(time.monotonic() - t0, 1))
    rc, _ = a.term(15)
    assert rc == 0
