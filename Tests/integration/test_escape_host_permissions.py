"""Defence in depth on the host (issue 10): whatever a sandbox might reach, the daemon's files are
not for other users. The data directory and packages/ are 0700; the database, its WAL and SHM
and the credentials key are 0600; nothing the daemon makes is world-readable or world-writable
outside packages/ (whose unpacked code workers of many uids read, behind packages/'s 0700)."""

import os
import shutil
import stat
import tempfile

import pytest

from hearth import Daemon, create_function, create_runtime, execute


def used(daemon):
    """A daemon that has done everything that makes files: a runtime, a function, a call, a key."""
    admin = daemon.unix()
    function = create_function(admin, create_runtime(admin)["id"])
    assert execute(admin, function["id"])["status"] == "success"
    made = daemon.hearthd("credential", "create", "--project", "perm-test")
    assert made.returncode == 0, made.stderr
    return function


def modes(daemon):
    data = daemon.data_dir
    paths = {"the data directory": data, "packages/": os.path.join(data, "packages")}
    for name in ("hearth.sqlite", "hearth.sqlite-wal", "hearth.sqlite-shm", "credentials.key"):
        paths[name] = os.path.join(data, name)
    found = {}
    for label, path in paths.items():
        try:
            found[label] = oct(stat.S_IMODE(os.stat(path).st_mode))
        except FileNotFoundError:
            found[label] = "missing"
    return found


EXPECTED = {"the data directory": "0o700", "packages/": "0o700", "hearth.sqlite": "0o600", "hearth.sqlite-wal": "0o600",
            "hearth.sqlite-shm": "0o600", "credentials.key": "0o600"}


@pytest.fixture
def parent():
    directory = tempfile.mkdtemp(prefix="hearth-perm-")
    os.chmod(directory, 0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def start(data_dir, parent):
    daemon = Daemon(data_dir=data_dir)
    daemon.log_path = os.path.join(parent, "hearthd.log")  # the test's file, not the daemon's
    return daemon.start()


def test_a_data_directory_the_daemon_makes_is_private(parent):
    daemon = start(os.path.join(parent, "data"), parent)
    try:
        used(daemon)
        assert modes(daemon) == EXPECTED
    finally:
        daemon.stop()


def test_an_existing_world_readable_data_directory_is_made_private(parent):
    # As an installation made before this rule has it: /var/lib/hearth 0755.
    data = os.path.join(parent, "data")
    os.mkdir(data)
    os.chmod(data, 0o755)
    daemon = start(data, parent)
    try:
        used(daemon)
        assert modes(daemon) == EXPECTED
    finally:
        daemon.stop()


def test_nothing_the_daemon_makes_is_open_to_others(parent):
    daemon = start(os.path.join(parent, "data"), parent)
    try:
        used(daemon)
        packages = os.path.join(daemon.data_dir, "packages")
        open_to_others = []
        for directory, dirs, files in os.walk(daemon.data_dir):
            if directory == packages or directory.startswith(packages + os.sep):
                continue  # unpacked code: read by workers, behind packages/'s own 0700
            for name in dirs + files:
                path = os.path.join(directory, name)
                st = os.lstat(path)
                if stat.S_ISSOCK(st.st_mode):
                    continue  # the API socket: its mode is the listener's concern
                if st.st_mode & 0o007:
                    open_to_others.append(f"{os.path.relpath(path, daemon.data_dir)} {oct(stat.S_IMODE(st.st_mode))}")
        assert open_to_others == []
    finally:
        daemon.stop()
