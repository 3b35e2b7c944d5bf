"""Webhooks: unauthenticated invocation by id, asynchronous, with query, form and JSON body as
input, targeting a function version or an alias resolved at every call."""

import json

import pytest
import requests

from hearth import create_function, create_runtime, make_zip, wait_for
from test_config import run

WEBHOOK_KEYS = ["id", "function_id", "function_alias", "function_version", "description", "project_id", "created_at",
                "updated_at", "webhook_url"]


@pytest.fixture(scope="module")
def runtime(daemon):
    return create_runtime(daemon.unix())


@pytest.fixture
def function(admin, runtime):
    return create_function(admin, runtime["id"])


def create_webhook(client, **body):
    reply = client.post("/v1/webhooks", json=body)
    assert reply.status == 201, reply
    return reply.json


def finished(client, execution_id):
    return wait_for(lambda: (e := client.get(f"/v1/executions/{execution_id}").json)["status"] != "running" and e)


def test_crud(daemon, admin, function):
    webhook = create_webhook(admin, function_id=function["id"], function_version=0, function_alias=None, description="hook v0")
    assert list(webhook) == WEBHOOK_KEYS
    assert (webhook["function_id"], webhook["function_version"], webhook["function_alias"]) == (function["id"], 0, None)
    assert webhook["description"] == "hook v0" and webhook["updated_at"] is None
    # Without a configured public URL the URL is built from the Host the caller used.
    tcp = daemon.tcp(daemon.create_token("default"))
    assert tcp.get(f"/v1/webhooks/{webhook['id']}").json["webhook_url"] == f"{daemon.endpoint}/v1/webhooks/{webhook['id']}/invoke"
    assert admin.get(f"/v1/webhooks/{webhook['id']}").json == webhook
    assert webhook in admin.get("/v1/webhooks").json["webhooks"]
    updated = admin.put(f"/v1/webhooks/{webhook['id']}", json={"description": "renamed"}).json
    assert updated["description"] == "renamed" and updated["function_version"] == 0 and updated["updated_at"]
    assert admin.delete(f"/v1/webhooks/{webhook['id']}").status == 204
    gone = admin.get(f"/v1/webhooks/{webhook['id']}")
    assert gone.status == 404 and gone.json["faultstring"] == f"Webhook not found [id={webhook['id']}]"


def test_a_form_post_without_credentials_runs_the_function(daemon, admin, function):
    webhook = create_webhook(admin, function_id=function["id"])
    assert webhook["function_version"] == 0  # Qinling stored null here and every call then failed
    url = f"{daemon.endpoint}/v1/webhooks/{webhook['id']}/invoke"
    reply = requests.post(url, data={"name": "qinling"}, timeout=10)
    assert reply.status_code == 202, reply.text
    execution_id = reply.json()["execution_id"]
    assert list(reply.json()) == ["execution_id"]
    [execution] = admin.get(f"/v1/executions?description=has:{webhook['id']}").json["executions"]
    assert execution["id"] == execution_id and execution["sync"] is False
    assert execution["description"] == f"Created by Webhook {webhook['id']}"
    assert execution["input"] == '{"name": "qinling"}'
    assert finished(admin, execution_id)["status"] == "success"
    assert "Hello, qinling" in admin.get(f"/v1/executions/{execution_id}/log").text


def test_query_json_and_empty_inputs(daemon, admin, function):
    webhook = create_webhook(admin, function_id=function["id"])
    url = f"{daemon.endpoint}/v1/webhooks/{webhook['id']}/invoke"
    inputs = []
    for kwargs in [{"params": {"name": "query", "x": "1"}}, {"params": {"x": "1"}, "json": {"name": "json", "n": 2}},
                   {}, {"params": {"name": "first"}, "data": {"name": "form wins"}}]:
        reply = requests.post(url, timeout=10, **kwargs)
        assert reply.status_code == 202, reply.text
        inputs.append(admin.get(f"/v1/executions/{reply.json()['execution_id']}").json["input"])
    assert [json.loads(i) for i in inputs] == [{"name": "query", "x": "1"}, {"x": "1", "name": "json", "n": 2}, {},
                                                {"name": "form wins"}]
    # A token, even a wrong one, changes nothing.
    assert requests.post(url, headers={"X-Auth-Token": "wrong"}, timeout=10).status_code == 202


def test_version_and_alias_targets(daemon, admin, function):
    assert admin.post(f"/v1/functions/{function['id']}/versions", json={}).status == 201
    admin.put(f"/v1/functions/{function['id']}", data={"source": "package"},
              files={"package": ("p.zip", make_zip({"hello.py": "def main(**kw):\n    return 'current'\n"}))})
    alias = f"hook-{function['id'][:8]}"
    admin.post("/v1/aliases", json={"name": alias, "function_id": function["id"], "function_version": 1})
    on_version = create_webhook(admin, function_id=function["id"], function_version=1)
    via_alias = create_webhook(admin, function_alias=alias)
    assert (via_alias["function_id"], via_alias["function_version"], via_alias["function_alias"]) == (None, None, alias)

    def invoke(webhook):
        reply = requests.post(f"{daemon.endpoint}/v1/webhooks/{webhook['id']}/invoke", data={"name": "qinling"}, timeout=10)
        assert reply.status_code == 202, reply.text
        return finished(admin, reply.json()["execution_id"])

    for webhook in (on_version, via_alias):
        execution = invoke(webhook)
        assert execution["function_version"] == 1 and json.loads(execution["result"])["output"] == "Hello, qinling"
    assert invoke(via_alias)["function_alias"] == alias
    # The alias is resolved at every call.
    admin.put(f"/v1/aliases/{alias}", json={"function_version": 0})
    assert json.loads(invoke(via_alias)["result"])["output"] == "current"

    # A new alias clears id and version; a new version clears the alias.
    to_alias = admin.put(f"/v1/webhooks/{on_version['id']}", json={"function_alias": alias}).json
    assert (to_alias["function_id"], to_alias["function_version"], to_alias["function_alias"]) == (None, None, alias)
    to_version = admin.put(f"/v1/webhooks/{on_version['id']}", json={"function_id": function["id"], "function_version": 1}).json
    assert (to_version["function_id"], to_version["function_version"], to_version["function_alias"]) == (function["id"], 1, None)
    only_version = admin.put(f"/v1/webhooks/{via_alias['id']}", json={"function_version": 1})
    assert only_version.status == 400 and "give function_id" in only_version.json["faultstring"]
    refused = admin.delete(f"/v1/functions/{function['id']}")
    assert refused.status == 403 and "webhook" in refused.json["faultstring"]
    for webhook in (on_version, via_alias):
        admin.delete(f"/v1/webhooks/{webhook['id']}")
    admin.delete(f"/v1/aliases/{alias}")


def test_configured_public_url(fresh_daemon_factory, tmp_path):
    for flag, value, words in [("--public-url", "faas.example.org", "public_url must be an http:// or https:// URL"),
                               ("--max-versions", "0", "max_versions must be at least 1")]:
        refused = run("--data-dir", str(tmp_path), flag, value)
        assert refused.returncode != 0 and words in refused.stderr, refused.stderr

    d = fresh_daemon_factory(args=["--public-url", "https://faas.example.org/"])
    admin = d.unix()
    function = create_function(admin, create_runtime(admin)["id"])
    webhook = create_webhook(admin, function_id=function["id"])
    assert webhook["webhook_url"] == f"https://faas.example.org/v1/webhooks/{webhook['id']}/invoke"


def test_bad_invocations(daemon, admin, function):
    webhook = create_webhook(admin, function_id=function["id"])
    anonymous = daemon.tcp()
    path = f"/v1/webhooks/{webhook['id']}/invoke"
    assert anonymous.get(path).status == 405
    unknown = anonymous.post("/v1/webhooks/00000000-0000-4000-8000-000000000000/invoke")
    assert unknown.status == 404 and unknown.json["faultstring"] == "Webhook not found [id=00000000-0000-4000-8000-000000000000]"
    for raw in [b"{", b"[1, 2]", b'"text"']:
        reply = anonymous.post(path, raw=raw, headers={"Content-Type": "application/json"})
        assert reply.status == 400, (raw, reply)
    # Everything else about webhooks needs credentials.
    assert anonymous.get(f"/v1/webhooks/{webhook['id']}").status == 401
    assert admin.get(f"/v1/executions?description=has:{webhook['id']}").json["executions"] == []


@pytest.mark.parametrize("body,status,words", [
    ({}, 400, "Either function_alias or function_id must be provided."),
    ({"function_id": "00000000-0000-4000-8000-000000000000"}, 404, "Function not found"),
    ({"function_id": "FN", "function_version": 2}, 404, "FunctionVersion not found"),
    ({"function_id": "FN", "function_version": "two"}, 400, "An integer is required"),
    ({"function_alias": "missing-alias"}, 404, "FunctionAlias not found [name=missing-alias]"),
    ({"function_id": "FN", "function_alias": "a"}, 400, "not both"),
    ({"function_id": "FN", "webhook_url": "http://x"}, 400, "Cannot set read only field"),
    ({"function_id": "FN", "description": {"a": 1}}, 400, "Expected a string"),
    ({"function_id": ["FN"]}, 400, "Expected a string"),
])
def test_bad_webhook_requests(admin, function, body, status, words):
    body = {k: (function["id"] if v == "FN" else v) for k, v in body.items()}
    reply = admin.post("/v1/webhooks", json=body)
    assert reply.status == status, reply
    assert words in reply.json["faultstring"]


def test_webhooks_are_per_project(daemon, admin, function):
    webhook = create_webhook(admin, function_id=function["id"])
    stranger = daemon.tcp(daemon.create_token("hooks-stranger"))
    assert stranger.get(f"/v1/webhooks/{webhook['id']}").status == 404
    assert stranger.put(f"/v1/webhooks/{webhook['id']}", json={"description": "mine"}).status == 404
    assert stranger.delete(f"/v1/webhooks/{webhook['id']}").status == 404
    assert stranger.get("/v1/webhooks").json["webhooks"] == []
    assert webhook["id"] in [w["id"] for w in admin.get("/v1/webhooks?all_projects=true").json["webhooks"]]
    assert daemon.unix(project="hooks-other").post("/v1/webhooks", json={"function_id": function["id"]}).status == 404
    admin.delete(f"/v1/webhooks/{webhook['id']}")
