"""The FunctionGraph face driven by the real Huawei SDK (huaweicloudsdkfunctiongraph 3.1.219),
signing every request with an operator-issued AK/SK, against the real daemon over TCP."""

import datetime
import json
import time

import pytest
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkfunctiongraph.v2 import (
    AsyncInvokeFunctionRequest, CancelAsyncInvocationRequest, CancelAsyncInvocationRequestBody, CreateFunctionRequest,
    CreateFunctionRequestBody, DeleteFunctionRequest, FuncCode, InvokeFunctionRequest, ListAsyncInvocationsRequest,
    ListFunctionsRequest, ShowFunctionConfigRequest, UpdateFunctionAsyncInvokeConfigRequest,
    UpdateFunctionAsyncInvokeConfigRequestBody, UpdateFunctionCodeRequest, UpdateFunctionCodeRequestBody,
    UpdateFunctionConfigRequest, UpdateFunctionConfigRequestBody, ShowFunctionCodeRequest,
    ListActiveAsyncInvocationsRequest, CreateFunctionVersionRequest, CreateFunctionVersionRequestBody,
    ListFunctionVersionsRequest, CreateVersionAliasRequest, CreateVersionAliasRequestBody, ListVersionAliasesRequest,
    ShowVersionAliasRequest, UpdateVersionAliasRequest, UpdateVersionAliasRequestBody, DeleteVersionAliasRequest)

from functiongraph import create_credential, sdk_client, urn, wait_for_record, zip_b64
from hearth import create_runtime, wait_for

PROJECT = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"

HELLO = ("import json\n"
         "def handler(event, context):\n"
         "    context.getLogger().info('greeting %s', event.get('name'))\n"
         "    return {'statusCode': 200, 'body': json.dumps({'echo': event, 'greeting': context.getUserData('GREETING'),\n"
         "            'request': context.getRequestID(), 'remaining': context.getRemainingTimeInMilliSeconds(),\n"
         "            'function': context.getFunctionName(), 'version': context.getVersion(), 'package': context.getPackage(),\n"
         "            'project': context.getProjectID(), 'memory': context.getMemorySize()})}\n")
RAISES = "def handler(event, context):\n    raise ValueError('bad event %s' % event.get('n'))\n"
SLEEPS = "import time\ndef handler(event, context):\n    time.sleep(event.get('seconds', 60))\n    return 'woke'\n"


@pytest.fixture(scope="module")
def fg(daemon):
    create_runtime(daemon.unix(), image="python3")
    create_runtime(daemon.unix(), image="nodejs")
    ak, sk = create_credential(daemon, PROJECT)
    client = sdk_client(daemon, ak, sk, PROJECT)
    yield client
    client.close()


def create(client, name, source, timeout=30, user_data=None, runtime="Python3.9", filename="index.py", handler="index.handler"):
    body = CreateFunctionRequestBody(
        func_name=name, package="default", runtime=runtime, handler=handler, memory_size=128, timeout=timeout,
        code_type="zip", code_filename="index.zip", user_data=json.dumps(user_data) if user_data else None,
        func_code=FuncCode(file=zip_b64({filename: source})))
    return client.create_function(CreateFunctionRequest(body=body))


def invoke(client, function_urn, event, version="v1"):
    return client.invoke_function(InvokeFunctionRequest(
        function_urn=function_urn, x_cff_log_type="tail", x_cff_request_version=version, body=event))


def sdk_records(client, function_urn):
    begin = (datetime.datetime.utcnow() - datetime.timedelta(minutes=10)).replace(microsecond=0)

    def fetch(request_id):
        reply = client.list_async_invocations(ListAsyncInvocationsRequest(
            function_urn=function_urn, request_id=request_id, limit="10", query_begin_time=begin))
        return [r.to_dict() for r in reply.invocations or []]
    return fetch


def async_invoke(client, function_urn, event):
    return client.async_invoke_function(AsyncInvokeFunctionRequest(function_urn=function_urn, body=event)).request_id


def test_create_invoke_sync_v1_and_v0(fg):
    created = create(fg, "hello", HELLO, user_data={"GREETING": "hi"})
    assert created.func_urn == urn(PROJECT, "hello")
    assert created.runtime == "Python3.9" and created.handler == "index.handler" and created.memory_size == 128
    assert len(created.digest) == 128 and created.code_size > 0

    v1 = invoke(fg, created.func_urn, {"name": "qinling"})
    assert v1.status_code == 200 and v1.status == 200
    assert v1.request_id == v1.x_cff_request_id
    result = json.loads(v1.result)
    assert result["statusCode"] == 200
    body = json.loads(result["body"])
    assert body["echo"] == {"name": "qinling"} and body["greeting"] == "hi"
    assert body["request"] == v1.request_id
    assert body["function"] == "hello" and body["version"] == "latest" and body["package"] == "default"
    assert body["project"] == PROJECT and body["memory"] == 128
    assert 0 < body["remaining"] <= 30000
    lines = v1.log.splitlines()
    assert lines[0].endswith(f"Start invoke request '{v1.request_id}', version: latest")
    assert any(f"{v1.request_id} INFO greeting qinling" in line for line in lines)
    assert lines[-1].split("Z ", 1)[1].startswith(f"Finish invoke request '{v1.request_id}', duration: ")

    v0 = invoke(fg, created.func_urn, {"name": "raw"}, version="v0")
    assert v0.status_code == 200 and v0.result is None and v0.x_cff_request_id
    assert json.loads(json.loads(v0.raw_content)["body"])["echo"] == {"name": "raw"}


def test_async_invoke_polls_to_success(fg):
    created = create(fg, "asyncok", HELLO)
    request_id = async_invoke(fg, created.func_urn, {"name": "async"})
    record = wait_for_record(sdk_records(fg, created.func_urn), request_id)
    assert record["status"] == "SUCCESS" and record["error_code"] == 0 and record["error_message"] == ""
    assert record["start_time"] and record["end_time"]


def test_raising_function_is_fail_sync_and_async(fg):
    created = create(fg, "raiser", RAISES)
    sync = invoke(fg, created.func_urn, {"n": 7})
    assert sync.status_code == 200 and sync.status == 500
    error = json.loads(sync.result)
    assert error["errorMessage"] == "bad event 7" and error["errorType"]
    assert "ValueError: bad event 7" in sync.log and "(invoke Failed)" in sync.log.splitlines()[-1]

    request_id = async_invoke(fg, created.func_urn, {"n": 8})
    record = wait_for_record(sdk_records(fg, created.func_urn), request_id)
    assert record["status"] == "FAIL" and record["error_message"] == "bad event 8" and record["error_code"] != 0


def test_timeout_is_fail(fg):
    created = create(fg, "sleeper", SLEEPS, timeout=3)
    request_id = async_invoke(fg, created.func_urn, {"seconds": 10})
    record = wait_for_record(sdk_records(fg, created.func_urn), request_id, timeout=30)
    assert record["status"] == "FAIL" and record["error_code"] == 408
    assert "timeout" in record["error_message"].lower()


def test_cancel_a_long_invocation(fg):
    created = create(fg, "longone", SLEEPS, timeout=120)
    request_id = async_invoke(fg, created.func_urn, {"seconds": 100})
    active = lambda: fg.list_active_async_invocations(ListActiveAsyncInvocationsRequest(function_urn=created.func_urn)).invocations or []
    wait_for(lambda: any(r.request_id == request_id and r.status == "RUNNING" for r in active()), timeout=20)
    time.sleep(1)  # the call is on a worker by now
    started = time.time()
    fg.cancel_async_invocation(CancelAsyncInvocationRequest(
        function_urn=created.func_urn, body=CancelAsyncInvocationRequestBody(request_id=request_id, type="force")))
    record = wait_for_record(sdk_records(fg, created.func_urn), request_id, timeout=10)
    assert time.time() - started < 5
    assert record["status"] == "FAIL" and record["error_code"] == 4208
    assert record["error_message"] == "function invocation canceled"
    assert not [r for r in active() if r.request_id == request_id]
    # The function still works: its killed worker was replaced.
    assert json.loads(invoke(fg, created.func_urn, {"seconds": 0}).result) == "woke"
    # A finished invocation cannot be cancelled again.
    with pytest.raises(exceptions.ClientRequestException) as refused:
        fg.cancel_async_invocation(CancelAsyncInvocationRequest(
            function_urn=created.func_urn, body=CancelAsyncInvocationRequestBody(request_id=request_id)))
    assert refused.value.status_code == 400 and refused.value.error_code == "FSS.0400"


def test_timeouts_are_retried_then_on_failure_runs_once(fg, daemon):
    recorder = create(fg, "recorder", "def handler(event, context):\n    return event\n")
    created = create(fg, "flaky", SLEEPS, timeout=3)
    destination = {"destination": "FunctionGraph", "param": json.dumps({"func_urn": recorder.func_urn})}
    config = fg.update_function_async_invoke_config(UpdateFunctionAsyncInvokeConfigRequest(
        function_urn=created.func_urn, body=UpdateFunctionAsyncInvokeConfigRequestBody(
            max_async_event_age_in_seconds=3600, max_async_retry_attempts=2,
            destination_config={"on_failure": destination})))
    assert config.max_async_retry_attempts == 2
    started = time.time()
    request_id = async_invoke(fg, created.func_urn, {"seconds": 30})
    record = wait_for_record(sdk_records(fg, created.func_urn), request_id, timeout=60)
    assert record["status"] == "FAIL" and record["error_code"] == 408
    assert time.time() - started >= 3 * 3  # three attempts of a 3 s timeout

    fetch = lambda: fg.list_async_invocations(ListAsyncInvocationsRequest(
        function_urn=recorder.func_urn, limit="10",
        query_begin_time=datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(minutes=5))).invocations or []
    wait_for(lambda: [r for r in fetch() if r.status == "SUCCESS"], timeout=20)
    time.sleep(2)
    delivered = fetch()
    assert len(delivered) == 1 and delivered[0].status == "SUCCESS"
    # The payload the destination got (as a Qinling execution input, through the trusted socket).
    execution = daemon.unix(project=PROJECT).get(f"/v1/executions/{delivered[0].request_id}").json
    payload = json.loads(execution["input"])
    assert payload["request_context"]["request_id"] == request_id
    assert payload["request_context"]["function_urn"] == created.func_urn
    assert payload["request_context"]["approximate_invoke_count"] == 3
    assert payload["request_context"]["condition"] == "RetriesExhausted"
    assert payload["request_payload"] == json.dumps({"seconds": 30})
    assert payload["response_context"]["status_code"] != 200 and payload["response_context"]["function_error"] == "timeout"


def test_a_retry_runs_the_code_the_function_has_when_it_starts(fg, daemon):
    """An update between two attempts is what the next attempt runs, and no worker of the
    code of before is left for later calls."""
    crashes = "import os, time\ndef handler(event, context):\n    time.sleep(2)\n    os._exit(3)\n"
    created = create(fg, "mended", crashes)
    fg.update_function_async_invoke_config(UpdateFunctionAsyncInvokeConfigRequest(
        function_urn=created.func_urn, body=UpdateFunctionAsyncInvokeConfigRequestBody(
            max_async_event_age_in_seconds=3600, max_async_retry_attempts=2)))
    request_id = async_invoke(fg, created.func_urn, {})
    time.sleep(0.7)  # the first attempt sleeps 2 s before it crashes: the update lands meanwhile
    fg.update_function_code(UpdateFunctionCodeRequest(function_urn=created.func_urn, body=UpdateFunctionCodeRequestBody(
        code_type="zip", code_filename="index.zip",
        func_code=FuncCode(file=zip_b64({"index.py": "def handler(event, context):\n    return 'mended'\n"})))))
    record = wait_for_record(sdk_records(fg, created.func_urn), request_id, timeout=60)
    execution = daemon.unix(project=PROJECT).get(f"/v1/executions/{request_id}").json
    result = json.loads(execution["result"])
    assert record["status"] == "SUCCESS" and result["output"] == "mended" and result["attempts"] == 2, execution
    for _ in range(3):
        assert json.loads(invoke(fg, created.func_urn, {}).result) == "mended"


def test_function_errors_are_not_retried_and_destinations_get_results(fg, daemon):
    failures = create(fg, "failrecorder", "def handler(event, context):\n    return event\n")
    successes = create(fg, "okrecorder", "def handler(event, context):\n    return event\n")
    created = create(fg, "picky", "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('refused')\n    return 'fine'\n")
    to = lambda target: {"destination": "FunctionGraph", "param": json.dumps({"func_urn": target.func_urn})}
    fg.update_function_async_invoke_config(UpdateFunctionAsyncInvokeConfigRequest(
        function_urn=created.func_urn, body=UpdateFunctionAsyncInvokeConfigRequestBody(
            max_async_retry_attempts=3, destination_config={"on_failure": to(failures), "on_success": to(successes)})))
    started = time.time()
    failed_id = async_invoke(fg, created.func_urn, {"fail": True})
    assert wait_for_record(sdk_records(fg, created.func_urn), failed_id)["status"] == "FAIL"
    assert time.time() - started < 3  # not retried: no pauses
    ok_id = async_invoke(fg, created.func_urn, {"fail": False})
    assert wait_for_record(sdk_records(fg, created.func_urn), ok_id)["status"] == "SUCCESS"

    def payloads(recorder):
        rows = sdk_records(fg, recorder.func_urn)(None)
        return [json.loads(daemon.unix(project=PROJECT).get(f"/v1/executions/{r['request_id']}").json["input"]) for r in rows]
    failure = wait_for(lambda: payloads(failures), timeout=20)
    success = wait_for(lambda: payloads(successes), timeout=20)
    assert len(failure) == 1 and len(success) == 1
    assert failure[0]["request_context"] == {"request_id": failed_id, "function_urn": created.func_urn,
                                             "condition": "FunctionError", "approximate_invoke_count": 1}
    assert failure[0]["response_payload"] == "refused" and failure[0]["response_context"]["function_error"] == "exception"
    assert success[0]["request_context"]["request_id"] == ok_id and success[0]["request_context"]["condition"] == ""
    assert success[0]["response_context"] == {"status_code": 200, "function_error": ""}
    assert success[0]["response_payload"] == "fine"


def test_versions_and_an_alias_invoked_through_its_urn(fg):
    source = "def handler(event, context):\n    return ['%s', context.getVersion()]\n"
    created = create(fg, "versioned", source % "one")
    head = created.func_urn
    published = fg.create_function_version(CreateFunctionVersionRequest(
        function_urn=head, body=CreateFunctionVersionRequestBody(version="v1", description="first")))
    assert published.version == "v1" and published.digest == created.digest
    with pytest.raises(exceptions.ClientRequestException) as unchanged:
        fg.create_function_version(CreateFunctionVersionRequest(function_urn=head, body=CreateFunctionVersionRequestBody(version="v1b")))
    assert unchanged.value.status_code == 400 and unchanged.value.error_code == "FSS.1016"
    fg.update_function_code(UpdateFunctionCodeRequest(function_urn=head, body=UpdateFunctionCodeRequestBody(
        code_type="zip", code_filename="index.zip", func_code=FuncCode(file=zip_b64({"index.py": source % "two"})))))
    generated = fg.create_function_version(CreateFunctionVersionRequest(function_urn=head, body=CreateFunctionVersionRequestBody()))
    assert generated.version.startswith("v") and len(generated.version) == len("vYYYYMMDD-HHMMSS")
    listed = fg.list_function_versions(ListFunctionVersionsRequest(function_urn=head))
    assert [v.version for v in listed.versions] == ["latest", "v1", generated.version] and listed.count == 3

    alias = fg.create_version_alias(CreateVersionAliasRequest(
        function_urn=head, body=CreateVersionAliasRequestBody(name="prod", version="v1", description="live")))
    assert alias.alias_urn == urn(PROJECT, "versioned", "!prod") and alias.version == "v1"
    assert json.loads(invoke(fg, alias.alias_urn, {}).result) == ["one", "v1"]
    assert json.loads(invoke(fg, urn(PROJECT, "versioned", "v1"), {}).result) == ["one", "v1"]
    assert json.loads(invoke(fg, urn(PROJECT, "versioned", generated.version), {}).result) == ["two", generated.version]
    assert json.loads(invoke(fg, head, {}).result) == ["two", "latest"]
    request_id = async_invoke(fg, alias.alias_urn, {})
    assert wait_for_record(sdk_records(fg, head), request_id)["status"] == "SUCCESS"

    # One alias per version.
    with pytest.raises(exceptions.ClientRequestException) as taken:
        fg.create_version_alias(CreateVersionAliasRequest(function_urn=head, body=CreateVersionAliasRequestBody(name="beta", version="v1")))
    assert taken.value.status_code == 409 and taken.value.error_code == "FSS.1066"
    moved = fg.update_version_alias(UpdateVersionAliasRequest(
        function_urn=head, alias_name="prod", body=UpdateVersionAliasRequestBody(version=generated.version)))
    assert moved.version == generated.version
    assert json.loads(invoke(fg, alias.alias_urn, {}).result) == ["two", generated.version]
    aliases = fg.list_version_aliases(ListVersionAliasesRequest(function_urn=head)).body
    assert [(a.name, a.version) for a in aliases] == [("prod", generated.version)]
    assert fg.show_version_alias(ShowVersionAliasRequest(function_urn=head, alias_name="prod")).description == "live"

    # Deleting a version an alias uses is refused; an unused one goes.
    with pytest.raises(exceptions.ClientRequestException) as in_use:
        fg.delete_function(DeleteFunctionRequest(function_urn=urn(PROJECT, "versioned", generated.version)))
    assert in_use.value.status_code == 409
    fg.delete_function(DeleteFunctionRequest(function_urn=urn(PROJECT, "versioned", "v1")))
    with pytest.raises(exceptions.ClientRequestException) as gone:
        invoke(fg, urn(PROJECT, "versioned", "v1"), {})
    assert gone.value.status_code == 404 and gone.value.error_code == "FSS.1052"
    fg.delete_version_alias(DeleteVersionAliasRequest(function_urn=head, alias_name="prod"))
    with pytest.raises(exceptions.ClientRequestException) as no_alias:
        invoke(fg, alias.alias_urn, {})
    assert no_alias.value.status_code == 404 and no_alias.value.error_code == "FSS.1053"
    # The whole function goes with its versions and aliases.
    fg.create_version_alias(CreateVersionAliasRequest(function_urn=head, body=CreateVersionAliasRequestBody(name="last", version="latest")))
    fg.delete_function(DeleteFunctionRequest(function_urn=head))
    with pytest.raises(exceptions.ClientRequestException) as deleted:
        fg.show_function_config(ShowFunctionConfigRequest(function_urn=head))
    assert deleted.value.error_code == "FSS.1051"


def test_update_code_and_config_then_delete(fg):
    created = create(fg, "changing", "def handler(event, context):\n    return 'one'\n")
    assert json.loads(invoke(fg, created.func_urn, {}).result) == "one"
    updated = fg.update_function_code(UpdateFunctionCodeRequest(
        function_urn=created.func_urn, body=UpdateFunctionCodeRequestBody(
            code_type="zip", code_filename="index.zip",
            func_code=FuncCode(file=zip_b64({"index.py": "import os\ndef handler(event, context):\n    return ['two', os.environ.get('MODE')]\n"})))))
    assert updated.func_urn == created.func_urn and updated.digest != created.digest
    assert json.loads(invoke(fg, created.func_urn, {}).result) == ["two", None]
    code = fg.show_function_code(ShowFunctionCodeRequest(function_urn=created.func_urn))
    assert code.digest == updated.digest and code.func_code.file

    config = fg.update_function_config(UpdateFunctionConfigRequest(
        function_urn=created.func_urn, body=UpdateFunctionConfigRequestBody(
            func_name="changing", runtime="Python3.9", timeout=10, handler="index.handler", memory_size=128,
            user_data=json.dumps({"MODE": "configured"}))))
    assert config.timeout == 10
    assert json.loads(invoke(fg, created.func_urn, {}).result) == ["two", "configured"]
    names = [f.func_name for f in fg.list_functions(ListFunctionsRequest()).functions]
    assert "changing" in names

    fg.delete_function(DeleteFunctionRequest(function_urn=created.func_urn))
    with pytest.raises(exceptions.ClientRequestException) as gone:
        fg.show_function_config(ShowFunctionConfigRequest(function_urn=created.func_urn))
    assert gone.value.status_code == 404 and gone.value.error_code == "FSS.1051"
    assert gone.value.request_id


def test_nodejs_handler_event_context(fg):
    source = ("exports.handler = async (event, context) => ({echo: event, id: context.getRequestID(),\n"
              "  greeting: context.getUserData('GREETING'), version: context.getVersion()});\n")
    created = create(fg, "nodehello", source, runtime="Node.js18.15", filename="index.js", user_data={"GREETING": "hej"})
    reply = invoke(fg, created.func_urn, {"k": "v"})
    result = json.loads(reply.result)
    assert result == {"echo": {"k": "v"}, "id": reply.request_id, "greeting": "hej", "version": "latest"}


def test_wrong_secret_key_is_401(daemon, fg):
    ak, _ = create_credential(daemon, PROJECT)
    wrong = sdk_client(daemon, ak, "not-the-secret-key", PROJECT)
    with pytest.raises(exceptions.ClientRequestException) as refused:
        wrong.list_functions(ListFunctionsRequest())
    assert refused.value.status_code == 401 and refused.value.error_code == "FSS.0401"
    assert "signature" in refused.value.error_msg
    unknown = sdk_client(daemon, "NOSUCHACCESSKEY00000", "x", PROJECT)
    with pytest.raises(exceptions.ClientRequestException) as refused:
        unknown.list_functions(ListFunctionsRequest())
    assert refused.value.status_code == 401 and refused.value.error_code == "FSS.0401"


def test_another_projects_function_is_not_found(daemon, fg):
    mine = create(fg, "private", HELLO)
    ak, sk = create_credential(daemon, OTHER)
    other = sdk_client(daemon, ak, sk, OTHER)
    # Named by its full URN (project in the URN differs from the path's) or by name in the other project.
    for target in [mine.func_urn, "private", urn(OTHER, "private")]:
        with pytest.raises(exceptions.ClientRequestException) as refused:
            other.invoke_function(InvokeFunctionRequest(function_urn=target, x_cff_request_version="v1", body={}))
        assert refused.value.status_code == 404 and refused.value.error_code == "FSS.1051", target
    assert "private" not in [f.func_name for f in other.list_functions(ListFunctionsRequest()).functions or []]
