"""pytest fixtures for the system tests: one broker and one registry double for the session,
a fresh Meta emulator, topic and consumer group per test. Everything is stopped at the end,
also when a test fails or the run is interrupted (the broker also has kafka.sh's watchdog)."""
import gc
import json
import os
import signal

import pytest

import sgxsys


def pytest_collection_modifyitems(session, config, items):
    """Scenario 4 restarts the shared broker: run it last."""
    items.sort(key=lambda it: "broker_restart" in it.nodeid)


def _sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def broker():
    signal.signal(signal.SIGTERM, _sigterm)
    b = sgxsys.Broker()
    try:
        b.start()
        yield b
    finally:
        try:
            b.stop()
        finally:
            sgxsys.stop_all()
            os.makedirs(sgxsys.WORK, exist_ok=True)
            with open(os.path.join(sgxsys.WORK, "figures.json"), "w") as f:
                json.dump(sgxsys.FIGURES, f, indent=1, sort_keys=True)


@pytest.fixture(scope="session")
def registry(broker):
    return sgxsys.Registry()


class Env:
    def __init__(self, name, broker, registry):
        self.name = name
        self.broker = broker
        self.registry = registry
        self.topic = f"{name}-events"
        self.dlq = f"{name}-dlq"
        self.group = f"segexport-{name}"
        self.meta = None
        self.procs = []

    def setup(self, partitions, segments, topic_config=None):
        self.segments = segments
        self.broker.create_topic(self.topic, partitions, topic_config)
        self.broker.create_topic(self.dlq, 1, {"max.message.bytes": "16777216"})
        self.meta = sgxsys.Meta(f"{self.name}-meta", segments)
        self.producer = sgxsys.EventProducer(self.broker, self.registry, self.topic)
        return self

    def segexport(self, idx=0, level="info", **over):
        path = os.path.join(sgxsys.WORK, f"{self.name}-{idx}.yaml")
        sgxsys.write_config(path, self.broker, self.registry, self.meta, self.topic, self.group,
                            self.dlq, **over)
        s = sgxsys.Segexport(f"{self.name}-segexport-{idx}", path, level)
        self.procs.append(s)
        return s


@pytest.fixture
def env(request, broker, registry):
    name = request.node.name.replace("test_", "").replace("_", "-")
    e = Env(name, broker, registry)
    yield e
    for s in e.procs:
        if s.alive():
            s.kill9()
    if e.meta:
        e.meta.proc.kill()
    if getattr(e, "producer", None) is not None:
        e.producer.producer.flush(5)
        e.producer = None
        gc.collect()
