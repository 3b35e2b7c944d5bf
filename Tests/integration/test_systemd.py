"""hearthd under systemd, with the real protocols and no systemd: readiness, status, stopping and
watchdog datagrams on a NOTIFY_SOCKET the test listens on; listening sockets passed as
LISTEN_FDS (by systemd-socket-activate or from Python); the trusted socket's group; journal
lines on a JOURNAL_STREAM. The tests run as root, so every daemon here goes through the
production path: hearth-launcher, then the re-exec as user `hearth` with the same PID."""

import grp
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import time

import pytest

from hearth import HEARTHD, PROFILES, RUNTIMES, Client, create_function, create_runtime, execute, wait_for


class Notifications:
    """A datagram socket standing in for systemd's: every message with its sender's pid and
    uid (SCM_CREDENTIALS), in order of arrival."""

    def __init__(self, abstract=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.dir = None
        if abstract:
            name = f"hearth-test-notify-{os.getpid()}-{time.monotonic_ns()}"
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            # The daemon sends as user `hearth`: the socket must be writable by it.
            self.dir = tempfile.mkdtemp(prefix="hearth-notify-")
            os.chmod(self.dir, 0o755)
            self.address = os.path.join(self.dir, "notify")
            self.sock.bind(self.address)
            os.chmod(self.address, 0o777)
        self.messages = []

    def receive(self, timeout):
        self.sock.settimeout(timeout)
        data, ancillary, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = uid = None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, uid, _ = struct.unpack("iII", payload[:12])
        message = (dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line), pid, uid)
        self.messages.append(message)
        return message

    def wait_for(self, key, timeout=30):
        """The first message (from now) that sets `key`, with its sender."""
        deadline = time.time() + timeout
        while True:
            remaining = deadline - time.time()
            if remaining <= 0:
                raise AssertionError(f"no {key}= in time; got {self.messages}")
            try:
                fields, pid, uid = self.receive(remaining)
            except socket.timeout:
                continue
            if key in fields:
                return fields, pid, uid

    def close(self):
        self.sock.close()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class Started:
    """A hearthd started with a systemd-style environment (and maybe passed sockets); `{data}`
    in an argument is its data directory."""

    def __init__(self, args=(), env=None, sockets=(), prefix=None, data_dir=None):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="hearth-test-")
        self.socket_path = os.path.join(self.data_dir, "hearth.sock")
        self.log_path = os.path.join(self.data_dir, "hearthd.log")
        self.log = open(self.log_path, "ab")
        command = list(prefix or []) + [HEARTHD, "--data-dir", self.data_dir, "--runtimes-dir", RUNTIMES,
                                        "--profiles-dir", PROFILES] + [a.format(data=self.data_dir) for a in args]
        environment = dict(os.environ, **(env or {}))
        passed = [s.fileno() for s in sockets]

        def pass_sockets():
            # What systemd does between fork and exec: the sockets at 3, 4…, and the variables
            # naming them for this very process.
            moved = [os.dup(fd) for fd in passed]
            for index, fd in enumerate(moved):
                os.dup2(fd, 3 + index)
            os.environ["LISTEN_FDS"] = str(len(passed))
            os.environ["LISTEN_PID"] = str(os.getpid())

        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self.log, close_fds=not passed,
                                     env=None if passed else environment,
                                     preexec_fn=(lambda: (os.environ.update(env or {}), pass_sockets())) if passed else None)

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        return self.proc.returncode

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture
def started():
    daemons = []

    def start(**kwargs):
        daemon = Started(**kwargs)
        daemons.append(daemon)
        return daemon

    yield start
    for daemon in daemons:
        daemon.cleanup()


@pytest.fixture
def notifications():
    listener = Notifications()
    yield listener
    listener.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children = {}
    for line in out.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def socket_inodes(pid):
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def test_ready_comes_from_the_daemon_as_hearth_once_the_unix_socket_answers(started, notifications):
    daemon = started(args=["--unix", "{data}/hearth.sock", "--tcp", "127.0.0.1:0"], env={"NOTIFY_SOCKET": notifications.address})
    fields, pid, uid = notifications.wait_for("READY")
    assert fields["READY"] == "1"
    # Sent after the listeners are up, so the socket answers at once; by the re-exec'd image
    # (same PID) running as `hearth`, not by the root phase.
    assert Client(unix=daemon.socket_path).get("/").status == 200
    assert pid == daemon.proc.pid
    assert uid == pwd.getpwnam("hearth").pw_uid
    assert f"unix:{daemon.socket_path}" in fields["STATUS"] and "http://127.0.0.1:" in fields["STATUS"]
    statuses = [m[0]["STATUS"] for m in notifications.messages if "STATUS" in m[0]]
    assert any("opening the store" in s for s in statuses), statuses

    daemon.proc.send_signal(signal.SIGTERM)
    fields, pid, _ = notifications.wait_for("STOPPING")
    assert fields["STOPPING"] == "1" and pid == daemon.proc.pid
    assert daemon.proc.wait(timeout=30) == 0


def test_watchdog_pings_every_half_of_watchdog_usec(started):
    listener = Notifications(abstract=False)  # a path, as /run/systemd/notify is
    try:
        daemon = started(args=["--unix", "none", "--tcp", "127.0.0.1:0"],
                         env={"NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "200000"})
        listener.wait_for("READY")
        times = []
        while len(times) < 11:
            fields, pid, _ = listener.wait_for("WATCHDOG", timeout=2)
            assert fields["WATCHDOG"] == "1" and pid == daemon.proc.pid
            times.append(time.monotonic())
        gaps = sorted(b - a for a, b in zip(times, times[1:]))
        # Every 100 ms, half of the 200 ms after which systemd would kill the unit.
        assert 0.07 <= gaps[len(gaps) // 2] <= 0.15, gaps
    finally:
        listener.close()


def test_no_watchdog_pings_for_another_process(started, notifications):
    started(args=["--unix", "none", "--tcp", "127.0.0.1:0"],
            env={"NOTIFY_SOCKET": notifications.address, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"})
    notifications.wait_for("READY")
    with pytest.raises(AssertionError):
        notifications.wait_for("WATCHDOG", timeout=0.6)


def test_an_unreachable_notify_socket_is_logged_once_and_the_daemon_serves(started):
    daemon = started(args=["--unix", "none", "--tcp", "127.0.0.1:0"],
                     env={"NOTIFY_SOCKET": "/nonexistent/notify", "WATCHDOG_USEC": "100000"})
    wait_for(lambda: "listening" in daemon.read_log(), timeout=30)
    time.sleep(0.5)
    assert daemon.proc.poll() is None
    assert daemon.read_log().count("cannot notify systemd") == 1
    assert daemon.stop() == 0


def test_systemd_socket_activate_starts_it_on_the_first_request_and_keeps_the_socket(started, notifications):
    data_dir = tempfile.mkdtemp(prefix="hearth-test-")
    path = os.path.join(data_dir, "activated.sock")
    port = free_port()
    daemon = started(prefix=["/usr/bin/systemd-socket-activate", "-l", path, "-l", f"127.0.0.1:{port}",
                             "-E", f"NOTIFY_SOCKET={notifications.address}"],
                     data_dir=data_dir)
    wait_for(lambda: os.path.exists(path), timeout=10)
    # Nothing runs until a client comes: this request starts hearthd and waits in the backlog.
    assert Client(unix=path).get("/v1/runtimes").status == 200
    fields, pid, _ = notifications.wait_for("READY")
    assert pid == daemon.proc.pid  # socket-activate exec'd hearthd, which re-exec'd itself as hearth
    assert f"unix:{path}" in fields["STATUS"] and f"http://127.0.0.1:{port}" in fields["STATUS"]
    # The TCP face is the token-checked one, whatever order the sockets came in.
    assert Client(tcp=("127.0.0.1", port)).get("/v1/runtimes").status == 401
    assert "serving the sockets systemd passed" in daemon.read_log()
    assert daemon.stop() == 0
    # systemd owns a socket it passed: it stays for the next activation.
    assert stat.S_ISSOCK(os.stat(path).st_mode)


def test_passed_sockets_are_served_and_reach_no_child_and_no_variable_leaks(started, notifications):
    data_dir = tempfile.mkdtemp(prefix="hearth-test-")
    path = os.path.join(data_dir, "passed.sock")
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(path)
    unix.listen(16)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(16)
    port = tcp.getsockname()[1]
    # TCP first: the daemon must classify by address family, not by position.
    daemon = started(sockets=[tcp, unix], env={"NOTIFY_SOCKET": notifications.address}, data_dir=data_dir,
                     args=["--unix", os.path.join(data_dir, "unused.sock"), "--tcp", "127.0.0.1:1"])
    notifications.wait_for("READY")
    admin = Client(unix=path)
    runtime = create_runtime(admin)
    assert runtime["status"] == "available", runtime
    function = create_function(admin, runtime["id"])
    ran = execute(admin, function["id"], input='{"name": "systemd"}')
    assert ran["status"] == "success" and ran["result_json"]["output"] == "Hello, systemd", ran
    assert Client(tcp=("127.0.0.1", port)).get("/v1/runtimes").status == 401
    assert not os.path.exists(os.path.join(data_dir, "unused.sock"))  # passed sockets replace binding

    listening = {os.fstat(unix.fileno()).st_ino, os.fstat(tcp.fileno()).st_ino}
    assert listening <= socket_inodes(daemon.proc.pid)
    children = wait_for(lambda: len(d := descendants(daemon.proc.pid)) >= 2 and d, timeout=20)  # launcher + workers
    for child in children:
        try:
            with open(f"/proc/{child}/environ", "rb") as f:
                names = {entry.split(b"=", 1)[0] for entry in f.read().split(b"\0") if entry}
            inodes = socket_inodes(child)
        except (FileNotFoundError, ProcessLookupError):
            continue
        assert not names & {b"NOTIFY_SOCKET", b"LISTEN_FDS", b"LISTEN_PID", b"LISTEN_FDNAMES", b"WATCHDOG_USEC"}, (child, names)
        assert not inodes & listening, f"process {child} holds a listening socket"
    unix.close()
    tcp.close()
    assert daemon.stop() == 0
    assert stat.S_ISSOCK(os.stat(path).st_mode)


def test_started_by_hand_it_binds_its_own_socket_again(started):
    daemon = started(args=["--unix", "{data}/hand.sock", "--tcp", "127.0.0.1:0"])
    path = os.path.join(daemon.data_dir, "hand.sock")
    wait_for(lambda: os.path.exists(path), timeout=30)
    assert wait_for(lambda: Client(unix=path).get("/").status == 200, timeout=10)
    assert daemon.stop() == 0
    assert not os.path.exists(path)  # its own socket: removed on stop, as before


def test_socket_group_gives_the_socket_that_group_and_mode_0660(started):
    daemon = started(args=["--unix", "{data}/grouped.sock", "--tcp", "none", "--socket-group", "hearth"])
    path = os.path.join(daemon.data_dir, "grouped.sock")
    wait_for(lambda: os.path.exists(path) and stat.S_IMODE(os.stat(path).st_mode) == 0o660, timeout=30)
    info = os.stat(path)
    assert info.st_gid == grp.getgrnam("hearth").gr_gid
    assert stat.S_IMODE(info.st_mode) == 0o660
    assert daemon.stop() == 0


def test_socket_group_that_does_not_exist_is_refused_at_start(tmp_path):
    result = subprocess.run([HEARTHD, "--data-dir", str(tmp_path), "--tcp", "none", "--socket-group", "no-such-group-x"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "socket_group 'no-such-group-x' is not a group" in result.stderr


def test_socket_group_other_than_the_daemons_is_refused_as_root(tmp_path):
    other = next(g.gr_name for g in grp.getgrall() if g.gr_name not in ("hearth", "root"))
    result = subprocess.run([HEARTHD, "--data-dir", str(tmp_path), "--unix", str(tmp_path / "s.sock"), "--tcp", "none",
                             "--runtimes-dir", RUNTIMES, "--profiles-dir", PROFILES, "--socket-group", other],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert f"socket_group '{other}'" in result.stderr and "use socket_group hearth" in result.stderr


@pytest.fixture
def broken_runtimes():
    """The runtimes plus one whose manifest is not JSON: start-up logs an error for it. (Where
    user `hearth` can read it: pytest's tmp_path is root's alone.)"""
    top = tempfile.mkdtemp(prefix="hearth-runtimes-")
    os.chmod(top, 0o755)
    runtimes = os.path.join(top, "runtimes")
    shutil.copytree(RUNTIMES, runtimes)
    os.mkdir(os.path.join(runtimes, "broken"))
    with open(os.path.join(runtimes, "broken", "manifest.json"), "w") as f:
        f.write("{not json")
    subprocess.run(["chmod", "-R", "a+rX", top], check=True)
    yield runtimes
    shutil.rmtree(top, ignore_errors=True)


def test_on_the_journal_stream_lines_carry_a_priority_and_no_timestamp(started, broken_runtimes):
    runtimes = broken_runtimes
    data_dir = tempfile.mkdtemp(prefix="hearth-test-")
    log_path = os.path.join(data_dir, "hearthd.log")
    open(log_path, "ab").close()
    info = os.stat(log_path)
    daemon = started(args=["--unix", os.path.join(data_dir, "j.sock"), "--tcp", "127.0.0.1:0", "--runtimes-dir", str(runtimes)],
                     env={"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}, data_dir=data_dir)
    wait_for(lambda: "listening" in daemon.read_log(), timeout=30)
    assert daemon.stop() == 0
    lines = daemon.read_log().splitlines()
    assert lines and all(re.match(r"<[0-7]>", line) for line in lines), lines
    assert not any(re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", line) for line in lines), lines
    broken = [line for line in lines if "broken runtime manifest" in line]
    assert broken and broken[0].startswith("<3>broken runtime manifest problem="), broken
    assert any(line.startswith("<5>listening address=") for line in lines), lines


def test_off_the_journal_stream_lines_keep_their_timestamp(started, broken_runtimes):
    runtimes = broken_runtimes
    daemon = started(args=["--unix", "none", "--tcp", "127.0.0.1:0", "--runtimes-dir", str(runtimes)],
                     env={"JOURNAL_STREAM": "1:1"})  # stderr redirected elsewhere: not the journal's
    wait_for(lambda: "listening" in daemon.read_log(), timeout=30)
    assert daemon.stop() == 0
    broken = [line for line in daemon.read_log().splitlines() if "broken runtime manifest" in line]
    assert broken and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* error hearthd", broken[0]), broken


def listening_unix(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(16)
    return sock


def test_a_passed_socket_answers_bad_requests_with_400_and_a_stop_ends_idle_connections(started, notifications):
    data_dir = tempfile.mkdtemp(prefix="hearth-test-")
    path = os.path.join(data_dir, "passed.sock")
    unix = listening_unix(path)
    daemon = started(sockets=[unix], env={"NOTIFY_SOCKET": notifications.address}, data_dir=data_dir)
    notifications.wait_for("READY")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bad:
        bad.settimeout(10)
        bad.connect(path)
        bad.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert bad.recv(4096).startswith(b"HTTP/1.1 400")
    # An error that names its request (FunctionGraph's X-Request-Id) has an id to name.
    missing = Client(unix=path, project="p1").get("/v2/p1/fgs/functions/no-such-function/config")
    assert missing.status == 404 and missing.headers.get("x-request-id"), missing
    assert daemon.proc.poll() is None
    # A keep-alive client that sent one request and then sits idle must not hold up the stop.
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.settimeout(10)
    idle.connect(path)
    idle.sendall(b"GET / HTTP/1.1\r\nHost: hearth\r\n\r\n")
    answer = idle.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200") and b"\r\ndate: " in answer.lower() and b"server: hearthd" in answer.lower()
    started_stop = time.monotonic()
    assert daemon.stop(timeout=15) == 0
    assert time.monotonic() - started_stop < 10
    assert idle.recv(4096) == b""  # the daemon closed it
    idle.close()
    unix.close()


def test_listen_variables_for_another_process_are_ignored(started):
    # A parent's LISTEN_* that leaked into the environment: not ours, so hearthd binds its own.
    daemon = started(args=["--unix", "{data}/own.sock", "--tcp", "none"], env={"LISTEN_FDS": "2", "LISTEN_PID": "1"})
    path = os.path.join(daemon.data_dir, "own.sock")
    wait_for(lambda: os.path.exists(path), timeout=30)
    assert wait_for(lambda: Client(unix=path).get("/").status == 200, timeout=10)
    assert "serving the sockets systemd passed" not in daemon.read_log()
    assert daemon.stop() == 0


def test_a_passed_datagram_socket_is_refused_saying_why(started):
    datagram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    daemon = started(sockets=[datagram], args=["--tcp", "none"])
    assert daemon.proc.wait(timeout=30) == 1
    assert "is not a stream socket" in daemon.read_log() and "ListenStream=" in daemon.read_log()
    datagram.close()


def test_a_passed_socket_that_is_not_listening_is_refused_saying_why(started):
    bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bound.bind(("127.0.0.1", 0))
    daemon = started(sockets=[bound], args=["--unix", "none"])
    assert daemon.proc.wait(timeout=30) == 1
    assert "is not listening" in daemon.read_log()
    bound.close()
