"""Hostile code in a real sandbox (`hearthd sandbox run`, the same spawn the worker pool uses)
is contained, and the daemon keeps serving while it runs."""

import json
import os
import subprocess

import pytest

from hearth import HEARTHD, create_function, create_runtime

PROFILES = os.path.join(os.path.dirname(__file__), "..", "..", "sandbox-profiles")
PYTHON = "/usr/bin/python3"


def sandboxed(daemon, *command, profile="default", extra=(), timeout=60):
    args = [HEARTHD, "sandbox", "run", "--data-dir", daemon.data_dir, "--profiles-dir", PROFILES,
            "--profile", profile, *extra, "--", *command]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def python(daemon, code, **kwargs):
    return sandboxed(daemon, PYTHON, "-I", "-S", "-c", code, **kwargs)


def still_serving(daemon):
    assert daemon.unix().get("/v1/runtimes").status == 200


@pytest.fixture(scope="module", params=["default", "untrusted"])
def profile(request):
    return request.param


def test_the_sandbox_runs_programs(daemon, profile):
    result = python(daemon, "import json, subprocess, threading; print(subprocess.run(['/bin/sh', '-c', 'echo child'], "
                            "capture_output=True, text=True).stdout.strip()); t = threading.Thread(target=print, args=('thread',)); "
                            "t.start(); t.join()", profile=profile)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["child", "thread"]


def test_host_secrets_and_the_data_dir_are_not_there(daemon, profile):
    for path in ["/etc/shadow", "/etc/passwd", "/root", daemon.data_dir, os.path.join(daemon.data_dir, "hearth.sqlite"), "/home"]:
        result = sandboxed(daemon, "/bin/cat", path, profile=profile)
        assert result.returncode != 0, path
        assert "No such file or directory" in result.stderr, (path, result.stderr)
    still_serving(daemon)


def test_another_functions_code_is_not_reachable(daemon):
    runtime = create_runtime(daemon.unix())
    function = create_function(daemon.unix(), runtime["id"])
    package_dir = os.path.join(daemon.data_dir, "packages", function["id"])
    assert os.path.isdir(package_dir)
    result = python(daemon, f"import os; print(os.listdir({package_dir!r}))")
    assert result.returncode != 0 and "FileNotFoundError" in result.stderr


def test_only_tmp_and_code_are_writable(daemon, profile):
    for path in ["/x", "/usr/x", "/etc/x", "/dev/x", "/proc/x"]:
        result = sandboxed(daemon, "/bin/sh", "-c", f"echo > {path}", profile=profile)
        assert result.returncode != 0, path
    result = sandboxed(daemon, "/bin/sh", "-c", "echo ok > /tmp/x && cat /tmp/x && echo ok > /code/y && cat /code/y", profile=profile)
    assert result.stdout.split() == ["ok", "ok"], result.stderr
    big = sandboxed(daemon, "/bin/sh", "-c", "head -c 100M /dev/zero > /tmp/big", profile=profile)
    assert big.returncode != 0 and "No space left" in big.stderr


def test_no_network_by_default(daemon, profile):
    code = ("import socket\n"
            f"try:\n    s = socket.socket()\n    s.settimeout(2)\n    s.connect(('127.0.0.1', {daemon.port}))\n    print('connected')\n"
            "except OSError as e:\n    print('refused', e.errno)\n")
    result = python(daemon, code, profile=profile)
    assert "connected" not in result.stdout
    assert result.stdout.startswith("refused"), (result.stdout, result.stderr)
    still_serving(daemon)


def test_untrusted_profile_refuses_inet_sockets_even_with_network(daemon):
    result = python(daemon, "import socket\ntry:\n    socket.socket(socket.AF_INET)\n    print('made')\nexcept OSError as e:\n    print(e.errno)",
                    profile="untrusted", extra=["--network"])
    assert result.stdout.strip() == "1", result  # EPERM
    unix = python(daemon, "import socket; socket.socketpair(); print('ok')", profile="untrusted")
    assert unix.stdout.strip() == "ok", unix.stderr


SYSCALLS = {  # x86_64 numbers
    "ptrace": 101, "mount": 165, "unshare": 272, "setns": 308, "keyctl": 250, "bpf": 321, "io_uring_setup": 425,
    "userfaultfd": 323, "perf_event_open": 298, "init_module": 175, "pivot_root": 155, "chroot": 161,
}


@pytest.mark.parametrize("name", sorted(SYSCALLS))
def test_dangerous_syscalls_are_denied(daemon, profile, name):
    code = (f"import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nrc = libc.syscall({SYSCALLS[name]}, 0, 0, 0, 0, 0)\n"
            "print(rc, ctypes.get_errno())")
    result = python(daemon, code, profile=profile)
    assert result.returncode == 0, result.stderr
    rc, err = result.stdout.split()
    assert rc == "-1" and err == "1", (name, result.stdout)  # EPERM, not a success nor an argument error


def test_clone3_is_enosys_so_glibc_falls_back_to_clone(daemon, profile):
    code = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.syscall(435, 0, 0), ctypes.get_errno())"
    assert python(daemon, code, profile=profile).stdout.split() == ["-1", "38"]


def test_namespaces_cannot_be_created_through_clone(daemon, profile):
    result = sandboxed(daemon, "/usr/bin/unshare", "-Ur", "true", profile=profile)
    assert result.returncode != 0
    assert "Operation not permitted" in result.stderr


def test_no_capabilities_and_no_new_privileges(daemon, profile):
    result = sandboxed(daemon, "/bin/grep", "-E", "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):", "/proc/self/status", profile=profile)
    fields = dict(line.split(":\t") for line in result.stdout.splitlines())
    assert {k: v for k, v in fields.items() if k.startswith("Cap")} == {k: "0000000000000000" for k in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]}
    assert fields["NoNewPrivs"] == "1" and fields["Seccomp"] == "2"


def test_proc_shows_only_the_sandbox(daemon, profile):
    result = sandboxed(daemon, "/bin/sh", "-c", "sleep 2 & ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '", profile=profile)
    pids = [int(p) for p in result.stdout.split()]
    assert pids and max(pids) < 10 and 1 in pids, result.stdout


def test_cannot_signal_the_daemon_or_other_sandboxes(daemon, profile):
    other = subprocess.Popen([HEARTHD, "sandbox", "run", "--data-dir", daemon.data_dir, "--profiles-dir", PROFILES, "--", "/bin/sleep", "30"])
    try:
        for pid in [daemon.proc.pid, other.pid, 1 + 0]:
            result = sandboxed(daemon, "/bin/sh", "-c", f"kill -9 {pid}; echo $?", profile=profile)
            if pid == 1:
                continue  # its own init: signalling itself is allowed
            assert result.stdout.strip() != "0", (pid, result)
        assert other.poll() is None
        still_serving(daemon)
    finally:
        other.kill()
        other.wait()


def test_fork_bomb_is_stopped_by_the_pids_limit(daemon, profile):
    code = ("import os, time\nmade = 0\nfor _ in range(500):\n    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
            "    if pid == 0:\n        time.sleep(30)\n        os._exit(0)\n    made += 1\nprint(made)\n")
    result = python(daemon, code, profile=profile, extra=["--pids", "32"], timeout=120)
    assert result.returncode == 0, result.stderr
    assert 0 < int(result.stdout) < 32
    still_serving(daemon)


def test_memory_past_the_limit_kills_only_that_sandbox(daemon, profile):
    result = python(daemon, "x = bytearray(256 * 1024 * 1024); print('survived')", profile=profile, extra=["--memory", "33554432"])
    assert result.returncode == 137
    assert "survived" not in result.stdout
    assert "out of memory" in result.stderr
    still_serving(daemon)
    fine = python(daemon, "x = bytearray(8 * 1024 * 1024); print('fine')", profile=profile, extra=["--memory", "33554432"])
    assert fine.stdout.strip() == "fine"


def test_each_sandbox_has_its_own_host_uid(daemon):
    first = subprocess.Popen([HEARTHD, "sandbox", "run", "--data-dir", daemon.data_dir, "--profiles-dir", PROFILES, "--", "/bin/sleep", "5"])
    second = subprocess.Popen([HEARTHD, "sandbox", "run", "--data-dir", daemon.data_dir, "--profiles-dir", PROFILES, "--", "/bin/sleep", "5"])
    try:
        import time
        def sleepers():
            # Only these two sandboxes' sleeps: other tests on the machine may be sleeping too.
            # Each sleep is the child of its sandbox's hearth-init, the child of `sandbox run`.
            out = subprocess.run(["ps", "-eo", "pid=,ppid=,uid=,comm="], capture_output=True, text=True).stdout
            rows = [line.split() for line in out.splitlines()]
            inits = {int(pid) for pid, ppid, uid, comm in rows if comm == "hearth-init" and int(ppid) in (first.pid, second.pid)}
            return [int(uid) for pid, ppid, uid, comm in rows if comm == "sleep" and int(ppid) in inits]
        deadline = time.time() + 10
        while len(sleepers()) < 2 and time.time() < deadline:
            time.sleep(0.05)
        uids = sleepers()
        assert len(uids) >= 2 and len(set(uids)) == len(uids), uids
        assert all(uid >= 100000 for uid in uids)
    finally:
        for p in (first, second):
            p.kill()
            p.wait()


def test_a_broken_profile_is_named(daemon, tmp_path):
    (tmp_path / "bad.json").write_text('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "no_such_call"], "action": "SCMP_ACT_ALLOW"}]}')
    result = subprocess.run([HEARTHD, "sandbox", "run", "--data-dir", daemon.data_dir, "--profiles-dir", str(tmp_path), "--profile", "bad",
                             "--", "/bin/true"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "bad.json" in result.stderr and 'syscalls[0].names[1]: unknown syscall "no_such_call"' in result.stderr


def test_signals_start_at_their_defaults(daemon, profile):
    result = sandboxed(daemon, "/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status", profile=profile)
    assert dict(line.split(":\t") for line in result.stdout.splitlines()) == {"SigBlk": "0000000000000000", "SigIgn": "0000000000000000"}
    code = "import subprocess\np = subprocess.Popen(['/bin/sleep', '30'])\np.terminate()\nprint(p.wait())"
    assert python(daemon, code, profile=profile).stdout.strip() == "-15"


def test_concurrent_hearthd_processes_never_share_a_host_uid(daemon):
    runs = [subprocess.Popen([HEARTHD, "sandbox", "run", "--profiles-dir", PROFILES, "--", "/bin/sh", "-c", "read inside host count < /proc/self/uid_map; echo $host; sleep 1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err for _, err in outputs]
    uids = [out.strip() for out, _ in outputs]
    assert len(set(uids)) == 8, uids


def test_a_profile_can_keep_the_host_network(daemon, tmp_path):
    """`"network": "host"` in a profile: its sandboxes reach the host's listeners; a bad value
    is refused with the file named."""
    default = json.loads(open(os.path.join(PROFILES, "default.json")).read())
    (tmp_path / "hostnet.json").write_text(json.dumps({**default, "network": "host"}))
    code = (f"import socket\ns = socket.create_connection(('127.0.0.1', {daemon.port}), timeout=5)\n"
            "s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\nprint(s.recv(12).decode())\n")
    result = subprocess.run([HEARTHD, "sandbox", "run", "--data-dir", daemon.data_dir, "--profiles-dir", str(tmp_path),
                             "--profile", "hostnet", "--", PYTHON, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("HTTP/1."), (result.stdout, result.stderr)

    (tmp_path / "odd.json").write_text(json.dumps({**default, "network": "bridge"}))
    refused = subprocess.run([HEARTHD, "sandbox", "run", "--data-dir", daemon.data_dir, "--profiles-dir", str(tmp_path),
                              "--profile", "odd", "--", "/bin/true"], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "odd.json" in refused.stderr and 'network: must be "none" or "host"' in refused.stderr


def test_a_low_open_files_limit_still_starts(daemon):
    # The rlimits come after the fd set-up, which moves fds above 100: a nofile of 16 used to
    # fail the spawn at `fds`.
    result = python(daemon, "import os; print(len(os.listdir('/proc/self/fd')))", extra=("--nofile", "16"))
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) <= 5  # 0-3 and the listing's own


def test_read_only_binds_are_read_only_below_submounts(daemon):
    # A bind's submounts are read-only too (the remount is recursive), not only its top. The
    # sandbox reaches a bind's source as its own uid: every directory on the way is o+x.
    import pathlib, shutil, tempfile
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="hearth-bind-", dir="/tmp"))
    os.chmod(scratch, 0o755)
    top = scratch / "top"
    (top / "sub").mkdir(parents=True)
    os.chmod(top, 0o755)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0777", "tmpfs", str(top / "sub")], check=True)
    try:
        result = sandboxed(daemon, "/bin/sh", "-c", "echo x > /top/written; echo x > /top/sub/written; echo done",
                           extra=("--bind", f"{top}:/top"))
        assert "done" in result.stdout, result.stderr
        assert "Read-only file system" in result.stderr
        assert not (top / "sub" / "written").exists(), "a submount of a read-only bind was writable"
        assert not (top / "written").exists()
    finally:
        subprocess.run(["umount", str(top / "sub")], check=True)
        shutil.rmtree(scratch)
