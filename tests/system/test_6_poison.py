"""Scenario 6, poison: bad records interleaved with good ones. Every bad one lands in the
dead-letter topic with its reason header, every good one is exported, the offsets are fully
committed, and the one segexport process never stops."""
import random
import re
import struct

from confluent_kafka.schema_registry.avro import AvroSerializer

import sgxsys

NO_PROFILE_ID = """{"type":"record","name":"NoProfileId","namespace":"io.segexport.test",
 "fields":[{"name":"segment_id","type":"string"},
           {"name":"op","type":{"type":"enum","name":"Op","symbols":["ENTER","EXIT"]}},
           {"name":"event_time","type":"long"},
           {"name":"email","type":["null","string"],"default":null}]}"""

# kind -> the reasons segexport may give (README, "Dead-letter topic")
REASONS = {
    "bad_magic": {"bad_magic_byte"},
    "truncated_avro": {"undecodable_body", "truncated"},
    "unknown_schema": {"unknown_schema_id"},
    # A writer schema without profile_id: every record of it is missing the field.
    "missing_profile_id": {"missing_required_field"},
    "empty_profile_id": {"missing_required_field"},
    "ten_megabytes": {"record_too_large"},
    "invalid_utf8": {"no_usable_identifier"},
}


def bad_value(env, kind, i, good):
    if kind == "bad_magic":
        return b"\x01" + good[1:]
    if kind == "truncated_avro":
        return good[: 5 + (len(good) - 5) // 2]
    if kind == "unknown_schema":
        return b"\x00" + struct.pack(">I", 987654) + good[5:]
    if kind == "missing_profile_id":
        ser = AvroSerializer(env.producer.sr, NO_PROFILE_ID,
                             conf={"subject.name.strategy": lambda ctx, name: "no-profile-id"})
        return ser({"segment_id": "seg-a", "op": "ENTER", "event_time": 1,
                    "email": f"nopid{i}@example.com"}, env.producer.ctx)
    if kind == "empty_profile_id":
        ev = env.producer.event(0, "seg-a", "ENTER")
        ev["profile_id"] = ""
        return env.producer.serialize(ev)
    if kind == "ten_megabytes":
        return good[:5] + b"\x00" * (10 * 1024 * 1024)
    if kind == "invalid_utf8":
        placeholder = "qqqqqqqq"
        ev = {"profile_id": f"utf8-{i}", "segment_id": "seg-a", "op": "ENTER", "event_time": 1,
              "email": placeholder + "@example.com", "phone": None}
        v = env.producer.serialize(ev)
        assert v.count(placeholder.encode()) == 1
        return v.replace(placeholder.encode(), b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28")
    raise ValueError(kind)


def test_poison(env):
    segments = ["seg-a", "seg-b", "seg-c"]
    env.setup(partitions=6, segments=segments)
    rng = random.Random(6)
    good_events = [(p, rng.choice(segments), "ENTER") for p in range(3000)]
    good_events += [(p, s, "EXIT") for p, s, _ in rng.sample(good_events, 600)]
    kinds = [k for k in REASONS for _ in range(3 if k == "ten_megabytes" else 8)]
    rng.shuffle(kinds)
    slots = sorted(rng.sample(range(len(good_events)), len(kinds)))

    seg = env.segexport(max_record_bytes=1048576).start()
    bad = {}
    k = 0
    for idx, (p, s, op) in enumerate(good_events):
        while k < len(slots) and slots[k] == idx:
            kind = kinds[k]
            key = f"bad-{kind}-{k}".encode()
            good = env.producer.serialize(env.producer.event(p, s, op))
            env.producer.produce_raw(key, bad_value(env, kind, k, good))
            bad[key] = kind
            k += 1
        env.producer.send(p, s, op)
    env.producer.flush()
    sgxsys.log(f"produced {env.producer.count} good and {len(bad)} bad records")

    expected = env.producer.expected(segments)
    secs = sgxsys.wait_exact(env.meta, expected, 120)
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    sgxsys.wait_until(lambda: sum(env.broker.end_offsets(env.dlq).values()) >= len(bad), 30,
                      "dead-letter records")
    dlq = env.broker.read_all(env.dlq)
    # A dead letter is produced once per consumption, so twice only if the record was consumed
    # twice: after this process lost its partitions (a broker that stalls past
    # session.timeout.ms, seen once in a fresh-clone run: 17 s without an answer), the
    # uncommitted records are consumed again - at least once, as documented. Without a lost
    # or revoked assignment a duplicate is a defect.
    reassigned = re.search(r"\] (lost|revoked) \d+ partition", seg.proc.text()) is not None
    got = {}
    for key, value, headers in dlq:
        assert key in bad, f"a record that is not bad went to the DLQ: key={key!r} {headers}"
        assert key not in got or reassigned, f"{key!r} dead-lettered twice"
        got[key] = headers
    assert set(got) == set(bad), f"missing from the DLQ: {sorted(set(bad) - set(got))}"
    for key, headers in got.items():
        reason = headers.get("reason", b"").decode()
        assert reason in REASONS[bad[key]], f"{key!r}: reason {reason!r}"
        assert headers.get("source.topic", b"").decode() == env.topic, headers
        assert "source.partition" in headers and "source.offset" in headers, headers
    assert seg.alive(), "segexport exited"
    assert seg.proc.text().count("running:") == 1
    sgxsys.figure("poison.bad_records", len(bad))
    sgxsys.figure("poison.good_events", env.producer.count)
    sgxsys.figure("poison.seconds_to_exact_after_produce", round(secs, 1))
    rc, secs = seg.term(15)
    assert rc == 0
