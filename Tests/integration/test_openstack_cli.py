"""The real openstack CLI (python-openstackclient + python-qinlingclient 5.1.1) against hearthd,
as a user without Keystone runs it: OS_AUTH_TYPE=none, OS_ENDPOINT=http://127.0.0.1:<port>."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from hearth import HELLO_PY, make_zip, wait_for

OPENSTACK = os.path.join(os.path.dirname(sys.executable), "openstack")


@pytest.fixture(scope="module")
def cli(open_daemon, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_AUTH_TYPE="none", OS_ENDPOINT=open_daemon.endpoint)

    def run(*args, check=True, env_extra=None):
        result = subprocess.run([OPENSTACK, *args], capture_output=True, text=True, cwd=workdir, timeout=120,
                                env={**env, **(env_extra or {})})
        if check:
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    def run_json(*args):
        return json.loads(run(*args, "-f", "json").stdout)

    run.json = run_json
    run.workdir = workdir
    return run


RUNTIME_FIELDS = ["id", "name", "image", "status", "description", "is_public", "trusted", "project_id", "created_at", "updated_at"]
FUNCTION_FIELDS = ["id", "name", "description", "count", "code", "runtime_id", "entry", "project_id", "created_at",
                   "updated_at", "cpu", "memory_size", "timeout"]


def table_fields(output):
    """The Field column of a `show`-style table."""
    return [line.split("|")[1].strip() for line in output.splitlines() if line.startswith("| ") and "Field" not in line]


def test_runtime_commands(cli):
    created = cli("runtime", "create", "openstackqinling/python3-runtime", "--name", "cli-py", "--description", "from the cli")
    assert table_fields(created.stdout) == RUNTIME_FIELDS
    assert "| status      | creating" in created.stdout
    runtime_id = next(line.split("|")[2].strip() for line in created.stdout.splitlines() if line.startswith("| id "))

    shown = wait_for(lambda: (r := cli.json("runtime", "show", runtime_id))["status"] == "available" and r)
    assert shown["name"] == "cli-py" and shown["description"] == "from the cli"
    assert shown["is_public"] is True and shown["project_id"] == "default"

    listing = cli("runtime", "list")
    header = next(line for line in listing.stdout.splitlines() if line.startswith("| Id"))
    assert [c.strip() for c in header.strip("|").split("|")] == [f.capitalize() for f in RUNTIME_FIELDS]
    assert runtime_id in listing.stdout

    pool = cli("runtime", "pool", "show", runtime_id)
    assert table_fields(pool.stdout) == ["name", "capacity"]
    assert runtime_id in pool.stdout and "'total':" in pool.stdout and "'available':" in pool.stdout

    private = cli.json("runtime", "create", "python3", "--private", "--untrusted")
    assert private["is_public"] is False and private["trusted"] is False

    deleted = cli("runtime", "delete", runtime_id, private["id"])
    assert f"Request to delete runtime {runtime_id} has been accepted." in deleted.stdout
    assert runtime_id not in cli("runtime", "list").stdout


def test_function_commands(cli):
    runtime = cli.json("runtime", "create", "python3", "--name", "fn-runtime")
    wait_for(lambda: cli.json("runtime", "show", runtime["id"])["status"] == "available")
    package = make_zip({"hello_world.py": HELLO_PY})
    (cli.workdir / "hello.zip").write_bytes(package)
    (cli.workdir / "single.py").write_text(HELLO_PY)

    created = cli("function", "create", "--runtime", "fn-runtime", "--entry", "hello_world.main", "--package", "hello.zip",
                  "--name", "from-package")
    assert table_fields(created.stdout) == FUNCTION_FIELDS
    function_id = next(line.split("|")[2].strip() for line in created.stdout.splitlines() if line.startswith("| id "))
    shown = cli.json("function", "show", function_id)
    assert shown["code"] == {"source": "package", "md5sum": hashlib.md5(package).hexdigest()}
    assert (shown["cpu"], shown["memory_size"], shown["timeout"]) == (100, 33554432, 5)

    from_file = cli.json("function", "create", "--runtime", runtime["id"], "--entry", "single.main", "--file", "single.py",
                         "--name", "from-file", "--cpu", "150", "--memory-size", "67108864", "--timeout", "9")
    assert (from_file["cpu"], from_file["memory_size"], from_file["timeout"]) == (150, 67108864, 9)

    listed = cli.json("function", "list")
    assert {f["Id"] for f in listed} >= {function_id, from_file["id"]}
    listing = cli("function", "list")
    header = next(line for line in listing.stdout.splitlines() if line.startswith("| Id"))
    assert [c.strip() for c in header.strip("|").split("|")] == [f.capitalize() for f in FUNCTION_FIELDS]

    updated = cli.json("function", "update", function_id, "--cpu", "200", "--memory-size", "67108864", "--timeout", "15",
                       "--name", "renamed", "--description", "changed")
    assert (updated["cpu"], updated["timeout"], updated["name"], updated["description"]) == (200, 15, "renamed", "changed")
    new_package = make_zip({"hello_world.py": HELLO_PY + "# v2\n"})
    (cli.workdir / "v2.zip").write_bytes(new_package)
    repackaged = cli.json("function", "update", function_id, "--package", "v2.zip")
    assert repackaged["code"]["md5sum"] == hashlib.md5(new_package).hexdigest()

    downloaded = cli("function", "download", function_id)
    assert f"Code package downloaded to {cli.workdir}/{function_id}.zip" in downloaded.stdout
    assert (cli.workdir / f"{function_id}.zip").read_bytes() == new_package

    in_use = cli("runtime", "delete", runtime["id"], check=False)
    assert in_use.returncode != 0 and "still in use" in in_use.stdout and "(HTTP 403)" in in_use.stdout

    deleted = cli("function", "delete", function_id, from_file["id"])
    assert f"Request to delete function {function_id} has been accepted." in deleted.stdout
    assert function_id not in cli("function", "list").stdout
    missing = cli("function", "show", function_id, check=False)
    assert missing.returncode != 0


def test_errors_print_the_faultstring(cli):
    (cli.workdir / "escape.zip").write_bytes(make_zip({"../escape.py": "x"}))
    (cli.workdir / "good.zip").write_bytes(make_zip({"a.py": "x"}))
    runtime = cli.json("runtime", "create", "python3")
    wait_for(lambda: cli.json("runtime", "show", runtime["id"])["status"] == "available")
    result = cli("function", "create", "--runtime", runtime["id"], "--entry", "a.main", "--package", "escape.zip", check=False)
    assert result.returncode != 0
    assert "entry '../escape.py' points outside the package. (HTTP 400)" in result.stderr
    result = cli("function", "create", "--runtime", runtime["id"], "--entry", "a.main", "--package", "good.zip", "--timeout", "999", check=False)
    assert "timeout resource limitation not within the allowable range: 1 ~ 300(seconds). (HTTP 400)" in result.stderr


def test_cli_with_a_hearth_token(daemon, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    token = daemon.create_token("cli-project", admin=True)
    env.update(OS_AUTH_TYPE="admin_token", OS_TOKEN=token, OS_ENDPOINT=daemon.endpoint)
    result = subprocess.run([OPENSTACK, "runtime", "create", "python3", "-f", "json"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["project_id"] == "cli-project"
    env["OS_TOKEN"] = "hearth_wrong"
    result = subprocess.run([OPENSTACK, "runtime", "list"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode != 0 and "(HTTP 401)" in result.stderr


def test_execution_commands(cli):
    runtime = cli.json("runtime", "create", "python3", "--name", "exec-runtime")
    wait_for(lambda: cli.json("runtime", "show", runtime["id"])["status"] == "available")
    (cli.workdir / "hello_exec.py").write_text(HELLO_PY)
    function = cli.json("function", "create", "--runtime", runtime["id"], "--entry", "hello_exec.main", "--file", "hello_exec.py")

    created = cli("function", "execution", "create", "--function", function["id"], "--input", '{"name": "Qinling"}')
    fields = table_fields(created.stdout)
    assert fields == ["id", "function_alias", "function_id", "function_version", "description", "input", "result", "status",
                      "sync", "project_id", "created_at", "updated_at"]
    execution_id = next(line.split("|")[2].strip() for line in created.stdout.splitlines() if line.startswith("| id "))
    shown = cli.json("function", "execution", "show", execution_id)
    assert shown["status"] == "success"
    assert json.loads(shown["result"])["output"] == "Hello, Qinling"

    log = cli("function", "execution", "log", "show", execution_id)
    assert log.stdout.strip() == "Hello, Qinling"

    asynchronous = cli.json("function", "execution", "create", "--function", function["id"], "--async")
    assert asynchronous["status"] == "running"
    wait_for(lambda: cli.json("function", "execution", "show", asynchronous["id"])["status"] == "success")

    listed = cli.json("function", "execution", "list", "--filter", f"function_id={function['id']}")
    assert {e["Id"] for e in listed} == {execution_id, asynchronous["id"]}

    deleted = cli("function", "execution", "delete", "--execution", execution_id)
    assert f"Request to delete execution {execution_id} has been accepted." in deleted.stdout
    assert execution_id not in {e["Id"] for e in cli.json("function", "execution", "list")}
    cli("function", "execution", "delete", "--execution", asynchronous["id"])
    cli("function", "delete", function["id"])
