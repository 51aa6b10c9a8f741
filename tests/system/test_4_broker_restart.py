"""Scenario 4, broker restart: the broker process is stopped (SIGTERM) and started again on the
same log dir and port mid-run, while events keep arriving. The one segexport process
reconnects by itself (never restarted); audiences exact; offsets committed. Runs last (conftest),
because it restarts the session's broker."""
import random
import time

import sgxsys

EVENTS = 200000
RATE = 10000
DOWN_S = 8


def test_broker_restart(env):
    rng = random.Random(4)
    events, segments, plain_segs, n_plain = sgxsys.make_events(rng, EVENTS, 3, 100000)
    env.setup(partitions=12, segments=segments)
    seg = env.segexport().start()
    pid = seg.proc.pid
    t0 = time.monotonic()
    half = EVENTS // 2
    for p, s, op in events[:half]:
        env.producer.send(p, s, op)
    env.producer.flush()
    sgxsys.wait_until(lambda: env.meta.stats()["rows_received"] >= EVENTS // 4, 120,
                      "a quarter delivered")
    env.broker.stop()
    t_down = time.monotonic()
    sgxsys.log("broker stopped")
    time.sleep(DOWN_S)
    env.broker.start(keep_data=True)
    t_up = time.monotonic()
    for p, s, op in events[half:]:
        env.producer.send(p, s, op)
    env.producer.flush()
    expected = env.producer.expected(segments)
    secs = sgxsys.wait_exact(env.meta, expected, 240)
    sgxsys.wait_committed(env.broker, env.group, env.topic, 90)
    assert seg.alive() and seg.proc.pid == pid, "segexport was restarted"
    assert sum(env.broker.end_offsets(env.dlq).values()) == 0
    rows_plain = sgxsys.delivered_rows(env.meta, plain_segs)
    sgxsys.figure("broker_restart.events", EVENTS)
    sgxsys.figure("broker_restart.broker_down_s", round(t_up - t_down, 1))
    sgxsys.figure("broker_restart.seconds_to_exact_after_broker_up", round(time.monotonic() - t_up, 1))
    if rows_plain is not None:
        sgxsys.figure("broker_restart.duplicate_rows_enter_only_audiences", rows_plain - n_plain)
    rc, _ = seg.term(15)
    assert rc == 0
