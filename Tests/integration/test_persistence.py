"""Everything survives a restart of the daemon on the same data directory."""

import signal

from hearth import create_function, create_runtime


def test_runtime_function_package_and_token_survive_a_restart(fresh_daemon_factory):
    first = fresh_daemon_factory()
    admin = first.unix()
    runtime = create_runtime(admin, name="kept")
    function = create_function(admin, runtime["id"], name="kept-fn")
    package = admin.get(f"/v1/functions/{function['id']}?download=true").body
    updated = admin.put(f"/v1/functions/{function['id']}", json={"description": "after update"}).json
    token = first.create_token("kept-project")
    assert first.stop() == 0

    second = fresh_daemon_factory(data_dir=first.data_dir)
    admin = second.unix()
    assert admin.get(f"/v1/runtimes/{runtime['id']}").json == runtime
    assert admin.get(f"/v1/functions/{function['id']}").json == updated
    assert admin.get(f"/v1/functions/{function['id']}?download=true").body == package
    assert second.tcp(token).get("/v1/functions").status == 200


def test_data_survives_kill_minus_nine(fresh_daemon_factory):
    first = fresh_daemon_factory()
    admin = first.unix()
    runtime = create_runtime(admin)
    function = create_function(admin, runtime["id"])
    first.stop(signal.SIGKILL)

    second = fresh_daemon_factory(data_dir=first.data_dir)
    assert second.unix().get(f"/v1/functions/{function['id']}").json == function
