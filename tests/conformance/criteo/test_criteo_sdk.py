"""Criteo conformance: the official SDK from PyPI (criteo-api-marketingsolutions-sdk 2026.7, the
connector's default API version 2026-07), unmodified apart from its host
(ApiClientBuilder.WithClientCredentials(..., host=...) -> Configuration(host=...)), drives the
emulator through every operation segexport uses - the client-credentials token, the segment
search (paged), the segment creation, the contact-list amendment (add and remove) and the
contact-list statistics read by `check --online` - and what it sends is compared field by field
with what segexport's connector sends for the same rows (tests/conformance/criteo/criteo_once.c:
the connector and the core's HTTP setup). Both go through a recording proxy in front of the
emulator. Differences fail unless listed in ALLOWED with a reason.
"""
import hashlib
import json
import os
import sys
import re
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from recorder import Recorder  # noqa: E402  (tests/conformance/recorder.py)

BUILD = os.environ.get("SGX_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../../build"))
EMULATOR = os.path.join(BUILD, "segexport-emulator")
ONCE = os.path.join(BUILD, "criteo_once")
CLIENT, SECRET, ADV = "test-client", "test-secret", "4242"
EMAILS = ["ada@example.com", "grace@example.com", "alan@example.com"]
FILLERS = 130  # more than one search page (limit 100), so the search pages in both clients
VERSION = "2026-07"

# Differences between the SDK's requests and segexport's that are not failures, with the reason.
# (operation, field): reason.
ALLOWED = {
    ("statistics", "content-type"): "the SDK's CriteoRESTClientObject.request (criteo_rest.py) "
                                    "adds Content-Type: application/json to every request, a "
                                    "bodiless GET too; segexport sends none without a body",
    ("statistics", "headers"): "the same Content-Type header, the only difference in the names",
}

TRANSPORT_HEADERS = {"host", "content-length", "connection", "accept-encoding", "user-agent",
                     "expect"}




@pytest.fixture
def env():
    emu = subprocess.Popen([EMULATOR, "criteo", "--listen", "127.0.0.1:0", "--rate-limit", "-1",
                            "--client-id", CLIENT, "--client-secret", SECRET],
                           stdout=subprocess.PIPE, text=True)
    line = emu.stdout.readline()
    m = re.search(r"listening on ([\d.]+):(\d+)", line)
    assert m, line
    upstream = "http://%s:%s" % m.groups()
    rec = Recorder(upstream)
    t = threading.Thread(target=rec.serve_forever, daemon=True)
    t.start()
    yield {"upstream": upstream, "rec": rec}
    rec.shutdown()
    emu.terminate()
    emu.wait(10)


def sha(email):
    return hashlib.sha256(email.encode()).hexdigest()


def emulator_get(upstream, path):
    with urllib.request.urlopen(upstream + path, timeout=10) as r:
        return json.load(r)


# ---- the official SDK ------------------------------------------------------------------------

def sdk():
    import criteo_api_marketingsolutions_v2026_07 as crt
    from criteo_api_marketingsolutions_v2026_07.api.audience_api import AudienceApi
    return crt, AudienceApi


def sdk_api(base):
    """The SDK's own client-credentials client and AudienceApi, its host the proxy."""
    _, AudienceApi = sdk()
    from criteo_api_marketingsolutions_v2026_07.api_client_builder import ApiClientBuilder
    return AudienceApi(ApiClientBuilder.WithClientCredentials(CLIENT, SECRET, host=base))


def sdk_create(api, names):
    from criteo_api_marketingsolutions_v2026_07.model.audience_segment_bulk_create_input_v1 \
        import AudienceSegmentBulkCreateInputV1
    from criteo_api_marketingsolutions_v2026_07.model.audience_segment_create_entity_v1 \
        import AudienceSegmentCreateEntityV1
    from criteo_api_marketingsolutions_v2026_07.model.audience_segment_create_entity_v1_resource \
        import AudienceSegmentCreateEntityV1Resource
    body = AudienceSegmentBulkCreateInputV1(data=[AudienceSegmentCreateEntityV1Resource(
        type="AudienceSegment", attributes=AudienceSegmentCreateEntityV1(
            advertiser_id=ADV, name=n, description="segexport segment " + n, contact_list={}))
        for n in names])
    return [d.id for d in api.create_audience_segments(body).data]


def sdk_find(api, name):
    """The search as the SDK offers it: filters on the server, the name over the pages here
    (AudienceSegmentSearchEntityV1 has no name filter)."""
    from criteo_api_marketingsolutions_v2026_07.model.audience_segment_search_entity_v1 \
        import AudienceSegmentSearchEntityV1
    from criteo_api_marketingsolutions_v2026_07.model.audience_segment_search_entity_v1_resource \
        import AudienceSegmentSearchEntityV1Resource
    from criteo_api_marketingsolutions_v2026_07.model.audience_segment_search_input_v1 \
        import AudienceSegmentSearchInputV1
    query = AudienceSegmentSearchInputV1(data=AudienceSegmentSearchEntityV1Resource(
        type="AudienceSegment", attributes=AudienceSegmentSearchEntityV1(
            advertiser_ids=[ADV], audience_segment_types=["ContactList"])))
    offset = 0
    while True:
        page = api.search_audience_segments(query, limit=100, offset=offset)
        for seg in page.data:
            if seg.attributes.name == name:
                assert seg.attributes.advertiser_id == ADV
                assert seg.attributes.type == "ContactList"
                return seg.id
        offset += len(page.data)
        if not page.data or offset >= page.meta.total_items:
            return None


def sdk_amend(api, seg, op, emails):
    from criteo_api_marketingsolutions_v2026_07.model.contactlist_amendment \
        import ContactlistAmendment
    from criteo_api_marketingsolutions_v2026_07.model.contactlist_amendment_attributes \
        import ContactlistAmendmentAttributes
    from criteo_api_marketingsolutions_v2026_07.model.contactlist_amendment_request \
        import ContactlistAmendmentRequest
    body = ContactlistAmendmentRequest(data=ContactlistAmendment(
        type="ContactlistAmendment", attributes=ContactlistAmendmentAttributes(
            operation=op, identifier_type="email",
            identifiers=[sha(e) if "@" in e else e for e in emails])))
    return api.update_contact_list_by_audience_segment(seg, body)


def run_sdk(env):
    rec = env["rec"]
    rec.client = "setup"
    api = sdk_api(rec.base)
    sdk_create(api, ["filler-%03d" % i for i in range(FILLERS)])
    # A fresh client, so its token request is recorded as the SDK's.
    api = sdk_api(rec.base)
    rec.client = "sdk"
    assert sdk_find(api, "sdk-segment") is None  # two pages, not found
    [seg] = sdk_create(api, ["sdk-segment"])
    assert sdk_find(api, "sdk-segment") == seg
    res = sdk_amend(api, seg, "add", EMAILS + ["not-an-email"])
    assert res.data.attributes.nb_valid_identifiers == len(EMAILS)
    assert res.data.attributes.nb_invalid_identifiers == 1
    assert res.data.attributes.contact_list_id == int(seg)
    res = sdk_amend(api, seg, "remove", EMAILS[:1])
    assert res.data.attributes.nb_valid_identifiers == 1
    stats = api.get_audience_segment_contact_list_statistics(seg)
    assert stats.data.attributes.number_of_identifiers == len(EMAILS) - 1
    return seg


def once(env, *args):
    env["rec"].client = "segexport"
    out = subprocess.run([ONCE, env["rec"].base, ADV] + list(args), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def run_segexport(env):
    """The same operations through the connector: a new segment (search two pages, create,
    add), then a remove and the probe on it."""
    log = once(env, "new", "sx-segment", "add", *EMAILS)
    assert "segment_not_found" in log and "segment_created" in log, log
    seg = re.search(r"^audience (\d+)$", log, re.M).group(1)
    once(env, seg, "sx-segment", "remove", EMAILS[0])
    once(env, seg, "sx-segment", "probe", EMAILS[0])
    return seg


# ---- normalising the recorded requests into comparable operations ----------------------------

def shape(v):
    """The JSON type tree of a body: keys and value types, array elements by their first."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    return type(v).__name__


def operation(method, path):
    p = urllib.parse.urlparse(path).path
    if p == "/oauth2/token":
        return "token"
    m = re.fullmatch(r"/([^/]+)/marketing-solutions/audience-segments/(.+)", p)
    if not m:
        return "other"
    rest = m.group(2)
    if rest in ("search", "create"):
        return rest
    if rest.endswith("/contact-list/statistics"):
        return "statistics"
    if rest.endswith("/contact-list") and method == "PATCH":
        return "patch"
    return "other"


def view(r):
    h = {k.lower(): v for k, v in r["headers"].items()}
    u = urllib.parse.urlparse(r["path"])
    op = operation(r["method"], r["path"])
    v = {"method": r["method"],
         "path": re.sub(r"/\d+/contact-list", "/{id}/contact-list", u.path),
         "query": sorted(urllib.parse.parse_qs(u.query).keys()),
         "headers": sorted(k for k in h if k not in TRANSPORT_HEADERS),
         "content-type": (h.get("content-type") or "").split(";")[0].strip() or None,
         "accept": h.get("accept"),
         "auth-scheme": (h.get("authorization") or " ").split(" ")[0] or None}
    if op == "token":
        form = urllib.parse.parse_qs(r["body"].decode())
        v["form"] = sorted(form)
        v["grant_type"] = form.get("grant_type")
        return op, v
    body = json.loads(r["body"]) if r["body"] else None
    v["body-shape"] = shape(body)
    if op == "search":
        v["values"] = body["data"]["type"], body["data"]["attributes"]
        v["query-values"] = urllib.parse.parse_qs(u.query)
    elif op == "create":
        a = body["data"][0]["attributes"]
        v["values"] = body["data"][0]["type"], a["advertiserId"], a["contactList"]
    elif op == "patch":
        a = body["data"]["attributes"]
        v["values"] = body["data"]["type"], a["operation"], a["identifierType"]
    return op, v


def test_sdk_drives_emulator_and_matches_segexport(env):
    # 1. The official SDK, unmodified, through every operation.
    seg = run_sdk(env)
    assert set(emulator_get(env["upstream"], "/_emulator/audiences/" + seg)["members"]) == \
        {sha(e) for e in EMAILS[1:]}

    # 2. segexport's connector for the same rows.
    ours = run_segexport(env)
    got = emulator_get(env["upstream"], "/_emulator/audiences/" + ours)
    assert got["name"] == "sx-segment"
    assert set(got["members"]) == {sha(e) for e in EMAILS[1:]}

    by = {"sdk": {}, "segexport": {}}
    for r in env["rec"].records:
        if r["client"] in by:
            op, v = view(r)
            by[r["client"]].setdefault(op, []).append((r, v))
    ops = ("token", "search", "create", "patch", "statistics")
    for client in by:
        assert "other" not in by[client], [r["path"] for r, _ in by[client]["other"]]
        for op in ops:
            assert op in by[client], (client, op)
        # Both paged the search: offset 0, then 100.
        offsets = [v["query-values"].get("offset") for _, v in by[client]["search"]][:2]
        assert offsets == [["0"], ["100"]], (client, offsets)
    assert all(v["path"].startswith("/%s/" % VERSION)
               for c in by for op in ops if op != "token" for _, v in by[c][op])

    # 3. Field by field: the first request of each operation, and both amendments.
    pairs = [(op, by["sdk"][op][0][1], by["segexport"][op][0][1]) for op in ops]
    pairs.append(("patch-remove", by["sdk"]["patch"][1][1], by["segexport"]["patch"][1][1]))
    diffs = []
    for op, a, b in pairs:
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key) and (op, key) not in ALLOWED:
                diffs.append("%s %s: sdk=%r segexport=%r" % (op, key, a.get(key), b.get(key)))
    assert not diffs, "\n".join(diffs)


def test_search_before_create_is_idempotent(env):
    """A restart (or another replica) without the state file finds the segment by name - on
    the second search page - instead of creating it again."""
    api = sdk_api(env["upstream"])
    sdk_create(api, ["filler-%03d" % i for i in range(FILLERS)])
    first = once(env, "new", "twice", "add", EMAILS[0])
    created = emulator_get(env["upstream"], "/_emulator/stats")["create_requests"]
    second = once(env, "new", "twice", "add", EMAILS[1])
    assert "segment_found" in second and "segment_created" not in second, second
    assert emulator_get(env["upstream"], "/_emulator/stats")["create_requests"] == created
    seg = re.search(r"^audience (\d+)$", first, re.M).group(1)
    assert re.search(r"^audience %s$" % seg, second, re.M), second
    assert sdk_find(api, "twice") == seg
    assert set(emulator_get(env["upstream"], "/_emulator/audiences/" + seg)["members"]) == \
        {sha(EMAILS[0]), sha(EMAILS[1])}


def test_sdk_reads_emulator_errors(env):
    """Errors are the SDK's CommonProblem (type from its enum); an unknown segment is 404, a
    decommissioned version 410 Gone (developers.criteo.com/criteo-apis/docs/versioning-policy),
    a limit over 100 is refused by the SDK itself before any request."""
    crt, _ = sdk()
    from criteo_api_marketingsolutions_v2026_07.model.common_problem import CommonProblem
    allowed = set(CommonProblem.allowed_values[("type",)].values())
    api = sdk_api(env["upstream"])
    with pytest.raises(crt.ApiException) as err:
        sdk_amend(api, "999999999", "add", EMAILS)
    assert err.value.status == 404
    problems = json.loads(err.value.body)["errors"]
    assert problems and all(p["type"] in allowed for p in problems)
    with pytest.raises(crt.ApiValueError):
        sdk_find_limit(api, 101)
    token = json.loads(urllib.request.urlopen(
        env["upstream"] + "/oauth2/token", urllib.parse.urlencode(
            {"grant_type": "client_credentials", "client_id": CLIENT,
             "client_secret": SECRET}).encode(), timeout=10).read())["access_token"]
    req = urllib.request.Request(
        env["upstream"] + "/2025-10/marketing-solutions/audience-segments/search",
        b"{}", {"Content-Type": "application/json", "Authorization": "Bearer " + token})
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(req, timeout=10)
    assert gone.value.code == 410
    problems = json.loads(gone.value.read())["errors"]
    assert all(p["type"] in allowed for p in problems)


def sdk_find_limit(api, limit):
    from criteo_api_marketingsolutions_v2026_07.model.audience_segment_search_input_v1 \
        import AudienceSegmentSearchInputV1
    return api.search_audience_segments(AudienceSegmentSearchInputV1(), limit=limit)
