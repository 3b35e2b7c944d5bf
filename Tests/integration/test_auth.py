"""Tokens on TCP, trust on the Unix socket, project scoping and admin-only operations."""

from hearth import create_function, create_runtime, wait_for


def test_tcp_without_a_token_is_a_json_401(daemon):
    reply = daemon.tcp().get("/v1/functions")
    assert reply.status == 401
    assert reply.headers["content-type"] == "application/json"
    assert "X-Auth-Token" in reply.json["faultstring"]
    bad = daemon.tcp("hearth_not-a-real-token").get("/v1/functions")
    assert bad.status == 401 and "Invalid token" in bad.json["faultstring"]
    notused = daemon.tcp("notused").get("/v1/functions")
    assert notused.status == 401  # only --no-auth accepts the client's placeholder


def test_a_project_cannot_see_another_projects_function(daemon):
    runtime = create_runtime(daemon.unix())
    a = daemon.tcp(daemon.create_token("project-a"))
    b = daemon.tcp(daemon.create_token("project-b"))
    from hearth import HELLO_PY, make_zip
    created = a.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}', "entry": "hello.main"},
                     files={"package": ("p.zip", make_zip({"hello.py": HELLO_PY}))})
    assert created.status == 201, created
    function = created.json
    assert function["project_id"] == "project-a"
    assert a.get(f"/v1/functions/{function['id']}").status == 200
    for reply in [b.get(f"/v1/functions/{function['id']}"), b.get(f"/v1/functions/{function['id']}?download=true"),
                  b.put(f"/v1/functions/{function['id']}", json={"name": "x"}), b.delete(f"/v1/functions/{function['id']}")]:
        assert reply.status == 404, reply
        assert "Function not found" in reply.json["faultstring"]
    assert function["id"] not in [f["id"] for f in b.get("/v1/functions").json["functions"]]
    assert a.get(f"/v1/functions/{function['id']}").json["name"] is None  # b changed nothing


def test_non_admin_tokens_cannot_do_admin_things(daemon):
    runtime = create_runtime(daemon.unix())
    member = daemon.tcp(daemon.create_token("members"))
    for reply in [member.post("/v1/runtimes", json={"image": "python3"}),
                  member.put(f"/v1/runtimes/{runtime['id']}", json={"name": "x"}),
                  member.delete(f"/v1/runtimes/{runtime['id']}"),
                  member.get(f"/v1/runtimes/{runtime['id']}/pool"),
                  member.get("/v1/functions?all_projects=true"),
                  member.get("/v1/functions?project_id=other")]:
        assert reply.status == 403, reply
        assert "Operation not allowed" in reply.json["faultstring"]
    assert member.get(f"/v1/runtimes/{runtime['id']}").status == 200  # reading a public runtime is fine


def test_admin_token_lists_all_projects_only_when_asked(daemon):
    runtime = create_runtime(daemon.unix())
    users_fn = create_function(daemon.unix(project="someone"), runtime["id"])
    admin = daemon.tcp(daemon.create_token("admins", admin=True))
    own = [f["id"] for f in admin.get("/v1/functions").json["functions"]]
    assert users_fn["id"] not in own
    everyone = [f["id"] for f in admin.get("/v1/functions?all_projects=true").json["functions"]]
    assert users_fn["id"] in everyone
    by_project = [f["id"] for f in admin.get("/v1/functions?project_id=someone").json["functions"]]
    assert by_project == [users_fn["id"]]
    assert admin.get(f"/v1/functions/{users_fn['id']}").status == 200  # admins read by id
    refused = admin.delete(f"/v1/functions/{users_fn['id']}")
    assert refused.status == 403 and "owner" in refused.json["faultstring"]


def test_unix_socket_acts_in_the_project_it_names(daemon):
    runtime = create_runtime(daemon.unix())
    function = create_function(daemon.unix(project="socket-project"), runtime["id"])
    assert function["project_id"] == "socket-project"
    assert daemon.unix(project="socket-project").delete(f"/v1/functions/{function['id']}").status == 204


def test_revoked_token_stops_working_within_a_second(daemon):
    secret = daemon.create_token("revocable")
    client = daemon.tcp(secret)
    assert client.get("/v1/functions").status == 200
    listing = daemon.hearthd("token", "list")
    assert "revocable" in listing.stdout and secret not in listing.stdout
    assert client.get("/v1/functions").status == 200  # now remembered by the daemon
    assert daemon.hearthd("token", "revoke", secret).returncode == 0
    # The daemon trusts what it remembers of a token for a second (a loaded box gets more).
    wait_for(lambda: client.get("/v1/functions").status == 401, timeout=3, interval=0.02)
    for _ in range(5):
        assert client.get("/v1/functions").status == 401
    assert daemon.hearthd("token", "revoke", secret).returncode != 0


def test_tokens_are_stored_hashed(daemon):
    import sqlite3
    secret = daemon.create_token("hashed")
    db = sqlite3.connect(f"file:{daemon.data_dir}/hearth.sqlite?mode=ro", uri=True)
    rows = db.execute("SELECT secret_hash FROM api_tokens").fetchall()
    db.close()
    assert all(secret not in row[0] for row in rows)


def test_no_auth_accepts_the_clients_placeholder_token(open_daemon):
    client = open_daemon.tcp("notused")
    reply = client.post("/v1/runtimes", json={"image": "python3"})
    assert reply.status == 201 and reply.json["project_id"] == "default"
    assert open_daemon.tcp().get("/v1/runtimes").status == 200
