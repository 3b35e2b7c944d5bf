"""Jobs: one-shot and cron schedules fired by the daemon's scheduler, on time, never twice, also
across restarts; paused, resumed, cancelled; every refusal a clear 4xx."""

import signal
import time
from datetime import datetime, timedelta, timezone

import pytest

from hearth import HELLO_PY, create_function, create_runtime, make_zip, wait_for

JOB_KEYS = ["id", "name", "function_id", "function_alias", "function_version", "function_input", "status", "pattern",
            "count", "first_execution_time", "next_execution_time", "project_id", "created_at", "updated_at"]


@pytest.fixture(scope="module")
def runtime(daemon):
    return create_runtime(daemon.unix())


@pytest.fixture
def function(admin, runtime):
    return create_function(admin, runtime["id"])


def utc_in(seconds, fmt="%Y-%m-%d %H:%M:%S"):
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).strftime(fmt)


def epoch(stamp):
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def create_job(client, **body):
    reply = client.post("/v1/jobs", json=body)
    assert reply.status == 201, reply
    return reply.json


def fired(client, job_id):
    return client.get(f"/v1/executions?description=has:{job_id}").json["executions"]


def sleep_until(moment):
    time.sleep(max(0, moment - time.time()))


def test_create_one_shot_and_recurring(admin, function):
    first = utc_in(3600)
    job = create_job(admin, name="oneshot", function_id=function["id"], first_execution_time=first, function_input='{"name": "job"}')
    assert list(job) == JOB_KEYS
    stamp = first.replace(" ", "T") + "Z"
    assert (job["status"], job["count"], job["pattern"], job["function_version"]) == ("running", 1, None, 0)
    assert job["first_execution_time"] == job["next_execution_time"] == stamp
    assert (job["function_id"], job["function_alias"], job["function_input"]) == (function["id"], None, '{"name": "job"}')
    assert admin.get(f"/v1/jobs/{job['id']}").json == job
    assert job in admin.get("/v1/jobs").json["jobs"]

    daily = create_job(admin, function_id=function["id"], pattern="0 21 * * *", count=10)
    assert daily["first_execution_time"] == daily["next_execution_time"] and daily["next_execution_time"].endswith("T21:00:00Z")
    assert daily["count"] == 10 and epoch(daily["next_execution_time"]) - time.time() <= 86400

    # With both, the first slot at or after the requested time.
    start = utc_in(7200, "%Y-%m-%dT%H:%M:%S")
    hourly = create_job(admin, function_id=function["id"], pattern="0 * * * *", first_execution_time=start)
    assert hourly["count"] is None and hourly["next_execution_time"].endswith(":00:00Z")
    assert 0 <= epoch(hourly["next_execution_time"]) - epoch(start + "Z") < 3600

    # An explicit offset is honoured; without one the time is UTC.
    offset = create_job(admin, function_id=function["id"], first_execution_time="2099-01-01 12:00:00+02:00")
    assert offset["next_execution_time"] == "2099-01-01T10:00:00Z"
    for j in (job, daily, hourly, offset):
        assert admin.delete(f"/v1/jobs/{j['id']}").status == 204
    assert admin.get(f"/v1/jobs/{job['id']}").status == 404


@pytest.mark.parametrize("body,status,words", [
    ({}, 400, "pattern or first_execution_time must be specified."),
    ({"function_id": "FN", "first_execution_time": "PAST"}, 400, "Execution time must be at least 1 minute in the future"),
    ({"function_id": "FN", "first_execution_time": "SOON"}, 400, "Execution time must be at least 1 minute in the future"),
    ({"function_id": "FN", "first_execution_time": "not-a-date"}, 400, "Unknown string format: not-a-date"),
    ({"function_id": "FN", "first_execution_time": "2099-02-30 10:00:00"}, 400, "Unknown string format"),
    ({"function_id": "FN", "first_execution_time": 12}, 400, "Expected a string"),
    ({"function_id": "FN", "pattern": "* * *"}, 400, "The specified pattern is not valid: * * *"),
    ({"function_id": "FN", "pattern": "61 * * * *"}, 400, "minute field: 61 is outside 0-59"),
    ({"function_id": "FN", "pattern": "0 0 31 2 *"}, 400, "never matches"),
    ({"function_id": "FN", "pattern": "* * * * *", "count": 0}, 400, "Value should be greater or equal to 1"),
    ({"function_id": "FN", "pattern": "* * * * *", "count": "many"}, 400, "An integer is required"),
    ({"function_id": "FN", "first_execution_time": "LATER", "count": 2}, 400, "pattern must be provided if count is greater than 1."),
    ({"function_id": "00000000-0000-4000-8000-000000000000", "pattern": "* * * * *"}, 404, "Function not found"),
    ({"function_id": "FN", "function_version": 3, "pattern": "* * * * *"}, 404, "FunctionVersion not found"),
    ({"function_id": "FN", "function_version": "one", "pattern": "* * * * *"}, 400, "An integer is required"),
    ({"function_alias": "no-alias", "pattern": "* * * * *"}, 404, "FunctionAlias not found [name=no-alias]"),
    ({"pattern": "* * * * *"}, 400, "Either function_alias or function_id must be provided."),
    ({"function_id": "FN", "pattern": "* * * * *", "project_id": "p"}, 400, "Cannot set read only field"),
    ({"function_id": "FN", "pattern": "* * * * *", "colour": "red"}, 400, "Unknown attribute for argument job: colour"),
    ({"function_id": "FN", "pattern": "* * * * *", "name": "x" * 256}, 400, "name is too long"),
])
def test_bad_job_requests(admin, function, body, status, words):
    values = {"FN": function["id"], "PAST": utc_in(-3600), "SOON": utc_in(20), "LATER": utc_in(3600)}
    body = {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    reply = admin.post("/v1/jobs", json=body)
    assert reply.status == status, reply
    assert words in reply.json["faultstring"]
    assert admin.get(f"/v1/jobs?function_id={function['id']}").json["jobs"] == []


def test_updates(admin, function):
    later = utc_in(3600)
    one_shot = create_job(admin, function_id=function["id"], first_execution_time=later)
    path = f"/v1/jobs/{one_shot['id']}"
    paused = admin.put(path, json={"name": "renamed", "status": "paused", "pattern": None, "next_execution_time": None, "function_input": None})
    assert paused.status == 200 and (paused.json["name"], paused.json["status"]) == ("renamed", "paused")
    assert paused.json["updated_at"] is not None
    resumed = admin.put(path, json={"status": "running"}).json
    assert resumed["status"] == "running" and resumed["next_execution_time"] == one_shot["next_execution_time"]
    refused = admin.put(path, json={"pattern": "* * * * *"})
    assert refused.status == 400 and "Can not change job type" in refused.json["faultstring"]
    assert "at least 1 minute" in admin.put(path, json={"next_execution_time": utc_in(-10)}).json["faultstring"]
    moved = admin.put(path, json={"next_execution_time": "2099-05-05 05:05:05"}).json
    assert moved["next_execution_time"] == "2099-05-05T05:05:05Z"
    for body, words in [({"status": "done"}, "Invalid status"), ({"status": "sleeping"}, "Invalid status"),
                        ({"count": 3}, "Cannot set read only field"), ({"function_id": function["id"]}, "Cannot set read only field"),
                        ({"name": 3}, "Expected a string")]:
        reply = admin.put(path, json=body)
        assert reply.status == 400 and words in reply.json["faultstring"], (body, reply)

    recurring = create_job(admin, function_id=function["id"], pattern="0 21 * * *")
    path = f"/v1/jobs/{recurring['id']}"
    assert "Can not change job type" in admin.put(path, json={"pattern": ""}).json["faultstring"]
    assert "not valid" in admin.put(path, json={"pattern": "0 25 * * *"}).json["faultstring"]
    hourly = admin.put(path, json={"pattern": "0 * * * *"}).json
    assert hourly["pattern"] == "0 * * * *" and hourly["next_execution_time"].endswith(":00:00Z")
    assert epoch(hourly["next_execution_time"]) - time.time() <= 3600
    admin.put(path, json={"status": "paused"})
    resumed = admin.put(path, json={"status": "running", "next_execution_time": "2099-01-01 00:30:00"}).json
    assert resumed["next_execution_time"] == "2099-01-01T00:30:00Z"
    cancelled = admin.put(path, json={"status": "cancelled"}).json
    assert cancelled["status"] == "cancelled"
    finished = admin.put(path, json={"name": "again"})
    assert finished.status == 400 and finished.json["faultstring"] == "Can not update a finished job."
    assert admin.put("/v1/jobs/nope", json={}).status == 404
    assert admin.delete(path).status == 204


def test_a_job_fires_on_every_slot_then_is_done(admin, function):
    job = create_job(admin, function_id=function["id"], pattern="* * * * * */2", count=3, function_input='{"name": "cron"}')
    done = wait_for(lambda: (j := admin.get(f"/v1/jobs/{job['id']}").json)["status"] == "done" and j, timeout=15)
    assert done["count"] == 0
    time.sleep(2.5)
    executions = fired(admin, job["id"])
    assert len(executions) == 3
    starts = [epoch(e["created_at"]) for e in executions]
    # On time: each within a second of its slot (created_at has whole seconds).
    slots = [epoch(job["next_execution_time"]) + 2 * i for i in range(3)]
    assert all(0 <= start - slot <= 1 for start, slot in zip(starts, slots)), (starts, slots)
    for e in executions:
        assert e["description"] == f"Created by Job {job['id']}" and e["sync"] is False
        assert e["input"] == '{"name": "cron"}'
    finished = [wait_for(lambda e=e: (x := admin.get(f"/v1/executions/{e['id']}").json)["status"] != "running" and x) for e in executions]
    assert {e["status"] for e in finished} == {"success"}
    assert "Hello, cron" in admin.get(f"/v1/executions/{finished[0]['id']}/log").text


def test_jobs_on_a_version_and_through_an_alias(admin, function):
    assert admin.post(f"/v1/functions/{function['id']}/versions", json={}).status == 201
    admin.put(f"/v1/functions/{function['id']}", data={"source": "package"},
              files={"package": ("p.zip", make_zip({"hello.py": "def main(**kw):\n    print('changed')\n"}))})
    alias = f"job-{function['id'][:8]}"
    admin.post("/v1/aliases", json={"name": alias, "function_id": function["id"], "function_version": 1})
    on_version = create_job(admin, function_id=function["id"], function_version=1, pattern="* * * * * *", count=1)
    via_alias = create_job(admin, function_alias=alias, pattern="* * * * * *", count=1)
    assert (via_alias["function_id"], via_alias["function_alias"]) == (None, alias)
    for job, expected_alias in [(on_version, None), (via_alias, alias)]:
        wait_for(lambda: admin.get(f"/v1/jobs/{job['id']}").json["status"] == "done", timeout=10)
        [execution] = wait_for(lambda: fired(admin, job["id"]), timeout=5)
        assert (execution["function_version"], execution["function_alias"]) == (1, expected_alias)
        wait_for(lambda: admin.get(f"/v1/executions/{execution['id']}").json["status"] == "success")
        assert "Hello, World" in admin.get(f"/v1/executions/{execution['id']}/log").text
    assert admin.delete(f"/v1/aliases/{alias}").status == 204


def test_a_paused_job_does_not_fire_and_resumes(admin, function):
    job = create_job(admin, function_id=function["id"], pattern="* * * * * *")
    path = f"/v1/jobs/{job['id']}"
    wait_for(lambda: len(fired(admin, job["id"])) >= 1, timeout=5)
    assert admin.put(path, json={"status": "paused"}).json["status"] == "paused"
    time.sleep(1)  # a firing already claimed may still land
    while_paused = len(fired(admin, job["id"]))
    time.sleep(3)
    assert len(fired(admin, job["id"])) == while_paused
    before = time.time()
    resumed = admin.put(path, json={"status": "running"}).json
    # Slots missed while paused are skipped: the next one comes after the resume.
    assert epoch(resumed["next_execution_time"]) >= int(before)
    wait_for(lambda: len(fired(admin, job["id"])) >= while_paused + 2, timeout=5)
    assert admin.put(path, json={"status": "cancelled"}).status == 200
    time.sleep(1)
    after_cancel = len(fired(admin, job["id"]))
    time.sleep(2)
    assert len(fired(admin, job["id"])) == after_cancel


def test_restarts_neither_lose_nor_double_a_firing_and_downtime_fires_once(fresh_daemon_factory):
    first = fresh_daemon_factory()
    admin = first.unix()
    function = create_function(admin, create_runtime(admin)["id"])
    job = create_job(admin, function_id=function["id"], pattern="* * * * * */6")
    slot = epoch(job["next_execution_time"])
    wait_for(lambda: len(fired(admin, job["id"])) == 1, timeout=10)

    # A kill and restart between two slots: the fired slot is not fired again, the next one fires once.
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    second = fresh_daemon_factory(data_dir=first.data_dir)
    admin = second.unix()
    sleep_until(slot + 6 + 2.5)
    executions = fired(admin, job["id"])
    assert len(executions) == 2, executions
    assert slot + 6 <= epoch(executions[1]["created_at"]) <= slot + 8

    # Down across two slots (+12, +18): one catch-up firing at start, then the schedule goes on (+24).
    assert second.stop() == 0
    sleep_until(slot + 19)
    third = fresh_daemon_factory(data_dir=first.data_dir)
    admin = third.unix()
    sleep_until(slot + 23)
    executions = fired(admin, job["id"])
    assert len(executions) == 3, executions
    assert slot + 19 <= epoch(executions[2]["created_at"]) < slot + 24
    sleep_until(slot + 26)
    executions = fired(admin, job["id"])
    assert len(executions) == 4, executions
    assert slot + 24 <= epoch(executions[3]["created_at"]) <= slot + 25
    assert epoch(admin.get(f"/v1/jobs/{job['id']}").json["next_execution_time"]) == slot + 30
    # The catch-up firing at start-up ran like any other.
    statuses = [wait_for(lambda e=e: (x := admin.get(f"/v1/executions/{e['id']}").json)["status"] != "running" and x)["status"]
                for e in executions[1:]]
    assert statuses == ["success"] * 3, statuses


def test_functions_with_jobs(admin, function):
    running = create_job(admin, function_id=function["id"], first_execution_time=utc_in(3600))
    for reply in [admin.delete(f"/v1/functions/{function['id']}"),
                  admin.put(f"/v1/functions/{function['id']}", json={"entry": "hello.other"})]:
        assert reply.status == 403 and reply.json["faultstring"] == "The function is still associated with running job(s)."
    assert admin.put(f"/v1/functions/{function['id']}", json={"description": "metadata is fine"}).status == 200
    assert admin.put(f"/v1/jobs/{running['id']}", json={"status": "cancelled"}).status == 200
    once = create_job(admin, function_id=function["id"], pattern="* * * * * *", count=1)
    wait_for(lambda: admin.get(f"/v1/jobs/{once['id']}").json["status"] == "done", timeout=10)
    [execution] = fired(admin, once["id"])
    wait_for(lambda: admin.get(f"/v1/executions/{execution['id']}").json["status"] != "running")
    # Finished jobs go with their function (Qinling failed here with a 500).
    assert admin.delete(f"/v1/functions/{function['id']}").status == 204
    assert admin.get(f"/v1/jobs/{once['id']}").status == 404
    assert admin.get(f"/v1/jobs/{running['id']}").status == 404
    assert admin.get(f"/v1/executions/{execution['id']}").status == 200


def test_jobs_are_per_project(daemon, admin, function):
    job = create_job(admin, function_id=function["id"], first_execution_time=utc_in(3600))
    stranger = daemon.tcp(daemon.create_token("jobs-stranger"))
    assert stranger.get(f"/v1/jobs/{job['id']}").status == 404
    assert stranger.get("/v1/jobs").json["jobs"] == []
    assert stranger.put(f"/v1/jobs/{job['id']}", json={"status": "paused"}).status == 404
    assert stranger.delete(f"/v1/jobs/{job['id']}").status == 404
    assert stranger.get("/v1/jobs?all_projects=true").status == 403
    assert job["id"] in [j["id"] for j in admin.get("/v1/jobs?all_projects=true").json["jobs"]]
    other_admin = daemon.unix(project="jobs-other")
    assert other_admin.get(f"/v1/jobs/{job['id']}").status == 200
    refused = other_admin.post("/v1/jobs", json={"function_id": function["id"], "pattern": "0 0 * * *"})
    assert refused.status == 404
    assert admin.delete(f"/v1/jobs/{job['id']}").status == 204


def test_every_minute_with_count_two_fires_exactly_twice(admin, function):
    job = create_job(admin, function_id=function["id"], pattern="* * * * *", count=2)
    slot = epoch(job["next_execution_time"])
    assert slot % 60 == 0 and 0 < slot - time.time() <= 61
    done = wait_for(lambda: (j := admin.get(f"/v1/jobs/{job['id']}").json)["status"] == "done" and j, timeout=150, interval=1)
    assert done["count"] == 0
    time.sleep(3)
    executions = fired(admin, job["id"])
    assert len(executions) == 2
    assert all(0 <= epoch(e["created_at"]) - (slot + 60 * i) <= 1 for i, e in enumerate(executions)), executions
