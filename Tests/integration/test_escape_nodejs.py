"""Escape attempts by a nodejs function (escape_attacks/attack.js: `__dirname`, /proc/self/fd,
fs.openSync + /proc/self/fd/<fd>/.., run-time symlinks, net.connect), judged on the host (see
escape_kit). Issue 10, finding 1."""

import pytest

from escape_kit import (files_made_on_the_host, host, leaked_names, leaked_secrets, nothing,  # noqa: F401 (host is a fixture)
                        ran, reached_directories, run_attack, socket_connections)


@pytest.fixture(scope="module")
def outcome(host):
    return run_attack(host, "nodejs")


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
