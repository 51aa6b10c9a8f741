"""Dotdigital conformance: Dotdigital publishes no SDK on PyPI, so the reference is its own v2
OpenAPI description (README.md: where it comes from, which copy, its sha256). segexport's
connector (dd_once: the connector and the core's HTTP setup) runs an ENTER and two EXIT batches
against the emulator through a recording proxy - one EXIT reads the address book in pages, the
other resolves e-mails one by one - and every exchange is checked against the description:

- the operation exists (method and path template; path parameters of the declared types),
- every query parameter is declared and of its type,
- the request body's content type is declared and its JSON matches the schema,
- a 2xx status is a declared response, its content type the declared one and its JSON matches
  the schema (additionalProperties: false is enforced, so the emulator adds no fields);
  the description declares no error responses for v2, so a 4xx must be the documented v2 error
  shape {"message": "... ERROR_<CODE>"} (https://developer.dotdigital.com/docs/error-handling).

Differences that are not failures are listed in ALLOWED with their reason.
"""
import json
import os
import sys
import re
import subprocess
import threading
import urllib.parse

import jsonschema
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from recorder import Recorder  # noqa: E402  (tests/conformance/recorder.py)

BUILD = os.environ.get("SGX_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../../build"))
EMULATOR = os.path.join(BUILD, "segexport-emulator")
ONCE = os.path.join(BUILD, "dd_once")
SPEC = os.environ.get("SGX_DD_OPENAPI", "")
BOOK = "424242"
IMPORT = "/v2/address-books/{addressBookId}/contacts/import"

# (operation, what) -> why it is not a failure.
ALLOWED = {
    ("POST " + IMPORT, "request content type multipart/form-data"):
        "the description declares only application/json (ApiFileMedia); Dotdigital's reference "
        "for the operation accepts \"a file using a multipart form (content-type: "
        "multipart/form-data)\" as well "
        "(https://developer.dotdigital.com/reference/bulk-import-contacts-in-address-book-with-"
        "merge-option), which spares the base64 third",
}

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")




# ---- the description ------------------------------------------------------------------------

def load_spec():
    with open(SPEC, encoding="utf-8-sig") as f:
        return json.load(f)


def oas30_to_jsonschema(node):
    """OpenAPI 3.0 schema objects -> JSON Schema: `nullable` becomes a null alternative, int32
    and int64 become ranges; every other keyword is JSON Schema already."""
    if isinstance(node, list):
        return [oas30_to_jsonschema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: oas30_to_jsonschema(v) for k, v in node.items()
           if k not in ("nullable", "x-enumNames", "x-enumFlags", "example", "discriminator")}
    if out.get("format") == "int32" and out.get("type") == "integer":
        out.setdefault("minimum", -2**31)
        out.setdefault("maximum", 2**31 - 1)
    if node.get("nullable"):
        if "type" in out and isinstance(out["type"], str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = list(out["enum"]) + [None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


class Spec:
    def __init__(self, doc):
        self.doc = doc
        self.components = oas30_to_jsonschema(doc.get("components", {}))
        self.ops = []
        for template, item in doc["paths"].items():
            for method, op in item.items():
                if method in ("get", "post", "put", "delete", "patch"):
                    params = op.get("parameters", []) + item.get("parameters", [])
                    self.ops.append((method.upper(), template, op, params))
        # literal segments first: /v2/contacts/import beats /v2/contacts/{email}
        self.ops.sort(key=lambda o: -sum(1 for s in o[1].split("/") if not s.startswith("{")))

    def schema(self, s):
        return {"allOf": [oas30_to_jsonschema(s)], "components": self.components}

    def check(self, instance, schema):
        v = jsonschema.Draft7Validator(self.schema(schema))
        return ["%s at %s" % (e.message, "/".join(map(str, e.absolute_path)))
                for e in v.iter_errors(instance)]

    def param_ok(self, value, p):
        s = p.get("schema", {})
        t = s.get("type")
        if t == "integer":
            if not re.fullmatch(r"-?\d+", value):
                return False
            return -2**31 <= int(value) < 2**31 or s.get("format") != "int32"
        if t == "boolean":
            return value in ("true", "false")
        if s.get("format") == "guid":
            return bool(GUID.match(value))
        return True

    def match(self, method, path):
        """The operation and path parameters of a request, or (None, None)."""
        segs = path.split("/")
        for m, template, op, params in self.ops:
            t = template.split("/")
            if m != method or len(t) != len(segs):
                continue
            values = {}
            for a, b in zip(t, segs):
                if a.startswith("{"):
                    values[a[1:-1]] = urllib.parse.unquote(b)
                elif a != b:
                    break
            else:
                declared = {p["name"]: p for p in params if p.get("in") == "path"}
                if all(n in declared and self.param_ok(v, declared[n]) for n, v in values.items()):
                    return (template, op, params), values
        return None, None


# ---- the run --------------------------------------------------------------------------------

@pytest.fixture
def env():
    emu = subprocess.Popen([EMULATOR, "dotdigital", "--listen", "127.0.0.1:0",
                            "--address-books", BOOK, "--import-steps", "1",
                            "--suppressed-domain", "suppressed.test"],
                           stdout=subprocess.PIPE, text=True)
    line = emu.stdout.readline()
    m = re.search(r"listening on ([\d.]+):(\d+)", line)
    assert m, line
    rec = Recorder("http://%s:%s" % m.groups(), keep_host=True)
    t = threading.Thread(target=rec.serve_forever, daemon=True)
    t.start()
    yield rec
    rec.shutdown()
    emu.terminate()
    emu.wait(10)


def once(rec, op, *emails):
    r = subprocess.run([ONCE, rec.base, BOOK, op, *emails], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def problems(spec, rec):
    """Every difference between a recorded exchange and the description, as text."""
    out = []
    for r in rec.records:
        url = urllib.parse.urlsplit(r["path"])
        found, _ = spec.match(r["method"], url.path)
        name = "%s %s" % (r["method"], url.path)
        if not found:
            out.append("%s: no such operation in the description" % name)
            continue
        template, op, params = found
        opname = "%s %s" % (r["method"], template)
        query = {p["name"]: p for p in params if p.get("in") == "query"}
        for k, v in urllib.parse.parse_qsl(url.query, keep_blank_values=True):
            if k not in query:
                out.append("%s: query parameter %s is not declared" % (opname, k))
            elif not spec.param_ok(v, query[k]):
                out.append("%s: query parameter %s=%s is not a %s" %
                           (opname, k, v, query[k].get("schema", {}).get("type")))
        out += request_problems(spec, opname, op, r)
        out += response_problems(spec, opname, op, r)
    return [p for p in out if not allowed(p)]


def allowed(problem):
    return any(problem == "%s: %s" % key for key in ALLOWED)


def request_problems(spec, opname, op, r):
    body = op.get("requestBody")
    ctype = r["headers"].get("Content-Type", "").split(";")[0].strip().lower()
    if not body:
        return ["%s: a body is sent, none is declared" % opname] if r["body"] else []
    content = body.get("content", {})
    if ctype not in content:
        return ["%s: request content type %s" % (opname, ctype)]
    if ctype == "application/json":
        try:
            doc = json.loads(r["body"])
        except ValueError:
            return ["%s: the request body is not JSON" % opname]
        return ["%s: request: %s" % (opname, e)
                for e in spec.check(doc, content[ctype].get("schema", {}))]
    return []


def response_problems(spec, opname, op, r):
    st, rtype = str(r["status"]), r["rtype"].split(";")[0].strip().lower()
    responses = op.get("responses", {})
    if r["status"] >= 400:
        try:
            doc = json.loads(r["rbody"])
        except ValueError:
            doc = None
        ok = isinstance(doc, dict) and isinstance(doc.get("message"), str)
        return [] if ok else ["%s: %s answer is not {\"message\"}" % (opname, st)]
    if st not in responses:
        return ["%s: status %s is not declared (%s)" % (opname, st, sorted(responses))]
    content = responses[st].get("content", {})
    if not content:
        return ["%s: %s has a body, none is declared" % (opname, st)] if r["rbody"] else []
    if rtype not in content:
        return ["%s: response content type %s, declared %s" % (opname, rtype, sorted(content))]
    if rtype == "application/json":
        return ["%s: response %s: %s" % (opname, st, e)
                for e in spec.check(json.loads(r["rbody"]), content[rtype].get("schema", {}))]
    return []


def test_connector_and_emulator_follow_the_description(env):
    spec = Spec(load_spec())
    members = ["ada@example.com", "grace@example.com", "alan@example.com", "edsger@example.com",
               "barbara@example.com"]
    out = once(env, "enter", *members, "sam@suppressed.test")
    assert "dd_rows_not_imported=1" in out, out
    # 5 e-mails against a 1-page book: a scan (1 page * 4 <= 5); one is not a member
    out = once(env, "exit", "ada@example.com", "grace@example.com", "alan@example.com",
               "edsger@example.com", "nobody@example.com")
    assert "dd_removed" in out, out
    # 1 e-mail: resolved by a lookup
    out = once(env, "exit", "barbara@example.com")
    assert "dd_removed" in out, out
    ops = {"%s %s" % (r["method"], urllib.parse.urlsplit(r["path"]).path.replace(BOOK, "{id}"))
           for r in env.records}
    for want in ("POST /v2/address-books/{id}/contacts/import", "GET /v2/address-books/{id}",
                 "GET /v2/address-books/{id}/contacts", "POST /v2/address-books/{id}/contacts/delete",
                 "GET /v2/contacts/barbara@example.com", "GET /v2/contacts/nobody@example.com"):
        assert want in ops, sorted(ops)
    assert any(r["path"].endswith("/report-faults") for r in env.records)
    print("%d exchanges checked: %s" % (len(env.records), ", ".join(sorted(ops))))
    found = problems(spec, env)
    assert not found, "\n".join(found)


def test_the_checks_can_fail(env):
    """The same checks catch a request and an answer that break the description."""
    spec = Spec(load_spec())
    env.records = [
        {"method": "POST", "path": "/v2/address-books/%s/contacts/delete" % BOOK,
         "headers": {"Content-Type": "application/json"}, "body": b'["17"]', "status": 202,
         "rtype": "application/json", "rbody": b'{"id":"x","status":"Started","extra":1}'},
        {"method": "GET", "path": "/v2/address-books/%s/contacts?select=10&top=3" % BOOK,
         "headers": {}, "body": b"", "status": 200, "rtype": "application/json",
         "rbody": b'[{"id":"1","email":"a@b.c"}]'},
        {"method": "GET", "path": "/v2/no-such-thing", "headers": {}, "body": b"",
         "status": 200, "rtype": "application/json", "rbody": b"{}"},
    ]
    found = problems(spec, env)
    assert any("request:" in p for p in found), found
    assert any("extra" in p for p in found), found
    assert any("top is not declared" in p for p in found), found
    assert any("no such operation" in p for p in found), found
    assert any("'1' is not of type 'integer'" in p for p in found), found
