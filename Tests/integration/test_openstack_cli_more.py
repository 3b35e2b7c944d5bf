"""The real openstack CLI (qinlingclient 5.1.1) for function versions, aliases, jobs and webhooks."""

import json
import time

import requests

from hearth import HELLO_PY, make_zip, wait_for
from test_openstack_cli import cli, table_fields  # noqa: F401 (the fixture is shared, not copied)

VERSION_FIELDS = ["id", "function_id", "description", "version_number", "count", "project_id", "created_at", "updated_at"]
ALIAS_FIELDS = ["name", "function_id", "description", "function_version", "project_id", "created_at", "updated_at"]
JOB_FIELDS = ["id", "name", "count", "status", "function_alias", "function_id", "function_version", "function_input", "pattern",
              "first_execution_time", "next_execution_time", "project_id", "created_at", "updated_at"]
WEBHOOK_FIELDS = ["id", "function_alias", "function_id", "function_version", "description", "project_id", "created_at",
                  "updated_at", "webhook_url"]


def make_function(cli, name):
    runtime = cli.json("runtime", "create", "python3")
    wait_for(lambda: cli.json("runtime", "show", runtime["id"])["status"] == "available")
    (cli.workdir / f"{name}.py").write_text(HELLO_PY)
    return cli.json("function", "create", "--runtime", runtime["id"], "--entry", f"{name}.main", "--file", f"{name}.py", "--name", name)


def test_version_commands(cli):
    function = make_function(cli, "versioned")
    created = cli("function", "version", "create", function["id"], "--description", "first")
    assert table_fields(created.stdout) == VERSION_FIELDS
    refused = cli("function", "version", "create", function["id"], check=False)
    assert refused.returncode != 0 and "Function package not changed since the latest version 1. (HTTP 403)" in refused.stderr

    (cli.workdir / "v2.zip").write_bytes(make_zip({"versioned.py": HELLO_PY.replace("Hello", "Howdy")}))
    cli("function", "update", function["id"], "--package", "v2.zip")
    second = cli.json("function", "version", "create", function["id"])
    assert second["version_number"] == 2

    listed = cli.json("function", "version", "list", function["id"])
    assert [(v["Version_number"], v["Description"]) for v in listed] == [(1, "first"), (2, None)]
    shown = cli.json("function", "version", "show", function["id"], "1")
    assert (shown["version_number"], shown["description"], shown["function_id"]) == (1, "first", function["id"])

    v1 = cli.json("function", "execution", "create", "--function", function["id"], "--function-version", "1", "--input", '{"name": "v1"}')
    assert json.loads(v1["result"])["output"] == "Hello, v1"
    assert cli("function", "version", "detach", function["id"], "1").returncode == 0

    cli("function", "version", "delete", function["id"], "2")  # prints nothing
    assert [v["Version_number"] for v in cli.json("function", "version", "list", function["id"])] == [1]
    missing = cli("function", "version", "show", function["id"], "2", check=False)
    assert missing.returncode != 0 and "FunctionVersion not found" in missing.stderr


def test_alias_commands(cli):
    function = make_function(cli, "aliased")
    cli("function", "version", "create", function["id"])
    created = cli("function", "alias", "create", "cli-alias", "--function", function["id"], "--function-version", "1",
                  "--description", "points at v1")
    assert table_fields(created.stdout) == ALIAS_FIELDS
    shown = cli.json("function", "alias", "show", "cli-alias")
    assert (shown["function_id"], shown["function_version"], shown["description"]) == (function["id"], 1, "points at v1")
    assert "cli-alias" in {a["Name"] for a in cli.json("function", "alias", "list")}

    updated = cli.json("function", "alias", "update", "cli-alias", "--function-version", "0", "--description", "now current")
    assert (updated["function_version"], updated["description"], updated["function_id"]) == (0, "now current", function["id"])
    run = cli.json("function", "execution", "create", "--function-alias", "cli-alias")
    assert (run["function_alias"], run["function_version"], run["status"]) == ("cli-alias", 0, "success")

    bad = cli("function", "alias", "update", "cli-alias", "--function-version", "9", check=False)
    assert bad.returncode != 0 and "FunctionVersion not found" in bad.stderr
    deleted = cli("function", "alias", "delete", "cli-alias")
    assert "accepted" in deleted.stdout
    assert cli("function", "alias", "show", "cli-alias", check=False).returncode != 0


def test_job_commands(cli):
    function = make_function(cli, "scheduled")
    first = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 3600))
    created = cli("job", "create", "--function", function["id"], "--name", "later", "--first-execution-time", first,
                  "--function-input", '{"name": "job"}')
    assert table_fields(created.stdout) == JOB_FIELDS
    job_id = next(line.split("|")[2].strip() for line in created.stdout.splitlines() if line.startswith("| id "))
    shown = cli.json("job", "show", job_id)
    assert (shown["status"], shown["count"], shown["next_execution_time"]) == ("running", 1, first.replace(" ", "T") + "Z")

    paused = cli.json("job", "update", job_id, "--status", "paused", "--name", "paused-one")
    assert (paused["status"], paused["name"]) == ("paused", "paused-one")
    refused = cli("job", "update", job_id, "--pattern", "* * * * *", check=False)
    assert refused.returncode != 0 and "Can not change job type" in refused.stderr
    bad = cli("job", "create", "--function", function["id"], "--pattern", "every minute", check=False)
    assert bad.returncode != 0 and "The specified pattern is not valid" in bad.stderr and "(HTTP 400)" in bad.stderr

    quick = cli.json("job", "create", "--function", function["id"], "--pattern", "* * * * * *", "--count", "1",
                     "--function-input", '{"name": "cli job"}')
    wait_for(lambda: cli.json("job", "show", quick["id"])["status"] == "done", timeout=10)
    [execution] = cli.json("function", "execution", "list", "--filter", f"description=has:{quick['id']}")
    wait_for(lambda: cli.json("function", "execution", "show", execution["Id"])["status"] == "success")
    assert cli("function", "execution", "log", "show", execution["Id"]).stdout.strip() == "Hello, cli job"

    assert {j["Id"] for j in cli.json("job", "list")} >= {job_id, quick["id"]}
    deleted = cli("job", "delete", job_id, quick["id"])
    assert f"Request to delete job {job_id} has been accepted." in deleted.stdout
    assert cli("job", "show", job_id, check=False).returncode != 0


def test_webhook_commands_and_a_form_post(cli):
    function = make_function(cli, "hooked")
    created = cli("webhook", "create", "--function", function["id"], "--description", "from the cli")
    assert table_fields(created.stdout) == WEBHOOK_FIELDS
    webhook_id = next(line.split("|")[2].strip() for line in created.stdout.splitlines() if line.startswith("| id "))
    shown = cli.json("webhook", "show", webhook_id)
    assert shown["webhook_url"].endswith(f"/v1/webhooks/{webhook_id}/invoke") and shown["function_version"] == 0

    reply = requests.post(shown["webhook_url"], data={"name": "form"}, timeout=10)
    assert reply.status_code == 202
    execution = wait_for(lambda: (e := cli.json("function", "execution", "show", reply.json()["execution_id"]))["status"] != "running" and e)
    assert execution["status"] == "success" and execution["description"] == f"Created by Webhook {webhook_id}"
    assert cli("function", "execution", "log", "show", execution["id"]).stdout.strip() == "Hello, form"

    cli("function", "version", "create", function["id"])
    updated = cli.json("webhook", "update", webhook_id, "--function-version", "1", "--description", "on v1")
    assert (updated["function_version"], updated["description"]) == (1, "on v1")
    assert webhook_id in {w["Id"] for w in cli.json("webhook", "list")}
    deleted = cli("webhook", "delete", webhook_id)
    assert f"Request to delete webhook {webhook_id} has been accepted." in deleted.stdout
    assert cli("webhook", "show", webhook_id, check=False).returncode != 0
