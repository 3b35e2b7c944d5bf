"""A compromised daemon against its root helpers. Everything the `hearth` user controls is
assumed hostile: every byte sent to hearth-launcher, every descriptor passed to it, every file
left in the data directory for the next root start. What must hold: no root action on a file
outside the data directory, no descriptor or resource of the launcher's lost to failing
requests, and the launcher out of the user's reach (signals, ptrace, /proc)."""

import os
import pwd
import shutil
import struct
import subprocess
import tempfile

import pytest

from hearth import Daemon
from launcher_client import CLONE_TREE, KILL, SET_LIMITS, SPAWN, spawn_body, string
from test_launcher import dirs, start  # noqa: F401  (the fixture and the start-up of test_launcher)


def hearth_user():
    try:
        return pwd.getpwnam("hearth")
    except KeyError:
        pytest.skip("no hearth user yet (a root start of hearthd makes it)")


def as_user(user, argv):
    return subprocess.run(argv, user=user.pw_uid, group=user.pw_gid, extra_groups=[], capture_output=True, text=True,
                          timeout=30)


def open_fds(pid):
    return sorted(os.listdir(f"/proc/{pid}/fd"))


# --- The data directory handed to `hearth` at every root start -------------------------------

def test_a_hard_link_planted_in_the_data_directory_does_not_make_root_chown_its_target():
    """At every start as root, hearthd gives the data directory to `hearth` (chown -R). The
    directory is the user's since the last start: a hard link it planted there names a file
    outside it, and chowning the link chowns that file. fs.protected_hardlinks=1 still lets a
    user link a file it can read and write; with 0 (the kernel's default) any file on the same
    filesystem, /etc/shadow included."""
    user = hearth_user()
    outside = tempfile.mkdtemp(prefix="hearth-canary-")
    os.chmod(outside, 0o755)
    canary = os.path.join(outside, "root-owned")
    with open(canary, "w") as f:
        f.write("root's\n")
    os.chmod(canary, 0o666)
    data = tempfile.mkdtemp(prefix="hearth-hostile-data-")
    os.chmod(data, 0o700)
    os.chown(data, user.pw_uid, user.pw_gid)
    planted = as_user(user, ["ln", canary, os.path.join(data, "planted")])
    assert planted.returncode == 0, planted.stderr
    assert os.stat(canary).st_nlink == 2
    # Symlinks, to the file and to the directory holding it, are not followed either.
    for name, target in [("link", canary), ("dir-link", outside)]:
        linked = as_user(user, ["ln", "-s", target, os.path.join(data, name)])
        assert linked.returncode == 0, linked.stderr
    with open(os.path.join(data, "left-by-root"), "w") as f:
        f.write("an earlier root run's\n")
    daemon = Daemon(data_dir=data)
    try:
        daemon.start()
        assert os.stat(canary).st_uid == 0, "root chowned a file outside the data directory to the hearth user"
        assert os.stat(canary).st_gid == 0
        assert os.stat(outside).st_uid == 0
        # What an earlier run as root left is still given to the daemon.
        assert os.lstat(os.path.join(data, "left-by-root")).st_uid == user.pw_uid
    finally:
        daemon.stop()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(outside, ignore_errors=True)


# --- The launcher's own resources -----------------------------------------------------------

def failing_requests(launcher, dirs):
    """One round of requests that are all refused, several of them carrying descriptors."""
    read, write = os.pipe()
    directory = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    opath = os.open("/etc", os.O_PATH)
    try:
        answers = [
            launcher.spawn(["/bin/true"], binds=[("/etc", "/etc")]),                        # outside the roots
            launcher.spawn(["/bin/true"], fds=[write, directory]),                           # a directory fd
            launcher.spawn(["/bin/true"], fds=[write, opath]),                               # an O_PATH fd
            launcher.spawn(["/bin/true"], fds=[write], fds_mask=3),                          # mask says two
            launcher.spawn(["/bin/true"], memory=1 << 40),                                   # over the bound
            launcher.spawn(["/bin/true"], path="/nonexistent/x"),                            # fails in the child
            launcher.request(SPAWN, spawn_body(["/bin/true"], fds=15), fds=[write] * 7),      # over 4 fds
            launcher.request(CLONE_TREE, string("/etc")),
            launcher.request(CLONE_TREE, string(dirs["packages"] + "/escape")),
            launcher.request(KILL, struct.pack("<Q", 1 << 60), fds=[write]),                 # fds on a kill
            launcher.request(KILL, struct.pack("<Q", 1 << 60)),
            launcher.request(SET_LIMITS, struct.pack("<QQII", 1 << 60, 64 << 20, 16, 1000)),
        ]
    finally:
        for fd in (read, write, directory, opath):
            os.close(fd)
    assert all(answer.error != 0 for answer in answers), answers


def test_a_thousand_failing_requests_leak_no_descriptor_of_the_launcher(dirs):  # noqa: F811
    launcher = start(dirs)
    try:
        failing_requests(launcher, dirs)
        before = open_fds(launcher.process.pid)
        for _ in range(100):
            failing_requests(launcher, dirs)
        after = open_fds(launcher.process.pid)
        assert before == after
        assert launcher.alive()
        answer = launcher.spawn(["/bin/true"])
        assert answer.error == 0, answer
        launcher.wait_exit(answer.id)
    finally:
        launcher.close()


def test_a_full_uid_range_is_refused_with_a_reason_and_freed_by_kills(dirs):  # noqa: F811
    launcher = start(dirs, extra=[])
    try:
        ids = []
        for _ in range(64):
            answer = launcher.spawn(["/bin/sleep", "60"])
            assert answer.error == 0, answer
            ids.append(answer.id)
        answer = launcher.spawn(["/bin/sleep", "60"])
        assert answer.error != 0 and "no free host uid" in answer.reason, answer
        for sandbox in ids:
            assert launcher.request(KILL, struct.pack("<Q", sandbox)).error == 0
        for sandbox in ids:
            launcher.wait_exit(sandbox)
        answer = launcher.spawn(["/bin/true"])
        assert answer.error == 0, answer
        launcher.wait_exit(answer.id)
    finally:
        launcher.close()


def test_kill_names_sandboxes_by_id_only_never_a_host_pid(dirs):  # noqa: F811
    launcher = start(dirs)
    try:
        victim = subprocess.Popen(["sleep", "30"])
        for target in [0, 1, victim.pid, os.getpid(), launcher.process.pid, (1 << 64) - 1]:
            answer = launcher.request(KILL, struct.pack("<Q", target))
            assert answer.error != 0, answer
        assert victim.poll() is None and launcher.alive()
        victim.kill()
        victim.wait()
    finally:
        launcher.close()


# --- The launcher, seen from the `hearth` user ----------------------------------------------

def launcher_pid(daemon):
    children = open(f"/proc/{daemon.proc.pid}/task/{daemon.proc.pid}/children").read().split()
    for pid in children:
        if open(f"/proc/{pid}/comm").read().strip() == "hearth-launcher":
            return int(pid)
    pytest.fail(f"no hearth-launcher among {children}")


def test_the_hearth_user_can_neither_signal_nor_trace_nor_read_the_launcher(daemon):
    user = hearth_user()
    pid = launcher_pid(daemon)
    probe = (
        "import os, sys, ctypes\n"
        f"pid = {pid}\n"
        "out = []\n"
        "try:\n"
        "    os.kill(pid, 0); out.append('signal')\n"
        "except PermissionError: pass\n"
        "for name in ['mem', 'environ', 'fd', 'root/etc/shadow', 'cwd']:\n"
        "    try:\n"
        "        path = f'/proc/{pid}/{name}'\n"
        "        os.listdir(path) if name == 'fd' else open(path, 'rb').read(1)\n"
        "        out.append(name)\n"
        "    except (PermissionError, OSError): pass\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "if libc.ptrace(16, pid, 0, 0) == 0: out.append('ptrace')\n"
        "print(','.join(out))\n"
    )
    result = as_user(user, ["python3", "-c", probe])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"the hearth user reaches the launcher through: {result.stdout}"
    assert os.path.exists(f"/proc/{pid}")



# --- Bind sources: the child looks the path up again ----------------------------------------

def test_a_bind_source_below_a_directory_the_daemons_user_can_change_is_refused(dirs):  # noqa: F811
    """The launcher checks a bind source with openat2 (no symlink), then the child mounts it by
    its path, a second lookup. If a directory on the way belongs to the daemon's user (or is
    group/other-writable), the user can swap the checked directory for a symlink in between and
    have any path bound: every directory from the root down to the source's parent must be
    root's alone, as the root itself must be."""
    from launcher_client import Launcher, allowed_roots, system_binds
    user = hearth_user()
    root = tempfile.mkdtemp(prefix="hearth-root-")
    os.chmod(root, 0o755)
    for name, owner, mode in [("owned", user.pw_uid, 0o755), ("open", 0, 0o777), ("fine", 0, 0o755)]:
        os.makedirs(os.path.join(root, name, "dir"))
        os.chmod(os.path.join(root, name), mode)
        os.chown(os.path.join(root, name), owner, owner and user.pw_gid)
    launcher = Launcher(dirs["packages"], roots=allowed_roots([root]), uid_range="610100:8",
                        extra=["--daemon-uid", str(user.pw_uid)])
    try:
        launcher.register_allow_all()
        launcher.seal()
        for name in ["owned", "open"]:
            answer = launcher.spawn(["/bin/true"], binds=system_binds()[0] + [(os.path.join(root, name, "dir"), "/x")])
            assert answer.error != 0, f"bound from below {name}: {answer}"
            assert "not root's alone" in answer.reason, answer
        answer = launcher.spawn(["/bin/true"], binds=system_binds()[0] + [(os.path.join(root, "fine", "dir"), "/x")])
        assert answer.error == 0, answer
        launcher.wait_exit(answer.id)
    finally:
        launcher.close()
        shutil.rmtree(root, ignore_errors=True)


def test_a_packages_root_that_is_a_symlink_stops_the_launcher(dirs):  # noqa: F811
    """`packages` is inside the data directory, the daemon's user's: between two starts it can
    be replaced by a symlink to /. Resolved, that would let clone-tree reach any directory."""
    from launcher_client import Launcher
    base = tempfile.mkdtemp(prefix="hearth-packages-link-")
    link = os.path.join(base, "packages")
    os.symlink("/", link)
    launcher = Launcher(link, uid_range="610200:8")
    try:
        launcher.process.wait(10)
    except subprocess.TimeoutExpired:
        launcher.register_allow_all()
        answer = launcher.request(CLONE_TREE, string("/etc"))
        for fd in answer.fds:
            os.close(fd)
        pytest.fail(f"a launcher started on a symlinked packages root, clone-tree /etc answered {answer}")
    finally:
        stderr = launcher.close()
        shutil.rmtree(base, ignore_errors=True)
    assert launcher.process.returncode == 2 and "symlink" in stderr, stderr


# --- Limits the daemon may leave out or inflate ----------------------------------------------

RLIMIT_CORE = 4


def core_limit_seen_inside(launcher, **kwargs):
    read, write = os.pipe()
    answer = launcher.spawn(["/bin/sh", "-c", "ulimit -H -c; ulimit -S -c unlimited 2>/dev/null && echo raised"],
                            fds=[write], **kwargs)
    os.close(write)
    try:
        if answer.error:
            return answer
        launcher.wait_exit(answer.id)
        return os.read(read, 200).decode().split()
    finally:
        os.close(read)


def test_a_sandbox_never_dumps_core_whatever_the_request_says(dirs):  # noqa: F811
    """A core_pattern pipe (systemd-coredump, apport) would give a sandbox's crash and memory to a
    root helper on the host; the launcher's own hard core limit is usually unlimited, which a
    request that leaves the core limit out would pass on to the worker."""
    launcher = start(dirs)
    try:
        assert core_limit_seen_inside(launcher) == ["0"]
        answer = core_limit_seen_inside(launcher, rlimits=[(RLIMIT_CORE, 0, 1 << 30)])
        assert getattr(answer, "error", 0) != 0 and "core" in answer.reason, answer
        assert core_limit_seen_inside(launcher, rlimits=[(RLIMIT_CORE, 0, 0)]) == ["0"]
    finally:
        launcher.close()


def test_a_uid_range_holding_the_daemons_uid_stops_the_launcher(dirs):  # noqa: F811
    from launcher_client import Launcher
    user = hearth_user()
    launcher = Launcher(dirs["packages"], uid_range=f"{user.pw_uid}:1", extra=["--daemon-uid", str(user.pw_uid)])
    try:
        launcher.process.wait(10)
    except subprocess.TimeoutExpired:
        pass
    stderr = launcher.close()
    assert launcher.process.returncode == 2 and "daemon's own uid" in stderr, stderr


# --- The hand-over variable ------------------------------------------------------------------

def test_a_root_hearthd_started_with_a_hand_over_variable_still_drops_to_the_hearth_user(tmp_path):
    """HEARTH_LAUNCHER=FD:PID is how the root phase hands its socket to the image it exec'd as
    `hearth`. Found in the environment of a hearthd started as root, it must not make that
    hearthd skip its root phase and serve the network as root (saying it runs as hearth)."""
    from hearth import HEARTHD, PROFILES, RUNTIMES
    import socket
    data = tempfile.mkdtemp(prefix="hearth-handover-")
    os.chmod(data, 0o755)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    env = dict(os.environ, HEARTH_LAUNCHER=f"{theirs.fileno()}:{os.getpid()}")
    proc = subprocess.Popen([HEARTHD, "--data-dir", data, "--unix", os.path.join(data, "s.sock"), "--tcp", "none",
                             "--runtimes-dir", RUNTIMES, "--profiles-dir", PROFILES], env=env, pass_fds=[theirs.fileno()],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    theirs.close()
    try:
        assert b"listening on unix:" in proc.stdout.readline()
        user = subprocess.run(["ps", "-o", "user=", "-p", str(proc.pid)], capture_output=True, text=True).stdout.strip()
        assert user == "hearth", f"the HTTP-facing hearthd runs as {user}"
    finally:
        proc.terminate()
        proc.wait(20)
        proc.stdout.close()
        ours.close()
        shutil.rmtree(data, ignore_errors=True)


def test_a_packages_directory_swapped_for_a_symlink_while_the_launcher_runs_reaches_nothing_outside(dirs):  # noqa: F811
    """The daemon's user owns the directory `packages` is in: it can rename `packages` and leave
    a symlink to / in its place at any moment. A clone-tree resolved from the path would then be
    made, as root, of any host directory: one under a 0700 directory (a home, say) becomes
    readable to the daemon's user through the mount's descriptor."""
    from launcher_client import Launcher
    user = hearth_user()
    base = tempfile.mkdtemp(prefix="hearth-swap-")
    os.chmod(base, 0o755)
    vault = os.path.join(base, "vault")
    os.makedirs(os.path.join(vault, "inner"))
    os.chmod(vault, 0o700)
    os.chmod(os.path.join(vault, "inner"), 0o755)
    with open(os.path.join(vault, "inner", "secret"), "w") as f:
        f.write("behind a 0700 directory\n")
    os.chmod(os.path.join(vault, "inner", "secret"), 0o644)
    packages = os.path.join(base, "packages")
    os.makedirs(os.path.join(packages, "fn", "v1"))
    launcher = Launcher(packages, uid_range="610400:4")
    try:
        launcher.register_allow_all()
        os.rename(packages, packages + ".old")
        os.symlink("/", packages)
        answer = launcher.request(CLONE_TREE, string(packages + os.path.join(vault, "inner")))
        leaked = None
        for fd in answer.fds:
            read = subprocess.run(["python3", "-c", f"import os; print(open(os.open('secret', os.O_RDONLY, dir_fd={fd})).read())"],
                                  pass_fds=[fd], user=user.pw_uid, group=user.pw_gid, extra_groups=[],
                                  capture_output=True, text=True)
            leaked = read.stdout
            os.close(fd)
        assert answer.error != 0, f"cloned a host directory through the symlink; the hearth user read: {leaked!r}"
        # Paths are resolved from the directory it was started with, wherever that went.
        answer = launcher.request(CLONE_TREE, string(os.path.join(packages, "fn", "v1")))
        for fd in answer.fds:
            os.close(fd)
        assert answer.error == 0, answer
    finally:
        launcher.close()
        shutil.rmtree(base, ignore_errors=True)


def test_an_allowed_root_inside_a_directory_the_daemons_user_owns_stops_the_launcher(dirs):  # noqa: F811
    """A root owned by root but lying in the daemon's user's directory (a runtimes directory put in
    the data directory, say) can be renamed away by that user and replaced by a symlink."""
    from launcher_client import Launcher, allowed_roots
    user = hearth_user()
    base = tempfile.mkdtemp(prefix="hearth-root-parent-")
    os.chmod(base, 0o755)
    os.chown(base, user.pw_uid, user.pw_gid)
    root = os.path.join(base, "runtimes")
    os.makedirs(root)
    os.chmod(root, 0o755)
    launcher = Launcher(dirs["packages"], roots=allowed_roots([root]), uid_range="610500:4",
                        extra=["--daemon-uid", str(user.pw_uid)])
    try:
        launcher.process.wait(10)
    except subprocess.TimeoutExpired:
        pass
    stderr = launcher.close()
    shutil.rmtree(base, ignore_errors=True)
    assert launcher.process.returncode == 2 and "a directory above it" in stderr, stderr
