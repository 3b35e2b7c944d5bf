"""Escape attempts by python3, nodejs and shell functions (escape_attacks/), judged on the host:
each attack reports everything it reached; the host's canaries, directories, names, files and
sockets decide (see escape_kit). Issue 10, finding 1: each of these fails where the code directory
is a host descriptor, and for the shell runtime where the worker's cwd was the host code
directory. The shell runtime runs a /bin/sh script (escape_attacks/attack.sh: cwd, $PWD,
`cd -P ..`, /proc/*/fd, links in /tmp) and the Python attack as the package's executable."""

import pytest

from escape_kit import (files_made_on_the_host, host, leaked_names, leaked_secrets, nothing,  # noqa: F401 (host is a fixture)
                        ran, reached_directories, run_attack, socket_connections)

# (attack, runtime image)
ATTACKS = {"python3": "python3", "nodejs": "nodejs", "shell": "shell", "shell-python": "shell"}


@pytest.fixture(scope="module", params=list(ATTACKS))
def outcome(host, request):
    return run_attack(host, request.param, runtime_image=ATTACKS[request.param])


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


# sh has no way to connect a Unix socket: the Python attack through the shell runtime tries.
@pytest.mark.parametrize("outcome", ["python3", "nodejs", "shell-python"], indirect=True)
def test_no_host_unix_socket_is_reached(outcome):
    ran(outcome)
    nothing(socket_connections(outcome), "connections to the host's canary sockets")
