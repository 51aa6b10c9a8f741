#!/usr/bin/env python3
"""Independent reference for the Criteo golden bodies (tests/unit/test_criteo_encode.c).

Built with Python's json + hashlib rather than the C encoder, so a bug in the encoder cannot
simply be copied into its golden files. Run from this directory to regenerate:
    python3 criteo_gen.py
The cases here must match the ones in test_criteo_encode.c."""
import hashlib
import json


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def amendment(op, ids):
    return {"data": {"type": "ContactlistAmendment",
                     "attributes": {"operation": op, "identifierType": "email",
                                    "identifiers": ids}}}


PLAIN_HARD = 'a"b\\c.d\u00e9@example.com'

CASES = {
    "criteo_add.json": amendment("add", [sha("test@example.com"), sha("jane.doe@example.org")]),
    "criteo_remove.json": amendment("remove", [sha("test@example.com")]),
    "criteo_absent.json": amendment("add", [sha("test@example.com"), sha("jane.doe@example.org")]),
    "criteo_plain.json": amendment("add", ["test@example.com", PLAIN_HARD]),
    "criteo_md5.json": amendment("remove", [md5("test@example.com"), md5("jane.doe@example.org")]),
    "criteo_create.json": {"data": [{"type": "AudienceSegment",
                                     "attributes": {"advertiserId": "12345", "name": "seg-07",
                                                    "description": "segexport segment seg-07",
                                                    "contactList": {}}}]},
}

if __name__ == "__main__":
    for name, doc in CASES.items():
        with open(name, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))
