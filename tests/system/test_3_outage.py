"""Scenario 3, destination outage: the emulator answers 503 for OUTAGE_S seconds, then throttles
(code 17, then code 80003) for THROTTLE_S seconds, while events keep arriving. Nothing is lost
(audiences exact, offsets committed); consumption pauses and resumes (visible in segexport's
log); peak RSS stays under MEMORY_BOUND_MB with max_inflight_events = MAX_INFLIGHT."""
import os
import random
import threading
import time

import sgxsys

OUTAGE_S = float(os.environ.get("SGX_OUTAGE_S", "60"))
THROTTLE_S = float(os.environ.get("SGX_THROTTLE_S", "30"))
EVENTS = 200000
MAX_INFLIGHT = 20000
MEMORY_BOUND_MB = 150


def test_outage(env):
    rng = random.Random(3)
    events, segments, _, _ = sgxsys.make_events(rng, EVENTS, 3, 100000)
    env.setup(partitions=12, segments=segments)
    seg = env.segexport(max_inflight_events=MAX_INFLIGHT).start()
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            seg.sample_rss()
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        first = EVENTS // 5
        for p, s, op in events[:first]:
            env.producer.send(p, s, op)
        env.producer.flush()
        sgxsys.wait_until(lambda: env.meta.stats()["rows_received"] >= first // 4, 60,
                          "first rows delivered")
        t0 = time.monotonic()
        env.meta.fault(kind="5xx", code=503, count=10 ** 8)
        log_at_outage = len(seg.text())
        rows_at_outage = env.meta.stats()["rows_received"]
        # The rest arrives during the outage, paced over its first half.
        rest = events[first:]
        chunk = max(1, len(rest) // 20)
        for i in range(0, len(rest), chunk):
            for p, s, op in rest[i:i + chunk]:
                env.producer.send(p, s, op)
            env.producer.producer.poll(0)
            time.sleep(OUTAGE_S / 2 / 20)
        env.producer.flush()
        time.sleep(max(0.0, t0 + OUTAGE_S - time.monotonic()))
        env.meta.fault(kind="throttle", code=17, param=0, count=10 ** 8)
        time.sleep(THROTTLE_S / 2)
        env.meta.fault(kind="throttle", code=80003, param=0, count=10 ** 8)
        time.sleep(THROTTLE_S / 2)
        during = env.meta.stats()
        assert during["rows_received"] == rows_at_outage, "rows accepted during the outage"
        t_end = time.monotonic()
        env.meta.fault(kind="delay", count=0)
        expected = env.producer.expected(segments)
        recover = sgxsys.wait_exact(env.meta, expected, 180)
        sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    finally:
        stop.set()
        sampler.join()
    log_text = seg.text()[log_at_outage:]
    pause = log_text.find("pausing intake")
    assert pause >= 0, "intake never paused during the outage"
    assert log_text.find("resuming intake", pause) >= 0, "intake never resumed"
    assert "throttled" in log_text, "no throttling logged"
    peak_mb = seg.sample_rss() / 1024
    sgxsys.figure("outage.events", EVENTS)
    sgxsys.figure("outage.outage_503_s", OUTAGE_S)
    sgxsys.figure("outage.throttle_s", THROTTLE_S)
    sgxsys.figure("outage.failed_5xx", during["failed_5xx"])
    sgxsys.figure("outage.throttled", during["throttled"])
    sgxsys.figure("outage.seconds_to_exact_after_recovery", round(recover, 1))
    sgxsys.figure("outage.pause_resume_log_lines", log_text.count("pausing intake") +
                  log_text.count("resuming intake"))
    sgxsys.figure("outage.peak_rss_mb", round(peak_mb, 1))
    sgxsys.figure("outage.memory_bound_mb", MEMORY_BOUND_MB)
    sgxsys.figure("outage.max_inflight_events", MAX_INFLIGHT)
    sgxsys.log(f"outage+throttle lasted {t_end - t0:.1f} s")
    assert peak_mb < MEMORY_BOUND_MB, f"peak RSS {peak_mb:.0f} MB"
    rc, _ = seg.term(15)
    assert rc == 0
