"""The peer benchmark (`make bench-peers`): segexport against a straightforward Go exporter
(bench/peers/goexport: franz-go, hamba/avro, crypto/sha256, net/http) and a franz-go
consume-only baseline, on one real Apache Kafka broker (tests/system/kafka.sh), one workload
produced once by an independent producer (confluent-kafka-python's AvroSerializer), each run
against a fresh `segexport-emulator facebook`, in rotation for several rounds.

A run ends when its consumer group has committed every offset; it counts only if then every
audience equals what the log implies (the truth), member for member. Per contender it prints
    RESULT stage=peer_<name> events_per_s=<median> cpu_us_per_event=<median> rss_mb=<max>
with the range over rounds, then the ratios against the Go exporter and the consume-only CPU.

CPU is the process's user+system time (/proc/PID/stat) at completion; RSS is its VmHWM. For
segexport it also prints the median CPU per event of each thread role (poll, worker, dispatcher,
dlq, librdkafka, other) from /proc/PID/task.
Environment: SGX_PEER_EVENTS (1,000,000), SGX_PEER_PROFILES (200,000), SGX_PEER_ROUNDS (3),
SGX_PEER_PARTITIONS (12), SGX_PEER_CONTENDERS (segexport,goexport,consume_only), and
SGX_PEER_SEGEXPORT_SETTINGS: a JSON object merged into segexport's configuration (its "kafka"
object into the kafka properties), to compare settings, e.g. memory bounds:
    SGX_PEER_SEGEXPORT_SETTINGS='{"max_inflight_events": 50000}'

Two more modes run segexport alone (the Go exporter sends EMAIL+PHONE only):
* SGX_PEER_MODE=memory: memory with a backlog (SGX_PEER_EVENTS defaults to 10,000,000 here).
  The backlog is produced once, then segexport drains it once per value of
  SGX_PEER_MEMORY_INFLIGHT (default "200000,50000": the default max_inflight_events, then a
  quarter of it; the first run has no max_inflight_events in its configuration at all), each
  against a fresh emulator and verified like the rotation; VmRSS and the records-in-flight
  gauge (metrics_listen, the one setting added) are sampled every 0.2 s. Prints
    RESULT stage=peer_memory events=<n> rss_mb=<VmHWM> events_per_s=... cpu_us_per_event=...
    RESULT stage=peer_rss_per_inflight bytes_per_record=<dRSS / d max_inflight_events> ...
* SGX_PEER_KEYS=10: events carry EMAIL, PHONE, FN, LN, CT, ST, ZIP, COUNTRY, GEN and DOBY and
  the Meta destination sends all ten (its `keys` setting); prints
  RESULT stage=peer_segexport_10key ... and RESULT stage=peer_segexport_10key_threads ...
Both produce with SGX_PEER_PRODUCERS (2) processes (bench/peers/backlog.py); so does the
default mode when SGX_PEER_PRODUCERS is set."""
import json
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "system"))
import sgxsys  # noqa: E402  (the system tests' broker, registry, emulator and producer)
from sgxsys import Broker, EventProducer, Meta, Proc, Registry, log, wait_until  # noqa: E402
import backlog  # noqa: E402
import memory  # noqa: E402

MODE = os.environ.get("SGX_PEER_MODE", "peers")
KEYS = int(os.environ.get("SGX_PEER_KEYS", "2"))
EVENTS = int(os.environ.get("SGX_PEER_EVENTS",
                            "10000000" if MODE == "memory" else "1000000"))
PRODUCERS = os.environ.get("SGX_PEER_PRODUCERS")
KEYS10 = "EMAIL,PHONE,FN,LN,CT,ST,ZIP,COUNTRY,GEN,DOBY"
PROFILES = int(os.environ.get("SGX_PEER_PROFILES", "200000"))
ROUNDS = int(os.environ.get("SGX_PEER_ROUNDS", "3"))
PARTITIONS = int(os.environ.get("SGX_PEER_PARTITIONS", "12"))
SEGMENTS = [f"seg-{i}" for i in range(20)]
TOPIC = "peer-bench"
GOEXPORT = os.environ.get("SGX_GOEXPORT") or os.path.join(sgxsys.BUILD, "goexport")
TICK = os.sysconf("SC_CLK_TCK")
CONTENDERS = (["segexport"] if KEYS == 10 else
              os.environ.get("SGX_PEER_CONTENDERS", "segexport,goexport,consume_only").split(","))
SETTINGS = json.loads(os.environ.get("SGX_PEER_SEGEXPORT_SETTINGS", "{}"))
STAGE_SUFFIX = "_10key" if KEYS == 10 else ""


def produce(broker, registry):
    """EVENTS events, ENTER and EXIT mixed (EXIT only of a profile that entered), keyed by
    profile; returns the producer (its .expected() is the truth)."""
    broker.create_topic(TOPIC, PARTITIONS)
    prod = EventProducer(broker, registry, TOPIC)
    rng = random.Random(7)
    t0 = time.monotonic()
    for _ in range(EVENTS):
        p = rng.randrange(PROFILES)
        s = SEGMENTS[rng.randrange(len(SEGMENTS))]
        op = "EXIT" if prod.last.get((s, p)) == "ENTER" and rng.random() < 0.4 else "ENTER"
        prod.send(p, s, op)
    prod.flush()
    log(f"produced {EVENTS} events in {time.monotonic() - t0:.0f} s")
    return prod


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def thread_roles_s(pid):
    """CPU seconds per thread role (segexport names its threads: poll, worker-N, dispatcher,
    dlq; librdkafka's are rdk:*), so a regression shows in the thread that carries it."""
    roles = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            cpu = proc_cpu_s(f"{pid}/task/{tid}")
        except OSError:  # the thread ended meanwhile
            continue
        role = ("librdkafka" if comm.startswith("rdk:") else "worker" if comm.startswith("worker")
                else comm if comm in ("poll", "dispatcher", "dlq") else "other")
        roles[role] = roles.get(role, 0.0) + cpu
    return roles


def segexport_argv(broker, registry, meta, group, work, settings=None):
    """settings: merged into the configuration (None: SGX_PEER_SEGEXPORT_SETTINGS)."""
    cfg = {  # defaults everywhere else: this is what a user runs
        "kafka": {"bootstrap.servers": broker.bootstrap, "group.id": group},
        "topics": [TOPIC],
        "dead_letter_topic": "peer-bench-dlq",
        "schema_registry": {"url": registry.url},
        "destinations": [{"name": "meta", "type": "facebook",
                          "settings": {"access_token": sgxsys.TOKEN, "base_url": meta.url,
                                       "keys": KEYS10 if KEYS == 10 else "EMAIL,PHONE"},
                          "segments": dict(meta.audiences)}],
    }
    extra = json.loads(json.dumps(SETTINGS if settings is None else settings))
    cfg["kafka"].update(extra.pop("kafka", {}))
    cfg.update(extra)
    path = os.path.join(work, f"{group}.yaml")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return [sgxsys.SEGEXPORT, "run", "-c", path, "--log-level", "warn"]


def goexport_argv(broker, registry, meta, group, consume_only=False):
    argv = [GOEXPORT, "-brokers", broker.bootstrap, "-topic", TOPIC, "-group", group,
            "-registry", registry.url, "-meta", meta.url, "-token", sgxsys.TOKEN,
            "-audiences", ",".join(f"{s}={a}" for s, a in meta.audiences.items())]
    return argv + (["-consume-only"] if consume_only else [])


def one_run(name, broker, registry, truth, rnd, settings=None, watch=None):
    """One contender's run; watch(proc) -> an object with stop() -> dict, started with the
    process and stopped when every offset is committed (its dict joins the result)."""
    meta = Meta(f"meta-{name}-{rnd}", SEGMENTS)
    group = f"{name}-r{rnd}"
    if name == "segexport":
        argv = segexport_argv(broker, registry, meta, group, sgxsys.WORK, settings)
    else:
        argv = goexport_argv(broker, registry, meta, group, consume_only=name == "consume_only")
    ends = broker.end_offsets(TOPIC)
    t0 = time.monotonic()
    proc = Proc(f"{name}-{rnd}", argv)
    watcher = watch(proc) if watch else None

    def all_committed():
        if not proc.alive():
            raise AssertionError(f"{name} exited early: {proc.text()[-2000:]}")
        try:
            c = broker.committed(group, TOPIC, len(ends))
        except Exception:  # the group coordinator is not known yet: ask again
            return False
        return all(c.get(p) == e for p, e in ends.items())

    wait_until(all_committed, 1800, f"{name}: every offset committed", interval=0.25)
    elapsed = time.monotonic() - t0
    watched = watcher.stop() if watcher else {}
    cpu, rss = proc_cpu_s(proc.pid), proc_hwm_mb(proc.pid)
    roles = thread_roles_s(proc.pid) if name == "segexport" else {}
    exact = True
    if name != "consume_only":
        diff = sgxsys.audiences_equal(meta, truth)
        exact = diff is None
        if not exact:
            log(f"{name} round {rnd}: INVALID run, audiences differ: {diff}")
    proc.signal(15)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
    meta.proc.kill()
    r = {"events_per_s": EVENTS / elapsed, "cpu_us_per_event": cpu * 1e6 / EVENTS,
         "rss_mb": rss, "valid": exact,
         "threads_us": {k: v * 1e6 / EVENTS for k, v in roles.items()}, **watched}
    log(f"{name} round {rnd}: {r['events_per_s']:.0f} events/s, "
        f"{r['cpu_us_per_event']:.2f} us CPU/event, {rss:.0f} MB peak RSS"
        f"{'' if exact else ' (INVALID)'}")
    return r


def summarize(results):
    med = {}
    for name, runs in results.items():
        ok = [r for r in runs if r["valid"]]
        stage = f"peer_{name}{STAGE_SUFFIX}"
        if not ok:
            print(f"RESULT stage={stage} invalid_runs={len(runs)}")
            continue
        eps = [r["events_per_s"] for r in ok]
        cpu = [r["cpu_us_per_event"] for r in ok]
        med[name] = (statistics.median(eps), statistics.median(cpu))
        print(f"RESULT stage={stage} events_per_s={med[name][0]:.0f} "
              f"cpu_us_per_event={med[name][1]:.3f} rss_mb={max(r['rss_mb'] for r in ok):.0f} "
              f"events_per_s_range={min(eps):.0f}-{max(eps):.0f} "
              f"cpu_us_range={min(cpu):.3f}-{max(cpu):.3f} valid_runs={len(ok)}/{len(runs)}")
    threads = [r["threads_us"] for r in results.get("segexport", []) if r["valid"]]
    if threads:
        roles = sorted({k for t in threads for k in t})
        print(f"RESULT stage=peer_segexport{STAGE_SUFFIX}_threads " + " ".join(
            f"{k}_us_per_event={statistics.median(t.get(k, 0.0) for t in threads):.3f}"
            for k in roles))
    if "segexport" in med and "goexport" in med:
        print(f"RESULT stage=peer_ratio segexport_vs_goexport_events_per_s="
              f"{med['segexport'][0] / med['goexport'][0]:.2f} "
              f"segexport_vs_goexport_cpu={med['segexport'][1] / med['goexport'][1]:.2f}")
    if "segexport" in med and "consume_only" in med:
        print(f"RESULT stage=peer_ratio segexport_cpu_vs_consume_only="
              f"{med['segexport'][1] / med['consume_only'][1]:.2f}")


def main():
    os.makedirs(sgxsys.WORK, exist_ok=True)
    broker = Broker()
    broker.start()
    try:
        registry = Registry()
        if MODE == "memory" or KEYS == 10 or PRODUCERS:
            broker.create_topic(TOPIC, PARTITIONS)
            truth, _ = backlog.produce(broker, registry, TOPIC, EVENTS, PROFILES, SEGMENTS,
                                       int(PRODUCERS or 2), keys10=KEYS == 10)
        else:
            truth = produce(broker, registry).expected(SEGMENTS)
        if MODE == "memory":
            memory.run(lambda rnd, settings, watch: one_run(
                "segexport", broker, registry, truth, rnd, settings, watch), EVENTS, SETTINGS)
            return
        results = {name: [] for name in CONTENDERS}
        for rnd in range(1, ROUNDS + 1):
            for name in results:
                results[name].append(one_run(name, broker, registry, truth, rnd))
        summarize(results)
    finally:
        sgxsys.stop_all()
        broker.stop()


if __name__ == "__main__":
    main()
