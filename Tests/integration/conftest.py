import os
import shutil

import pytest

from hearth import HEARTHD, Daemon


def pytest_sessionstart(session):
    if not os.path.exists(HEARTHD):
        raise pytest.UsageError(f"{HEARTHD} does not exist: run `make build` (or `make test`) first")


@pytest.fixture(scope="module")
def daemon():
    """One daemon with token auth on TCP, shared by a module's tests."""
    d = Daemon().start()
    yield d
    d.stop()
    shutil.rmtree(d.data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def open_daemon():
    """One daemon with --no-auth, as the openstack client without Keystone expects."""
    d = Daemon(auth=False).start()
    yield d
    d.stop()
    shutil.rmtree(d.data_dir, ignore_errors=True)


@pytest.fixture
def fresh_daemon_factory():
    """Daemons a test starts itself (restarts, other flags); all stopped at the end."""
    started = []

    def start(**kwargs):
        d = Daemon(**kwargs).start()
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()
        if d.owns_dir:
            shutil.rmtree(d.data_dir, ignore_errors=True)


@pytest.fixture
def admin(daemon):
    return daemon.unix()
