"""pytest fixtures for the system tests: one broker and one registry double for the session,
a fresh Meta emulator (and, for scenarios that ask, Microsoft Advertising and Dotdigital
emulators), topic and consumer group per test. Everything is stopped at the end,
also when a test fails or the run is interrupted (the broker also has kafka.sh's watchdog)."""
import gc
import json
import os
import signal

import pytest

import sgxsys


def pytest_collection_modifyitems(session, config, items):
    """Scenarios that restart the shared broker (4, and modules saying RESTARTS_BROKER) run
    last."""
    items.sort(key=lambda it: "broker_restart" in it.nodeid or
               getattr(it.module, "RESTARTS_BROKER", False))


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
        self.msads = None
        self.dd = None
        self.crt = None
        self.procs = []

    def setup(self, partitions, segments, topic_config=None):
        self.segments = segments
        self.broker.create_topic(self.topic, partitions, topic_config)
        self.broker.create_topic(self.dlq, 1, {"max.message.bytes": "16777216"})
        self.meta = sgxsys.Meta(f"{self.name}-meta", segments)
        self.producer = sgxsys.EventProducer(self.broker, self.registry, self.topic)
        return self

    def add_async(self, msads_segments, dd_segments):
        """The asynchronous destinations, exported to by the same segexport as Meta."""
        self.msads = sgxsys.MsAds(f"{self.name}-msads", msads_segments)
        self.dd = sgxsys.Dotdigital(f"{self.name}-dotdigital", dd_segments)
        return self

    def add_criteo(self, segments):
        """A Criteo emulator, exported to by the same segexport as Meta."""
        self.crt = sgxsys.Criteo(f"{self.name}-criteo", segments)
        return self

    def dests(self):
        return [d for d in (self.meta, self.crt, self.msads, self.dd) if d is not None]

    def expected_all(self):
        """[(emulator, expected audiences)] for every destination, Dotdigital last."""
        return [(d, self.producer.expected(list(d.audiences), d.member_of))
                for d in self.dests()]

    def segexport(self, idx=0, level="info", **over):
        path = os.path.join(sgxsys.WORK, f"{self.name}-{idx}.yaml")
        more = [d.dest() for d in (self.crt, self.msads, self.dd) if d is not None]
        sgxsys.write_config(path, self.broker, self.registry, self.meta, self.topic, self.group,
                            self.dlq, more_dests=more, **over)
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
    for d in e.dests():
        d.proc.kill()
    if getattr(e, "producer", None) is not None:
        e.producer.producer.flush(5)
        e.producer = None
        gc.collect()
