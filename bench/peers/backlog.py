"""Workloads of the peer benchmark's extra modes (bench/peers/run.py): a backlog produced by
several independent producer processes, and profiles carrying ten Meta keys.

Producing through AvroSerializer costs tens of microseconds per event in Python, so a
10,000,000-event backlog is produced by SGX_PEER_PRODUCERS processes at once. Each owns the
profiles p with p % nprocs == its index, so every event of a profile comes from one producer in
that producer's order, and the record key (the profile id) picks the partition: per (segment,
profile) the log order is the producer's order and the truth stays exact. The last op per
(segment, profile) is kept in a bytearray (profiles x segments bytes) rather than a dict of
tuples, and the workers' arrays are disjoint, so merging them is an OR."""
import datetime
import hashlib
import multiprocessing
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "system"))
import sgxsys  # noqa: E402

NONE, ENTER, EXIT = 0, 1, 2
OPS = {ENTER: "ENTER", EXIT: "EXIT"}

# Raw values as a source system holds them -> the form Meta's key table asks for (lowercase,
# letters only for names and cities; two-letter state and country codes; 5-digit US ZIP;
# m/f; four-digit year), so the truth is computed here without segexport's normalizer.
FIRST = [("Ada", "ada"), ("Grace", "grace"), ("Mary-Jane", "maryjane"), ("John", "john"),
         ("Li", "li"), ("Oluwaseun", "oluwaseun"), ("Pierre", "pierre")]
LAST = [("O'Brien", "obrien"), ("Smith", "smith"), ("Van Der Berg", "vanderberg"),
        ("Nguyen", "nguyen"), ("Garcia", "garcia")]
CITY = [("San Francisco", "sanfrancisco"), ("New York", "newyork"), ("Austin", "austin"),
        ("St. Louis", "stlouis"), ("Boise", "boise")]
STATE = [("CA", "ca"), ("New York", "ny"), ("TX", "tx"), ("Missouri", "mo"), ("id", "id")]
GENDER = [("F", "f"), ("male", "m"), ("Female", "f"), ("M", "m")]
EPOCH = datetime.date(1970, 1, 1)


def attrs10(p):
    """(Avro fields beyond email/phone, normalized values by Meta key) of profile p."""
    fn, ln, ct = FIRST[p % 7], LAST[(p // 7) % 5], CITY[(p // 3) % 5]
    st, gen = STATE[(p // 3) % 5], GENDER[p % 4]
    z = f"{10000 + p % 89990:05d}"
    zip_raw = f"{z}-{p % 10000:04d}" if p % 2 else z
    dob = datetime.date(1950 + p % 50, 1 + p % 12, 1 + p % 28)
    fields = {"first_name": fn[0], "last_name": ln[0], "city": ct[0], "state": st[0],
              "postal_code": zip_raw, "country": "US" if p % 3 else "United States",
              "gender": gen[0], "date_of_birth": (dob - EPOCH).days}
    norm = {"GEN": gen[1], "DOBY": f"{dob.year:04d}", "LN": ln[1], "FN": fn[1], "CT": ct[1],
            "ST": st[1], "ZIP": z, "COUNTRY": "us"}
    return fields, norm


# The emulator's member string lists keys in Meta's multi-key order (emulators/facebook_payload.c
# fb_keys), whatever order the schema had.
META_ORDER = ["EMAIL", "PHONE", "GEN", "DOBY", "LN", "FN", "CT", "ST", "ZIP", "COUNTRY"]


_member10 = {}


def member10(p):
    """The Meta emulator's member string of profile p uploaded with all ten keys."""
    m = _member10.get(p)
    if m is None:
        m = _member10[p] = _member10_of(p)
    return m


def _member10_of(p):
    email, phone = sgxsys.profile_ids(p)
    vals = dict(attrs10(p)[1])
    vals["EMAIL"] = email
    vals["PHONE"] = phone[1:] if phone else None
    return ",".join(f"{k}:{hashlib.sha256(vals[k].encode()).hexdigest()}"
                    for k in META_ORDER if vals[k])


def _worker(args):
    (bootstrap, registry_url, topic, idx, nprocs, events, profiles, segments, keys10, seed) = args
    nseg = len(segments)
    from confluent_kafka import Producer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext
    ser = AvroSerializer(SchemaRegistryClient({"url": registry_url}), sgxsys.schema_str())
    ctx = SerializationContext(topic, MessageField.VALUE)
    prod = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50,
                     "batch.num.messages": 10000, "queue.buffering.max.messages": 500000,
                     "acks": "all", "enable.idempotence": True, "log_level": 2})
    errors = []

    def cb(err, _msg):
        if err is not None:
            errors.append(str(err))
    mine = range(idx, profiles, nprocs)
    last = bytearray(profiles * nseg)
    extra = {}
    rng = random.Random(seed * 1000 + idx)
    for _ in range(events):
        p = mine[rng.randrange(len(mine))]
        s = rng.randrange(nseg)
        op = EXIT if last[p * nseg + s] == ENTER and rng.random() < 0.4 else ENTER
        email, phone = sgxsys.profile_ids(p)
        ev = {"profile_id": f"profile-{p}", "segment_id": segments[s], "op": OPS[op],
              "event_time": int(time.time() * 1000), "email": email, "phone": phone}
        if keys10:
            f = extra.get(p)
            if f is None:
                f = extra[p] = attrs10(p)[0]
            ev.update(f)
        value = ser(ev, ctx)
        while True:
            try:
                prod.produce(topic, value, ev["profile_id"].encode(), on_delivery=cb)
                break
            except BufferError:
                prod.poll(0.1)
        prod.poll(0)
        last[p * nseg + s] = op
    left = prod.flush(300)
    if left or errors:
        raise RuntimeError(f"producer {idx}: {left} not delivered, errors {errors[:3]}")
    return bytes(last)


def produce(broker, registry, topic, events, profiles, segments, nprocs, keys10=False, seed=7):
    """Produces `events` events over `profiles` profiles and `segments` with nprocs producer
    processes; returns the truth: segment -> set of member strings."""
    nseg = len(segments)
    share = [events // nprocs + (1 if i < events % nprocs else 0) for i in range(nprocs)]
    jobs = [(broker.bootstrap, registry.url, topic, i, nprocs, share[i], profiles, list(segments),
             keys10, seed) for i in range(nprocs)]
    t0 = time.monotonic()
    # spawn, not fork: the parent holds librdkafka clients whose threads a fork would not copy
    with multiprocessing.get_context("spawn").Pool(nprocs) as pool:
        parts = pool.map(_worker, jobs)
    elapsed = time.monotonic() - t0
    last = bytearray(profiles * nseg)
    for part in parts:
        for i, v in enumerate(part):
            if v:
                last[i] = v
    member_of = member10 if keys10 else sgxsys.member
    truth = {s: set() for s in segments}
    for i, v in enumerate(last):
        if v == ENTER:
            truth[segments[i % nseg]].add(member_of(i // nseg))
    sgxsys.log(f"produced {events} events with {nprocs} producer(s) in {elapsed:.0f} s "
               f"({events / elapsed:.0f} events/s)")
    return truth, events / elapsed
