"""Bad input to versions, aliases, jobs and webhooks gets a clear 4xx and changes nothing; never a 500."""

import random

from hearth import create_function, create_runtime
from test_bad_input import CONTENT_TYPES, GARBAGE_BODIES


def test_garbage_and_random_bodies_are_4xx(admin):
    function = create_function(admin, create_runtime(admin)["id"])
    fid = function["id"]
    assert admin.post(f"/v1/functions/{fid}/versions", json={}).status == 201
    admin.post("/v1/aliases", json={"name": "fuzz", "function_id": fid})
    job = admin.post("/v1/jobs", json={"function_id": fid, "pattern": "0 0 1 1 *"}).json
    webhook = admin.post("/v1/webhooks", json={"function_id": fid}).json
    targets = [("POST", f"/v1/functions/{fid}/versions"), ("POST", "/v1/aliases"), ("PUT", "/v1/aliases/fuzz"),
               ("POST", "/v1/jobs"), ("PUT", f"/v1/jobs/{job['id']}"), ("POST", "/v1/webhooks"),
               ("PUT", f"/v1/webhooks/{webhook['id']}"), ("POST", f"/v1/webhooks/{webhook['id']}/invoke")]
    for method, path in targets:
        for body in GARBAGE_BODIES:
            for content_type in CONTENT_TYPES:
                reply = admin.request(method, path, raw=body, headers={"Content-Type": content_type})
                assert reply.status < 500, (method, path, body[:40], content_type, reply)
                # A body that parses as no fields is a valid "change nothing" update or an empty invocation.
                if method == "POST" and not path.endswith("/invoke"):
                    assert 400 <= reply.status, (method, path, body[:40], content_type, reply)
                    assert reply.json["faultstring"], reply
    rng = random.Random(11)
    for _ in range(300):
        method, path = rng.choice(targets)
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        reply = admin.request(method, path, raw=body, headers={"Content-Type": rng.choice(CONTENT_TYPES)})
        assert reply.status < 500, (method, path, body, reply)
    unchanged = lambda record: {k: v for k, v in record.items() if k != "updated_at"}
    assert unchanged(admin.get(f"/v1/jobs/{job['id']}").json) == unchanged(job)
    assert admin.get(f"/v1/functions/{fid}/versions").json["function_versions"][0]["version_number"] == 1


def test_wrong_types_in_every_field(admin):
    function = create_function(admin, create_runtime(admin)["id"])
    wrong = [7, 1.5, True, [], {}, "", "x" * 300]
    bodies = {
        "/v1/aliases": {"name": "typed", "function_id": function["id"], "function_version": 0, "description": "d"},
        "/v1/jobs": {"function_id": function["id"], "pattern": "0 0 1 1 *", "count": 2, "name": "n", "function_input": "{}",
                     "function_version": 0, "first_execution_time": "2099-01-01 00:00:00"},
        "/v1/webhooks": {"function_id": function["id"], "function_version": 0, "description": "d"},
    }
    for path, body in bodies.items():
        for field in body:
            for value in wrong:
                reply = admin.post(path, json={**body, field: value})
                assert reply.status < 500, (path, field, value, reply)
                if reply.status >= 400:
                    assert reply.json["faultstring"], reply
