"""/v1/runtimes against the real daemon: create/list/show/update/delete, the pool report,
project visibility, admin-only writes and status."""

from hearth import create_function, create_runtime, wait_for


def test_create_returns_creating_then_becomes_available(admin):
    reply = admin.post("/v1/runtimes", json={"image": "openstackqinling/python3-runtime:0.0.2", "name": "py", "description": "d"})
    assert reply.status == 201
    body = reply.json
    assert list(body) == ["id", "name", "image", "description", "is_public", "trusted", "status",
                          "project_id", "created_at", "updated_at"]
    assert body["status"] == "creating"
    assert body["is_public"] is True and body["trusted"] is True
    assert body["project_id"] == "default" and body["updated_at"] is None
    assert body["created_at"].endswith("Z") and len(body["created_at"]) == 20
    shown = wait_for(lambda: (r := admin.get(f"/v1/runtimes/{body['id']}").json)["status"] == "available" and r)
    assert shown["name"] == "py"
    listed = admin.get("/v1/runtimes").json["runtimes"]
    assert body["id"] in [r["id"] for r in listed]


def test_every_bundled_runtime_and_qinling_alias_resolves(admin):
    for image in ["python3", "nodejs", "shell", "openstackqinling/python3-runtime", "openstackqinling/nodejs-runtime:0.0.1"]:
        assert create_runtime(admin, image=image)["status"] == "available", image


def test_unknown_image_goes_to_error(admin):
    runtime = create_runtime(admin, image="no-such-runtime")
    assert runtime["status"] == "error"


def test_private_runtime_is_invisible_to_other_projects(daemon):
    admin = daemon.unix()
    private = create_runtime(admin, image="python3", is_public=False)
    public = create_runtime(admin, image="python3")
    other = daemon.tcp(daemon.create_token("other-project"))
    ids = [r["id"] for r in other.get("/v1/runtimes").json["runtimes"]]
    assert public["id"] in ids and private["id"] not in ids
    assert other.get(f"/v1/runtimes/{private['id']}").status == 404
    assert other.get(f"/v1/runtimes/{public['id']}").status == 200


def test_update_name_description_and_image(admin):
    runtime = create_runtime(admin)
    reply = admin.put(f"/v1/runtimes/{runtime['id']}", json={"name": "renamed", "description": "new"})
    assert reply.status == 200
    assert reply.json["name"] == "renamed" and reply.json["description"] == "new"
    assert reply.json["updated_at"] is not None
    moved = admin.put(f"/v1/runtimes/{runtime['id']}", json={"image": "nodejs"})
    assert moved.status == 200 and moved.json["status"] == "upgrading"
    final = wait_for(lambda: (r := admin.get(f"/v1/runtimes/{runtime['id']}").json)["status"] != "upgrading" and r)
    assert final["status"] == "available" and final["image"] == "nodejs"


def test_image_update_of_a_runtime_in_error_is_a_conflict(admin):
    broken = create_runtime(admin, image="missing")
    reply = admin.put(f"/v1/runtimes/{broken['id']}", json={"image": "python3"})
    assert reply.status == 409
    assert "not available" in reply.json["faultstring"]


def test_delete_and_delete_in_use(admin):
    runtime = create_runtime(admin)
    function = create_function(admin, runtime["id"])
    in_use = admin.delete(f"/v1/runtimes/{runtime['id']}")
    assert in_use.status == 403
    assert "still in use" in in_use.json["faultstring"]
    assert admin.delete(f"/v1/functions/{function['id']}").status == 204
    assert admin.delete(f"/v1/runtimes/{runtime['id']}").status == 204
    assert admin.get(f"/v1/runtimes/{runtime['id']}").status == 404
    assert admin.delete(f"/v1/runtimes/{runtime['id']}").status == 404


def test_pool_report_shape(admin):
    runtime = create_runtime(admin)
    pool = admin.get(f"/v1/runtimes/{runtime['id']}/pool")
    assert pool.status == 200
    assert pool.json["name"] == runtime["id"]
    assert set(pool.json["capacity"]) == {"total", "available"}
    assert admin.get("/v1/runtimes/00000000-0000-4000-8000-000000000000/pool").status == 404


def test_filters(admin):
    a = create_runtime(admin, image="python3", name="filter-a", is_public=False)
    create_runtime(admin, image="python3", name="filter-b")
    names = lambda q: sorted(r["name"] for r in admin.get("/v1/runtimes?" + q).json["runtimes"] if (r["name"] or "").startswith("filter-"))
    assert names("name=filter-a") == ["filter-a"]
    assert names("name=in:filter-a,filter-b") == ["filter-a", "filter-b"]
    assert names("name=has:ter-") == ["filter-a", "filter-b"]
    assert names("is_public=false") == ["filter-a"]
    assert names("name=neq:filter-a") == ["filter-b"]
    assert a["id"] in [r["id"] for r in admin.get("/v1/runtimes?status=available").json["runtimes"]]
    bad = admin.get("/v1/runtimes?limit=3")
    assert bad.status == 400 and 'Unknown argument: "limit"' in bad.json["faultstring"]


def test_write_fields_are_checked(admin):
    cases = [
        ({}, "image"),
        ({"image": "python3", "status": "available"}, "read only"),
        ({"image": "python3", "project_id": "x"}, "read only"),
        ({"image": "python3", "is_public:": True}, "Unknown attribute"),
        ({"image": "python3", "is_public": "maybe"}, "boolean"),
        ({"image": 5}, "string"),
        ({"image": "x" * 300}, "too long"),
    ]
    for body, message in cases:
        reply = admin.post("/v1/runtimes", json=body)
        assert reply.status == 400, (body, reply)
        assert message in reply.json["faultstring"], (body, reply)
    runtime = create_runtime(admin)
    reply = admin.put(f"/v1/runtimes/{runtime['id']}", json={"trusted": False})
    assert reply.status == 400 and "read only" in reply.json["faultstring"]
