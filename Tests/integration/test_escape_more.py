"""Ways out that the code-directory fix alone does not close (issue 10, found while writing the
escape suite), and guards for what holds today but a later change could open. Judged on the host
like the rest of the escape suite (escape_kit)."""

import json
import os
import secrets
import shutil
import subprocess
import tempfile

import pytest

from escape_kit import Host, host  # noqa: F401 (host is a fixture)
from hearth import RUNTIMES, Daemon, create_function, create_runtime, execute, make_zip, wait_for


def python(host, client, source, runtime=None, **fields):
    package = make_zip({"f.py": source})
    function = host.function(client, "python3", package, "f.main", **fields) if runtime is None else \
        create_function(client, runtime["id"], files={"f.py": source}, entry="f.main", **fields)
    return function


def output(execution):
    return execution["result_json"]["output"]


# ---- the init -------------------------------------------------------------------------------

INIT_PROBE = r'''
import os, re
TOKEN = re.compile(rb"HEARTHCANARY[0-9a-f]{32}")
def attempt(path, flags):
    try:
        fd = os.open(path, flags)
    except OSError as e:
        return e.strerror
    os.close(fd)
    return "opened"
def read(path):
    try:
        return open(path, "rb").read().replace(b"\0", b" ").decode("latin-1")
    except OSError as e:
        return "refused: " + e.strerror
def main(**kw):
    found, readable = set(), 0
    try:
        maps = open("/proc/1/maps").read().splitlines()
        with open("/proc/1/mem", "rb", buffering=0) as mem:
            for line in maps:
                start, end = (int(x, 16) for x in line.split()[0].split("-"))
                if "r" not in line.split()[1] or end - start > (64 << 20):
                    continue
                try:
                    mem.seek(start)
                    data = mem.read(end - start)
                except OSError:
                    continue
                readable += len(data)
                found.update(t.decode() for t in TOKEN.findall(data))
    except OSError as e:
        maps = ["refused: " + e.strerror]
    return {"pid": os.getpid(), "cmdline": read("/proc/1/cmdline"), "environ": read("/proc/1/environ"),
            "status": read("/proc/1/status"), "mem_read": attempt("/proc/1/mem", os.O_RDONLY),
            "mem_write": attempt("/proc/1/mem", os.O_RDWR), "readable_bytes": readable, "tokens": sorted(found)}
'''


def test_the_init_is_out_of_the_functions_reach(host):
    """PID 1 may be a copy of the daemon (a clone that never exec'd): then its memory holds what
    the daemon held, every tenant's data. A function must not read or write it, nor learn the
    daemon's command line or environment from it."""
    # A runtime made now: its workers are spawned after the victim's call went through the daemon.
    runtime = create_runtime(host.admin, image="python3")
    function = python(host, host.attacker, INIT_PROBE, runtime=runtime)
    seen = output(execute(host.attacker, function["id"]))
    assert seen["pid"] != 1, "the worker is PID 1: there is no init (finding 7)"
    assert seen["mem_read"] != "opened" and seen["mem_write"] != "opened", seen
    text = json.dumps(seen)
    assert host.data_dir not in text, seen["cmdline"]
    assert [label for label, value in host.secrets.items() if value in text] == []


MOUNTINFO = "def main(**kw):\n    return open('/proc/self/mountinfo').read()\n"


def test_mountinfo_does_not_name_the_data_directory(host):
    """/proc/self/mountinfo shows each mount's root as a path of its file system: a code mount
    cloned from packages/<function>/<md5> names the data directory and the function's id."""
    function = python(host, host.attacker, MOUNTINFO)
    mountinfo = output(execute(host.attacker, function["id"]))
    assert "/tmp" in mountinfo  # it read the table
    assert host.data_dir not in mountinfo and "/packages/" not in mountinfo, mountinfo


# ---- sockets that no namespace covers ---------------------------------------------------------------------


def test_vsock_sockets_cannot_be_made(host):
    """AF_VSOCK is not network-namespaced: with the default profile's empty network namespace a
    function can still open vsock sockets to the hypervisor (CID 2) or listen for it. This test
    only makes a socket; it connects nowhere."""
    source = ("import socket\n"
              "def main(**kw):\n"
              "    try:\n"
              "        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)\n"
              "    except OSError as e:\n"
              "        return 'refused: %s' % e.strerror\n"
              "    s.close()\n"
              "    return 'made'\n")
    result = output(execute(host.attacker, python(host, host.attacker, source)["id"]))
    assert result.startswith("refused"), result


LISTENER = r'''
import os, socket, threading
state = {"accepted": 0}
def serve(s):
    while True:
        conn, _ = s.accept()
        state["accepted"] += 1
        conn.close()
def main(name, step, **kw):
    if step == "listen":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\0" + name)
        s.listen(8)
        threading.Thread(target=serve, args=(s,), daemon=True).start()
        return "listening"
    if step == "connect":
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(2)
        try:
            c.connect("\0" + name)
            return "connected"
        except OSError as e:
            return "refused: %s" % e.strerror
        finally:
            c.close()
    return state["accepted"]
'''


def test_abstract_unix_sockets_are_not_shared_between_projects(host):
    """Abstract socket names live in the network namespace: one shared by all sandboxes (an
    optimisation the design allows) would let any two tenants' functions talk."""
    name = f"hearth-cross-{secrets.token_hex(6)}"
    listener = python(host, host.victim, LISTENER)
    assert output(execute(host.victim, listener["id"], input=json.dumps({"name": name, "step": "listen"}))) == "listening"
    # The same warm worker reaches its own listener: the name is live.
    assert output(execute(host.victim, listener["id"], input=json.dumps({"name": name, "step": "connect"}))) == "connected"
    prober = python(host, host.attacker, LISTENER)
    attempt = output(execute(host.attacker, prober["id"], input=json.dumps({"name": name, "step": "connect"})))
    assert attempt.startswith("refused"), attempt
    assert output(execute(host.victim, listener["id"], input=json.dumps({"name": name, "step": "count"}))) == 1


# ---- memory that is not the function's -----------------------------------------------------------------


def test_tmp_counts_against_the_functions_memory(host):
    """/tmp is a 64 MiB tmpfs. Were its pages not charged to the sandbox's memory cgroup, a
    function limited to 32 MiB could keep 64 MiB of the host's memory for as long as its warm
    worker lives (and every worker of the pool likewise)."""
    source = ("import os\n"
              "def main(**kw):\n"
              "    written = 0\n"
              "    try:\n"
              "        with open('/tmp/fill', 'wb') as f:\n"
              "            for _ in range(56):\n"
              "                f.write(b'x' * (1 << 20))\n"
              "                f.flush()\n"
              "                written += 1\n"
              "    except OSError as e:\n"
              "        return 'stopped after %d MiB: %s' % (written, e.strerror)\n"
              "    return 'kept %d MiB' % written\n")
    function = python(host, host.attacker, source, memory_size="33554432")
    result = execute(host.attacker, function["id"])
    assert not (result["status"] == "success" and output(result).startswith("kept")), output(result)


# ---- finding 6: read-only binds, submounts included ----------------------------------------------------


@pytest.fixture
def runtimes_with_a_submount():
    """A copy of the runtimes directory with a writable tmpfs mounted inside a runtime's
    directory, as a host may have (an automount, a bind) under any directory the sandbox binds."""
    parent = tempfile.mkdtemp(prefix="hearth-submount-")
    os.chmod(parent, 0o755)  # sandboxed workers must be able to reach the runtimes
    copy = os.path.join(parent, "runtimes")
    shutil.copytree(RUNTIMES, copy, symlinks=True)
    sub = os.path.join(copy, "python3", "mnt")
    os.mkdir(sub)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=1777", "tmpfs", sub], check=True)
    try:
        yield copy, sub
    finally:
        subprocess.run(["umount", "-l", sub], check=False)
        shutil.rmtree(parent, ignore_errors=True)


def test_a_submount_of_a_read_only_bind_is_read_only_too(runtimes_with_a_submount):
    copy, sub = runtimes_with_a_submount
    d = Daemon(args=["--pool-capacity", "1", "--runtimes-dir", copy]).start()
    try:
        admin = d.unix()
        runtime = create_runtime(admin)
        source = ("import os\n"
                  "def main(**kw):\n"
                  "    try:\n"
                  "        with open('/runtimes/python3/mnt/from-the-sandbox', 'w') as f:\n"
                  "            f.write('written')\n"
                  "        return 'written'\n"
                  "    except OSError as e:\n"
                  "        return e.strerror\n")
        function = create_function(admin, runtime["id"], files={"f.py": source}, entry="f.main")
        result = output(execute(admin, function["id"]))
        assert os.listdir(sub) == [], result
        assert result == "Read-only file system", result
    finally:
        d.stop()
        shutil.rmtree(d.data_dir, ignore_errors=True)


# ---- descriptors sent the other way ------------------------------------------------------------------


SMUGGLER = r'''
import errno, json, os, socket, struct, time
def main(**kw):
    # Every byte of a well-formed result frame carries 250 descriptors: were the daemon to
    # receive them (recvmsg with room for control data), 20,000 would land in its table.
    header = json.dumps({"type": "result", "ok": True, "output": "smuggled", "duration": 0}).encode()
    frame = struct.pack(">II", len(header) + 4, len(header)) + header
    channel = socket.socket(fileno=os.dup(3))
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(250)]
    rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("%di" % len(fds), *fds))]
    sent = 0
    for i in range(len(frame)):
        while True:
            try:
                sent += channel.sendmsg([frame[i:i + 1]], rights)
                break
            except OSError as error:
                # ETOOMANYREFS: more descriptors in flight than the sender's nofile limit
                # (1024) while the daemon has not read yet. Nothing was sent: wait and resend.
                if error.errno != errno.ETOOMANYREFS:
                    raise
                time.sleep(0.002)
    return sent
'''


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_descriptors_a_worker_sends_do_not_land_in_the_daemon(host):
    pid = host.daemon.proc.pid
    before = open_fds(pid)
    function = python(host, host.attacker, SMUGGLER)
    outputs = [output(execute(host.attacker, function["id"])) for _ in range(3)]
    assert "smuggled" in outputs, outputs  # the daemon read a frame its descriptors rode on
    assert host.admin.get("/v1/runtimes").status == 200  # still serving
    assert open_fds(pid) < before + 50, (before, open_fds(pid))
