"""Scenario 5, ordering: thousands of profiles ENTER and EXIT the same segment many times in
quick succession while the emulator delays and fails requests at random (and segexport is
killed once mid-run): every profile ends in the state of its last event."""
import random
import time

import sgxsys

PROFILES = 4000
MAX_TOGGLES = 24


def test_ordering(env):
    segments = ["seg-a", "seg-b"]
    env.setup(partitions=12, segments=segments)
    rng = random.Random(5)
    env.meta.fault(kind="random", p=0.2, max_delay_ms=300, seed=5)
    # Per (profile, segment) a run of ops, mostly alternating, sometimes repeated; the runs are
    # interleaved so consecutive events of one profile are a few hundred records apart.
    runs = []
    for p in range(PROFILES):
        for s in rng.sample(segments, rng.choice([1, 2])):
            n = rng.randint(4, MAX_TOGGLES)
            op = rng.choice(["ENTER", "EXIT"])
            seq = []
            for _ in range(n):
                seq.append(op)
                if rng.random() < 0.8:
                    op = "EXIT" if op == "ENTER" else "ENTER"
            runs.append([p, s, seq])
    seg = env.segexport(max_inflight_events=20000, limits={"linger_ms": 50}).start()
    t0 = time.monotonic()
    total = 0
    killed = False
    while runs:
        batch = rng.sample(range(len(runs)), min(len(runs), 500))
        for i in batch:
            p, s, seq = runs[i]
            env.producer.send(p, s, seq.pop(0))
            total += 1
        runs = [r for r in runs if r[2]]
        env.producer.producer.poll(0)
        if not killed and total > 60000:
            env.producer.flush()
            seg.kill9()
            seg.start()
            killed = True
    env.producer.flush()
    sgxsys.log(f"produced {total} events")
    expected = env.producer.expected(segments)
    secs = sgxsys.wait_exact(env.meta, expected, 240)
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    time.sleep(2)
    assert sgxsys.audiences_equal(env.meta, expected) is None
    stats = env.meta.stats()
    sgxsys.figure("ordering.events", total)
    sgxsys.figure("ordering.pairs", len(env.producer.last))
    sgxsys.figure("ordering.failed_5xx", stats["failed_5xx"])
    sgxsys.figure("ordering.requests", stats["requests"])
    sgxsys.figure("ordering.seconds_total", round(time.monotonic() - t0, 1))
    env.meta.fault(kind="random", p=0, max_delay_ms=0, seed=0)
    rc, _ = seg.term(15)
    assert rc == 0
