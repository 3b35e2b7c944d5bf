"""Bodies and queries cost the daemon work in proportion to their size: a webhook (no credentials)
with tens of thousands of fields answers at once, nesting is bounded with a 400 that says so,
list filters are bounded, and a function's deeply nested result cannot take the daemon down."""

import json
import time

import pytest
import requests

from functiongraph import zip_b64
from hearth import create_function, create_runtime, execute

# 80,000 fields: ~1.3 MB of JSON. The old daemon spent minutes on this (quadratic in the
# number of fields); linear work takes well under a second.
FIELDS = 80_000
PROMPT = 15  # seconds: generous for a debug build on a loaded machine
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def runtime(daemon):
    return create_runtime(daemon.unix())


@pytest.fixture(scope="module")
def function(daemon, runtime):
    return create_function(daemon.unix(), runtime["id"])


@pytest.fixture(scope="module")
def hook_url(daemon, function):
    reply = daemon.unix().post("/v1/webhooks", json={"function_id": function["id"]})
    assert reply.status == 201, reply
    return f"{daemon.endpoint}/v1/webhooks/{reply.json['id']}/invoke"


def stored_input(admin, reply):
    assert reply.status_code == 202, reply.text
    return json.loads(admin.get(f"/v1/executions/{reply.json()['execution_id']}").json["input"])


def timed_post(url, **kwargs):
    started = time.monotonic()
    reply = requests.post(url, timeout=PROMPT, **kwargs)
    return reply, time.monotonic() - started


def test_a_webhook_json_body_of_many_fields_is_linear(admin, hook_url):
    body = json.dumps({f"k{i}": i for i in range(FIELDS)})
    reply, seconds = timed_post(hook_url, data=body, headers={"Content-Type": "application/json"})
    assert seconds < PROMPT
    received = stored_input(admin, reply)
    assert len(received) == FIELDS and received["k79999"] == 79999


def test_a_webhook_form_of_many_fields_is_linear(admin, hook_url):
    form = "&".join(f"k{i}={i}" for i in range(FIELDS))
    reply, seconds = timed_post(hook_url, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert seconds < PROMPT
    assert len(stored_input(admin, reply)) == FIELDS


def test_a_webhook_body_repeating_one_name_keeps_the_last(admin, hook_url):
    body = "{" + ", ".join(f'"k": {i}' for i in range(FIELDS)) + "}"
    reply, _ = timed_post(hook_url + "?k=query&q=1", data=body, headers={"Content-Type": "application/json"})
    assert stored_input(admin, reply) == {"q": "1", "k": FIELDS - 1}


def test_a_webhook_string_full_of_escapes_is_linear(admin, hook_url):
    text = "ab\\\"" * 500_000  # 2 MB of JSON: text and escapes alternating
    reply, seconds = timed_post(hook_url, data='{"s": "%s"}' % text, headers={"Content-Type": "application/json"})
    assert seconds < PROMPT
    assert stored_input(admin, reply) == {"s": 'ab"' * 500_000}


def test_a_webhook_multipart_body_of_many_parts_is_linear(admin, hook_url):
    parts = 20_000
    prepared = requests.Request("POST", hook_url, files={f"k{i}": (None, str(i)) for i in range(parts)}).prepare()
    reply, seconds = timed_post(hook_url, data=prepared.body, headers={"Content-Type": prepared.headers["Content-Type"]})
    assert seconds < PROMPT
    assert len(stored_input(admin, reply)) == parts


@pytest.mark.parametrize("body", ['{"a": %s}' % DEEP, DEEP], ids=["member", "body"])
def test_deep_nesting_in_a_webhook_body_is_a_400(hook_url, body):
    reply = requests.post(hook_url, data=body, headers={"Content-Type": "application/json"}, timeout=PROMPT)
    assert reply.status_code == 400
    assert "nested deeper than 256 levels" in reply.json()["faultstring"]


def test_deep_nesting_in_an_execution_input_is_a_400(admin, function):
    as_object = admin.post("/v1/executions", raw=('{"function_id": "%s", "input": %s}' % (function["id"], DEEP)).encode(),
                           headers={"Content-Type": "application/json"})
    assert as_object.status == 400 and "nested deeper than 256 levels" in as_object.json["faultstring"]
    # Sent as a JSON string, as the Qinling client sends input: refused too, not run as a
    # positional string that means something else.
    as_string = admin.post("/v1/executions", json={"function_id": function["id"], "input": DEEP})
    assert as_string.status == 400, as_string
    assert "nested deeper than 256 levels" in as_string.json["faultstring"]
    fine = execute(admin, function["id"], input=json.dumps({"name": json.loads("[" * 200 + "]" * 200)}))
    assert fine["status"] == "success"


def test_deep_nesting_in_a_functiongraph_event_is_a_400(daemon, runtime):
    client = daemon.unix(project="deepproject")
    create_runtime(client, image="python3")
    created = client.post("/v2/deepproject/fgs/functions", json={
        "func_name": "deep", "package": "default", "runtime": "Python3.9", "handler": "index.handler", "memory_size": 128,
        "timeout": 30, "code_type": "zip", "func_code": {"file": zip_b64({"index.py": "def handler(e, c):\n    return e\n"})}})
    assert created.status == 200, created
    reply = client.post("/v2/deepproject/fgs/functions/deep/invocations", raw=DEEP.encode(),
                        headers={"Content-Type": "application/json"})
    assert reply.status == 400, reply
    assert reply.json["error_code"] == "FSS.0400" and "nested deeper than 256 levels" in reply.json["error_msg"]


def test_a_deeply_nested_result_does_not_take_the_daemon_down(daemon, admin, runtime, function):
    # The frame decoder parses a result on the worker's I/O thread (256 KiB of stack); a
    # recursive parser crashed the daemon on a result nested 150 deep.
    nested = "def main(**kw):\n    v = []\n    for _ in range(%d):\n        v = [v]\n    return v\n"
    ok = create_function(admin, runtime["id"], files={"hello.py": nested % 200})
    execution = execute(admin, ok["id"])
    assert execution["status"] == "success" and execution["result_json"]["output"] == json.loads("[" * 201 + "]" * 201)
    too_deep = create_function(admin, runtime["id"], files={"hello.py": nested % 500})
    execution = execute(admin, too_deep["id"])
    assert execution["status"] == "failed" and "nested deeper than 256 levels" in execution["result_json"]["output"]
    assert daemon.proc.poll() is None
    assert execute(admin, function["id"])["status"] == "success"


def test_list_filters_are_bounded_with_a_400(admin):
    many = "&".join(f"name=n{i}" for i in range(1000))
    reply = admin.get(f"/v1/functions?{many}")
    assert reply.status == 400 and "at most 100 filters" in reply.json["faultstring"]
    values = "name=in:" + ",".join(f"n{i}" for i in range(2000))
    reply = admin.get(f"/v1/executions?{values}".replace("name=", "description="))
    assert reply.status == 400 and "at most 1000 are allowed" in reply.json["faultstring"]
    assert admin.get("/v1/functions?" + "&".join(f"name=n{i}" for i in range(100))).status == 200
