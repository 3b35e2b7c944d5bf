"""Least privilege (DESIGN.md invariant 6): the process that parses HTTP runs as the unprivileged
`hearth` user, with no capability, while its hearth-launcher alone stays root; token commands
run as root leave files the daemon can still open; and a hearthd started as an ordinary user
serves the API and says that sandboxes are unavailable."""

import os
import pwd
import shutil
import subprocess
import tempfile

from hearth import HEARTHD, PROFILES, RUNTIMES, create_function, create_runtime, execute, wait_for


def ps(*args):
    # -ww: piped, ps may cut args at the terminal width, which hides a long build path's end.
    return subprocess.run(["ps", "-ww", *args], capture_output=True, text=True).stdout.split("\n")


def status_field(pid, name):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(name + ":"):
            return line.split()[1:]
    return None


def launcher_of(daemon):
    rows = [line.split(None, 2) for line in ps("-o", "pid=,user=,comm=", "--ppid", str(daemon.proc.pid)) if line.strip()]
    return [(int(pid), user, comm) for pid, user, comm in rows]


def test_the_http_facing_daemon_is_the_hearth_user_and_only_its_launcher_is_root(daemon):
    assert ps("-o", "user=", "-p", str(daemon.proc.pid))[0].strip() == "hearth"
    assert status_field(daemon.proc.pid, "CapEff") == ["0000000000000000"]
    assert status_field(daemon.proc.pid, "CapPrm") == ["0000000000000000"]
    hearth = pwd.getpwnam("hearth")
    assert status_field(daemon.proc.pid, "Uid") == [str(hearth.pw_uid)] * 4
    children = launcher_of(daemon)
    assert [(user, comm) for _, user, comm in children] == [("root", "hearth-launcher")], children
    # What the daemon keeps is the user's, not root's.
    for root, dirs, files in os.walk(daemon.data_dir):
        for name in dirs + files:
            path = os.path.join(root, name)
            if name != "hearthd.log":
                assert os.lstat(path).st_uid == hearth.pw_uid, path


def test_functions_run_through_the_launcher_with_their_own_host_uids(daemon):
    admin = daemon.unix()
    runtime = create_runtime(admin)
    assert runtime["status"] == "available", runtime
    function = create_function(admin, runtime["id"])
    result = execute(admin, function["id"], input='{"name": "launcher"}')
    assert result["status"] == "success", result
    launcher = launcher_of(daemon)[0][0]
    children = [line.split(None, 2) for line in ps("-o", "pid=,user=,args=", "--ppid", str(launcher)) if line.strip()]
    # Every child is a sandbox's init, or one being set up (still the launcher's image, and root
    # until its uid map is written, for the few ms until it execs: the pool refills in the
    # background); no init is root or `hearth`.
    workers = [child for child in children if "hearth-launcher" not in child[2]]
    assert workers and all(args.startswith("hearth-init") for _, _, args in workers), children
    assert all(user not in ("root", "hearth") for _, user, _ in workers), children


def test_a_token_made_as_root_leaves_the_store_openable_by_the_daemon(daemon):
    created = subprocess.run([HEARTHD, "token", "create", "--data-dir", daemon.data_dir, "--project", "p1"],
                             capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    hearth = pwd.getpwnam("hearth")
    for name in os.listdir(daemon.data_dir):
        if name.startswith("hearth.sqlite"):
            assert os.stat(os.path.join(daemon.data_dir, name)).st_uid == hearth.pw_uid, name
    # The daemon, as `hearth`, reads the token from the store root wrote to.
    assert daemon.tcp(created.stdout.strip()).get("/v1/functions").status == 200


def test_an_ordinary_user_gets_the_api_and_is_told_that_sandboxes_are_unavailable():
    data = tempfile.mkdtemp(prefix="hearth-nobody-")
    nobody = pwd.getpwnam("nobody")
    os.chown(data, nobody.pw_uid, nobody.pw_gid)
    log_path = os.path.join(data, "hearthd.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([HEARTHD, "--data-dir", data, "--unix", os.path.join(data, "hearth.sock"), "--tcp", "none",
                                 "--runtimes-dir", RUNTIMES, "--profiles-dir", PROFILES],
                                stdout=subprocess.PIPE, stderr=log, user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])
    try:
        assert b"listening on unix:" in proc.stdout.readline()
        assert ps("-o", "user=", "-p", str(proc.pid))[0].strip() == "nobody"
        assert not ps("-o", "pid=", "--ppid", str(proc.pid))[0].strip(), "an unprivileged hearthd started a launcher"
        text = open(log_path).read()
        assert "sandboxes are unavailable" in text and "not root" in text, text
        from hearth import Client
        admin = Client(unix=os.path.join(data, "hearth.sock"))
        assert admin.get("/v1/runtimes").status == 200
        reply = admin.post("/v1/runtimes", json={"image": "python3"})
        assert reply.status == 201, reply
        runtime = wait_for(lambda: (r := admin.get(f"/v1/runtimes/{reply.json['id']}").json)["status"] != "creating" and r)
        assert runtime["status"] == "error", runtime
        wait_for(lambda: "sandboxes are unavailable" in open(log_path).read().split("runtime provisioning failed", 1)[-1])
    finally:
        proc.terminate()
        proc.wait(20)
        proc.stdout.close()
        shutil.rmtree(data, ignore_errors=True)


def test_a_data_directory_out_of_the_users_reach_stops_start_up_saying_which(tmp_path):
    # pytest's tmp_path lies under a 0700 directory of root's.
    result = subprocess.run([HEARTHD, "--data-dir", str(tmp_path / "data"), "--unix", "none", "--tcp", "127.0.0.1:0",
                             "--runtimes-dir", RUNTIMES, "--profiles-dir", PROFILES], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "out of reach of user hearth" in result.stderr and "is not searchable by it" in result.stderr, result.stderr
