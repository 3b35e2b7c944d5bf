"""Request bodies that killed the daemon, found by `make fuzz` (hearth-fuzz multipart).

MultipartKit 4.7.1 traps on a byte of 0x80 or more in a part's header name (it indexes a
128-entry table with it) and on an empty boundary (a precondition): hearthd died with SIGILL.
Every body that takes multipart could send it: function create and update with a member
token, executions, and webhook invoke without credentials. Each is now a 400 that says what
is wrong, and the daemon stays up. The bodies are the committed fuzz reproducers."""

import os

import pytest
import requests

from hearth import HELLO_PY, create_function, create_runtime, make_zip

CORPUS = os.path.join(os.path.dirname(__file__), "..", "Fuzz", "corpus", "multipart")


def reproducer(name):
    """A multipart target input: the boundary, a newline, the body."""
    with open(os.path.join(CORPUS, name), "rb") as f:
        boundary, _, body = f.read().partition(b"\n")
    return boundary.decode(), body


BODIES = {
    "header-name-not-ascii": ("seed-header-name-not-ascii", "not ASCII"),
    "empty-boundary": ("seed-boundary-empty", "boundary must be 1 to 70 characters"),
}


@pytest.fixture(scope="module")
def target(daemon):
    admin = daemon.unix()
    runtime = create_runtime(admin)
    function = create_function(admin, runtime["id"], files={"hello.py": HELLO_PY})
    webhook = admin.post("/v1/webhooks", json={"function_id": function["id"]})
    assert webhook.status == 201, webhook
    return {"function": function["id"], "webhook": webhook.json["id"]}


def alive(daemon):
    return daemon.unix().get("/v1/functions").status == 200


@pytest.mark.parametrize("case", sorted(BODIES))
def test_member_paths_refuse_the_body_and_stay_up(daemon, target, case):
    name, message = BODIES[case]
    boundary, body = reproducer(name)
    member = daemon.tcp(daemon.create_token("hostile-bodies"))
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    for method, path in [("POST", "/v1/functions"), ("POST", "/v1/executions")]:
        reply = member.request(method, path, raw=body, headers=headers)
        assert reply.status == 400, (method, path, reply)
        assert message in reply.json["faultstring"], reply
        assert alive(daemon)
    reply = daemon.unix().put(f"/v1/functions/{target['function']}", raw=body, headers=headers)
    assert reply.status == 400 and message in reply.json["faultstring"], reply
    assert alive(daemon)


@pytest.mark.parametrize("case", sorted(BODIES))
def test_webhook_invoke_without_credentials_refuses_the_body_and_stays_up(daemon, target, case):
    name, message = BODIES[case]
    boundary, body = reproducer(name)
    reply = requests.post(f"{daemon.endpoint}/v1/webhooks/{target['webhook']}/invoke", data=body, timeout=10,
                          headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert reply.status_code == 400, reply.text
    assert message in reply.json()["faultstring"]
    assert alive(daemon)


def test_multipart_uploads_as_clients_send_them_still_work(daemon, target):
    """The guard refuses only what MultipartKit cannot read: a non-ASCII file name (a header
    value) and a 70-character boundary still upload."""
    admin = daemon.unix()
    runtime_id = admin.get("/v1/runtimes").json["runtimes"][0]["id"]
    package = make_zip({"hello.py": HELLO_PY})
    boundary = "b" * 70
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"runtime_id\"\r\n\r\n{runtime_id}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n{{\"source\": \"package\"}}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"entry\"\r\n\r\nhello.main\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"package\"; filename=\"caf\u00e9.zip\"\r\n\r\n").encode()
    body += package + f"\r\n--{boundary}--\r\n".encode()
    reply = admin.post("/v1/functions", raw=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert reply.status == 201, reply
    too_long = admin.post("/v1/functions", raw=body.replace(boundary.encode(), b"b" * 71),
                          headers={"Content-Type": "multipart/form-data; boundary=" + "b" * 71})
    assert too_long.status == 400 and "1 to 70 characters" in too_long.json["faultstring"], too_long
