"""Scenario 3, destination outage: one segexport exports to Meta, Microsoft Advertising and
Dotdigital at once. Every emulator answers 503 for OUTAGE_S seconds (Meta: every request;
Microsoft: BulkUploadUrl and BulkUploadStatus, the calls that start and complete a bulk job;
Dotdigital: every API request: import, status poll, contact lookup, delete), then throttles for
THROTTLE_S seconds (Meta code 17, then code 80003; Microsoft error 4204; Dotdigital 429 with
x-ratelimit-reset one second ahead), while events keep arriving. The asynchronous emulators go
down a moment after Meta, as soon as Meta has answered its first 503 (see below why). Nothing is applied during the
outage and nothing is lost (every audience of every destination exact, offsets committed);
consumption pauses and resumes (visible in segexport's log); peak RSS stays under
MEMORY_BOUND_MB with max_inflight_events = MAX_INFLIGHT.

Events: EVENTS on seg-0..2 and seg-x (Meta and Microsoft), DD_EVENTS more on dd-0 and dd-x (all
three destinations), spread over the log (see test_1_crash.py)."""
import os
import random
import threading
import time

import sgxsys

OUTAGE_S = float(os.environ.get("SGX_OUTAGE_S", "60"))
THROTTLE_S = float(os.environ.get("SGX_THROTTLE_S", "30"))
EVENTS = 200000
DD_EVENTS = 10000
MAX_INFLIGHT = 20000
MEMORY_BOUND_MB = 150
FOREVER = 10 ** 8


def test_outage(env):
    rng = random.Random(3)
    main_events, segments, _, _ = sgxsys.make_events(rng, EVENTS, 3, 100000)
    rng_dd = random.Random(33)
    dd_events, dd_segs, _, _ = sgxsys.make_events(rng_dd, DD_EVENTS, 1, 100000, prefix="dd-")
    events = sgxsys.merge_events(main_events, dd_events, rng_dd)
    env.setup(partitions=12, segments=segments + dd_segs)
    env.add_async(msads_segments=segments + dd_segs, dd_segments=dd_segs)
    ms, dd = env.msads, env.dd
    seg = env.segexport(max_inflight_events=MAX_INFLIGHT).start()
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            seg.sample_rss()
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        first = len(events) // 5
        for p, s, op in events[:first]:
            env.producer.send(p, s, op)
        env.producer.flush()
        sgxsys.wait_until(lambda: env.meta.stats()["rows_received"] >= first // 4, 60,
                          "first rows delivered")
        t0 = time.monotonic()
        env.meta.fault(kind="5xx", code=503, count=FOREVER)
        log_at_outage = len(seg.text())
        rows_at_outage = env.meta.stats()["rows_received"]
        # All destinations share one max_inflight_events bound: had they all gone down at once,
        # the bound would be full of records Meta had already acknowledged (the asynchronous
        # destinations are slower), intake would stay paused, and Meta would see no request
        # during the outage. The first 503 Meta answers shows it has rows pending; the
        # asynchronous destinations still hold the same, just-consumed records: down they go.
        sgxsys.wait_until(lambda: env.meta.stats()["failed_5xx"] >= 1, 30,
                          "a Meta request failing", interval=0.02)
        ms.fault(kind="5xx", code=503, count=FOREVER)
        dd.fault(kind="5xx", param=503, count=FOREVER)
        t_async = time.monotonic() - t0
        # A request that passed the emulator's fault check just before may still apply.
        time.sleep(1.0)
        ms_at_outage, dd_at_outage = ms.applied_rows(), dd.applied_rows()
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
        env.meta.fault(kind="throttle", code=17, param=0, count=FOREVER)
        ms.fault(kind="5xx", count=0)
        ms.fault(kind="throttle", count=FOREVER)
        dd.fault(kind="throttle", param=1, count=FOREVER)
        time.sleep(THROTTLE_S / 2)
        env.meta.fault(kind="throttle", code=80003, param=0, count=FOREVER)
        time.sleep(THROTTLE_S / 2)
        during = env.meta.stats()
        ms_during, dd_during = ms.stats(), dd.stats()
        assert during["rows_received"] == rows_at_outage, "rows accepted during the outage"
        assert ms.applied_rows() == ms_at_outage, "Microsoft applied rows during the outage"
        assert dd.applied_rows() == dd_at_outage, "Dotdigital applied rows during the outage"
        t_end = time.monotonic()
        env.meta.fault(kind="delay", count=0)
        ms.fault(kind="throttle", count=0)
        dd.fault(kind="throttle", count=0)
        checks = env.expected_all()
        recover = sgxsys.wait_all_exact(checks, 180)
        sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    finally:
        stop.set()
        sampler.join()
    log_text = seg.text()[log_at_outage:]
    pause = log_text.find("pausing intake")
    assert pause >= 0, "intake never paused during the outage"
    assert log_text.find("resuming intake", pause) >= 0, "intake never resumed"
    assert "throttled" in log_text, "no throttling logged"
    for d in env.dests():
        assert f"{d.name}: audience" in log_text, f"no retry of {d.name} logged"
    for name, st in (("microsoft", ms_during), ("dotdigital", dd_during)):
        assert st["failed_5xx"] > 0 and st["throttled"] > 0, f"{name}: faults not hit: {st}"
    dlq = sgxsys.check_dlq_no_key(env.broker, env.dlq, {
        "microsoft": sgxsys.no_key_profiles(events, list(ms.audiences), ms.member_of),
        "dotdigital": sgxsys.no_key_profiles(events, dd_segs, dd.member_of)})
    peak_mb = seg.sample_rss() / 1024
    sgxsys.figure("outage.events", EVENTS)
    sgxsys.figure("outage.events_dd_segments", DD_EVENTS)
    sgxsys.figure("outage.outage_503_s", OUTAGE_S)
    sgxsys.figure("outage.throttle_s", THROTTLE_S)
    sgxsys.figure("outage.failed_5xx", during["failed_5xx"])
    sgxsys.figure("outage.throttled", during["throttled"])
    sgxsys.figure("outage.async_down_after_s", round(t_async, 2))
    sgxsys.figure("outage.msads.failed_5xx", ms_during["failed_5xx"])
    sgxsys.figure("outage.msads.throttled_4204", ms_during["throttled"])
    sgxsys.figure("outage.dd.failed_5xx", dd_during["failed_5xx"])
    sgxsys.figure("outage.dd.throttled_429", dd_during["throttled"])
    sgxsys.figure("outage.msads.members_expected", sum(len(v) for v in checks[1][1].values()))
    sgxsys.figure("outage.dd.members_expected", sum(len(v) for v in checks[2][1].values()))
    sgxsys.figure("outage.seconds_to_exact_after_recovery", round(recover, 1))
    sgxsys.figure("outage.pause_resume_log_lines", log_text.count("pausing intake") +
                  log_text.count("resuming intake"))
    sgxsys.figure("outage.peak_rss_mb", round(peak_mb, 1))
    sgxsys.figure("outage.memory_bound_mb", MEMORY_BOUND_MB)
    sgxsys.figure("outage.max_inflight_events", MAX_INFLIGHT)
    sgxsys.figure("outage.dlq_no_usable_identifier", dlq)
    sgxsys.log(f"outage+throttle lasted {t_end - t0:.1f} s")
    assert peak_mb < MEMORY_BOUND_MB, f"peak RSS {peak_mb:.0f} MB"
    rc, _ = seg.term(15)
    assert rc == 0
