"""The peer benchmark's memory mode (SGX_PEER_MODE=memory, see run.py): segexport alone drains
a backlog once per max_inflight_events value, its resident set and records in flight sampled
over time; the difference between two values' peaks is what one more record in flight costs."""
import json
import os
import re
import threading
import time
import urllib.request

import sgxsys
from sgxsys import log

# max_inflight_events' default (README's configuration reference, config/): the first run leaves
# the setting out, so it measures what a user gets.
DEFAULT_INFLIGHT = 100000
INFLIGHTS = [int(v) for v in os.environ.get(
    "SGX_PEER_MEMORY_INFLIGHT", f"{DEFAULT_INFLIGHT},{DEFAULT_INFLIGHT // 4}").split(",")]
INFLIGHT_RE = re.compile(rb"^segexport_records_in_flight (\d+)", re.M)


def vm_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler:
    """Samples VmRSS and the records-in-flight gauge every `interval` s until stop()."""

    def __init__(self, proc, port, interval=0.2):
        self.proc, self.port, self.interval = proc, port, interval
        self.samples = []  # (seconds since start, VmRSS kB, records in flight or None)
        self.t0 = time.monotonic()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _inflight(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                m = INFLIGHT_RE.search(r.read())
                return int(m.group(1)) if m else None
        except OSError:  # not listening yet, or busy
            return None

    def _loop(self):
        while not self.done.wait(self.interval):
            self.samples.append((time.monotonic() - self.t0, vm_rss_kb(self.proc.pid),
                                 self._inflight()))

    def stop(self):
        self.done.set()
        self.thread.join()
        rss = [s[1] for s in self.samples]
        infl = [s[2] for s in self.samples if s[2] is not None]
        step = max(1, len(self.samples) // 12)
        log("RSS over time (s: MB, in flight): " + ", ".join(
            f"{t:.1f}: {kb / 1024:.0f}, {n if n is not None else '-'}"
            for t, kb, n in self.samples[::step]))
        return {"rss_sampled_max_mb": max(rss, default=0) / 1024,
                "inflight_peak": max(infl, default=0), "samples": len(self.samples)}


def settings_for(base, inflight, port):
    s = json.loads(json.dumps(base))
    s["metrics_listen"] = f"127.0.0.1:{port}"  # the gauge; nothing else changes
    if inflight != DEFAULT_INFLIGHT:
        s["max_inflight_events"] = inflight
    return s


def run(one_run, events, base):
    """one_run(rnd, settings, watch) -> result dict (run.py's one_run for segexport)."""
    out = []
    for i, inflight in enumerate(INFLIGHTS):
        port = sgxsys.free_port()
        r = one_run(i + 1, settings_for(base, inflight, port),
                    lambda proc, port=port: Sampler(proc, port))
        r["max_inflight_events"] = inflight
        out.append(r)
        print(f"RESULT stage=peer_memory events={events} max_inflight_events={inflight} "
              f"rss_mb={r['rss_mb']:.0f} rss_sampled_max_mb={r['rss_sampled_max_mb']:.0f} "
              f"inflight_peak={r['inflight_peak']} events_per_s={r['events_per_s']:.0f} "
              f"cpu_us_per_event={r['cpu_us_per_event']:.3f} valid={int(r['valid'])}",
              flush=True)
    ok = [r for r in out if r["valid"]]
    if len(ok) >= 2:
        a, b = ok[0], ok[-1]
        d_rss = (a["rss_mb"] - b["rss_mb"]) * 1024 * 1024
        d_set = a["max_inflight_events"] - b["max_inflight_events"]
        d_obs = a["inflight_peak"] - b["inflight_peak"]
        print(f"RESULT stage=peer_rss_per_inflight bytes_per_record={d_rss / d_set:.0f} "
              f"bytes_per_observed_record={d_rss / d_obs if d_obs else 0:.0f} "
              f"max_inflight_events={a['max_inflight_events']},{b['max_inflight_events']} "
              f"rss_mb={a['rss_mb']:.0f},{b['rss_mb']:.0f} "
              f"inflight_peak={a['inflight_peak']},{b['inflight_peak']} "
              f"default_max_inflight_events={DEFAULT_INFLIGHT}", flush=True)
    elif len(out) >= 2:
        print(f"RESULT stage=peer_rss_per_inflight invalid_runs={len(out) - len(ok)}")
