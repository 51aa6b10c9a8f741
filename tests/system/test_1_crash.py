"""Scenario 1, crash: CRASH_EVENTS events on a 12-partition topic, exported by one segexport
process (one consumer group) to Meta, Microsoft Advertising and Dotdigital at once; segexport
is killed with SIGKILL at 10 random moments and restarted each time. Afterwards every audience
of every destination equals the membership the log implies, exactly, and every offset is
committed. Reports the rows delivered more than once.

Events (sgxsys.make_events): on three segments every (profile, segment) pair is ENTERed exactly
once, so every row those audiences receive beyond one per event is a duplicate delivery; on a
fourth segment pairs ENTER and, for a third of them, EXIT later (those rows may legitimately be
coalesced, so they are checked for exactness only). Meta and Microsoft Advertising export these
four segments. DD_EVENTS more events on two more segments built the same way (dd-0 enter-only,
dd-x with EXITs), spread over the log, go to all three destinations: Dotdigital exports only
those (an EXIT costs it one contact lookup, and its inspection endpoint is slow on big books).

The asynchronous destinations acknowledge a row only when its bulk job / import completed; their
emulators apply a file only when a status poll completes it, so a kill between upload and
completion leaves the rows unapplied until segexport re-sends them: exactness proves that.
Profiles with only a phone number have no key for the e-mail-only destinations: those rows must
be in the dead-letter topic as no_usable_identifier, and nothing else."""
import os
import random
import time

import sgxsys

EVENTS = int(os.environ.get("SGX_CRASH_EVENTS", "500000"))
DD_EVENTS = int(os.environ.get("SGX_CRASH_DD_EVENTS", "20000"))
KILLS = 10


def routed_with_key(events, segments, member_of):
    segs = set(segments)
    return sum(1 for p, s, _ in events if s in segs and member_of(p) is not None)


def test_crash(env):
    rng = random.Random(1)
    events, segments, plain_segs, n_plain = sgxsys.make_events(rng, EVENTS, 3, 200000)
    rng_dd = random.Random(11)
    dd_events, dd_segs, _, _ = sgxsys.make_events(rng_dd, DD_EVENTS, 1, 200000, prefix="dd-")
    all_events = sgxsys.merge_events(events, dd_events, rng_dd)
    env.setup(partitions=12, segments=segments + dd_segs)
    env.add_async(msads_segments=segments + dd_segs, dd_segments=dd_segs)

    seg = env.segexport(max_inflight_events=50000, consumer_group_per_destination=True).start()
    t0 = time.monotonic()

    def produce():
        for p, s, op in all_events:
            env.producer.send(p, s, op)
        env.producer.flush()
        return time.monotonic() - t0

    thread, res = sgxsys.produce_in_background(produce)
    # Kill at random points of progress (rows acknowledged by the Meta emulator), then at a
    # random sub-second offset, so kills land in startup, rebalance, steady state and
    # backpressure, and in the middle of bulk jobs and imports.
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
    checks = env.expected_all()
    sgxsys.wait_all_exact(checks, 300)
    total = time.monotonic() - t0
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    # Quiet for a moment: nothing more may arrive (late resends would be counted below).
    time.sleep(2)
    assert sgxsys.dests_equal(checks) is None
    stats = env.meta.stats()
    ms = env.msads.stats()
    dd = env.dd.stats()
    rows_plain = sgxsys.delivered_rows(env.meta, plain_segs)
    assert rows_plain is not None, f"too many requests for the emulator's log: {stats}"
    dup = rows_plain - n_plain
    assert dup >= 0, f"fewer rows than events on the enter-only audiences: {rows_plain}"
    assert seg.alive()
    dlq = sgxsys.check_dlq_no_key(env.broker, env.dlq, {
        "microsoft": sgxsys.no_key_profiles(all_events, list(env.msads.audiences),
                                            env.msads.member_of),
        "dotdigital": sgxsys.no_key_profiles(all_events, dd_segs, env.dd.member_of)})
    ms_routed = routed_with_key(all_events, list(env.msads.audiences), env.msads.member_of)
    dd_routed = routed_with_key(all_events, dd_segs, env.dd.member_of)
    ms_abandoned = ms["uploads"] - ms["jobs_completed"] - ms["jobs_failed"]
    assert ms["jobs_failed"] == 0 and ms["rows_failed"] == 0, ms
    assert dd["rows_faulted"] == 0, dd
    sgxsys.figure("crash.events", EVENTS)
    sgxsys.figure("crash.events_dd_segments", DD_EVENTS)
    sgxsys.figure("crash.kills", len(kills))
    sgxsys.figure("crash.rows_received", stats["rows_received"])
    sgxsys.figure("crash.duplicate_rows_enter_only_audiences", dup)
    sgxsys.figure("crash.enter_only_events", n_plain)
    sgxsys.figure("crash.duplicate_rate", round(dup / n_plain, 4))
    sgxsys.figure("crash.requests", stats["requests"])
    sgxsys.figure("crash.seconds_total", round(total, 1))
    sgxsys.figure("crash.members_expected", sum(len(v) for v in checks[0][1].values()))
    sgxsys.figure("crash.msads.members_expected", sum(len(v) for v in checks[1][1].values()))
    sgxsys.figure("crash.msads.rows_routed", ms_routed)
    sgxsys.figure("crash.msads.rows_applied", ms["rows_received"])
    sgxsys.figure("crash.msads.rows_resent_net", ms["rows_received"] - ms_routed)
    sgxsys.figure("crash.msads.uploads", ms["uploads"])
    sgxsys.figure("crash.msads.jobs_completed", ms["jobs_completed"])
    sgxsys.figure("crash.msads.uploads_abandoned", ms_abandoned)
    sgxsys.figure("crash.dd.members_expected", sum(len(v) for v in checks[2][1].values()))
    sgxsys.figure("crash.dd.rows_routed", dd_routed)
    sgxsys.figure("crash.dd.rows_imported", dd["rows_imported"])
    sgxsys.figure("crash.dd.lookups", dd["lookups"])
    sgxsys.figure("crash.dd.rows_resent_net", dd["rows_imported"] + dd["lookups"] - dd_routed)
    sgxsys.figure("crash.dd.imports", dd["imports"])
    sgxsys.figure("crash.dd.max_active_imports", dd["max_active_imports"])
    sgxsys.figure("crash.dlq_no_usable_identifier", dlq)
    rc, _ = seg.term(15)
    assert rc == 0
