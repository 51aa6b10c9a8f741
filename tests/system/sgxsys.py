"""Building blocks of the system tests: a real Kafka broker (kafka.sh), the schema-registry
double and the destination emulators (segexport-emulator: Meta, and the asynchronous Microsoft
Advertising and Dotdigital), segexport processes, a producer that uses confluent-kafka-python's
AvroSerializer, and the expected audiences computed from the log.

Every process started here is registered in PROCS and ended by `stop_all()` (the pytest
fixtures call it, also when a test fails); the broker has its own watchdog (kafka.sh)."""
import ctypes
import hashlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SRC = os.environ.get("SGX_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SGX_BUILD_DIR") or os.path.join(SRC, "build")
SEGEXPORT = os.path.join(BUILD, "segexport")
EMULATOR = os.path.join(BUILD, "segexport-emulator")
KAFKA_SH = os.path.join(SRC, "tests", "system", "kafka.sh")
AVSC = os.path.join(SRC, "deploy", "schemas", "segment_membership.avsc")
WORK = os.environ.get("SGX_SYSTEM_WORK") or os.path.join(BUILD, "system")
TOKEN = "system-test-token"
FIGURES = {}  # name -> value, written to WORK/figures.json at the end of the session

PROCS = []


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout, what, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    # PR_SET_PDEATHSIG: the child gets SIGKILL when the test process is gone, however it ended.
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)


class Proc:
    """A child process whose stdout+stderr go to a log file; it dies with the test process."""

    def __init__(self, name, argv, env=None):
        os.makedirs(WORK, exist_ok=True)
        self.name = name
        self.logpath = os.path.join(WORK, f"{name}.log")
        self.logf = open(self.logpath, "ab")
        self.p = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=env,
                                  preexec_fn=_die_with_parent)
        self.peak_rss_kb = 0
        PROCS.append(self)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def rss_kb(self):
        """VmHWM (peak resident set) so far, in kB; 0 once exited."""
        try:
            with open(f"/proc/{self.p.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        v = int(line.split()[1])
                        self.peak_rss_kb = max(self.peak_rss_kb, v)
                        return v
        except OSError:
            pass
        return 0

    def signal(self, sig):
        if self.alive():
            self.rss_kb()
            self.p.send_signal(sig)

    def kill(self):
        self.signal(signal.SIGKILL)
        self.p.wait()
        self.logf.flush()

    def wait(self, timeout):
        return self.p.wait(timeout)

    def text(self):
        self.logf.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_line(self, needle, timeout):
        return wait_until(lambda: needle in self.text(), timeout, f"{needle!r} in {self.logpath}")


def stop_all():
    for pr in reversed(PROCS):
        if pr.alive():
            pr.p.send_signal(signal.SIGKILL)
            try:
                pr.p.wait(10)
            except subprocess.TimeoutExpired:
                pass
        pr.logf.close()
    PROCS.clear()


def http_json(method, url, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


# ---------------------------------------------------------------------------------------------
# Broker

class Broker:
    def __init__(self):
        self.port = free_port()
        cport = free_port()
        self.state = os.path.join(WORK, "kafka")
        self.env = dict(os.environ, KAFKA_PORT=str(self.port), KAFKA_CONTROLLER_PORT=str(cport),
                        KAFKA_STATE_DIR=self.state, KAFKA_OWNER_PID=str(os.getpid()))
        self.bootstrap = f"127.0.0.1:{self.port}"

    def _sh(self, *args):
        r = subprocess.run(["bash", KAFKA_SH, *args], env=self.env, capture_output=True,
                           text=True, timeout=180)
        if r.returncode != 0:
            raise RuntimeError(f"kafka.sh {' '.join(args)} failed: {r.stderr[-3000:]}")
        return r.stdout.strip()

    def start(self, keep_data=False):
        t0 = time.monotonic()
        out = self._sh("start", *(["--keep-data"] if keep_data else []))
        assert out.splitlines()[-1] == self.bootstrap, out
        log(f"broker up at {self.bootstrap} in {time.monotonic() - t0:.1f} s")
        wait_until(self._metadata_ok, 60, "a metadata request to the broker")

    def _metadata_ok(self):
        try:
            md = self.admin().list_topics(timeout=5)
            return len(md.brokers) == 1
        except Exception:
            return False

    def stop(self):
        self._sh("stop")

    def admin(self):
        if getattr(self, "_admin", None) is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 2})
        return self._admin

    def create_topic(self, name, partitions, config=None):
        admin = self.admin()
        fs = admin.create_topics([NewTopic(name, partitions, 1, config=config or {})])
        for f in fs.values():
            f.result(30)
        wait_until(lambda: len(admin.list_topics(name, timeout=5).topics[name].partitions)
                   == partitions, 30, f"topic {name}")

    def end_offsets(self, topic):
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "sgx-inspect",
                      "log_level": 2})
        try:
            md = c.list_topics(topic, timeout=10).topics[topic]
            out = {}
            for p in md.partitions:
                lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                out[p] = hi
            return out
        finally:
            c.close()

    def committed(self, group, topic, nparts):
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                      "enable.auto.commit": False, "log_level": 2})
        try:
            tps = c.committed([TopicPartition(topic, p) for p in range(nparts)], timeout=15)
            return {tp.partition: tp.offset for tp in tps}
        finally:
            c.close()

    def read_all(self, topic, timeout=30):
        """Every record of topic as (key, value, headers-dict), in partition order."""
        ends = self.end_offsets(topic)
        total = sum(ends.values())
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"sgx-read-{time.time()}",
                      "auto.offset.reset": "earliest", "enable.auto.commit": False,
                      "fetch.max.bytes": 52428800, "log_level": 2})
        out = []
        try:
            c.assign([TopicPartition(topic, p, 0) for p in ends])
            deadline = time.monotonic() + timeout
            while len(out) < total and time.monotonic() < deadline:
                for m in c.consume(1000, 1.0):
                    if m.error():
                        continue
                    out.append((m.key(), m.value(), {k: v for k, v in (m.headers() or [])}))
        finally:
            c.close()
        assert len(out) == total, f"read {len(out)} of {total} records from {topic}"
        return out


# ---------------------------------------------------------------------------------------------
# Emulators

class Registry:
    def __init__(self):
        self.port = free_port()
        self.proc = Proc("registry", [EMULATOR, "registry", "--listen", f"127.0.0.1:{self.port}"])
        self.proc.wait_line("listening on", 10)
        self.url = f"http://127.0.0.1:{self.port}"


class Meta:
    """The Meta emulator, one audience per segment."""

    def __init__(self, name, segments):
        self.name = "meta"
        self.port = free_port()
        self.audiences = {s: str(23850000000000000 + i + 1) for i, s in enumerate(segments)}
        self.proc = Proc(name, [EMULATOR, "facebook", "--listen", f"127.0.0.1:{self.port}",
                                "--access-token", TOKEN,
                                "--audiences", ",".join(self.audiences.values())])
        self.proc.wait_line("listening on", 10)
        self.url = f"http://127.0.0.1:{self.port}"

    def members(self, segment):
        return set(http_json("GET", f"{self.url}/_emulator/audiences/{self.audiences[segment]}")
                   ["members"])

    def stats(self):
        return http_json("GET", f"{self.url}/_emulator/stats")

    def fault(self, **kw):
        http_json("POST", f"{self.url}/_emulator/faults", kw)

    def set_token(self, token):
        """Revokes every other token: requests carrying one get Graph code 190."""
        http_json("POST", f"{self.url}/_emulator/token", {"access_token": token})

    def requests(self, last=1000):
        return http_json("GET", f"{self.url}/_emulator/requests?last={last}")

    def member_of(self, p):
        return member(p)

    def quiet_key(self):
        """What changes whenever the emulator applies rows (see wait_exact)."""
        return self.stats()["rows_received"]


class MsAds:
    """The Microsoft Advertising emulator (Bulk API: upload URL -> upload -> status polls ->
    result file), one customer list per segment. --polls 1: a job reports FileUploaded once
    before it is applied, so there is a window between upload and completion. The emulator
    applies a file only when a status poll completes the job: an upload whose job is never
    polled to completion (segexport killed in between) is never applied."""

    TYPE = "microsoft_ads"

    def __init__(self, name, segments, base_id=8100000001):
        self.name = "microsoft"
        self.port = free_port()
        self.audiences = {s: str(base_id + i) for i, s in enumerate(segments)}
        self.proc = Proc(name, [EMULATOR, "microsoft_ads", "--listen", f"127.0.0.1:{self.port}",
                                "--polls", "1", "--lists", ",".join(self.audiences.values())])
        self.proc.wait_line("listening on", 10)
        self.url = f"http://127.0.0.1:{self.port}"

    def dest(self, limits=None):
        return {"name": self.name, "type": self.TYPE, "settings": {
            "customer_id": "1000001", "account_id": "2000002",
            "developer_token": "demo-developer-token", "client_id": "demo-client-id",
            "refresh_token": "demo-refresh-token",
            "token_url": f"{self.url}/oauth2/v2.0/token", "base_url": self.url,
            "campaign_url": self.url, "poll_interval_ms": 100, "throttle_wait_ms": 1000},
            "segments": dict(self.audiences),
            "limits": limits or {"linger_ms": 500}}

    def members(self, segment):
        return set(http_json("GET", f"{self.url}/_emulator/audiences/{self.audiences[segment]}")
                   ["members"])

    def stats(self):
        return http_json("GET", f"{self.url}/_emulator/stats")

    def fault(self, **kw):
        """kind 5xx (code) or throttle (error 4204), count requests of BulkUploadUrl and
        BulkUploadStatus; count 0 ends it."""
        http_json("POST", f"{self.url}/_emulator/faults", kw)

    def member_of(self, p):
        email, _ = profile_ids(p)
        return hashlib.sha256(email.encode()).hexdigest() if email else None

    def quiet_key(self):
        st = self.stats()
        return (st["rows_received"], st["uploads"], st["jobs_completed"])

    def applied_rows(self):
        return self.stats()["rows_received"]


class Dotdigital:
    """The Dotdigital emulator (v2: CSV import -> status polls -> report-faults; EXIT = lookup
    per e-mail + delete), one address book per segment. Like Microsoft's, an import is applied
    only when a status poll finishes it (--import-steps 1: the second poll).

    Its inspection endpoint sorts a book's members with an insertion sort while holding the
    emulator's lock (about 3.6 s for 20,000 members, 9.7 s for 40,000): keep books small and
    read them only when everything else is exact."""

    TYPE = "dotdigital"
    USER = "apiuser-system@apiconnector.com"
    PASSWORD = "system-password"

    def __init__(self, name, segments, base_id=600001):
        self.name = "dotdigital"
        self.port = free_port()
        self.audiences = {s: str(base_id + i) for i, s in enumerate(segments)}
        self.proc = Proc(name, [EMULATOR, "dotdigital", "--listen", f"127.0.0.1:{self.port}",
                                "--api-user", self.USER, "--api-password", self.PASSWORD,
                                "--region", "r1", "--import-steps", "1",
                                "--address-books", ",".join(self.audiences.values())])
        self.proc.wait_line("listening on", 10)
        self.url = f"http://127.0.0.1:{self.port}"

    def dest(self, limits=None):
        # max_inflight 2: an import abandoned by a kill never finishes in the emulator and keeps
        # one of the account's 25 active-import slots; 10 kills x 2 still leave 5.
        return {"name": self.name, "type": self.TYPE, "settings": {
            "api_user": self.USER, "api_password": self.PASSWORD, "region": "r1",
            "base_url": f"{self.url}/", "fields": "EMAIL", "poll_interval_ms": 50},
            "segments": dict(self.audiences),
            "limits": limits or {"linger_ms": 500, "max_inflight": 2}}

    def members(self, segment):
        return set(http_json("GET", f"{self.url}/_emulator/audiences/{self.audiences[segment]}",
                             timeout=120)["members"])

    def stats(self):
        return http_json("GET", f"{self.url}/_emulator/stats")

    def fault(self, **kw):
        """kind 5xx (param = status) or throttle (429, x-ratelimit-reset = now + param s) for
        the next count API requests, whatever they are; count 0 ends it."""
        http_json("POST", f"{self.url}/_emulator/faults", kw)

    def member_of(self, p):
        email, _ = profile_ids(p)
        return email

    def quiet_key(self):
        st = self.stats()
        return (st["rows_imported"], st["contacts_removed"], st["imports"], st["import_polls"],
                st["lookups"], st["deletes"])

    def applied_rows(self):
        st = self.stats()
        return st["rows_imported"] + st["contacts_removed"]


class Criteo:
    """The Criteo emulator (OAuth client credentials, contact-list amendments), one audience per
    segment. Members are the SHA-256 hex of the e-mail (profile_ids' e-mails are already
    normalized); phone-only profiles have no key for it."""

    TYPE = "criteo"
    CLIENT_ID = "system-client"
    CLIENT_SECRET = "system-secret"

    def __init__(self, name, segments, base_id=7100001):
        self.name = "criteo"
        self.port = free_port()
        self.audiences = {s: str(base_id + i) for i, s in enumerate(segments)}
        self.proc = Proc(name, [EMULATOR, "criteo", "--listen", f"127.0.0.1:{self.port}",
                                "--client-id", self.CLIENT_ID,
                                "--client-secret", self.CLIENT_SECRET,
                                "--audiences", ",".join(self.audiences.values())])
        self.proc.wait_line("listening on", 10)
        self.url = f"http://127.0.0.1:{self.port}"

    def dest(self, limits=None):
        return {"name": self.name, "type": self.TYPE, "settings": {
            "client_id": self.CLIENT_ID, "client_secret": self.CLIENT_SECRET,
            "advertiser_id": "777", "base_url": f"{self.url}/"},
            "segments": dict(self.audiences),
            "limits": limits or {"linger_ms": 50}}

    def members(self, segment):
        return set(http_json("GET", f"{self.url}/_emulator/audiences/{self.audiences[segment]}")
                   ["members"])

    def stats(self):
        return http_json("GET", f"{self.url}/_emulator/stats")

    def fault(self, **kw):
        """kind throttle (429) or 5xx (code) for the next count API calls; count 0 ends it."""
        http_json("POST", f"{self.url}/_emulator/faults", kw)

    def member_of(self, p):
        email, _ = profile_ids(p)
        return hashlib.sha256(email.encode()).hexdigest() if email else None

    def quiet_key(self):
        st = self.stats()
        return (st["add_requests"], st["remove_requests"], st["identifiers_valid"])


# ---------------------------------------------------------------------------------------------
# segexport

PER_DEST_GROUPS = {}  # group.id -> destination names, for configs with two or more


def write_config(path, broker, registry, meta, topic, group, dlq, more_dests=(), **over):
    """segexport's config: Meta (all its segments) plus more_dests (destination entries, e.g.
    MsAds.dest()), all in the one process and consumer group."""
    kafka = {
        "bootstrap.servers": broker.bootstrap,
        "group.id": group,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        "auto.commit.interval.ms": 1000,
        "topic.metadata.refresh.interval.ms": 5000,
        "reconnect.backoff.max.ms": 1000,
        "message.max.bytes": 16777216,
    }
    kafka.update(over.pop("kafka", {}))
    limits = over.pop("limits", {"linger_ms": 100})
    meta_settings = {"access_token": TOKEN, "base_url": meta.url, "keys": "EMAIL,PHONE"}
    # e.g. {"access_token": None, "access_token_file": path}: None drops a setting
    meta_settings.update(over.pop("meta_settings", {}))
    meta_settings = {k: v for k, v in meta_settings.items() if v is not None}
    cfg = {
        "kafka": kafka,
        "topics": [topic],
        "dead_letter_topic": dlq,
        "schema_registry": {"url": registry.url},
        "workers": 2,
        "max_inflight_events": 50000,
        "max_record_bytes": 1048576,
        "shutdown_grace_ms": 10000,
        "retry_base_ms": 100,
        "retry_cap_ms": 2000,
        "request_timeout_ms": 10000,
        "destinations": [{
            "name": "meta",
            "type": "facebook",
            "settings": meta_settings,
            "segments": dict(meta.audiences),
            "limits": limits,
        }] + list(more_dests),
    }
    cfg.update(over)
    names = [d["name"] for d in cfg["destinations"]]
    if len(names) >= 2 and cfg.get("consumer_group_per_destination", False):
        PER_DEST_GROUPS[group] = names
    else:
        PER_DEST_GROUPS.pop(group, None)
    # JSON is YAML: no YAML library needed, and quoting is exact.
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return cfg


class Segexport:
    """One `segexport run` process; each start appends to the same log file."""

    def __init__(self, name, config_path, level="info"):
        self.name = name
        self.config = config_path
        self.level = level
        self.proc = None
        self.generation = 0
        self.peak_rss_kb = 0

    def start(self):
        self.generation += 1
        self.proc = Proc(f"{self.name}", [SEGEXPORT, "run", "-c", self.config, "--log-level",
                                          self.level])
        return self

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def sample_rss(self):
        if self.proc:
            self.proc.rss_kb()
            self.peak_rss_kb = max(self.peak_rss_kb, self.proc.peak_rss_kb)
        return self.peak_rss_kb

    def kill9(self):
        self.sample_rss()
        self.proc.kill()

    def term(self, timeout):
        """SIGTERM; returns (exit code, seconds to exit)."""
        self.sample_rss()
        t0 = time.monotonic()
        self.proc.signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = None
        return rc, time.monotonic() - t0

    def text(self):
        return self.proc.text() if self.proc else ""


# ---------------------------------------------------------------------------------------------
# Events

def schema_str():
    with open(AVSC) as f:
        return f.read()


def profile_ids(p):
    """Identifiers of profile p, already in normalized form, so the expected hash is simple:
    lowercase e-mail; E.164 phone (Meta wants its digits without '+'). Every third profile has
    only an e-mail, every fifth only a phone."""
    email = None if p % 5 == 4 else f"user{p}@example.com"
    phone = None if p % 3 == 2 and email else f"+1{300 + (p // 10000) % 600:03d}555{p % 10000:04d}"
    return email, phone


_member_cache = {}


def member(p):
    m = _member_cache.get(p)
    if m is None:
        email, phone = profile_ids(p)
        parts = []
        if email:
            parts.append("EMAIL:" + hashlib.sha256(email.encode()).hexdigest())
        if phone:
            parts.append("PHONE:" + hashlib.sha256(phone[1:].encode()).hexdigest())
        m = _member_cache[p] = ",".join(parts)
    return m


class EventProducer:
    """Produces SegmentMembership events through AvroSerializer and the registry double, keyed
    by profile_id, and remembers the last op per (segment, profile) in log order."""

    def __init__(self, broker, registry, topic):
        self.topic = topic
        self.sr = SchemaRegistryClient({"url": registry.url})
        self.ser = AvroSerializer(self.sr, schema_str())
        self.ctx = SerializationContext(topic, MessageField.VALUE)
        self.producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 50,
                                  "batch.num.messages": 10000, "queue.buffering.max.messages":
                                  500000, "message.max.bytes": 16777216, "acks": "all",
                                  "enable.idempotence": True, "log_level": 2})
        self.last = {}        # (segment, profile) -> op of its last event
        self.count = 0        # good events produced
        self.errors = []

    def event(self, p, segment, op, t=None):
        email, phone = profile_ids(p)
        return {"profile_id": f"profile-{p}", "segment_id": segment, "op": op,
                "event_time": t or int(time.time() * 1000), "email": email, "phone": phone}

    def serialize(self, ev):
        return self.ser(ev, self.ctx)

    def _cb(self, err, msg):
        if err is not None:
            self.errors.append(str(err))

    def send(self, p, segment, op):
        ev = self.event(p, segment, op)
        self.produce_raw(ev["profile_id"].encode(), self.serialize(ev))
        self.last[(segment, p)] = op
        self.count += 1

    def produce_raw(self, key, value, headers=None):
        while True:
            try:
                self.producer.produce(self.topic, value, key, headers=headers,
                                      on_delivery=self._cb)
                break
            except BufferError:
                self.producer.poll(0.1)
        self.producer.poll(0)

    def flush(self):
        left = self.producer.flush(120)
        assert left == 0, f"{left} records not delivered"
        assert not self.errors, self.errors[:5]

    def expected(self, segments, member_of=None):
        """segment -> set of member strings (member_of(p); None = the profile has no key for
        that destination and is not exported there)."""
        member_of = member_of or member
        exp = {s: set() for s in segments}
        for (s, p), op in self.last.items():
            if op == "ENTER" and s in exp:
                m = member_of(p)
                if m is not None:
                    exp[s].add(m)
        return exp


def produce_in_background(fn):
    """Runs fn() in a thread; returns (thread, result-dict with 'error' on failure)."""
    res = {}

    def run():
        try:
            res["value"] = fn()
        except BaseException as e:  # reported by the test
            res["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, res


# ---------------------------------------------------------------------------------------------
# Assertions

def audiences_equal(meta, expected):
    """None when every audience equals the expected set, else a short description."""
    for s, exp in expected.items():
        got = meta.members(s)
        if got != exp:
            return (f"audience {meta.audiences[s]} ({s}): {len(got)} members, expected "
                    f"{len(exp)}; {len(exp - got)} missing, {len(got - exp)} extra")
    return None


def wait_exact(meta, expected, timeout):
    """Waits until every audience is exactly as expected; returns the seconds it took."""
    t0 = time.monotonic()
    last = [None]

    def check():
        last[0] = audiences_equal(meta, expected)
        return last[0] is None

    try:
        wait_until(check, timeout, "exact audiences", interval=1.0)
    except AssertionError:
        raise AssertionError(f"audiences not exact after {timeout} s: {last[0]}")
    return time.monotonic() - t0


def dests_equal(checks):
    """checks: [(emulator, expected)]; None when every audience of every destination is exact,
    else a short description of the first that is not. Stops at the first difference, so a slow
    inspection endpoint (Dotdigital's, put it last) is read only when the others are exact."""
    for emu, expected in checks:
        for s, exp in expected.items():
            got = emu.members(s)
            if got != exp:
                return (f"{emu.name} audience {emu.audiences[s]} ({s}): {len(got)} members, "
                        f"expected {len(exp)}; {len(exp - got)} missing, {len(got - exp)} extra")
    return None


def wait_all_exact(checks, timeout):
    """Waits until every audience of every destination is exact; returns the seconds it took.
    Between full comparisons it waits for something to change in one of the emulators (their
    quiet_key), so slow inspection endpoints are not hammered."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    last = None
    while True:
        keys = [emu.quiet_key() for emu, _ in checks]
        last = dests_equal(checks)
        if last is None:
            return time.monotonic() - t0
        while time.monotonic() < deadline:
            time.sleep(1.0)
            if [emu.quiet_key() for emu, _ in checks] != keys:
                break
        if time.monotonic() >= deadline:
            last = dests_equal(checks)
            if last is None:
                return time.monotonic() - t0
            raise AssertionError(f"audiences not exact after {timeout} s: {last}")


def check_dlq_no_key(broker, dlq, routed_no_key):
    """The DLQ holds only rows of destinations that lack every key of the profile (reason
    no_usable_identifier, or no_usable_identifier_on_exit for an EXIT; here: phone-only profiles for the e-mail-only destinations), and each
    such (destination, key) at least once (more when a record was re-consumed after a kill).
    routed_no_key: destination name -> set of record keys. Returns records per destination."""
    want = {d: set(keys) for d, keys in routed_no_key.items()}
    got = {d: set() for d in want}
    per_dest = {d: 0 for d in want}
    for key, _value, headers in broker.read_all(dlq, timeout=120):
        dest = (headers.get("destination") or b"").decode()
        reason = (headers.get("reason") or b"").decode()
        assert dest in want and reason in ("no_usable_identifier",
                                           "no_usable_identifier_on_exit"), \
            f"unexpected DLQ record: key={key!r} {headers}"
        assert key in want[dest], f"a profile with a usable key dead-lettered for {dest}: {key!r}"
        got[dest].add(key)
        per_dest[dest] += 1
    for d in want:
        assert got[d] == want[d], f"{d}: {len(want[d] - got[d])} key-less rows not in the DLQ"
    return per_dest


def commit_groups(group):
    """The consumer groups segexport commits for under group.id `group`: one per destination
    (`<group>.<name>`) when write_config gave it two or more with consumer_group_per_destination
    on, else the group itself."""
    return [f"{group}.{n}" for n in PER_DEST_GROUPS.get(group, [])] or [group]


def wait_committed(broker, group, topic, timeout):
    ends = broker.end_offsets(topic)
    last = [None]

    def check():
        last[0] = {}
        for g in commit_groups(group):
            c = broker.committed(g, topic, len(ends))
            last[0].update({(g, p): (c.get(p), e) for p, e in ends.items() if c.get(p) != e})
        return not last[0]

    try:
        wait_until(check, timeout, "committed offsets", interval=1.0)
    except AssertionError:
        raise AssertionError(f"offsets not fully committed (partition: (committed, end)): "
                             f"{last[0]}")


def figure(name, value):
    FIGURES[name] = value
    log(f"FIGURE {name} = {value}")


def make_events(rng, n, n_segments, profiles, prefix="seg-"):
    """n events: ENTERs of distinct (profile, segment) pairs over segments seg-0..seg-{k-1}
    (each pair exactly once, never exited: rows to those audiences can only be repeated by a
    re-delivery, never coalesced), and on segment seg-x ENTERs of distinct pairs of which a
    third EXIT again somewhere later in the log. Returns (events, segments, enter_only segments,
    number of events on them)."""
    segs = [f"{prefix}{i}" for i in range(n_segments)]
    xseg = f"{prefix}x"
    n_x = n * 2 // 5
    n_x_exit = n_x // 3
    n_x_enter = n_x - n_x_exit
    n_plain = n - n_x
    assert n_plain <= profiles * n_segments and n_x_enter <= profiles
    plain = rng.sample(range(profiles * n_segments), n_plain)
    keyed = [(rng.uniform(0, n), p // n_segments, segs[p % n_segments], "ENTER") for p in plain]
    xs = rng.sample(range(profiles), n_x_enter)
    xkeys = [rng.uniform(0, n) for _ in xs]
    keyed += [(k, p, xseg, "ENTER") for k, p in zip(xkeys, xs)]
    for j in rng.sample(range(n_x_enter), n_x_exit):
        keyed.append((rng.uniform(xkeys[j], n + 1), xs[j], xseg, "EXIT"))
    keyed.sort(key=lambda e: e[0])
    return [(p, s, op) for _, p, s, op in keyed], segs + [xseg], segs, n_plain


def merge_events(a, b, rng):
    """The events of b spread at random positions over a; each list keeps its own order."""
    keyed = [(float(i), 0, e) for i, e in enumerate(a)]
    pos = sorted(rng.uniform(0, len(a)) for _ in b)
    keyed += [(k, 1, e) for k, e in zip(pos, b)]
    keyed.sort(key=lambda t: (t[0], t[1]))  # stable: b's ties keep b's order
    return [e for _, _, e in keyed]


def no_key_profiles(events, segments, member_of):
    """Record keys of the events on these segments whose profile has no key for a destination
    (member_of(p) is None): the rows that destination dead-letters as no_usable_identifier."""
    segs = set(segments)
    return {f"profile-{p}".encode() for p, s, _ in events if s in segs and member_of(p) is None}


def delivered_rows(meta, segments):
    """Rows the emulator accepted (HTTP 200) for the audiences of these segments, from its
    request log; None when the log (65,536 entries) no longer holds every request."""
    stats = meta.stats()
    if stats["requests"] > 65000:
        return None
    auds = {meta.audiences[s] for s in segments}
    return sum(r["rows"] for r in meta.requests(65536)
               if r["status"] == 200 and r.get("audience") in auds)


# ---------------------------------------------------------------------------------------------
# Observability: /metrics, probes, logs

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# profile_ids' phones, with or without + and country code, not inside a longer number
PHONE_RE = re.compile(r"(?<!\d)\+?1?\d{3}555\d{4}(?!\d)")
PROFILE_RE = re.compile(r"profile-\d+")


def check_no_pii(text):
    """No e-mail address, phone number or profile id of the generated profiles is in text."""
    m = EMAIL_RE.search(text) or PHONE_RE.search(text) or PROFILE_RE.search(text)
    assert m is None, f"PII in the log: ...{text[max(0, m.start() - 80):m.end() + 80]}..."


def scrape(port):
    """GET /metrics, parsed by prometheus_client's text parser: {(sample name, frozenset of
    labels): value}. The parser raises on anything that is not valid exposition text."""
    from prometheus_client.parser import text_string_to_metric_families
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        assert r.status == 200
        assert "version=0.0.4" in r.headers["Content-Type"]
        text = r.read().decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def metric(samples, name, **labels):
    """Sum of the samples called name whose labels include every given one."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def probe(port, path):
    """(HTTP status, parsed JSON body) of /healthz or /readyz."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
