"""Function versions: immutable snapshots of a package, numbered from 1 and never reused, each
with its own workers and counts, running its own code whatever the function's package is now."""

import json

import pytest

from hearth import HELLO_PY, create_function, create_runtime, execute, make_zip, wait_for

VERSION_KEYS = ["id", "description", "function_id", "version_number", "count", "project_id", "created_at", "updated_at"]


@pytest.fixture(scope="module")
def runtime(daemon):
    return create_runtime(daemon.unix())


def returning(text):
    return {"f.py": f"def main(**kwargs):\n    print('running {text}')\n    return '{text}'\n"}


def update_package(admin, function_id, files):
    reply = admin.put(f"/v1/functions/{function_id}", data={"source": "package"},
                      files={"package": ("p.zip", make_zip(files))})
    assert reply.status == 200, reply
    return reply.json


def new_version(admin, function_id, description=None):
    reply = admin.post(f"/v1/functions/{function_id}/versions", json={"description": description})
    assert reply.status == 201, reply
    return reply.json


def test_create_list_show_and_the_unchanged_package_rule(admin, runtime):
    function = create_function(admin, runtime["id"])
    base = f"/v1/functions/{function['id']}/versions"
    created = admin.post(base, json={"description": "v1 desc"})
    assert created.status == 201, created
    version = created.json
    assert list(version) == VERSION_KEYS
    assert version["version_number"] == 1 and version["description"] == "v1 desc" and version["count"] == 0
    assert version["function_id"] == function["id"] and version["project_id"] == "default" and version["updated_at"] is None
    assert admin.get(f"/v1/functions/{function['id']}").json["latest_version"] == 1
    assert admin.get(base).json == {"function_versions": [version]}
    assert admin.get(f"{base}/1").json == version

    unchanged = admin.post(base, json={})
    assert unchanged.status == 403
    assert unchanged.json["faultstring"] == "Function package not changed since the latest version 1."

    update_package(admin, function["id"], returning("second"))
    second = admin.post(base, json={}).json
    assert second["version_number"] == 2 and second["description"] is None
    assert [v["version_number"] for v in admin.get(base).json["function_versions"]] == [1, 2]


def test_each_version_runs_its_own_code_after_the_package_changed(admin, runtime):
    function = create_function(admin, runtime["id"], files=returning("first"), entry="f.main")
    new_version(admin, function["id"])
    update_package(admin, function["id"], returning("second"))
    new_version(admin, function["id"])
    update_package(admin, function["id"], returning("third"))

    outputs = lambda: [execute(admin, function["id"], function_version=n)["result_json"]["output"] for n in (0, 1, 2)]
    assert outputs() == ["third", "first", "second"]
    # Warm workers of versions 1 and 2 stay right after another package change, and so do
    # fresh ones specialised from the snapshots.
    update_package(admin, function["id"], returning("fourth"))
    assert outputs() == ["fourth", "first", "second"]
    assert admin.post(f"/v1/functions/{function['id']}/versions/1/detach").status == 202
    v1 = execute(admin, function["id"], function_version=1)
    assert v1["result_json"]["output"] == "first" and v1["function_version"] == 1
    assert admin.get(f"/v1/executions/{v1['id']}/log").text == "running first\n"

    counts = {v["version_number"]: v["count"] for v in admin.get(f"/v1/functions/{function['id']}/versions").json["function_versions"]}
    assert counts == {1: 3, 2: 2}
    assert admin.get(f"/v1/functions/{function['id']}").json["count"] == 2


def test_download_a_version(admin, runtime):
    original = make_zip({"hello.py": HELLO_PY})
    function = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}', "entry": "hello.main"},
                          files={"package": ("p.zip", original)}).json
    new_version(admin, function["id"])
    update_package(admin, function["id"], returning("changed"))
    download = admin.get(f"/v1/functions/{function['id']}/versions/1?download=true")
    assert download.status == 200 and download.body == original
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"] == f'attachment; filename="{function["id"]}_1"'
    assert admin.get(f"/v1/functions/{function['id']}?download=true").body != original
    assert admin.get(f"/v1/functions/{function['id']}/versions/1?download=maybe").status == 400
    assert admin.get(f"/v1/functions/{function['id']}/versions/1?other=1").status == 400


def test_delete_and_numbers_are_never_reused(admin, runtime):
    function = create_function(admin, runtime["id"], files=returning("a"), entry="f.main")
    base = f"/v1/functions/{function['id']}/versions"
    new_version(admin, function["id"])
    update_package(admin, function["id"], returning("b"))
    new_version(admin, function["id"])
    assert admin.delete(f"{base}/2").status == 204
    assert [v["version_number"] for v in admin.get(base).json["function_versions"]] == [1]
    assert admin.get(f"/v1/functions/{function['id']}").json["latest_version"] == 1
    assert admin.get(f"{base}/2").status == 404
    assert admin.delete(f"{base}/2").status == 404
    # The package of version 2 is still the function's current one: a new snapshot is allowed
    # and gets a fresh number.
    assert new_version(admin, function["id"])["version_number"] == 3
    missing = admin.post("/v1/executions", json={"function_id": function["id"], "function_version": 2})
    assert missing.status == 404 and "FunctionVersion not found" in missing.json["faultstring"]
    assert execute(admin, function["id"], function_version=3)["result_json"]["output"] == "b"
    assert admin.delete(f"{base}/1").status == 204
    assert execute(admin, function["id"], function_version=3)["result_json"]["output"] == "b"
    # A function with versions deletes with all of them.
    assert admin.delete(f"/v1/functions/{function['id']}").status == 204
    assert admin.get(base).status == 404


def test_the_maximum_number_of_versions_is_configurable(fresh_daemon_factory):
    d = fresh_daemon_factory(args=["--max-versions", "2"])
    admin = d.unix()
    function = create_function(admin, create_runtime(admin)["id"], files=returning("1"), entry="f.main")
    for n in (1, 2):
        update_package(admin, function["id"], returning(f"v{n}"))
        new_version(admin, function["id"])
    update_package(admin, function["id"], returning("v3"))
    refused = admin.post(f"/v1/functions/{function['id']}/versions", json={})
    assert refused.status == 403
    assert refused.json["faultstring"].startswith("Can not exceed maximum number(2) of versions")
    assert admin.delete(f"/v1/functions/{function['id']}/versions/1").status == 204
    assert new_version(admin, function["id"])["version_number"] == 3


def test_per_version_workers_scale_and_detach(admin, runtime):
    function = create_function(admin, runtime["id"])
    new_version(admin, function["id"])
    workers = lambda n: admin.get(f"/v1/functions/{function['id']}/workers?function_version={n}").json["workers"]
    execute(admin, function["id"], function_version=1)
    assert [(w["function_id"], w["function_version"]) for w in workers(1)] == [(function["id"], 1)]
    assert workers(0) == []
    base = f"/v1/functions/{function['id']}/versions/1"
    assert admin.post(f"{base}/scale_up", json={"count": 1}).status == 202
    assert len(workers(1)) == 2
    assert admin.post(f"{base}/scale_down", json={"count": 5}).status == 202
    assert len(workers(1)) == 1
    assert admin.post(f"{base}/detach").status == 202
    wait_for(lambda: workers(1) == [], timeout=5)


def test_projects_and_admins(daemon, runtime):
    owner = daemon.unix(project="versions-owner")
    other_admin = daemon.unix(project="versions-other")
    function = create_function(owner, runtime["id"])
    base = f"/v1/functions/{function['id']}/versions"
    # Another project's admin can read but not snapshot or delete (Qinling: 404).
    refused = other_admin.post(base, json={})
    assert refused.status == 404 and "Function not found" in refused.json["faultstring"]
    version = new_version(owner, function["id"])
    assert other_admin.get(f"{base}/1").json == version
    assert other_admin.get(base).json["function_versions"] == [version]
    assert other_admin.delete(f"{base}/1").status == 404
    token = daemon.create_token("versions-stranger")
    assert daemon.tcp(token).get(base).status == 404


def test_a_version_in_use_cannot_be_deleted(admin, runtime):
    function = create_function(admin, runtime["id"])
    new_version(admin, function["id"])
    base = f"/v1/functions/{function['id']}/versions/1"
    alias = admin.post("/v1/aliases", json={"name": f"keep-{function['id']}", "function_id": function["id"], "function_version": 1})
    assert alias.status == 201
    refused = admin.delete(base)
    assert refused.status == 403 and refused.json["faultstring"] == "The function version is still associated with alias(es)."
    assert admin.delete(f"/v1/aliases/keep-{function['id']}").status == 204
    webhook = admin.post("/v1/webhooks", json={"function_id": function["id"], "function_version": 1}).json
    assert admin.delete(base).json["faultstring"] == "The function version is still associated with webhook(s)."
    assert admin.delete(f"/v1/webhooks/{webhook['id']}").status == 204
    job = admin.post("/v1/jobs", json={"function_id": function["id"], "function_version": 1, "pattern": "0 0 1 1 *"}).json
    assert admin.delete(base).json["faultstring"] == "The function version is still associated with running job(s)."
    assert admin.put(f"/v1/jobs/{job['id']}", json={"status": "cancelled"}).status == 200
    assert admin.delete(base).status == 204


@pytest.mark.parametrize("method,path,body,status,words", [
    ("GET", "/versions/abc", None, 400, "non-negative integer"),
    ("GET", "/versions/-1", None, 400, "non-negative integer"),
    ("GET", "/versions/1.5", None, 400, "non-negative integer"),
    ("DELETE", "/versions/abc", None, 400, "non-negative integer"),
    ("GET", "/versions/99", None, 404, "FunctionVersion not found"),
    ("GET", "/versions/0", None, 404, "FunctionVersion not found"),
    ("POST", "/versions", {"description": 5}, 400, "Expected a string"),
    ("POST", "/versions", {"description": "x" * 256}, 400, "too long"),
    ("POST", "/versions", {"version_number": 3}, 400, "Cannot set read only field"),
    ("POST", "/versions", {"package": "x"}, 400, "Unknown attribute"),
    ("POST", "/versions/2/scale_up", {"count": 1}, 404, "FunctionVersion not found"),
])
def test_bad_version_requests(admin, runtime, method, path, body, status, words):
    function = create_function(admin, runtime["id"])
    reply = admin.request(method, f"/v1/functions/{function['id']}{path}", json=body)
    assert reply.status == status, reply
    assert words in reply.json["faultstring"]


def test_executions_refuse_bad_versions(admin, runtime):
    function = create_function(admin, runtime["id"])
    for version, status, words in [("abc", 400, "An integer is required"), (1.5, 400, "An integer is required"),
                                   (-1, 400, "function_version must be 0"), (7, 404, "FunctionVersion not found")]:
        reply = admin.post("/v1/executions", json={"function_id": function["id"], "function_version": version})
        assert reply.status == status, (version, reply)
        assert words in reply.json["faultstring"]
    assert admin.post("/v1/functions/nope/versions", json={}).status == 404
    assert json.loads(admin.get(f"/v1/functions/{function['id']}").body)["count"] == 0


def test_a_version_snapshots_the_package_and_follows_the_entry(admin, runtime):
    files = {"f.py": "def main(**kw):\n    return 'main of v1'\n\ndef other(**kw):\n    return 'other of v1'\n"}
    function = create_function(admin, runtime["id"], files=files, entry="f.main")
    new_version(admin, function["id"])
    assert execute(admin, function["id"], function_version=1)["result_json"]["output"] == "main of v1"
    # The warm version-1 worker has the old entry loaded: changing the entry retires it too.
    assert admin.put(f"/v1/functions/{function['id']}", json={"entry": "f.other"}).status == 200
    assert execute(admin, function["id"], function_version=1)["result_json"]["output"] == "other of v1"
