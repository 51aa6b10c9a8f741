"""Scenario 8, credentials revoked mid-run, then restored through the secret file (issue 10
§1): Meta's access token is read from a file (access_token_file, as a mounted Kubernetes
secret). The token is revoked while events flow: segexport blocks the destination (one loud
line), dead-letters nothing and commits no offset past what was delivered. The file is then
rewritten with a new token that Meta accepts: segexport re-reads it, unblocks, and every
audience ends exact with every offset committed. No token value ever reaches the log."""
import os
import random
import time

import sgxsys

NEW_TOKEN = "system-test-token-rotated"


def write_secret(path, value):
    # Kubernetes swaps a mounted secret atomically (a symlink flip): write aside, then rename.
    with open(path + ".new", "w") as f:
        f.write(value + "\n")
    os.replace(path + ".new", path)


def test_credentials(env):
    segments = ["seg-a", "seg-b", "seg-c"]
    env.setup(partitions=4, segments=segments)
    secret = os.path.join(sgxsys.WORK, f"{env.name}-meta-token")
    write_secret(secret, sgxsys.TOKEN)
    rng = random.Random(8)
    seg = env.segexport(meta_settings={"access_token": None, "access_token_file": secret})
    seg.start()

    # Round 1 goes through with the original token.
    for p in range(2000):
        env.producer.send(p, rng.choice(segments), "ENTER")
    env.producer.flush()
    sgxsys.wait_exact(env.meta, env.producer.expected(segments), 120)
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    delivered_ends = env.broker.end_offsets(env.topic)

    # The token is revoked; round 2 flips the same profiles.
    env.meta.set_token(NEW_TOKEN)
    for p in range(2000):
        env.producer.send(p, rng.choice(segments), rng.choice(["ENTER", "EXIT"]))
    env.producer.flush()
    seg.proc.wait_line("BLOCKED", 60)
    refused = env.meta.stats()["rejected_4xx"]
    sgxsys.wait_until(lambda: env.meta.stats()["rejected_4xx"] >= refused + 3, 60,
                      "re-probes while blocked")
    time.sleep(3)  # three auto.commit.interval.ms
    c1 = env.broker.committed(env.group, env.topic, 4)
    time.sleep(2)
    c2 = env.broker.committed(env.group, env.topic, 4)
    assert c1 == c2 == delivered_ends, f"offsets moved while blocked: {c1} {c2} {delivered_ends}"
    assert sum(env.broker.end_offsets(env.dlq).values()) == 0, "rows were dead-lettered"
    assert seg.text().count("BLOCKED") == 1, "one line per state change, not per request"

    # The secret file is rewritten with the token Meta now accepts.
    t0 = time.monotonic()
    write_secret(secret, NEW_TOKEN)
    seg.proc.wait_line("UNBLOCKED", 60)
    sgxsys.wait_exact(env.meta, env.producer.expected(segments), 120)
    secs = time.monotonic() - t0
    sgxsys.wait_committed(env.broker, env.group, env.topic, 60)
    assert sum(env.broker.end_offsets(env.dlq).values()) == 0, "rows were dead-lettered"
    text = seg.text()
    assert "changed in" in text and "access_token" in text
    assert sgxsys.TOKEN not in text and NEW_TOKEN not in text, "a token reached the log"
    assert seg.alive()
    sgxsys.figure("credentials.seconds_to_exact_after_rotation", round(secs, 1))
    rc, _ = seg.term(15)
    assert rc == 0
