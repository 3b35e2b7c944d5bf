"""Escape attempts by a python3 function (escape_attacks/attack.py), judged on the host: the
attack reports everything it reached; the host's canaries, directories, names, files and sockets
decide (see escape_kit). Issue 10, finding 1: each of these fails where the code directory is a
host descriptor."""

import io
import stat
import zipfile

import pytest

from escape_kit import (files_made_on_the_host, host, leaked_names, leaked_secrets, nothing,  # noqa: F401 (host is a fixture)
                        ran, reached_directories, run_attack, socket_connections)
from hearth import make_zip


@pytest.fixture(scope="module")
def outcome(host):
    return run_attack(host, "python3")


def test_the_attack_ran_to_its_end_and_read_its_own_code(outcome):
    assert outcome.execution["status"] == "success", outcome.execution
    ran(outcome)


def test_no_host_secret_comes_back(outcome):
    ran(outcome)
    nothing(leaked_secrets(outcome), "host secrets in the execution's result or log")


def test_no_host_directory_is_reached(outcome):
    ran(outcome)
    nothing(reached_directories(outcome), "host directories the function reached")


def test_no_host_name_path_or_database_content_comes_back(outcome):
    ran(outcome)
    nothing(leaked_names(outcome), "host names or contents in the result or log")


def test_nothing_is_created_on_the_host(outcome):
    ran(outcome)
    nothing(files_made_on_the_host(outcome), "files the function made on the host")


def test_no_host_unix_socket_is_reached(outcome):
    ran(outcome)
    nothing(socket_connections(outcome), "connections to the host's canary sockets")


def _zip_with_symlink(name, target):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("f.py", "def main(**kw):\n    return 1\n")
        info = zipfile.ZipInfo(name)
        info.create_system = 3  # Unix: the mode bits below are read
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    return buffer.getvalue()


@pytest.mark.parametrize("target", ["../../..", "../../../../../../../../tmp", "/etc", "/"])
def test_a_package_with_a_symbolic_link_is_refused(host, target):
    reply = host.attacker.post("/v1/functions", data={"runtime_id": host.runtime("python3")["id"], "entry": "f.main",
                                                      "code": '{"source": "package"}'},
                               files={"package": ("link.zip", _zip_with_symlink("up", target))})
    assert reply.status == 400, reply
    assert "'up' is a symbolic link" in reply.json["faultstring"]


def test_a_package_update_with_a_symbolic_link_is_refused(host):
    function = host.function(host.attacker, "python3", make_zip({"f.py": "def main(**kw):\n    return 1\n"}), "f.main")
    reply = host.attacker.put(f"/v1/functions/{function['id']}", data={"code": '{"source": "package"}'},
                              files={"package": ("link.zip", _zip_with_symlink("up", "../../.."))})
    assert reply.status == 400, reply
    assert "'up' is a symbolic link" in reply.json["faultstring"]
