"""Shared by the pytest suites (Tests/runtimes, Tests/integration): the Node.js worker's N-API
addon is built from runtimes/nodejs/fds.c when missing or older, by the Makefile's own rule."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    subprocess.run(["make", "-s", "-C", str(ROOT), "runtimes/nodejs/hearth_fds.node"], check=True)
