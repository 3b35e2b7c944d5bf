"""Hostile zip packages (issue 10, finding 2). A 176-byte zip whose end record puts the
central directory past the end of the file made the zip library trap and the daemon die
(SIGILL) on any of the four upload paths, for any member token or AK/SK pair; a zip with a
bad CRC-32 was stored and ran corrupted code; a 60 KB entry name was stored and then every
call failed. Each is now a 400 at upload that says what is wrong, and the daemon stays up."""

import base64
import io
import os
import subprocess
import zipfile
from urllib.parse import quote

import pytest

from functiongraph import create_credential, signed_request, urn, zip_b64
from hearth import HELLO_PY, create_runtime, make_zip

PROJECT = "hostile"
CORPUS = os.path.join(os.path.dirname(__file__), "..", "Fuzz", "corpus", "zip")
ECHO = "def handler(event, context):\n    return {'got': event}\n"


def corpus(name):
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()


CRASHER = corpus("bad-eocd-offset.zip")


def bad_crc_zip():
    """hello.py stored, then one byte of its code changed after the CRC was computed."""
    data = bytearray(make_stored({"hello.py": HELLO_PY}))
    at = data.find(b"Hello, %s")
    data[at] = ord("J")
    return bytes(data)


def make_stored(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def parties(daemon):
    """A member token and an AK/SK pair of one project, each with a function to update."""
    create_runtime(daemon.unix())
    member = daemon.tcp(daemon.create_token(PROJECT))
    ak, sk = create_credential(daemon, PROJECT)
    package = make_zip({"hello.py": HELLO_PY})
    created = member.post("/v1/functions", data={"runtime_id": runtime_id(daemon), "code": '{"source": "package"}', "entry": "hello.main"},
                          files={"package": ("hello.zip", package)})
    assert created.status == 201, created
    fg = fg_create(daemon, ak, sk, "target", make_zip({"index.py": ECHO}))
    assert fg.status == 200, fg
    return {"member": member, "ak": ak, "sk": sk, "function": created.json["id"], "package": package}


def runtime_id(daemon):
    return daemon.unix().get("/v1/runtimes").json["runtimes"][0]["id"]


def fg_create(daemon, ak, sk, name, package):
    body = {"func_name": name, "package": "default", "runtime": "Python3.9", "handler": "index.handler", "memory_size": 128,
            "timeout": 30, "code_type": "zip", "code_filename": "index.zip", "func_code": {"file": base64.b64encode(package).decode()}}
    return signed_request(daemon, "POST", f"/v2/{PROJECT}/fgs/functions", ak, sk, body=body)


def uploads(daemon, parties, package, name):
    """The four ways to hand hearthd a package, each sending `package`."""
    member, ak, sk = parties["member"], parties["ak"], parties["sk"]
    target = quote(urn(PROJECT, "target"), safe="")
    return {
        "POST /v1/functions": lambda: member.post(
            "/v1/functions", data={"runtime_id": runtime_id(daemon), "code": '{"source": "package"}', "entry": "hello.main"},
            files={"package": (f"{name}.zip", package)}),
        "PUT /v1/functions/{id}": lambda: member.put(
            f"/v1/functions/{parties['function']}", data={"source": "package"}, files={"package": (f"{name}.zip", package)}),
        "FunctionGraph create": lambda: fg_create(daemon, ak, sk, f"f-{name}", package),
        "FunctionGraph code update": lambda: signed_request(
            daemon, "PUT", f"/v2/{PROJECT}/fgs/functions/{target}/code", ak, sk,
            body={"code_type": "zip", "code_filename": "index.zip", "func_code": {"file": base64.b64encode(package).decode()}}),
    }


def message(reply):
    body = reply.json
    return body.get("faultstring") or body.get("error_msg")


def assert_still_serving(daemon, parties):
    """The daemon is up, and nothing a refused upload sent was stored."""
    assert daemon.proc.poll() is None, f"hearthd died ({daemon.proc.returncode}):\n{daemon.read_log()[-3000:]}"
    download = parties["member"].get(f"/v1/functions/{parties['function']}?download=true")
    assert download.status == 200 and download.body == parties["package"], download
    functions = signed_request(daemon, "GET", f"/v2/{PROJECT}/fgs/functions", parties["ak"], parties["sk"])
    assert functions.status == 200, functions
    assert [f["func_name"] for f in functions.json["functions"] if f["func_name"].startswith("f-")] == []


def test_the_eocd_crasher_is_a_400_on_every_upload_path(daemon, parties):
    assert len(CRASHER) == 176
    for path, send in uploads(daemon, parties, CRASHER, "crasher").items():
        try:
            reply = send()
        except OSError as error:  # the daemon died mid-request
            try:
                status = daemon.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                status = "none, it is still running"
            pytest.fail(f"{path}: no reply ({error}); hearthd exit status: {status}")
        assert reply.status == 400, (path, reply)
        assert "the central directory (54 bytes at offset 4272) lies outside the file (176 bytes)" in message(reply), (path, reply)
        assert "not a valid ZIP package" in message(reply), (path, reply)
        assert_still_serving(daemon, parties)


def test_a_bad_crc_is_refused_at_upload(daemon, parties):
    package = bad_crc_zip()
    for path, send in uploads(daemon, parties, package, "badcrc").items():
        reply = send()
        assert reply.status == 400, (path, reply)
        assert "entry 'hello.py' has a bad CRC-32" in message(reply), (path, reply)
    assert_still_serving(daemon, parties)


def test_a_60kb_entry_name_is_refused_at_upload(daemon, parties):
    package = make_zip({"n" * 61440 + ".py": "x = 1\n", "hello.py": HELLO_PY})
    for path, send in uploads(daemon, parties, package, "longname").items():
        reply = send()
        assert reply.status == 400, (path, reply)
        assert "is 61443 bytes long; at most 1024 are allowed" in message(reply), (path, reply)
        assert len(message(reply)) < 400, "the name is shortened in the message"
    assert_still_serving(daemon, parties)


@pytest.mark.parametrize("name, expected", [
    ("bad-sizes-lie.zip", "entry 'bomb.py' inflates to more than the 100 bytes it declares"),
    ("bad-overlap.zip", "entries 'a.bin' and 'b.py' overlap"),
    ("bad-method.zip", "uses compression method 12 (bzip2)"),
    ("bad-encrypted.zip", "entry 'hello.py' is encrypted"),
    ("bad-local-offset.zip", "its local header (at offset 2147483632) lies outside the file"),
    ("bad-truncated-deflate.zip", "entry 'hello.py' is cut short"),
    ("bad-duplicate.zip", "entry 'hello.py' appears twice"),
    ("bad-symlink.zip", "entry 'link.py' is a symbolic link"),
])
def test_other_malformed_zips_are_refused(daemon, parties, name, expected):
    reply = uploads(daemon, parties, corpus(name), "malformed")["POST /v1/functions"]()
    assert reply.status == 400, reply
    assert expected in message(reply), reply
    assert_still_serving(daemon, parties)


def test_a_good_package_still_runs_after_the_hostile_ones(daemon, parties):
    member = parties["member"]
    reply = member.post("/v1/executions", json={"function_id": parties["function"], "input": '{"name": "Hearth"}', "sync": True})
    assert reply.status == 201, reply
    assert reply.json["status"] == "success", reply
    assert "Hello, Hearth" in reply.json["result"]
