"""The FunctionGraph face over raw HTTP: URN forms, the sync response formats and headers,
auth (AK/SK signatures, the clock-skew window, tokens, the path's project), bad input that
must never be a 500, async records' paging and windows, event age, and that the face shares
its functions and executions with the Qinling API."""

import base64
import datetime
import json
import os
import sqlite3
import stat
import time
from urllib.parse import quote

import pytest

from functiongraph import create_credential, records, signed_request, urn, wait_for_record, zip_b64
from hearth import HELLO_PY, create_function, create_runtime, execute, make_zip, wait_for

PROJECT = "rawproject"
ECHO = "def handler(event, context):\n    print('event', event)\n    return {'got': event}\n"


@pytest.fixture(scope="module")
def admin(daemon):
    """The trusted Unix socket, acting in PROJECT (the SDK sends X-Project-Id too)."""
    client = daemon.unix(project=PROJECT)
    create_runtime(client, image="python3")
    return client


def fg_path(rest="", project=PROJECT):
    return f"/v2/{project}/fgs/functions{rest}"


def create(client, name, source=ECHO, timeout=30, project=PROJECT, **extra):
    body = {"func_name": name, "package": "default", "runtime": "Python3.9", "handler": "index.handler",
            "memory_size": 128, "timeout": timeout, "code_type": "zip", "code_filename": "index.zip",
            "func_code": {"file": zip_b64({"index.py": source})}, **extra}
    reply = client.post(fg_path(project=project), json=body)
    assert reply.status == 200, reply
    return reply.json


def invoke_path(function_urn, suffix="invocations", encode=True):
    return fg_path(f"/{quote(function_urn, safe='') if encode else function_urn}/{suffix}")


def assert_fss(reply, status, code):
    assert reply.status == status, reply
    assert reply.headers["content-type"] == "application/json"
    assert reply.json["error_code"] == code, reply
    assert reply.json["error_msg"] and reply.headers.get("x-request-id")


def test_every_urn_form_reaches_the_function(admin):
    create(admin, "forms")
    full = urn(PROJECT, "forms")
    for form in ["forms", "default:forms", f"{PROJECT}:default:forms", f"{PROJECT}:default:forms:latest",
                 urn(PROJECT, "forms", qualifier=None), full]:
        for encode in (True, False):
            reply = admin.post(invoke_path(form, encode=encode), json={"form": form}, headers={"X-CFF-Request-Version": "v1"})
            assert reply.status == 200, (form, encode, reply)
            assert json.loads(reply.json["result"]) == {"got": {"form": form}}
    for bad in ["a:b:c:d:e", "urn:fss:r:p:functions:default:x", "x:y:z:w:v:u:t:s:r", "with space", f"{PROJECT}:default:forms:!"]:
        assert_fss(admin.post(invoke_path(bad), json={}), 400, "FSS.1309")
    assert_fss(admin.post(invoke_path("missing"), json={}), 404, "FSS.1051")
    assert_fss(admin.post(invoke_path(urn(PROJECT, "forms", "v9")), json={}), 404, "FSS.1052")
    assert_fss(admin.post(invoke_path(urn(PROJECT, "forms", "!prod")), json={}), 404, "FSS.1053")
    assert_fss(admin.post(invoke_path(urn(PROJECT, "forms", package="other")), json={}), 404, "FSS.1051")


def test_sync_formats_headers_and_function_errors(admin):
    create(admin, "formats", ECHO + "def fail(event, context):\n    raise RuntimeError('nope')\n")
    target = urn(PROJECT, "formats")
    v0 = admin.post(invoke_path(target), json={"a": 1}, headers={"X-Cff-Log-Type": "tail"})
    assert v0.status == 200 and json.loads(v0.body) == {"got": {"a": 1}}
    assert v0.headers["x-cff-response-version"] == "v0" and v0.headers["x-is-func-err"] == "false"
    assert v0.headers["x-func-err-code"] == "0" and v0.headers["x-cff-request-id"] == v0.headers["x-request-id"]
    log = base64.b64decode(v0.headers["x-cff-function-log"]).decode()
    assert "event {'a': 1}" in log and f"Finish invoke request '{v0.headers['x-cff-request-id']}'" in log
    summary = json.loads(v0.headers["x-cff-invoke-summary"])
    assert summary["memorySize"] == 128 and summary["billingDuration"] >= 0

    v1 = admin.post(invoke_path(target), json={"b": 2}, headers={"X-CFF-Request-Version": "v1"})
    assert v1.json["log"] == "" and v1.json["status"] == 200 and "x-cff-function-log" not in v1.headers
    assert v1.json["request_id"] == v1.headers["x-cff-request-id"]
    empty = admin.post(invoke_path(target), raw=b"", headers={"X-CFF-Request-Version": "v1"})
    assert json.loads(empty.json["result"]) == {"got": {}}

    # The same function through its `fail` handler: a function error is a 200 that says so.
    admin.put(fg_path(f"/{quote(target, safe='')}/config"), json={
        "func_name": "formats", "runtime": "Python3.9", "handler": "index.fail", "memory_size": 128, "timeout": 30})
    failed = admin.post(invoke_path(target), json={}, headers={"X-CFF-Request-Version": "v1", "X-Cff-Log-Type": "tail"})
    assert failed.status == 200 and failed.json["status"] == 500
    assert failed.headers["x-is-func-err"] == "true" and failed.headers["x-func-err-code"] != "0"
    assert json.loads(failed.json["result"])["errorMessage"] == "nope"
    assert "RuntimeError: nope" in failed.json["log"] and "(invoke Failed)" in failed.json["log"]


def test_bad_input_is_never_a_500(admin):
    create(admin, "target")
    target = invoke_path(urn(PROJECT, "target"))
    good = {"func_name": "x1", "package": "default", "runtime": "Python3.9", "handler": "index.handler",
            "memory_size": 128, "timeout": 30, "code_type": "zip", "func_code": {"file": zip_b64({"index.py": ECHO})}}
    cases = [
        (admin.post(fg_path(), raw=b"{not json", headers={"Content-Type": "application/json"}), 400, "FSS.0400"),
        (admin.post(fg_path(), raw=b"[1, 2]", headers={"Content-Type": "application/json"}), 400, "FSS.0400"),
        (admin.post(fg_path(), json={**good, "func_code": {"file": "%%% not base64 %%%"}}), 400, "FSS.1011"),
        (admin.post(fg_path(), json={**good, "func_code": {"file": base64.b64encode(b"plain text, no zip").decode()}}), 400, "FSS.1011"),
        (admin.post(fg_path(), json={**good, "func_code": {}}), 400, "FSS.1012"),
        (admin.post(fg_path(), json={**good, "func_code": {"file": 42}}), 400, "FSS.0400"),
        (admin.post(fg_path(), json={**good, "func_name": "9starts-with-digit"}), 400, "FSS.1002"),
        (admin.post(fg_path(), json={**good, "runtime": "Java8"}), 400, "FSS.1005"),
        (admin.post(fg_path(), json={**good, "handler": "nodot"}), 400, "FSS.1003"),
        (admin.post(fg_path(), json={**good, "memory_size": 100000}), 400, "FSS.1007"),
        (admin.post(fg_path(), json={**good, "memory_size": "lots"}), 400, "FSS.0400"),
        (admin.post(fg_path(), json={**good, "timeout": 1}), 400, "FSS.1008"),
        (admin.post(fg_path(), json={**good, "user_data": "{\"1BAD\": \"x\"}"}), 400, "FSS.1009"),
        (admin.post(fg_path(), json={**good, "user_data": "not json"}), 400, "FSS.1009"),
        (admin.post(fg_path(), json={**good, "code_type": "obs"}), 400, "FSS.1006"),
        (admin.post(fg_path(), json={**good, "func_name": "target"}), 409, "FSS.1061"),
        (admin.post(target, raw=b"{\"unterminated\": ", headers={"Content-Type": "application/json"}), 400, "FSS.0400"),
        (admin.post(target, raw=b"x" * (6 * 1024 * 1024 + 1)), 413, "FSS.0413"),
        (admin.post(invoke_path(urn(PROJECT, "target"), "invocations-async"), raw=b"x" * (256 * 1024 + 1)), 413, "FSS.0413"),
        (admin.post(invoke_path("bad:urn:with:five:fields")), 400, "FSS.1309"),
        (admin.post(invoke_path("%E0%A4%A"), json={}), 400, "FSS.1309"),
        (admin.get(fg_path(f"/{quote(urn(PROJECT, 'target'), safe='')}/async-invocations?limit=9999")), 400, "FSS.1001"),
        (admin.get(fg_path(f"/{quote(urn(PROJECT, 'target'), safe='')}/async-invocations?status=DONE")), 400, "FSS.1001"),
        (admin.get(fg_path(f"/{quote(urn(PROJECT, 'target'), safe='')}/async-invocations?query_begin_time=yesterday")), 400, "FSS.1001"),
        (admin.post(invoke_path(urn(PROJECT, "target"), "cancel"), json={}), 400, "FSS.0400"),
        (admin.post(invoke_path(urn(PROJECT, "target"), "cancel"), json={"request_id": "nope"}), 400, "FSS.0400"),
        (admin.get(fg_path("/x/nosuchthing")), 404, "FSS.0404"),
        (admin.delete(fg_path()), 405, "FSS.0405"),
    ]
    for reply, status, code in cases:
        assert_fss(reply, status, code)
    too_big = make_zip({"index.py": ECHO, "big.bin": "x" * 20000})
    inline = {**good, "func_name": "inline1", "code_type": "inline", "func_code": {"file": base64.b64encode(too_big).decode()}}
    assert_fss(admin.post(fg_path(), json=inline), 413, "FSS.1072")


def test_signatures_skew_tampering_tokens_and_the_paths_project(daemon, admin):
    create(admin, "signed")
    ak, sk = create_credential(daemon, PROJECT)
    target = invoke_path(urn(PROJECT, "signed"))
    ok = signed_request(daemon, "POST", target, ak, sk, body={"n": 1}, headers={"X-CFF-Request-Version": "v1"})
    assert ok.status == 200 and json.loads(ok.json["result"]) == {"got": {"n": 1}}
    listed = signed_request(daemon, "GET", fg_path("?maxitems=5&marker=0"), ak, sk)
    assert listed.status == 200 and "signed" in [f["func_name"] for f in listed.json["functions"]]

    now = datetime.datetime.utcnow()
    assert signed_request(daemon, "POST", target, ak, sk, body={}, when=now - datetime.timedelta(minutes=14)).status == 200
    for skew in (datetime.timedelta(minutes=16), -datetime.timedelta(minutes=16)):
        stale = signed_request(daemon, "POST", target, ak, sk, body={}, when=now - skew)
        assert_fss(stale, 401, "FSS.0401")
        assert "X-Sdk-Date" in stale.json["error_msg"]
    tampered = sk[:-1] + ("y" if sk.endswith("x") else "x")  # always a different key
    assert_fss(signed_request(daemon, "POST", target, ak, tampered, body={}), 401, "FSS.0401")

    # A body changed after signing does not pass.
    import http.client
    from functiongraph import sign
    headers = sign("POST", daemon.endpoint + target, {"Content-Type": "application/json"}, b'{"n": 1}', ak, sk)
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
    conn.request("POST", target, body=b'{"n": 2}', headers=headers)
    response = conn.getresponse()
    assert response.status == 401 and json.loads(response.read())["error_code"] == "FSS.0401"
    conn.close()

    # The credential's project must be the path's.
    assert_fss(signed_request(daemon, "GET", fg_path(project="someone-else"), ak, sk), 403, "FSS.0403")
    # No credentials at all, and a revoked key.
    assert_fss(daemon.tcp().get(fg_path()), 401, "FSS.0401")
    assert daemon.hearthd("credential", "revoke", ak).returncode == 0
    assert_fss(signed_request(daemon, "POST", target, ak, sk, body={}), 401, "FSS.0401")

    # X-Auth-Token works as elsewhere, scoped the same way.
    token = daemon.create_token(PROJECT)
    assert daemon.tcp(token).post(target, json={}).status == 200
    assert_fss(daemon.tcp(token).get(fg_path(project="someone-else")), 403, "FSS.0403")
    assert_fss(daemon.tcp("hearth_wrong").get(fg_path()), 401, "FSS.0401")


def test_secrets_are_not_stored_in_clear(daemon):
    ak, sk = create_credential(daemon, PROJECT)
    listing = daemon.hearthd("credential", "list")
    assert ak in listing.stdout and sk not in listing.stdout
    key_file = os.path.join(daemon.data_dir, "credentials.key")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with sqlite3.connect(os.path.join(daemon.data_dir, "hearth.sqlite")) as db:
        sealed = db.execute("SELECT sealed_secret FROM access_credentials WHERE access_key = ?", (ak,)).fetchone()[0]
    assert sk.encode() not in sealed and len(sealed) >= len(sk) + 28
    for name in os.listdir(daemon.data_dir):
        path = os.path.join(daemon.data_dir, name)
        if os.path.isfile(path) and name.startswith("hearth.sqlite"):
            with open(path, "rb") as f:
                assert sk.encode() not in f.read(), name


def test_functions_are_shared_with_the_qinling_api(admin):
    created = create(admin, "shared", user_data=json.dumps({"A": "1"}))
    qinling = admin.get(f"/v1/functions/{created['func_id']}").json
    assert qinling["name"] == "shared" and qinling["entry"] == "index.handler" and qinling["memory_size"] == 128 << 20
    execution = execute(admin, created["func_id"], input='{"via": "qinling"}')
    assert execution["result_json"]["output"] == {"got": {"via": "qinling"}}  # handler(event, context) still

    runtime_id = qinling["runtime_id"]
    plain = create_function(admin, runtime_id, name="qinlingmade")
    target = urn(PROJECT, "qinlingmade")
    config = admin.get(fg_path(f"/{quote(target, safe='')}/config")).json
    assert config["func_id"] == plain["id"] and config["runtime"] == "Python3.9" and config["handler"] == "hello.main"
    reply = admin.post(invoke_path(target), json={"name": "FG"}, headers={"X-CFF-Request-Version": "v1"})
    assert json.loads(reply.json["result"]) == "Hello, FG"  # Qinling's main(**input) convention kept
    rid = admin.post(invoke_path(target, "invocations-async"), json={}).json["request_id"]
    assert wait_for_record(lambda r: records(admin, PROJECT, target)["invocations"], rid)["status"] == "SUCCESS"
    assert admin.get(f"/v1/executions/{rid}").json["function_id"] == plain["id"]


def test_async_records_paging_window_and_status(admin):
    created = create(admin, "paged")
    target = urn(PROJECT, "paged")
    ids = []
    for n in range(5):
        reply = admin.post(invoke_path(target, "invocations-async"), json={"n": n})
        assert reply.status == 202 and reply.json["request_id"] == reply.json["requestId"]
        ids.append(reply.json["request_id"])
    for rid in ids:
        wait_for_record(lambda r: records(admin, PROJECT, target)["invocations"], rid)
    first = records(admin, PROJECT, target, limit=2)
    assert first["count"] == 5 and len(first["invocations"]) == 2 and first["next_marker"] == 2
    second = records(admin, PROJECT, target, limit=2, marker=2)
    third = records(admin, PROJECT, target, limit=2, marker=4)
    seen = [r["request_id"] for page in (first, second, third) for r in page["invocations"]]
    assert sorted(seen) == sorted(ids) and len(third["invocations"]) == 1
    assert records(admin, PROJECT, target, status="SUCCESS")["count"] == 5
    assert records(admin, PROJECT, target, status="FAIL")["count"] == 0
    assert records(admin, PROJECT, target, request_id=ids[3])["invocations"][0]["request_id"] == ids[3]
    # Default window: the last hour (no begin time given) still shows them; a window in the past does not.
    default = admin.get(fg_path(f"/{quote(target, safe='')}/async-invocations")).json
    assert default["count"] == 5
    past = records(admin, PROJECT, target, query_begin_time="2020-01-01T00:00:00", query_end_time="2020-01-02T00:00:00")
    assert past["count"] == 0
    # Lenient times: microseconds, Z, offsets.
    begin = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    for text in [begin.isoformat(), begin.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), begin.astimezone(datetime.timezone(datetime.timedelta(hours=8))).isoformat()]:
        assert records(admin, PROJECT, target, query_begin_time=text)["count"] == 5, text
    active = admin.get(fg_path(f"/{quote(target, safe='')}/active-async-invocations")).json
    assert active == {"invocations": [], "count": 0, "next_marker": 0}
    first_record = records(admin, PROJECT, target, request_id=ids[0])["invocations"][0]
    assert set(first_record) == {"request_id", "status", "error_message", "error_code", "start_time", "end_time"}
    assert "Z" not in first_record["start_time"] and "T" in first_record["start_time"]


def test_event_age_discards_and_async_config_round_trip(admin):
    create(admin, "aging", "import time\ndef handler(event, context):\n    time.sleep(10)\n", timeout=3)
    target = urn(PROJECT, "aging")
    config_path = fg_path(f"/{quote(target, safe='')}/async-invoke-config")
    assert_fss(admin.get(config_path), 404, "FSS.0404")
    assert_fss(admin.put(config_path, json={"max_async_retry_attempts": 99}), 400, "FSS.0400")
    assert_fss(admin.put(config_path, json={"destination_config": {"on_success": {"destination": "OBS", "param": "{}"}}}), 400, "FSS.0400")
    assert_fss(admin.put(config_path, json={"destination_config": {"on_failure": {
        "destination": "FunctionGraph", "param": json.dumps({"func_urn": urn(PROJECT, "nosuch")})}}}), 404, "FSS.1051")
    put = admin.put(config_path, json={"max_async_event_age_in_seconds": 4, "max_async_retry_attempts": 3, "enable_async_status_log": True})
    assert put.status == 200, put
    shown = admin.get(config_path).json
    assert shown["max_async_event_age_in_seconds"] == 4 and shown["max_async_retry_attempts"] == 3
    assert shown["func_urn"] == target and shown["enable_async_status_log"] is True
    # Attempt 1 times out at 3 s and a retry follows 1 s later; by then, or before the third, the
    # event is older than 4 s.
    rid = admin.post(invoke_path(target, "invocations-async"), json={}).json["request_id"]
    record = wait_for_record(lambda r: records(admin, PROJECT, target)["invocations"], rid, timeout=40)
    assert record["status"] == "DISCARD", record
    assert "max_async_event_age_in_seconds" in record["error_message"]
    assert records(admin, PROJECT, target, status="DISCARD")["count"] == 1
    assert records(admin, PROJECT, target, status="FAIL")["count"] == 0
    assert admin.delete(config_path).status == 204
    assert_fss(admin.get(config_path), 404, "FSS.0404")


def test_disabled_function_is_429(admin):
    create(admin, "disabled", strategy_config={"concurrency": 0})
    target = urn(PROJECT, "disabled")
    for suffix in ("invocations", "invocations-async"):
        reply = admin.post(invoke_path(target, suffix), json={})
        assert_fss(reply, 429, "FSS.0429")
        assert reply.json["error_msg"] == "Function Disabled"


def test_queued_invocations_wait_and_cancel_without_running(admin):
    create(admin, "busy", "import time\ndef handler(event, context):\n    print('started', event['n'])\n    time.sleep(60)\n", timeout=120)
    target = urn(PROJECT, "busy")
    ids = [admin.post(invoke_path(target, "invocations-async"), json={"n": n}).json["request_id"] for n in range(5)]
    active = lambda **q: admin.get(fg_path(f"/{quote(target, safe='')}/active-async-invocations") +
                                   ("?" + "&".join(f"{k}={v}" for k, v in q.items()) if q else "")).json
    # Four workers per function (the default): four run, the fifth waits its turn.
    wait_for(lambda: active(status="RUNNING")["count"] == 4, timeout=30)
    waiting = active(status="WAIT")["invocations"]
    assert [r["request_id"] for r in waiting] == [ids[4]] and waiting[0]["end_time"] == ""
    assert active(requests=",".join(ids[:2]))["count"] == 2
    for rid in reversed(ids):
        assert admin.post(invoke_path(target, "cancel"), json={"request_id": rid}).status == 200
    finished = records(admin, PROJECT, target)["invocations"]
    assert sorted(r["request_id"] for r in finished) == sorted(ids)
    assert all(r["status"] == "FAIL" and r["error_code"] == 4208 for r in finished), finished
    assert active()["count"] == 0
    time.sleep(1.5)  # the cancelled waiting one never starts, even once workers are free
    assert admin.get(f"/v1/executions/{ids[4]}/log").status == 204
    assert records(admin, PROJECT, target, request_id=ids[4])["invocations"][0]["status"] == "FAIL"


def test_accepted_async_invocations_survive_kill_minus_nine(fresh_daemon_factory):
    first = fresh_daemon_factory(args=["--workers-per-function", "1"])
    admin = first.unix(project=PROJECT)
    create_runtime(admin, image="python3")
    create(admin, "durable", "import time\ndef handler(event, context):\n    time.sleep(0.3)\n    return event['n']\n")
    target = urn(PROJECT, "durable")
    ids = [admin.post(invoke_path(target, "invocations-async"), json={"n": n}).json["request_id"] for n in range(8)]
    wait_for(lambda: records(admin, PROJECT, target, status="SUCCESS")["count"] >= 1, timeout=30)
    assert records(admin, PROJECT, target, status="WAIT")["count"] >= 1
    import signal
    first.stop(signal.SIGKILL)

    second = fresh_daemon_factory(data_dir=first.data_dir)
    admin = second.unix(project=PROJECT)
    done = wait_for(lambda: (page := records(admin, PROJECT, target))["count"] == 8
                    and all(r["status"] in ("SUCCESS", "FAIL") for r in page["invocations"]) and page, timeout=60)
    statuses = {r["request_id"]: r["status"] for r in done["invocations"]}
    assert set(statuses) == set(ids)
    # Only the one a worker had taken when the daemon died may have failed.
    assert sum(1 for s in statuses.values() if s == "FAIL") <= 1, statuses
    outputs = [json.loads(admin.get(f"/v1/executions/{rid}").json["result"])["output"]
               for rid in ids if statuses[rid] == "SUCCESS"]
    assert sorted(outputs) == sorted(set(outputs)) and len(outputs) >= 7


def test_versions_and_aliases_are_qinlings(admin):
    source = "def handler(event, context):\n    return '%s'\n"
    created = create(admin, "shadowed", source % "one")
    head = quote(urn(PROJECT, "shadowed"), safe="")
    versions, aliases = fg_path(f"/{head}/versions"), fg_path(f"/{head}/aliases")
    published = admin.post(versions, json={"version": "v1"})
    assert published.status == 200 and published.json["version"] == "v1"
    qinling_versions = admin.get(f"/v1/functions/{created['func_id']}/versions").json["function_versions"]
    assert [v["version_number"] for v in qinling_versions] == [1]
    # A version published through Qinling is named by its number here.
    admin.put(fg_path(f"/{head}/code"), json={"code_type": "zip", "func_code": {"file": zip_b64({"index.py": source % "two"})}})
    assert admin.post(f"/v1/functions/{created['func_id']}/versions", json={}).status == 201
    names = [v["version"] for v in admin.get(versions).json["versions"]]
    assert names == ["latest", "v1", "2"]
    two = admin.post(invoke_path(urn(PROJECT, "shadowed", "2")), json={}, headers={"X-CFF-Request-Version": "v1"})
    assert json.loads(two.json["result"]) == "two"
    # A Qinling alias of the function is one here, with or without the `!`.
    assert admin.post("/v1/aliases", json={"name": "stable", "function_id": created["func_id"], "function_version": 1}).status == 201
    for qualifier in ("!stable", "stable"):
        reply = admin.post(invoke_path(urn(PROJECT, "shadowed", qualifier)), json={}, headers={"X-CFF-Request-Version": "v1"})
        assert json.loads(reply.json["result"]) == "one", qualifier
    listed = admin.get(aliases)
    assert listed.status == 200 and [a["name"] for a in listed.json] == ["stable"] and listed.json[0]["version"] == "v1"
    executions = admin.get(f"/v1/executions?function_id={created['func_id']}").json["executions"]
    assert any(e["function_alias"] == "stable" for e in executions)

    other = create(admin, "neighbour")
    cases = [
        (admin.post(versions, json={"version": "v1"}), 409, "FSS.1062"),
        (admin.post(versions, json={"version": "latest"}), 400, "FSS.1015"),
        (admin.post(versions, json={"version": "7"}), 400, "FSS.1015"),
        (admin.post(versions, json={"version": 5}), 400, "FSS.0400"),
        (admin.post(versions, json={"version": "v9", "digest": "0" * 128}), 400, "FSS.0400"),
        (admin.post(aliases, json={"name": "9lives", "version": "v1"}), 400, "FSS.1014"),
        (admin.post(aliases, json={"name": "canary", "version": "v404"}), 404, "FSS.1052"),
        (admin.post(aliases, json={"name": "canary"}), 400, "FSS.1015"),
        (admin.post(aliases, json={"name": "canary", "version": "v1"}), 409, "FSS.1066"),
        (admin.post(aliases, json={"name": "canary", "version": "latest", "additional_version_weights": {"v1": 50}}), 400, "FSS.1014"),
        (admin.post(fg_path(f"/{quote(urn(PROJECT, 'neighbour'), safe='')}/aliases"), json={"name": "stable", "version": "latest"}), 409, "FSS.1063"),
        (admin.get(fg_path(f"/{quote(urn(PROJECT, 'neighbour'), safe='')}/aliases/stable")), 404, "FSS.1053"),
        (admin.put(fg_path(f"/{head}/aliases/stable"), json={"version": "nope"}), 404, "FSS.1052"),
        (admin.post(fg_path(f"/{quote(urn(PROJECT, 'shadowed', 'v1'), safe='')}/versions"), json={"version": "v5"}), 400, "FSS.0400"),
        (admin.put(fg_path(f"/{quote(urn(PROJECT, 'shadowed', 'v1'), safe='')}/code"), json={"func_code": {"file": zip_b64({"index.py": ECHO})}}), 400, "FSS.0400"),
        (admin.delete(fg_path(f"/{quote(urn(PROJECT, 'shadowed', '!stable'), safe='')}")), 400, "FSS.0400"),
    ]
    for reply, status, code in cases:
        assert_fss(reply, status, code)
    assert other["func_urn"].endswith(":neighbour:latest")
    assert admin.delete(fg_path(f"/{head}/aliases/stable")).status == 204
    assert admin.delete(fg_path(f"/{head}")).status == 204
    assert admin.get(f"/v1/functions/{created['func_id']}").status == 404
