"""Executions on real sandboxed workers: results, logs, failures of every kind, limits."""

import pytest

from hearth import HELLO_PY, create_function, create_runtime, execute, wait_for, worker_processes


@pytest.fixture(scope="module")
def python_runtime(daemon):
    return create_runtime(daemon.unix())


def fn(admin, runtime, source, **fields):
    return create_function(admin, runtime["id"], files={"f.py": source}, entry="f.main", **fields)


def test_basic_and_with_input(admin, python_runtime):
    function = create_function(admin, python_runtime["id"])
    plain = execute(admin, function["id"])
    assert plain["status"] == "success" and plain["result_json"]["output"] == "Hello, World"
    assert set(plain["result_json"]) >= {"output", "duration"}
    named = execute(admin, function["id"], input='{"name": "Qinling"}')
    assert named["result_json"]["output"] == "Hello, Qinling"
    assert named["input"] == '{"name": "Qinling"}'
    assert admin.get(f"/v1/executions/{named['id']}").json["result"] == named["result"]
    assert admin.get(f"/v1/functions/{function['id']}").json["count"] == 2


def test_positional_input_and_any_json(admin, python_runtime):
    function = fn(admin, python_runtime, "def main(value, **kwargs):\n    return [type(value).__name__, value]\n")
    assert execute(admin, function["id"], input="Qinling")["result_json"]["output"] == ["str", "Qinling"]
    assert execute(admin, function["id"], input="[1, 2]")["result_json"]["output"] == ["list", [1, 2]]
    assert execute(admin, function["id"], input="42")["result_json"]["output"] == ["int", 42]
    assert execute(admin, function["id"], input=[1, "a"])["result_json"]["output"] == ["list", [1, "a"]]


def test_log_has_stdout_and_stderr_in_order(admin, python_runtime):
    function = fn(admin, python_runtime, "import sys, subprocess\ndef main(**kw):\n    print('one')\n    print('two', file=sys.stderr)\n"
                  "    subprocess.run(['/bin/echo', 'child'])\n    print('three')\n    return 'done'\n")
    execution = execute(admin, function["id"])
    log = admin.get(f"/v1/executions/{execution['id']}/log")
    assert log.status == 200 and log.headers["content-type"].startswith("text/plain")
    assert log.text == "one\ntwo\nchild\nthree\n"


def test_a_call_without_output_has_no_log(admin, python_runtime):
    function = fn(admin, python_runtime, "def main(**kw):\n    return 1\n")
    execution = execute(admin, function["id"])
    assert admin.get(f"/v1/executions/{execution['id']}/log").status == 204


def test_exception_and_unserializable(admin, python_runtime):
    raising = fn(admin, python_runtime, "def main(**kw):\n    print('before')\n    raise ValueError('boom')\n")
    failed = execute(admin, raising["id"])
    assert failed["status"] == "failed" and failed["result_json"]["output"] == "boom"
    assert "before" in admin.get(f"/v1/executions/{failed['id']}/log").text
    assert "ValueError: boom" in admin.get(f"/v1/executions/{failed['id']}/log").text
    odd = fn(admin, python_runtime, "def main(**kw):\n    return {1, 2}\n")
    result = execute(admin, odd["id"])
    assert result["status"] == "failed" and "not JSON serializable" in result["result_json"]["output"]


def test_missing_module_or_function(admin, python_runtime):
    function = create_function(admin, python_runtime["id"], files={"other.py": "x = 1\n"}, entry="main.main")
    result = execute(admin, function["id"])
    assert result["status"] == "failed" and result["result_json"]["output"] == "No module named 'main'"


def test_timeout_kills_the_worker_and_keeps_the_output(fresh_daemon_factory):
    d = fresh_daemon_factory(args=["--pool-capacity", "1"])
    admin = d.unix()
    runtime = create_runtime(admin)
    function = fn(admin, runtime, "import time\ndef main(**kw):\n    print('started')\n    time.sleep(10)\n", timeout="1")
    result = execute(admin, function["id"])
    assert result["status"] == "failed"
    assert result["result_json"]["output"] == "Function execution timeout."
    assert 1.0 <= result["result_json"]["duration"] < 3
    assert admin.get(f"/v1/executions/{result['id']}/log").text == "started\n"
    assert admin.get(f"/v1/functions/{function['id']}/workers").json["workers"] == []
    wait_for(lambda: len(worker_processes(d)) == 1)
    quick = fn(admin, runtime, "def main(**kw):\n    return 'fine'\n")
    assert execute(admin, quick["id"])["result_json"]["output"] == "fine"


def test_memory_limit_then_raised_limit(admin, python_runtime):
    source = "def main(**kw):\n    blocks = [bytearray(20 * 1024 * 1024) for _ in range(4)]\n    return len(blocks)\n"
    function = fn(admin, python_runtime, source)
    small = execute(admin, function["id"])
    assert small["status"] == "failed"
    assert "too much resource consumption" in small["result_json"]["output"]
    assert small["result_json"]["error"] == "out_of_memory"
    assert admin.put(f"/v1/functions/{function['id']}", json={"memory_size": 134217728}).status == 200
    big = execute(admin, function["id"])
    assert big["status"] == "success" and big["result_json"]["output"] == 4


def test_nodejs(daemon):
    admin = daemon.unix()
    runtime = create_runtime(admin, image="nodejs")
    function = create_function(admin, runtime["id"], files={"hello.js": "exports.main = async (context, input) => { console.log('hi'); return 'Hello, ' + input.name }\n"},
                               entry="hello.main")
    result = execute(admin, function["id"], input='{"name": "NodeJS"}')
    assert result["status"] == "success" and result["result_json"]["output"] == "Hello, NodeJS"
    assert admin.get(f"/v1/executions/{result['id']}/log").text == "hi\n"


def test_async_execution_finishes(admin, python_runtime):
    function = create_function(admin, python_runtime["id"])
    reply = admin.post("/v1/executions", json={"function_id": function["id"], "sync": False, "input": '{"name": "later"}'})
    assert reply.status == 201
    assert reply.json["status"] == "running" and reply.json["result"] is None
    done = wait_for(lambda: (e := admin.get(f"/v1/executions/{reply.json['id']}").json)["status"] != "running" and e)
    assert done["status"] == "success"


def test_list_filters_and_delete(admin, python_runtime):
    function = create_function(admin, python_runtime["id"])
    ok = execute(admin, function["id"], description="first run")
    listed = admin.get(f"/v1/executions?function_id={function['id']}").json["executions"]
    assert [e["id"] for e in listed] == [ok["id"]]
    assert [e["id"] for e in admin.get("/v1/executions?description=has:first").json["executions"]] == [ok["id"]]
    assert admin.get("/v1/executions?status=in:failed,error&function_id=" + function["id"]).json["executions"] == []
    assert admin.delete(f"/v1/executions/{ok['id']}").status == 204
    assert admin.get(f"/v1/executions/{ok['id']}").status == 404


def test_bad_execution_requests(admin, python_runtime):
    assert admin.post("/v1/executions", json={}).status == 400
    assert admin.post("/v1/executions", json={"function_id": "nope"}).status == 404
    assert admin.post("/v1/executions", json={"function_id": "x", "sync": "perhaps"}).status == 400
    assert admin.post("/v1/executions", json={"function_id": "x", "status": "success"}).status == 400
    assert admin.post("/v1/executions", raw=b"{", headers={"Content-Type": "application/json"}).status == 400


def test_untrusted_runtimes_get_the_stricter_profile(admin):
    probe = "import socket\ndef main(**kw):\n    try:\n        socket.socket(socket.AF_INET)\n        return 'inet allowed'\n    except PermissionError:\n        return 'inet refused'\n"
    trusted = create_runtime(admin, image="python3")
    untrusted = create_runtime(admin, image="python3", trusted=False)
    assert untrusted["trusted"] is False
    on_trusted = fn(admin, trusted, probe)
    on_untrusted = fn(admin, untrusted, probe)
    assert execute(admin, on_trusted["id"])["result_json"]["output"] == "inet allowed"  # but no network to use it on
    assert execute(admin, on_untrusted["id"])["result_json"]["output"] == "inet refused"
