"""Bad input gets a clear 4xx and changes nothing; never a 500."""

import json
import random

import pytest

from hearth import create_runtime, make_zip

GARBAGE_BODIES = [
    b"{", b"}", b"[]", b'"text"', b"null", b"42", b"\xff\xfe\x00", b'{"image": }', b'{"image": "a",}',
    b"[" * 10000 + b"]" * 10000, b'{"cpu": 99999999999999999999999}', b'{"cpu": 1e400}',
    b'{"code": {"source": ["package"]}}', b'{"code": "\\ud800"}', b'{"name": "\x00"}', b'{"a": "\\x"}',
]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data",
                 "multipart/form-data; boundary=xyz", "text/plain", ""]


@pytest.fixture(scope="module")
def runtime(daemon):
    return create_runtime(daemon.unix())


@pytest.mark.parametrize("path", ["/v1/runtimes", "/v1/functions"])
def test_garbage_bodies_are_4xx(admin, path):
    for body in GARBAGE_BODIES:
        for content_type in CONTENT_TYPES:
            reply = admin.post(path, raw=body, headers={"Content-Type": content_type})
            assert 400 <= reply.status < 500, (path, body[:40], content_type, reply)
            assert reply.json["faultstring"], reply


def test_random_bytes_never_500(admin, runtime):
    rng = random.Random(7)
    function = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}', "entry": "a.main"},
                          files={"package": ("p.zip", make_zip({"a.py": "def main(): pass\n"}))}).json
    targets = [("POST", "/v1/runtimes"), ("POST", "/v1/functions"), ("PUT", f"/v1/functions/{function['id']}"),
               ("PUT", f"/v1/runtimes/{runtime['id']}")]
    for _ in range(200):
        method, path = rng.choice(targets)
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        reply = admin.request(method, path, raw=body, headers={"Content-Type": rng.choice(CONTENT_TYPES)})
        assert reply.status < 500, (method, path, body, reply)
    assert admin.get(f"/v1/functions/{function['id']}").json["code"] == function["code"]


@pytest.mark.parametrize("body,message", [
    ({"image": "python3", "name": 7}, "Expected a string"),
    ({"image": "python3", "trusted": "sometimes"}, "unambiguous boolean"),
    ({"image": "python3", "trusted": 3}, "unambiguous boolean"),
    ({"image": ["python3"]}, "Expected a string"),
    ({"image": "python3", "extra": 1}, "Unknown attribute for argument runtime: extra"),
])
def test_wrong_types_and_unknown_fields_for_runtimes(admin, body, message):
    reply = admin.post("/v1/runtimes", json=body)
    assert reply.status == 400, reply
    assert message in reply.json["faultstring"]


@pytest.mark.parametrize("body,message", [
    ({"cpu": 1.5}, "An integer is required"),
    ({"cpu": True}, "An integer is required"),
    ({"timeout": [1]}, "An integer is required"),
    ({"code": ["package"]}, "Expected a JSON object"),
    ({"code": "[1]"}, "Expected a JSON object"),
    ({"code": {"source": 1}}, "code.source must be a string"),
    ({"code": {"source": "package", "extra": 1}}, "Unknown attribute for code"),
    ({"code": {}}, "code.source is required"),
    ({"package": "base64?"}, "multipart"),
    ({"surprise": True}, "Unknown attribute for argument function: surprise"),
])
def test_wrong_types_and_unknown_fields_for_functions(admin, runtime, body, message):
    body = {"runtime_id": runtime["id"], "code": {"source": "package"}, **body}
    reply = admin.post("/v1/functions", json=body)
    assert reply.status == 400, reply
    assert message in reply.json["faultstring"]


def test_code_may_be_an_object_or_a_string_in_json(admin, runtime):
    for code in [{"source": "package"}, json.dumps({"source": "package"})]:
        reply = admin.post("/v1/functions", json={"runtime_id": runtime["id"], "code": code})
        assert reply.status == 400 and "multipart field 'package'" in reply.json["faultstring"]


def test_bad_query_values(admin):
    assert admin.get("/v1/functions?all_projects=perhaps").status == 400
    assert admin.get("/v1/functions?cpu=gt:abc").status == 400
    assert admin.get("/v1/functions?cpu=gt:150").status == 200
    assert admin.get("/v1/functions/abc?download=maybe").status == 400
    assert admin.get("/v1/functions/abc?other=1").status == 400


def test_nothing_was_created_by_bad_requests(fresh_daemon_factory):
    d = fresh_daemon_factory()
    admin = d.unix()
    for body in GARBAGE_BODIES:
        admin.post("/v1/runtimes", raw=body, headers={"Content-Type": "application/json"})
        admin.post("/v1/functions", raw=body, headers={"Content-Type": "application/json"})
    assert admin.get("/v1/runtimes").json == {"runtimes": []}
    assert admin.get("/v1/functions").json == {"functions": []}
