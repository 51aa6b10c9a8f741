"""Scenario 11, `segexport check --online` as an operator runs it: a real broker, the registry
double and the Meta, Microsoft Advertising and Dotdigital emulators as separate processes on
free ports. A good configuration prints an ok line per check and exits 0; a wrong Meta token, an
unknown address book and a missing dead-letter topic each print a FAIL line and exit 1, and no
line carries a secret."""
import json
import os
import subprocess

import sgxsys

WRONG = "wrong-token-Xv93"


def run_check(path):
    p = subprocess.run([sgxsys.SEGEXPORT, "check", "--online", "-c", path], capture_output=True,
                       text=True, timeout=120)
    sgxsys.log(p.stdout)
    return p.returncode, p.stdout


def test_check_online(env):
    env.setup(partitions=2, segments=["s1", "s2"])
    env.add_async(["s1"], ["s2"])
    seg = env.segexport()
    rc, out = run_check(seg.config)
    assert rc == 0, out
    assert "ok   kafka broker" in out
    assert f"ok   kafka topic {env.topic}\n" in out
    assert f"ok   kafka dead-letter topic {env.dlq}\n" in out
    assert "ok   schema registry (GET /subjects)\n" in out
    for s, aud in env.meta.audiences.items():
        assert f"ok   destination meta: segment {s} -> audience {aud}\n" in out
    assert "ok   destination microsoft: access token\n" in out
    assert f"ok   destination dotdigital: segment s2 -> audience {env.dd.audiences['s2']}\n" in out
    assert "FAIL" not in out

    with open(seg.config) as f:
        cfg = json.load(f)
    cfg["destinations"][0]["settings"]["access_token"] = WRONG
    cfg["destinations"][2]["segments"]["s2"] = "699999"
    cfg["dead_letter_topic"] = f"{env.dlq}-missing"
    bad = os.path.join(sgxsys.WORK, f"{env.name}-bad.yaml")
    with open(bad, "w") as f:
        json.dump(cfg, f)
    rc, out = run_check(bad)
    assert rc == 1, out
    assert f"FAIL kafka dead-letter topic {env.dlq}-missing: not found" in out
    assert "meta_190: access token invalid or expired" in out
    assert ("FAIL destination dotdigital: segment s2 -> audience 699999: "
            "dotdigital: audience not found (HTTP 404)") in out
    assert "ok   destination microsoft: access token\n" in out
    assert WRONG not in out and sgxsys.TOKEN not in out
