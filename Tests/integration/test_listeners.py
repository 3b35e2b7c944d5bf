"""One hearthd serves the same API on a Unix socket and on TCP, and stops cleanly."""

import os
import signal
import stat
import subprocess

from hearth import HEARTHD, Daemon, create_runtime


def test_both_listeners_serve_the_same_store(daemon):
    token = daemon.create_token("default")
    created = create_runtime(daemon.unix())
    over_tcp = daemon.tcp(token).get(f"/v1/runtimes/{created['id']}")
    assert over_tcp.status == 200
    assert over_tcp.json["id"] == created["id"]


def test_unix_socket_is_owner_and_group_only(daemon):
    mode = stat.S_IMODE(os.stat(daemon.socket_path).st_mode)
    assert mode == 0o660


def test_versions_document_and_v1_root(daemon):
    for client in (daemon.unix(), daemon.tcp()):  # no token needed for these
        root = client.get("/")
        assert root.status == 200
        version = root.json["versions"][0]
        assert version["id"] == "v1.0" and version["status"] == "CURRENT"
        assert version["links"][0]["href"].endswith("/v1")
        v1 = client.get("/v1/")
        assert v1.status == 200 and v1.json["uri"].endswith("/v1")


def test_tcp_root_names_the_address_the_client_used(daemon):
    reply = daemon.tcp().get("/v1/")
    assert reply.json["uri"] == f"http://127.0.0.1:{daemon.port}/v1"


def test_unknown_route_and_wrong_method_are_json_faults(daemon):
    client = daemon.unix()
    missing = client.get("/v1/nothing-here")
    assert missing.status == 404
    assert missing.headers["content-type"] == "application/json"
    assert "/v1/nothing-here" in missing.json["faultstring"]
    wrong = client.request("PATCH", "/v1/runtimes")
    assert wrong.status == 405
    assert wrong.headers["allow"] == "GET, POST"
    assert "PATCH" in wrong.json["faultstring"]
    wrong_item = client.request("POST", "/v1/functions/abc")
    assert wrong_item.status == 405
    assert set(wrong_item.headers["allow"].split(", ")) == {"GET", "PUT", "DELETE"}


def test_sigterm_removes_the_socket_and_exits_zero(fresh_daemon_factory):
    d = fresh_daemon_factory()
    assert os.path.exists(d.socket_path)
    assert d.stop(signal.SIGTERM) == 0
    assert not os.path.exists(d.socket_path)
    assert "stopped" in d.read_log()


def test_sigint_stops_cleanly_too(fresh_daemon_factory):
    d = fresh_daemon_factory()
    assert d.stop(signal.SIGINT) == 0
    assert not os.path.exists(d.socket_path)


def test_a_second_daemon_on_a_live_socket_refuses_to_start(daemon):
    result = subprocess.run(
        [HEARTHD, "--data-dir", daemon.data_dir + "/other", "--unix", daemon.socket_path, "--tcp", "none"],
        capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "already listening" in result.stderr
    assert daemon.unix().get("/v1/runtimes").status == 200  # the first one is untouched


def test_a_stale_socket_file_is_replaced(fresh_daemon_factory, tmp_path):
    d = fresh_daemon_factory()
    d.stop(signal.SIGKILL)
    assert os.path.exists(d.socket_path)  # left behind by the kill
    again = fresh_daemon_factory(data_dir=d.data_dir)
    assert again.unix().get("/v1/runtimes").status == 200


def test_listeners_can_be_turned_off(tmp_path):
    result = subprocess.run([HEARTHD, "--data-dir", str(tmp_path), "--unix", "none", "--tcp", "none"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "nothing to serve" in result.stderr
