"""Scenario 8, stale owner (issue 10 §2): two segexport processes, one consumer group, exporting to
Meta and Criteo. Process A holds rows it cannot deliver yet (a throttled retry, 503s, or requests
in flight and queued behind a slow destination; Criteo answers 503 meanwhile); A is SIGSTOPped past
session.timeout.ms (6 s) while process B, same consumer group, takes over its partitions and
delivers A's rows and then new flips of the same profiles; then A gets SIGCONT. A must send
nothing more of the partitions it lost: every audience exact, with the stale rows of A
otherwise re-adding profiles that B removed and removing profiles B re-added.

Events (all on the same (profile, segment) pairs): round 0, ENTER for every pair, delivered by A
normally; round 1, EXIT for a random half, produced while A cannot deliver (A holds them);
round 2, produced once B owns everything: ENTER again for half of round 1's pairs and EXIT for
a fifth of the others. Three timings: A stopped while throttled, while 503s put it in retry
backoff, and with requests delayed 3 s (on the wire and queued behind them), SIGCONTed during
B's delivery of round 2."""
import random
import signal
import time

import sgxsys

PROFILES = 2500
SEGMENTS = ["seg-a", "seg-b"]
STOP_S = 9  # > session.timeout.ms (6 s): the coordinator evicts A


def produce(env, ops):
    for p, s, op in ops:
        env.producer.send(p, s, op)
    env.producer.flush()


def run(env, fault, cont_during_round2):
    rng = random.Random(fault["kind"])
    env.setup(partitions=6, segments=SEGMENTS)
    env.add_criteo(SEGMENTS)
    pairs = [(p, s) for p in range(PROFILES) for s in SEGMENTS]
    a = env.segexport(0, limits={"linger_ms": 50}).start()
    a.proc.wait_line("assigned", 60)
    produce(env, [(p, s, "ENTER") for p, s in pairs])
    sgxsys.wait_all_exact(env.expected_all(), 60)

    # Round 1 while A cannot deliver it.
    env.meta.fault(count=1000000, **fault)
    env.crt.fault(kind="5xx", code=503, count=1000000)
    before = env.meta.stats()["requests"]
    exited = rng.sample(pairs, len(pairs) // 2)
    produce(env, [(p, s, "EXIT") for p, s in exited])
    sgxsys.wait_until(lambda: env.meta.stats()["requests"] >= before + 4, 60,
                      "A trying to deliver round 1")
    time.sleep(0.5)
    a.proc.signal(signal.SIGSTOP)
    stopped = time.monotonic()
    env.meta.fault(kind=fault["kind"], count=0)
    env.crt.fault(kind="5xx", count=0)
    sgxsys.log(f"A stopped; {env.meta.stats()['requests'] - before} requests of round 1 seen")

    b = env.segexport(1, limits={"linger_ms": 50}).start()
    b.proc.wait_line("assigned", 60)
    sgxsys.wait_all_exact(env.expected_all(), 60)
    sgxsys.log(f"B delivered round 1, {time.monotonic() - stopped:.1f} s after A stopped")

    exited_set = set(exited)
    back = rng.sample(exited, len(exited) // 2)
    others = [x for x in pairs if x not in exited_set]
    out = rng.sample(others, len(others) // 5)
    round2 = [(p, s, "ENTER") for p, s in back] + [(p, s, "EXIT") for p, s in out]
    rng.shuffle(round2)
    if cont_during_round2:
        sgxsys.wait_until(lambda: time.monotonic() - stopped >= STOP_S, 60, "A's session over")
        thread, res = sgxsys.produce_in_background(lambda: produce(env, round2))
        time.sleep(0.3)
        a.proc.signal(signal.SIGCONT)
        thread.join(120)
        assert "error" not in res, res.get("error")
    else:
        produce(env, round2)
        sgxsys.wait_all_exact(env.expected_all(), 60)
        sgxsys.wait_until(lambda: time.monotonic() - stopped >= STOP_S, 60, "A's session over")
        a.proc.signal(signal.SIGCONT)
    sgxsys.log(f"A continued after {time.monotonic() - stopped:.1f} s")
    checks = env.expected_all()
    sgxsys.wait_all_exact(checks, 60)
    # A learns that it lost its partitions; whatever it still held must not arrive afterwards.
    a.proc.wait_line("lost", 30)
    quiet_from = env.meta.stats()["rows_received"]
    time.sleep(4)
    assert sgxsys.dests_equal(checks) is None
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    assert sgxsys.dests_equal(checks) is None
    late = env.meta.stats()["rows_received"] - quiet_from
    sgxsys.figure(f"stale_owner.{fault['kind']}.rows_after_loss", late)
    for seg in (a, b):
        rc, _ = seg.term(15)
        assert rc == 0


def test_stale_owner_throttled(env):
    run(env, {"kind": "throttle", "code": 17, "param": 0}, cont_during_round2=False)


def test_stale_owner_retry_backoff(env):
    run(env, {"kind": "5xx", "code": 503}, cont_during_round2=False)


def test_stale_owner_in_flight(env):
    run(env, {"kind": "delay", "param": 3000}, cont_during_round2=True)
