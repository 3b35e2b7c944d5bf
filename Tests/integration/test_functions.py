"""/v1/functions against the real daemon: create in every body format, list, show, download,
update of metadata and of the package, delete, and the validation Qinling's clients rely on."""

import hashlib
import json

import pytest

from hearth import HELLO_PY, create_function, create_runtime, make_zip


@pytest.fixture(scope="module")
def runtime(daemon):
    return create_runtime(daemon.unix())


def test_create_multipart_as_the_qinling_client_sends_it(admin, runtime):
    package = make_zip({"hello_world.py": HELLO_PY})
    md5 = hashlib.md5(package).hexdigest()
    reply = admin.post("/v1/functions", data={
        "runtime_id": runtime["id"], "code": json.dumps({"source": "package", "md5sum": md5}),
        "name": "hello", "entry": "hello_world.main", "timeout": "5",
    }, files={"package": ("hello.zip", package)})
    assert reply.status == 201, reply
    body = reply.json
    assert list(body) == ["id", "name", "description", "cpu", "memory_size", "timeout", "runtime_id", "code",
                          "entry", "count", "latest_version", "project_id", "created_at", "updated_at"]
    assert body["code"] == {"source": "package", "md5sum": md5}
    assert (body["cpu"], body["memory_size"], body["timeout"]) == (100, 33554432, 5)
    assert body["count"] == 0 and body["latest_version"] == 0 and body["updated_at"] is None
    assert body["entry"] == "hello_world.main" and body["name"] == "hello"


def test_defaults_entry_and_limits(admin, runtime):
    body = create_function(admin, runtime["id"], files={"main.py": "def main(**kw):\n    return 1\n"}, entry=None)
    assert body["entry"] == "main.main"


def test_list_show_and_download(admin, runtime):
    package = make_zip({"hello.py": HELLO_PY})
    created = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}', "entry": "hello.main"},
                         files={"package": ("p.zip", package)}).json
    listed = admin.get("/v1/functions").json["functions"]
    mine = [f for f in listed if f["id"] == created["id"]]
    assert len(mine) == 1
    assert mine[0]["code"] == created["code"]  # an object in lists too
    shown = admin.get(f"/v1/functions/{created['id']}")
    assert shown.status == 200 and shown.json == created
    download = admin.get(f"/v1/functions/{created['id']}?download=true")
    assert download.status == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"] == f'attachment; filename="{created["id"]}"'
    assert download.body == package
    assert admin.get(f"/v1/functions/{created['id']}?download=false").json == created
    assert admin.get("/v1/functions/not-a-uuid").status == 404


def test_create_with_a_json_body_needs_a_package(admin, runtime):
    reply = admin.post("/v1/functions", json={"runtime_id": runtime["id"], "code": {"source": "package"}})
    assert reply.status == 400
    assert "multipart field 'package'" in reply.json["faultstring"]


def test_create_with_a_form_body(admin, runtime):
    reply = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "image", "image": "docker/hello"}'})
    assert reply.status == 400
    assert "not supported by Hearth" in reply.json["faultstring"]


def test_update_metadata_with_a_form_body(admin, runtime):
    function = create_function(admin, runtime["id"])
    reply = admin.put(f"/v1/functions/{function['id']}", data={"cpu": "200", "memory_size": "67108864", "timeout": "15", "name": "renamed"})
    assert reply.status == 200, reply
    body = reply.json
    assert (body["cpu"], body["memory_size"], body["timeout"], body["name"]) == (200, 67108864, 15, "renamed")
    assert body["updated_at"] is not None
    assert admin.get(f"/v1/functions/{function['id']}").json == body


def test_update_package_as_the_client_sends_it(admin, runtime):
    function = create_function(admin, runtime["id"])
    new_package = make_zip({"hello.py": HELLO_PY + "\n# v2\n"})
    reply = admin.put(f"/v1/functions/{function['id']}", data={"source": "package"}, files={"package": ("n.zip", new_package)})
    assert reply.status == 200, reply
    assert reply.json["code"]["md5sum"] == hashlib.md5(new_package).hexdigest()
    assert admin.get(f"/v1/functions/{function['id']}?download=true").body == new_package
    same = admin.put(f"/v1/functions/{function['id']}", data={"code": json.dumps({"source": "package", "md5sum": hashlib.md5(new_package).hexdigest()})},
                     files={"package": ("n.zip", new_package)})
    assert same.status == 400 and "checksum is not changed" in same.json["faultstring"]
    bad = admin.put(f"/v1/functions/{function['id']}", data={"source": "package"}, files={"package": ("x.zip", b"not a zip")})
    assert bad.status == 400
    assert admin.get(f"/v1/functions/{function['id']}?download=true").body == new_package  # nothing lost


def test_update_refuses_fields_that_cannot_change(admin, runtime):
    function = create_function(admin, runtime["id"])
    reply = admin.put(f"/v1/functions/{function['id']}", json={"runtime_id": runtime["id"]})
    assert reply.status == 400 and "runtime_id" in reply.json["faultstring"]
    reply = admin.put(f"/v1/functions/{function['id']}", json={"timeout": 0})
    assert reply.status == 400 and "timeout resource limitation not within the allowable range: 1 ~ 300(seconds)." in reply.json["faultstring"]


def test_delete(admin, runtime):
    function = create_function(admin, runtime["id"])
    assert admin.delete(f"/v1/functions/{function['id']}").status == 204
    assert admin.get(f"/v1/functions/{function['id']}").status == 404
    assert admin.get(f"/v1/functions/{function['id']}?download=true").status == 404
    assert admin.delete(f"/v1/functions/{function['id']}").status == 404


@pytest.mark.parametrize("fields,status,message", [
    ({"cpu": "abc"}, 400, "Invalid input for field/attribute cpu. Value: 'abc'. An integer is required."),
    ({"cpu": "50"}, 400, "cpu resource limitation not within the allowable range: 100 ~ 300(millicpu)."),
    ({"memory_size": "1"}, 400, "memory resource limitation not within the allowable range"),
    ({"timeout": "301"}, 400, "timeout resource limitation not within the allowable range: 1 ~ 300(seconds)."),
    ({"code": '{"source": "swift", "swift": {"container": "c", "object": "o"}}'}, 400, "Code source 'swift' is not supported"),
    ({"code": '{"source": "ftp"}'}, 400, "Invalid code source specified, available sources: package"),
    ({"code": "{not json"}, 400, "not valid JSON"),
    ({"code": '{"source": "package", "md5sum": "0" }'}, 400, "Package md5 mismatch"),
    ({"runtime_id": None}, 400, '"runtime_id" must be specified.'),
    ({"runtime_id": "00000000-0000-4000-8000-000000000000"}, 404, "Runtime not found"),
    ({"entry": "no-dot"}, 400, "Invalid entry"),
    ({"memory": "33000000"}, 400, "Use memory_size"),
    ({"project_id": "x"}, 400, "Cannot set read only field"),
    ({"runtime": "x"}, 400, "Unknown attribute for argument function: runtime"),
])
def test_create_validation(admin, runtime, fields, status, message):
    data = {"runtime_id": runtime["id"], "code": '{"source": "package"}', "entry": "hello.main"}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    reply = admin.post("/v1/functions", data=data, files={"package": ("p.zip", make_zip({"hello.py": HELLO_PY}))})
    assert reply.status == status, reply
    assert message in reply.json["faultstring"]


def test_missing_code_and_missing_package(admin, runtime):
    reply = admin.post("/v1/functions", data={"runtime_id": runtime["id"]}, files={"package": ("p.zip", make_zip({"a.py": ""}))})
    assert reply.status == 400 and "Required: {'code'}" in reply.json["faultstring"]
    reply = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}'})
    assert reply.status == 400 and "package" in reply.json["faultstring"]


def test_packages_that_are_not_safe_zips(admin, runtime):
    import io, zipfile
    for name in ["../escape.py", "/abs.py", "a/../../b.py"]:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr(name, "x")
        reply = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}'},
                           files={"package": ("p.zip", buffer.getvalue())})
        assert reply.status == 400, name
        assert "outside the package" in reply.json["faultstring"]
    reply = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}'},
                       files={"package": ("p.zip", b"PK\x03\x04 truncated")})
    assert reply.status == 400 and "not a valid ZIP" in reply.json["faultstring"]


def test_runtime_not_available(admin):
    broken = create_runtime(admin, image="missing-runtime")
    reply = admin.post("/v1/functions", data={"runtime_id": broken["id"], "code": '{"source": "package"}'},
                       files={"package": ("p.zip", make_zip({"a.py": ""}))})
    assert reply.status == 400 and f"Runtime {broken['id']} is not available." in reply.json["faultstring"]


def test_oversized_package_is_413(fresh_daemon_factory):
    d = fresh_daemon_factory(args=["--max-package-size", "2048"])
    admin = d.unix()
    runtime = create_runtime(admin)
    import os
    big = make_zip({"big.bin": os.urandom(4096)})
    reply = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}'},
                       files={"package": ("p.zip", big)})
    assert reply.status == 413
    assert "2048" in reply.json["faultstring"]
    huge = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}'},
                      files={"package": ("p.zip", os.urandom(3 << 20))})
    assert huge.status == 413
    assert "max_package_size" in huge.json["faultstring"]
    assert admin.get("/v1/functions").json["functions"] == []


def test_a_zip_that_lies_about_its_sizes_is_refused(admin, runtime):
    import io, struct, zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.py", b"\0" * (8 << 20))
    data = bytearray(buffer.getvalue())
    # Rewrite the declared uncompressed size (local header and central directory) to 100 bytes.
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 100)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    reply = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}', "entry": "bomb.main"},
                       files={"package": ("bomb.zip", bytes(data))})
    assert reply.status == 400, reply
    assert "Package" in reply.json["faultstring"]


def test_a_package_that_expands_past_the_limit_is_refused(admin, runtime):
    import io, zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.bin", b"\0" * (130 << 20))
    reply = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}', "entry": "big.main"},
                       files={"package": ("big.zip", buffer.getvalue())})
    assert reply.status == 400 and "expands to more than 134217728 bytes" in reply.json["faultstring"]
