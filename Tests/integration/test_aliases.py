"""Aliases: a project-unique name for one function version, validated when set, resolved by
executions when they are created and by jobs and webhooks at every firing."""

import pytest

from hearth import create_function, create_runtime, execute, make_zip

ALIAS_KEYS = ["id", "name", "description", "function_id", "function_version", "project_id", "created_at", "updated_at"]


@pytest.fixture(scope="module")
def runtime(daemon):
    return create_runtime(daemon.unix())


@pytest.fixture
def versioned(admin, runtime):
    """A function whose version 1 returns 'one' and whose current package returns 'two'."""
    function = create_function(admin, runtime["id"], files={"f.py": "def main(**kw):\n    return 'one'\n"}, entry="f.main")
    assert admin.post(f"/v1/functions/{function['id']}/versions", json={}).status == 201
    admin.put(f"/v1/functions/{function['id']}", data={"source": "package"},
              files={"package": ("p.zip", make_zip({"f.py": "def main(**kw):\n    return 'two'\n"}))})
    return function


def test_crud(admin, versioned):
    name = f"prod-{versioned['id'][:8]}"
    created = admin.post("/v1/aliases", json={"name": name, "function_id": versioned["id"], "function_version": 1, "description": "prod alias"})
    assert created.status == 201, created
    alias = created.json
    assert list(alias) == ALIAS_KEYS
    assert (alias["name"], alias["function_version"], alias["description"], alias["updated_at"]) == (name, 1, "prod alias", None)
    assert admin.get(f"/v1/aliases/{name}").json == alias
    assert alias in admin.get("/v1/aliases").json["function_aliases"]

    unchanged = admin.put(f"/v1/aliases/{name}", json={})
    assert unchanged.status == 200 and unchanged.json["function_version"] == 1
    updated = admin.put(f"/v1/aliases/{name}", json={"function_version": 0, "description": "now current"}).json
    assert (updated["function_version"], updated["description"]) == (0, "now current") and updated["updated_at"]
    assert admin.delete(f"/v1/aliases/{name}").status == 204
    gone = admin.get(f"/v1/aliases/{name}")
    assert gone.status == 404 and gone.json["faultstring"] == f"FunctionAlias not found [name={name}]"


def test_names_are_percent_decoded_in_paths(admin, versioned):
    assert admin.post("/v1/aliases", json={"name": "with space", "function_id": versioned["id"]}).status == 201
    assert admin.get("/v1/aliases/with%20space").json["name"] == "with space"
    assert admin.delete("/v1/aliases/with%20space").status == 204


def test_version_defaults_to_zero_and_names_are_per_project(daemon, admin, versioned):
    alias = admin.post("/v1/aliases", json={"name": "shared-name", "function_id": versioned["id"]}).json
    assert alias["function_version"] == 0
    other = daemon.unix(project="alias-other")
    assert other.get("/v1/aliases/shared-name").status == 404
    assert other.get("/v1/aliases").json["function_aliases"] == []
    # Another project cannot point an alias at this project's function, even as admin.
    assert other.post("/v1/aliases", json={"name": "x", "function_id": versioned["id"]}).status == 404
    assert admin.delete("/v1/aliases/shared-name").status == 204


def test_executions_through_an_alias_follow_it(admin, versioned):
    name = f"exec-{versioned['id'][:8]}"
    admin.post("/v1/aliases", json={"name": name, "function_id": versioned["id"], "function_version": 1})
    first = admin.post("/v1/executions", json={"function_alias": name, "function_id": None, "function_version": None}).json
    assert (first["function_alias"], first["function_id"], first["function_version"]) == (name, versioned["id"], 1)
    assert first["status"] == "success" and '"one"' in first["result"]
    admin.put(f"/v1/aliases/{name}", json={"function_version": 0})
    second = execute(admin, None, function_alias=name)
    assert second["function_version"] == 0 and second["result_json"]["output"] == "two"
    versions = admin.get(f"/v1/functions/{versioned['id']}/versions").json["function_versions"]
    assert versions[0]["count"] == 1 and admin.get(f"/v1/functions/{versioned['id']}").json["count"] == 1
    assert [e["id"] for e in admin.get(f"/v1/executions?function_alias={name}").json["executions"]] == [first["id"], second["id"]]
    unknown = admin.post("/v1/executions", json={"function_alias": "no-such-alias"})
    assert unknown.status == 404 and unknown.json["faultstring"] == "FunctionAlias not found [name=no-such-alias]"
    both = admin.post("/v1/executions", json={"function_alias": name, "function_id": versioned["id"]})
    assert both.status == 400 and "either function_alias or function_id" in both.json["faultstring"]
    admin.delete(f"/v1/aliases/{name}")


def test_duplicates(admin, versioned):
    name = f"dup-{versioned['id'][:8]}"
    assert admin.post("/v1/aliases", json={"name": name, "function_id": versioned["id"], "function_version": 1}).status == 201
    same_name = admin.post("/v1/aliases", json={"name": name, "function_id": versioned["id"], "function_version": 0})
    assert same_name.status == 400 and "Duplicate entry for function_aliases" in same_name.json["faultstring"]
    assert "'name'" in same_name.json["faultstring"]
    same_target = admin.post("/v1/aliases", json={"name": name + "-2", "function_id": versioned["id"], "function_version": 1})
    assert same_target.status == 400 and "'function_version'" in same_target.json["faultstring"]
    admin.post("/v1/aliases", json={"name": name + "-3", "function_id": versioned["id"]})
    clash = admin.put(f"/v1/aliases/{name}-3", json={"function_version": 1})
    assert clash.status == 400 and "Duplicate entry" in clash.json["faultstring"]
    for n in (name, name + "-3"):
        assert admin.delete(f"/v1/aliases/{n}").status == 204


@pytest.mark.parametrize("body,status,words", [
    ({}, 400, "Required param is missing. Required: {'name', 'function_id'}"),
    ({"name": "a"}, 400, "Required: {'function_id'}"),
    ({"name": "a", "function_id": "00000000-0000-4000-8000-000000000000"}, 404, "Function not found"),
    ({"name": "a", "function_id": "FUNCTION", "function_version": 9}, 404, "FunctionVersion not found"),
    ({"name": "a", "function_id": "FUNCTION", "function_version": "abc"}, 400, "An integer is required"),
    ({"name": "a", "function_id": "FUNCTION", "function_version": -2}, 400, "function_version must be 0"),
    ({"name": 5, "function_id": "FUNCTION"}, 400, "Expected a string"),
    ({"name": "a/b", "function_id": "FUNCTION"}, 400, "may not contain '/'"),
    ({"name": "a", "function_id": "FUNCTION", "project_id": "x"}, 400, "Cannot set read only field"),
    ({"name": "a", "function_id": "FUNCTION", "function_alias": "x"}, 400, "Unknown attribute"),
])
def test_bad_alias_requests(admin, versioned, body, status, words):
    body = {k: (versioned["id"] if v == "FUNCTION" else v) for k, v in body.items()}
    reply = admin.post("/v1/aliases", json=body)
    assert reply.status == status, reply
    assert words in reply.json["faultstring"]


def test_bad_alias_updates(admin, versioned):
    name = f"upd-{versioned['id'][:8]}"
    admin.post("/v1/aliases", json={"name": name, "function_id": versioned["id"]})
    for body, status in [({"function_version": 4}, 404), ({"function_id": "nope"}, 404), ({"name": "renamed"}, 400),
                         ({"function_version": "x"}, 400), ({"description": ["x"]}, 400)]:
        assert admin.put(f"/v1/aliases/{name}", json=body).status == status, body
    assert admin.get(f"/v1/aliases/{name}").json["function_version"] == 0
    assert admin.put("/v1/aliases/missing", json={}).status == 404
    assert admin.delete("/v1/aliases/missing").status == 404
    admin.delete(f"/v1/aliases/{name}")


def test_an_alias_in_use_cannot_be_deleted(admin, versioned):
    name = f"used-{versioned['id'][:8]}"
    admin.post("/v1/aliases", json={"name": name, "function_id": versioned["id"], "function_version": 1})
    webhook = admin.post("/v1/webhooks", json={"function_alias": name}).json
    refused = admin.delete(f"/v1/aliases/{name}")
    assert refused.status == 403 and "still used by 1 webhook(s)" in refused.json["faultstring"]
    admin.delete(f"/v1/webhooks/{webhook['id']}")
    job = admin.post("/v1/jobs", json={"function_alias": name, "pattern": "0 0 1 1 *"}).json
    refused = admin.delete(f"/v1/aliases/{name}")
    assert refused.status == 403 and "still used by 1 job(s)" in refused.json["faultstring"]
    # The alias keeps its function too.
    assert admin.delete(f"/v1/functions/{versioned['id']}").status == 403
    admin.put(f"/v1/jobs/{job['id']}", json={"status": "cancelled"})
    assert admin.delete(f"/v1/aliases/{name}").status == 204
