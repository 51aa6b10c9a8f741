"""Meta conformance: the official SDK from PyPI (facebook-business, unmodified apart from its
host: FacebookSession.GRAPH) drives the emulator through every operation segexport uses - find a
custom audience by name (AdAccount.get_custom_audiences with filtering), create it
(AdAccount.create_custom_audience), add members (CustomAudience.add_users) and remove them
(CustomAudience.remove_users) - and what it sends is compared field by field with what
segexport's connector sends for the same rows (tests/conformance/facebook/fb_once.c: the
connector and the core's HTTP setup): method, path, query versus body placement, parameter
names, payload/session/filtering JSON shape and values. Each client talks to a fresh emulator
through a recording proxy, so ids and values match. Differences are failures unless ALLOWED.

The SDK's own hashing (CustomAudienceMixin.format_params/normalize_key) is compared with
`segexport normalize` in test_normalization_matches_sdk; where they differ NORM_ALLOWED says why.
"""
import hashlib
import json
import os
import sys
import re
import subprocess
import threading
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from recorder import Recorder  # noqa: E402  (tests/conformance/recorder.py)

BUILD = os.environ.get("SGX_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../../build"))
EMULATOR = os.path.join(BUILD, "segexport-emulator")
ONCE = os.path.join(BUILD, "fb_once")
SEGEXPORT = os.path.join(BUILD, "segexport")
TOKEN = "conformance-token"
ACCOUNT = "4242"
SEGMENT = "seg conformance"
DESCRIPTION = "Segment membership managed by segexport"  # what the connector sends
ROWS = [("ada@example.com", "16505550100"), ("grace@example.com", "442079460958")]
JSON_PARAMS = ("payload", "session", "filtering")

# Differences between the SDK's requests and segexport's that are not failures, with the reason.
ALLOWED = {
    ("create", "access_token-placement"):
        "the SDK's FacebookSession puts access_token in the query of every call (session.py "
        "requests.params); segexport sends it in a POST's form body, as Meta's examples do "
        "(curl -F access_token=...), which keeps the token out of URLs that proxies log; Graph "
        "reads it from either",
    ("add", "access_token-placement"): "as for create",
    ("search", "summary-presence"):
        "the SDK's Cursor (api.py, include_summary=True by default) asks every edge read for "
        "summary=true, a total count; segexport reads only the matching audiences",
}

# Normalisation differences (key, raw input): reason. Meta's documentation wins over the SDK.
NORM_ALLOWED = {
    ("PHONE", "+44 (0)20 7946 0958"):
        "segexport drops the national trunk 0 written after a country code (Meta's key table: "
        "digits only, no leading zeros, with country code); the SDK keeps every digit",
    ("FN", "José"):
        "Meta's key table keeps non-ASCII letters as UTF-8; the SDK's normalize_key keeps only "
        "[a-zA-Z] and drops them (destinations.md §1)",
    ("EMAIL", "bob@example.org."):
        "the SDK strips trailing dots from every value; segexport refuses an address ending in "
        "a dot as invalid rather than guess",
}
NORM_CASES = [
    ("EMAIL", " Ada@Example.COM "), ("EMAIL", "bob@example.org."),
    ("PHONE", "+1 (650) 555-0100"), ("PHONE", "+44 (0)20 7946 0958"),
    ("GEN", "Female"), ("GEN", "M"), ("DOBY", "1984"), ("DOBM", "7"), ("DOBD", "03"),
    ("LN", "O'Brien"), ("FN", "José"), ("FN", "Ada"), ("FI", "J"), ("CT", "San Francisco"),
    ("ST", "CA"), ("ZIP", "94025-1234"), ("COUNTRY", "US"),
]




def start_emulator():
    emu = subprocess.Popen([EMULATOR, "facebook", "--listen", "127.0.0.1:0", "--access-token",
                            TOKEN], stdout=subprocess.PIPE, text=True)
    m = re.search(r"listening on ([\d.]+):(\d+)", emu.stdout.readline())
    assert m
    rec = Recorder("http://%s:%s" % m.groups())
    threading.Thread(target=rec.serve_forever, daemon=True).start()
    return emu, rec


@pytest.fixture
def two():
    """A fresh emulator (behind its own recorder) for each client."""
    made = [start_emulator(), start_emulator()]
    yield [rec for _, rec in made]
    for emu, rec in made:
        rec.shutdown()
        emu.terminate()
        emu.wait(10)


def members(rec, aud):
    with urllib.request.urlopen("%s/_emulator/audiences/%s" % (rec.upstream, aud), timeout=10) as r:
        return json.load(r)["count"]


def session(sid):
    return {"session_id": sid, "batch_seq": 1, "last_batch_flag": True,
            "estimated_num_total": len(ROWS)}


def run_sdk(rec):
    from facebook_business.adobjects.adaccount import AdAccount
    from facebook_business.adobjects.customaudience import CustomAudience
    from facebook_business.api import FacebookAdsApi
    from facebook_business.session import FacebookSession
    sess = FacebookSession(access_token=TOKEN)
    sess.GRAPH = rec.base  # the host: the only change from production use
    api = FacebookAdsApi(sess, api_version="v25.0")
    account = AdAccount("act_" + ACCOUNT, api=api)
    search = {"filtering": [{"field": "name", "operator": "EQUAL", "value": SEGMENT}]}
    assert list(account.get_custom_audiences(fields=["id", "name"], params=search)) == []
    aud = account.create_custom_audience(params={
        "name": SEGMENT, "subtype": "CUSTOM", "customer_file_source": "USER_PROVIDED_ONLY",
        "description": DESCRIPTION})
    aud_id = aud["id"]
    ca = CustomAudience(aud_id, api=api)
    users = [list(r) for r in ROWS]
    ca.add_users(["EMAIL", "PHONE"], users, is_raw=True, session=session(1))
    assert members(rec, aud_id) == len(ROWS)
    ca.remove_users(["EMAIL", "PHONE"], users, is_raw=True, session=session(2))
    assert members(rec, aud_id) == 0
    found = list(account.get_custom_audiences(fields=["id", "name"], params=search))
    assert [(a["id"], a["name"]) for a in found] == [(aud_id, SEGMENT)]
    return aud_id


def run_segexport(rec):
    out = subprocess.run([ONCE, rec.base, TOKEN, ACCOUNT, SEGMENT] + ["%s,%s" % r for r in ROWS],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def operation(r):
    path = urllib.parse.urlsplit(r["target"]).path
    if path.endswith("/customaudiences"):
        return "search" if r["method"] == "GET" else "create"
    if path.endswith("/users"):
        return "add" if r["method"] == "POST" else "remove"
    return "other"


def view(r):
    """A request as comparable fields: params with their placement, JSON params parsed."""
    split = urllib.parse.urlsplit(r["target"])
    params = {}
    for where, text in (("query", split.query), ("body", r["body"].decode())):
        for k, v in urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=False):
            params[k] = (where, json.loads(v) if k in JSON_PARAMS else v)
    has_body = bool(r["body"])
    return {"method": r["method"], "path": re.sub(r"/\d{10,}/", "/{id}/", split.path),
            "params": params, "body": has_body,
            "content-type": r["lheaders"].get("content-type", "").split(";")[0] if has_body
            else None}


def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(x) for x in v[:1]]
    return type(v).__name__


def compare(op, sdk, ours, diffs):
    for key in ("method", "path", "body", "content-type"):
        if sdk[key] != ours[key]:
            diffs.append((op, key, sdk[key], ours[key]))
    for name in sorted(set(sdk["params"]) | set(ours["params"])):
        a, b = sdk["params"].get(name), ours["params"].get(name)
        if a is None or b is None:
            diffs.append((op, name + "-presence", a, b))
            continue
        if a[0] != b[0]:
            diffs.append((op, name + "-placement", a[0], b[0]))
        if shape(a[1]) != shape(b[1]):
            diffs.append((op, name + "-shape", shape(a[1]), shape(b[1])))
        elif a[1] != b[1]:
            diffs.append((op, name, a[1], b[1]))


def test_sdk_drives_emulator_and_matches_segexport(two):
    sdk_rec, sx_rec = two
    # 1. The official SDK, unmodified, through all four operations (and its own replies parsed).
    sdk_id = run_sdk(sdk_rec)
    # 2. segexport's connector for the same rows: find (absent), create, add, remove.
    log = run_segexport(sx_rec)
    assert "meta_audience_absent" in log and "meta_audience_created" in log, log
    assert "audience %s" % sdk_id in log, log  # same fresh emulator state, same id
    assert members(sx_rec, sdk_id) == 0
    # A second run finds the audience by name instead of creating another.
    log = run_segexport(sx_rec)
    assert "meta_audience_found" in log and "meta_audience_created" not in log, log
    creates = [r for r in sx_rec.records if operation(r) == "create"]
    assert len(creates) == 1

    by = {}
    for client, rec in (("sdk", sdk_rec), ("segexport", sx_rec)):
        for r in rec.records:
            by.setdefault(client, {}).setdefault(operation(r), []).append(view(r))
    for client in by:
        assert "other" not in by[client]
        for op in ("search", "create", "add", "remove"):
            assert op in by[client], (client, op)
    # 3. Field by field, first request of each operation.
    diffs = []
    for op in ("search", "create", "add", "remove"):
        compare(op, by["sdk"][op][0], by["segexport"][op][0], diffs)
    unexpected = [d for d in diffs if (d[0], d[1]) not in ALLOWED]
    assert not unexpected, "\n".join("%s %s: sdk=%r segexport=%r" % d for d in unexpected)
    assert {(d[0], d[1]) for d in diffs} == set(ALLOWED), "ALLOWED lists a difference not seen"
    # The removal carries everything in its query string, with no body, for both.
    for client in by:
        remove = by[client]["remove"][0]
        assert not remove["body"]
        assert {w for w, _ in remove["params"].values()} == {"query"}


def sdk_hash(key, raw):
    from facebook_business.adobjects.customaudience import CustomAudience
    value = CustomAudience.normalize_key(key, raw.strip(" \t\r\n\0\x0B.").lower())
    return hashlib.sha256(value.encode("utf8")).hexdigest()


def test_normalization_matches_sdk():
    lines = "".join(json.dumps({"key": k, "value": v}) + "\n" for k, v in NORM_CASES)
    out = subprocess.run([SEGEXPORT, "normalize", "--destination", "facebook"], input=lines,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    ours = [json.loads(line).get("sha256") for line in out.stdout.splitlines()]
    assert len(ours) == len(NORM_CASES)
    differ = {case for case, h in zip(NORM_CASES, ours) if h != sdk_hash(*case)}
    assert differ == set(NORM_ALLOWED), sorted(differ ^ set(NORM_ALLOWED))


def test_sdk_reads_emulator_errors(two):
    """Graph errors come back in the shape the SDK parses (FacebookRequestError: code, type)."""
    from facebook_business.adobjects.adaccount import AdAccount
    from facebook_business.adobjects.customaudience import CustomAudience
    from facebook_business.api import FacebookAdsApi
    from facebook_business.exceptions import FacebookRequestError
    from facebook_business.session import FacebookSession
    rec = two[0]

    def api(token):
        sess = FacebookSession(access_token=token)
        sess.GRAPH = rec.base
        return FacebookAdsApi(sess, api_version="v25.0")

    with pytest.raises(FacebookRequestError) as err:
        list(AdAccount("act_" + ACCOUNT, api=api("revoked")).get_custom_audiences(fields=["id"]))
    assert err.value.api_error_code() == 190
    assert err.value.api_error_type() == "OAuthException"
    with pytest.raises(FacebookRequestError) as err:  # no name
        AdAccount("act_" + ACCOUNT, api=api(TOKEN)).create_custom_audience(
            params={"subtype": "CUSTOM", "customer_file_source": "USER_PROVIDED_ONLY"})
    assert err.value.api_error_code() == 100
    with pytest.raises(FacebookRequestError) as err:  # an audience that does not exist
        CustomAudience("23859999999999999", api=api(TOKEN)).remove_users(
            ["EMAIL"], [["ada@example.com"]], is_raw=True)
    assert (err.value.api_error_code(), err.value.api_error_subcode()) == (100, 33)
