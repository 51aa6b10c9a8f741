#!/usr/bin/env python3
"""Independent reference for the Meta /users golden bodies (tests/unit/test_fb_encode.c).

Built with Python's json + urllib + hmac rather than the C encoder, so a bug in the encoder
cannot simply be copied into its golden files. Run from this directory to regenerate:
    python3 facebook_gen.py
The cases here must match the ones in test_fb_encode.c."""
import hashlib
import hmac
import json
from urllib.parse import quote


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


EXTERN_HARD = 'a"b\\c é€ & = + % / ? # ~\n\x01'

CASES = {
    "facebook_add.txt": dict(
        schema=["EMAIL", "PHONE"], token="tok", secret=None, session=(1001, 1, False),
        rows=[[sha("test@example.com"), sha("15551234567")],
              [sha("jane.doe@example.org"), sha("447700900123")]]),
    "facebook_remove.txt": dict(
        schema=["EMAIL", "PHONE"], token="tok", secret=None, session=(1002, 3, True),
        rows=[[sha("test@example.com"), sha("15551234567")]]),
    "facebook_one_key.txt": dict(
        schema=["EMAIL"], token="tok", secret=None, session=(7, 1, True),
        rows=[[sha("test@example.com")], [sha("jane.doe@example.org")]]),
    "facebook_absent.txt": dict(
        schema=["EMAIL", "PHONE"], token="tok", secret=None, session=(8, 2, False),
        rows=[[sha("test@example.com"), ""], ["", sha("15551234567")],
              [sha("jane.doe@example.org"), sha("447700900123")]]),
    "facebook_extern_id.txt": dict(
        schema=["EXTERN_ID", "EMAIL"], token="EAAB/x+y=z&w", secret=None, session=(9, 1, True),
        rows=[[EXTERN_HARD, ""], ["plain-id_1.2~3", sha("test@example.com")]]),
    "facebook_appsecret.txt": dict(
        schema=["EMAIL"], token="token", secret="secret", session=(10, 1, True),
        rows=[[sha("test@example.com")]]),
}


def body(c):
    payload = json.dumps({"schema": c["schema"], "is_raw": True, "data": c["rows"]},
                         ensure_ascii=False, separators=(",", ":"))
    sid, seq, last = c["session"]
    session = json.dumps({"session_id": sid, "batch_seq": seq, "last_batch_flag": last,
                          "estimated_num_total": len(c["rows"])}, separators=(",", ":"))
    out = "payload=%s&session=%s&access_token=%s" % (
        quote(payload, safe=""), quote(session, safe=""), quote(c["token"], safe=""))
    if c["secret"]:
        out += "&appsecret_proof=" + hmac.new(c["secret"].encode(), c["token"].encode(),
                                              hashlib.sha256).hexdigest()
    return out


if __name__ == "__main__":
    for name, case in CASES.items():
        with open(name, "w", encoding="ascii") as f:
            f.write(body(case))
