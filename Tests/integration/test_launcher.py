"""hearth-launcher, driven directly over its socketpair as hearthd drives it: it makes, kills and
reaps real sandboxes, and refuses, with a reason and without dying, every request that names a
mount outside its allowed roots, a limit outside its bounds, or bytes that are not a record."""

import os
import random
import shutil
import signal
import socket
import stat
import struct
import tempfile
import time

import pytest

from launcher_client import (ALLOW_ALL, CLONE_TREE, FD_CONTROL, FD_STDERR, FD_STDOUT, HEADER, KILL, LAUNCHER, MAGIC,
                             REGISTER_FILTER, SEAL, SET_LIMITS, SPAWN, Launcher, header, record, spawn_body, string)

UIDS = "610000:64"


@pytest.fixture(scope="module")
def dirs():
    """A packages root, and an extra allowed root (owned by root, 0755) with a directory that
    may be bound and a symlink planted under it that points outside."""
    base = tempfile.mkdtemp(prefix="hearth-launcher-")
    os.chmod(base, 0o755)
    packages = os.path.join(base, "packages")
    version = os.path.join(packages, "fn", "abc")
    os.makedirs(version)
    with open(os.path.join(version, "main.py"), "w") as f:
        f.write("def main(): return 1\n")
    os.symlink("/etc", os.path.join(packages, "escape"))
    os.symlink("/etc", os.path.join(packages, "fn", "escape"))
    extra = os.path.join(base, "runtimes")
    os.makedirs(os.path.join(extra, "python3"))
    with open(os.path.join(extra, "python3", "marker"), "w") as f:
        f.write("runtime\n")
    os.symlink("/etc", os.path.join(extra, "leak"))
    for path in [base, extra, os.path.join(extra, "python3")]:
        os.chmod(path, 0o755)
    os.chmod(os.path.join(extra, "python3", "marker"), 0o644)
    yield {"base": base, "packages": packages, "version": version, "extra": extra}
    shutil.rmtree(base, ignore_errors=True)


def start(dirs, extra=(), seal=True):
    from launcher_client import allowed_roots
    launcher = Launcher(dirs["packages"], roots=allowed_roots([dirs["extra"]]), uid_range=UIDS,
                        extra=["--max-memory", str(256 << 20), "--max-pids", "64", "--max-millicpu", "2000",
                               "--max-tmp", str(64 << 20), "--max-code", str(64 << 20), *extra])
    if seal:
        launcher.register_allow_all()
        launcher.seal()
    return launcher


@pytest.fixture(scope="module")
def launcher(dirs):
    launcher = start(dirs)
    yield launcher
    launcher.close()


def serves(launcher):
    """The launcher still makes sandboxes: /bin/true runs and exits 0."""
    answer = launcher.spawn(["/bin/true"])
    assert answer.error == 0, answer
    exit = launcher.wait_exit(answer.id)
    assert (exit.exited, exit.status) == (1, 0)
    assert launcher.alive()


def refused(launcher, answer, error=None, says=""):
    assert answer.error != 0, f"accepted: {answer}"
    if error is not None:
        assert answer.error == error, answer
    assert says in answer.reason, answer
    assert launcher.alive()


def test_true_and_an_exit_code_come_back_as_exit_events(launcher):
    answer = launcher.spawn(["/bin/true"])
    assert answer.error == 0 and answer.pid > 0 and 610000 <= answer.uid < 610064, answer
    exit = launcher.wait_exit(answer.id)
    assert (exit.exited, exit.status, exit.oom) == (1, 0, 0)

    read, write = os.pipe()
    answer = launcher.spawn(["/bin/sh", "-c", "echo from the sandbox; id -u; exit 7"], fds=[write])
    os.close(write)
    assert answer.error == 0, answer
    exit = launcher.wait_exit(answer.id)
    assert (exit.exited, exit.status) == (1, 7)
    # Root inside, its own host uid outside.
    assert os.read(read, 200).decode().split("\n")[:2] == ["from the sandbox", "0"]
    os.close(read)


def sandbox_cgroup(launcher, uid, controller="pids"):
    """A sandbox's group: v1 `<controller>/hearth/sandbox-UID`; v2 `workers/sandbox-UID` beside
    the `supervisor` group the launcher moved itself into (PROTOCOL.md, "Cgroups")."""
    if not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return f"/sys/fs/cgroup/{controller}/hearth/sandbox-{uid}"
    with open(f"/proc/{launcher.process.pid}/cgroup") as f:
        own = next(line[3:].strip() for line in f if line.startswith("0::"))
    assert own.endswith("/supervisor"), own
    return f"/sys/fs/cgroup{os.path.dirname(own)}/workers/sandbox-{uid}"


def test_kill_ends_a_sleeping_sandbox_with_sigkill_and_frees_its_cgroup(launcher):
    answer = launcher.spawn(["/bin/sleep", "100"])
    assert answer.error == 0, answer
    os.kill(answer.pid, 0)  # it runs, as a host process
    cgroup = sandbox_cgroup(launcher, answer.uid)
    assert os.path.isdir(cgroup)
    killed = launcher.request(KILL, struct.pack("<Q", answer.id))
    assert killed.error == 0, killed
    exit = launcher.wait_exit(answer.id)
    assert (exit.exited, exit.status) == (0, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while os.path.exists(cgroup) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(cgroup), "the cgroup outlived its sandbox"
    # A sandbox that ended is gone: killing it again is refused, not sent to a reused pid.
    refused(launcher, launcher.request(KILL, struct.pack("<Q", answer.id)), error=3)


def test_limits_of_a_running_sandbox_change_within_bounds_only(launcher):
    answer = launcher.spawn(["/bin/sleep", "100"])
    assert answer.error == 0, answer
    ok = launcher.request(SET_LIMITS, struct.pack("<QQII", answer.id, 128 << 20, 32, 500))
    assert ok.error == 0, ok
    group = sandbox_cgroup(launcher, answer.uid, "memory")
    memory = f"{group}/memory.limit_in_bytes"
    if not os.path.exists(memory):
        memory = f"{group}/memory.max"
    assert int(open(memory).read()) == 128 << 20
    refused(launcher, launcher.request(SET_LIMITS, struct.pack("<QQII", answer.id, 1 << 40, 32, 500)), says="memory")
    refused(launcher, launcher.request(SET_LIMITS, struct.pack("<QQII", answer.id, 128 << 20, 100000, 500)), says="pids")
    refused(launcher, launcher.request(SET_LIMITS, struct.pack("<QQII", answer.id, 128 << 20, 32, 0)), says="millicpu")
    refused(launcher, launcher.request(SET_LIMITS, struct.pack("<QQII", 999999, 128 << 20, 32, 500)), error=3)
    launcher.request(KILL, struct.pack("<Q", answer.id))
    launcher.wait_exit(answer.id)


@pytest.mark.parametrize("source", ["/etc", "/root", "/etc/passwd", "/proc/self", "/", "/tmp"])
def test_a_bind_outside_the_allowed_roots_is_refused(launcher, source):
    answer = launcher.spawn(["/bin/true"], binds=[("/usr", "/usr"), (source, "/mnt")])
    refused(launcher, answer, error=13, says="not under an allowed root")
    serves(launcher)


def test_a_symlink_under_an_allowed_root_that_points_outside_is_refused(launcher, dirs):
    for source in [os.path.join(dirs["extra"], "leak"), os.path.join(dirs["extra"], "leak", "shadow")]:
        answer = launcher.spawn(["/bin/true"], binds=[("/usr", "/usr"), (source, "/mnt")])
        refused(launcher, answer, says="without following a symlink")
    # The same root's real directory is fine, and the worker sees it.
    read, write = os.pipe()
    answer = launcher.spawn(["/bin/cat", "/runtimes/python3/marker"], fds=[write],
                            binds=[("/usr", "/usr"), (dirs["extra"], "/runtimes")])
    os.close(write)
    assert answer.error == 0, answer
    assert launcher.wait_exit(answer.id).status == 0
    assert os.read(read, 100) == b"runtime\n"
    os.close(read)


@pytest.mark.parametrize("source", ["/usr/../etc", "/usr/./lib", "/usr//lib", "usr", "/usr/", ""])
def test_a_bind_source_with_dots_or_that_is_not_absolute_is_refused(launcher, source):
    refused(launcher, launcher.spawn(["/bin/true"], binds=[("/usr", "/usr"), (source, "/mnt")]), error=22)


@pytest.mark.parametrize("target", ["/", "/proc", "/proc/sys", "/dev/x", "/tmp", "/usr/lib/x", "/mnt/../etc", "relative"])
def test_a_bind_target_on_the_sandboxes_own_mounts_or_nested_is_refused(launcher, target):
    refused(launcher, launcher.spawn(["/bin/true"], binds=[("/usr", "/usr"), ("/usr/lib", target)]), error=22)


@pytest.mark.parametrize("limits,says", [
    ({"memory": 1 << 40}, "memory"), ({"memory": 0}, "memory"), ({"pids": 0}, "pids"), ({"pids": 65}, "pids"),
    ({"millicpu": 5}, "millicpu"), ({"millicpu": 2001}, "millicpu"), ({"tmp_size": 0}, "tmp_size"),
    ({"tmp_size": 1 << 40}, "tmp_size"), ({"code_size": 4096}, "code_size"),
    ({"code_dir": "/code", "code_size": 1 << 40}, "code_size"), ({"rlimits": [(7, 10, 5)]}, "rlimit"),
    ({"rlimits": [(7, 1 << 62, 1 << 62)]}, "rlimit"), ({"rlimits": [(6, 100, 100)]}, "nproc"),
    ({"rlimits": [(99, 1, 1)]}, "resource"), ({"rlimits": [(4, 0, 0), (4, 0, 0)]}, "repeated"),
])
def test_limits_outside_the_bounds_are_refused(launcher, limits, says):
    refused(launcher, launcher.spawn(["/bin/true"], **limits), says=says)
    serves(launcher)


@pytest.mark.parametrize("fields,says", [
    ({"hostname": "bad host"}, "hostname"), ({"hostname": ""}, "hostname"), ({"cwd": "tmp"}, "cwd"),
    ({"path": "true"}, "executable"), ({"code_dir": "/tmp/code", "code_size": 1 << 20}, "code_dir"),
    ({"env": ["NOEQUALS"]}, "NAME=VALUE"), ({"symlinks": [("usr/bin", "/usr/bin")]}, "symlink"),
    ({"symlinks": [("usr/bin", "/usr")]}, "collides"), ({"symlinks": [("x", "/proc")]}, "symlink"),
    ({"filter": 5}, "filter"), ({"reserved": (1, 0)}, "reserved"), ({"options": 2}, "flags"),
])
def test_malformed_spawn_fields_are_refused(launcher, fields, says):
    refused(launcher, launcher.spawn(["/bin/true"], **fields), says=says)


def test_descriptors_must_match_the_record_and_never_be_a_directory(launcher, dirs):
    read, write = os.pipe()
    refused(launcher, launcher.spawn(["/bin/true"], fds=[write], fds_mask=FD_STDOUT | FD_STDERR), error=9)
    refused(launcher, launcher.spawn(["/bin/true"], fds=[], fds_mask=FD_CONTROL), error=9)
    directory = os.open(dirs["base"], os.O_RDONLY | os.O_DIRECTORY)
    refused(launcher, launcher.spawn(["/bin/true"], fds=[directory], fds_mask=FD_STDOUT), says="not this one")
    path_fd = os.open("/usr/bin/true", os.O_PATH)
    refused(launcher, launcher.spawn(["/bin/true"], fds=[path_fd], fds_mask=FD_STDOUT), says="O_PATH")
    # Descriptors on anything but a spawn are refused (and closed by the launcher).
    launcher.tag += 1
    launcher.send(record(KILL, launcher.tag, struct.pack("<Q", 1)), [write])
    refused(launcher, launcher.next_answer(), error=9, says="only spawn")
    for fd in [read, write, directory, path_fd]:
        os.close(fd)
    serves(launcher)


def test_truncated_and_malformed_records_are_refused_and_the_next_one_served(launcher):
    body = spawn_body(["/bin/true"])
    for cut in [0, 1, 4, 12, 40, 55, 56, 57, 60, len(body) // 2, len(body) - 1]:
        launcher.tag += 1
        launcher.send(header(SPAWN, launcher.tag, cut) + body[:cut])
        answer = launcher.next_answer()
        assert answer.tag == launcher.tag
        refused(launcher, answer, error=22)
    launcher.tag += 1
    launcher.send(header(SPAWN, launcher.tag, len(body) + 3) + body + b"\0\0\0")
    refused(launcher, launcher.next_answer(), says="after the spawn record")
    cases = [
        header(SPAWN, 1, len(body), magic=0x12345678) + body,   # not our magic
        header(SPAWN, 1, len(body), length=len(body)) + body,    # length is not the packet's
        header(SPAWN, 1, len(body), flags=1) + body,             # reserved flags
        header(77, 1, 0),                                        # unknown type
        b"HTHL\x03",                                             # shorter than a header
        b"",                                                     # an empty packet
        record(KILL, 1, b"\1\2\3"),                              # a u64 cut short
        record(CLONE_TREE, 1, string("/x") + b"!"),              # a byte after the string
        record(SEAL, 1, b"x"),                                   # seal has no body
        record(SPAWN, 1, body.replace(b"/bin/true", b"/bin/tr\0e")),  # a NUL inside a string
    ]
    for data in cases:
        launcher.send(data)
        refused(launcher, launcher.next_answer())
    # Over 64 KiB: cut by the kernel, seen as truncated.
    launcher.send(record(SPAWN, 9, b"\0" * 70000))
    refused(launcher, launcher.next_answer(), error=90)
    serves(launcher)


def test_clone_tree_gives_a_read_only_mount_of_a_directory_under_the_packages_root_only(launcher, dirs):
    answer = launcher.request(CLONE_TREE, string(dirs["version"]))
    assert answer.error == 0 and len(answer.fds) == 1, answer
    tree = answer.fds[0]
    assert stat.S_ISDIR(os.fstat(tree).st_mode)
    assert os.listdir(f"/proc/self/fd/{tree}") == ["main.py"]
    with pytest.raises(OSError):
        open(f"/proc/self/fd/{tree}/new", "w")
    # `..` at the root of a detached mount stays there.
    assert os.listdir(f"/proc/self/fd/{tree}/..") == ["main.py"]
    os.close(tree)
    for path, says in [("/etc", "not under the packages root"), (dirs["packages"], "not under the packages root"),
                       (dirs["packages"] + "/../../../etc", "'..'"), (os.path.join(dirs["packages"], "escape"), "symlink"),
                       (os.path.join(dirs["packages"], "fn", "escape"), "symlink"), ("fn/abc", "absolute"),
                       (os.path.join(dirs["version"], "main.py"), "not a directory")]:
        answer = launcher.request(CLONE_TREE, string(path))
        refused(launcher, answer, says=says)
        assert answer.fds == []


def test_filters_are_registered_only_before_the_seal_and_spawns_only_after(dirs):
    launcher = start(dirs, seal=False)
    try:
        refused(launcher, launcher.spawn(["/bin/true"]), error=1, says="sealed")
        refused(launcher, launcher.request(SEAL), says="at least one filter")
        refused(launcher, launcher.request(REGISTER_FILTER, struct.pack("<I", 2) + ALLOW_ALL), says="count")
        refused(launcher, launcher.request(REGISTER_FILTER, struct.pack("<I", 0)), says="count")
        # An instruction the kernel's checker rejects (opcode 0xffff).
        refused(launcher, launcher.request(REGISTER_FILTER, struct.pack("<I", 1) + struct.pack("<HBBI", 0xFFFF, 0, 0, 0)),
                says="kernel refuses")
        assert launcher.register_allow_all() == 0
        launcher.seal()
        refused(launcher, launcher.request(REGISTER_FILTER, struct.pack("<I", 1) + ALLOW_ALL), error=1, says="sealed")
        serves(launcher)
    finally:
        launcher.close()


def assert_gone(pid, why, timeout=5):
    """Fails with `why` unless process `pid` is gone within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(why)


def test_random_bytes_never_end_the_launcher(launcher):
    rng = random.Random(10)
    body = spawn_body(["/bin/true"])
    for i in range(1500):
        kind = rng.choice([REGISTER_FILTER, SEAL, SPAWN, KILL, SET_LIMITS, CLONE_TREE, rng.randrange(65536)])
        style = i % 3
        if style == 0:      # pure noise
            data = rng.randbytes(rng.randrange(0, 300))
        elif style == 1:    # a valid header over noise
            noise = rng.randbytes(rng.randrange(0, 300))
            data = header(kind, 5, len(noise)) + noise
        else:               # a valid spawn with a few bytes flipped
            flipped = bytearray(body)
            for _ in range(rng.randrange(1, 4)):
                flipped[rng.randrange(len(flipped))] = rng.randrange(256)
            data = header(SPAWN, 5, len(flipped)) + bytes(flipped)
        launcher.send(data)
        answer = launcher.next_answer()
        if answer.error == 0 and answer.id and answer.pid:
            # A flipped byte that still made a valid spawn: it must still be a sandbox we reap.
            launcher.wait_exit(answer.id)
        assert launcher.alive(), f"died on case {i}: {data[:64]!r}"
    serves(launcher)


def test_closing_the_socket_kills_every_sandbox_and_ends_the_launcher(dirs):
    launcher = start(dirs)
    answer = launcher.spawn(["/bin/sleep", "100"])
    assert answer.error == 0, answer
    launcher.close(timeout=20)
    assert launcher.process.returncode == 0
    assert_gone(answer.pid, "a sandbox outlived its launcher")


def test_a_killed_launcher_takes_its_sandboxes_with_it(dirs):
    launcher = start(dirs)
    answer = launcher.spawn(["/bin/sleep", "100"])
    assert answer.error == 0, answer
    launcher.process.kill()
    launcher.process.wait()
    assert_gone(answer.pid, "a sandbox outlived its killed launcher (no parent-death signal)")
    launcher.socket.close()


def test_bad_start_up_arguments_stop_the_launcher_with_a_reason(dirs):
    import subprocess
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    base = [LAUNCHER, "--socket-fd", str(theirs.fileno()), "--init", "/nonexistent", "--packages", dirs["packages"],
            "--uid-range", UIDS]
    import pwd
    nobody = pwd.getpwnam("nobody")
    theirs_dir = os.path.join(dirs["base"], "owned-by-nobody")
    os.makedirs(theirs_dir, exist_ok=True)
    os.chmod(theirs_dir, 0o755)
    os.chown(theirs_dir, nobody.pw_uid, nobody.pw_gid)
    for extra, says in [(["--allow", "/usr"], "--init"), (["--allow", dirs["packages"] + "/../packages"], "--allow"),
                        (["--allow", "/tmp"], "writable by nobody else"), ([], "usage"),
                        # Owned by the daemon's own user, or by anyone but root when that user is not named.
                        (["--allow", theirs_dir, "--daemon-uid", str(nobody.pw_uid)], "must belong to root"),
                        (["--allow", theirs_dir], "must belong to root")]:
        result = subprocess.run(base + extra, pass_fds=[theirs.fileno()], capture_output=True, text=True, timeout=10)
        assert result.returncode == 2 and says in result.stderr, result.stderr
    mine.close()
    theirs.close()


def test_a_root_owned_by_another_user_than_the_daemons_is_allowed(dirs):
    import pwd
    nobody = pwd.getpwnam("nobody")
    checkout = os.path.join(dirs["base"], "checkout")
    os.makedirs(os.path.join(checkout, "rt"), exist_ok=True)
    for path in [checkout, os.path.join(checkout, "rt")]:
        os.chmod(path, 0o755)
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    from launcher_client import allowed_roots
    launcher = Launcher(dirs["packages"], roots=allowed_roots([checkout]), uid_range=UIDS, extra=["--daemon-uid", "0"])
    try:
        launcher.register_allow_all()
        launcher.seal()
        answer = launcher.spawn(["/bin/ls", "/opt"], binds=[("/usr", "/usr"), (checkout, "/opt")])
        assert answer.error == 0, answer
        assert launcher.wait_exit(answer.id).status == 0
    finally:
        launcher.close()
