"""Executions from acceptance to their end: the durable async queue across kill -9, stopping a
running execution by deleting it, the log while a call runs, and sync calls never starved by a
burst of async ones."""

import json
import signal
import threading
import time

from hearth import create_runtime, execute, run_async, slow_function, wait_for


def executions_of(admin, function):
    return admin.get(f"/v1/executions?function_id={function['id']}").json["executions"]


def test_no_accepted_async_execution_is_lost_to_kill_minus_nine(fresh_daemon_factory):
    first = fresh_daemon_factory(args=["--workers-per-function", "2"])
    admin = first.unix()
    runtime = create_runtime(admin)
    function = slow_function(admin, runtime, 0.2)
    ids = [run_async(admin, function, i) for i in range(200)]
    # Let a few start, so that some are running and most still wait.
    wait_for(lambda: sum(1 for e in executions_of(admin, function) if e["status"] != "running") >= 2, timeout=30)
    first.stop(signal.SIGKILL)

    second = fresh_daemon_factory(data_dir=first.data_dir, args=["--workers-per-function", "4"])
    admin = second.unix()
    finished = wait_for(lambda: (rows := executions_of(admin, function)) and all(e["status"] != "running" for e in rows) and rows,
                        timeout=240, interval=0.5)
    by_id = {e["id"]: e for e in finished}
    assert set(by_id) == set(ids), "an accepted execution disappeared"
    failed = [e for e in finished if e["status"] != "success"]
    for execution in failed:
        # Only the ones a worker had taken when the daemon died may fail, and they say why.
        assert execution["status"] == "failed", execution
        assert "daemon restarted" in json.loads(execution["result"])["output"]
    assert len(failed) <= 4, failed  # at most two ran at once before the kill (and a couple starting)
    # Queued ones ran after the restart, each once, with their own input.
    for execution in finished:
        if execution["status"] == "success":
            assert json.loads(execution["result"])["output"] == json.loads(execution["input"])["tag"]
    assert admin.get(f"/v1/functions/{function['id']}").json["count"] == 200


def test_deleting_a_running_execution_stops_it(admin, daemon):
    runtime = create_runtime(admin)
    function = slow_function(admin, runtime, 30)
    execution_id = run_async(admin, function, "doomed")
    log = wait_for(lambda: (r := admin.get(f"/v1/executions/{execution_id}/log")).status == 200 and r.text, timeout=30)
    assert log == "begin doomed\n"  # readable while it runs
    assert len(admin.get(f"/v1/functions/{function['id']}/workers").json["workers"]) == 1
    assert admin.delete(f"/v1/executions/{execution_id}").status == 204
    assert admin.get(f"/v1/executions/{execution_id}").status == 404
    # Its worker was killed, not left to sleep out its 30 s.
    wait_for(lambda: admin.get(f"/v1/functions/{function['id']}/workers").json["workers"] == [], timeout=5)
    # A sync call that is deleted while it runs comes back saying so.
    reply = {}
    caller = threading.Thread(target=lambda: reply.setdefault("r", execute(admin, function["id"], input=json.dumps({"tag": "sync"}))))
    caller.start()
    running = wait_for(lambda: [e for e in executions_of(admin, function) if e["status"] == "running"], timeout=30)
    wait_for(lambda: admin.get(f"/v1/executions/{running[0]['id']}/log").status == 200, timeout=30)
    assert admin.delete(f"/v1/executions/{running[0]['id']}").status == 204
    caller.join(10)
    assert reply["r"]["status"] == "failed" and "deleted" in reply["r"]["result_json"]["output"]


def test_deleting_a_waiting_execution_means_it_never_runs(fresh_daemon_factory):
    daemon = fresh_daemon_factory(args=["--workers-per-function", "1"])
    admin = daemon.unix()
    runtime = create_runtime(admin)
    function = slow_function(admin, runtime, 1)
    first = run_async(admin, function, "first")
    second = run_async(admin, function, "second")
    assert admin.delete(f"/v1/executions/{second}").status == 204
    done = wait_for(lambda: (e := admin.get(f"/v1/executions/{first}").json)["status"] != "running" and e, timeout=30)
    assert done["status"] == "success"
    time.sleep(1.5)
    assert [e["id"] for e in executions_of(admin, function)] == [first]
    assert "second" not in admin.get(f"/v1/executions/{first}/log").text


def test_sync_calls_go_before_a_burst_of_async_ones(fresh_daemon_factory):
    daemon = fresh_daemon_factory(args=["--workers-per-function", "1"])
    admin = daemon.unix()
    runtime = create_runtime(admin)
    function = slow_function(admin, runtime, 0.3)
    for i in range(15):
        run_async(admin, function, i)
    started = time.time()
    sync = execute(admin, function["id"], input=json.dumps({"tag": "sync"}))
    waited = time.time() - started
    assert sync["status"] == "success" and sync["result_json"]["output"] == "sync"
    # It waited for the one call in progress, not for the fifteen queued before it.
    assert waited < 15 * 0.3, waited
    still_running = [e for e in executions_of(admin, function) if e["status"] == "running"]
    assert still_running, "the async burst should still be queued when the sync call returns"
