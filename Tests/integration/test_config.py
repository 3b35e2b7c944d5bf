"""The config file, the flags that win over it, and --help."""

import json
import os
import shutil
import subprocess

from hearth import HEARTHD, Daemon, create_runtime


def run(*args):
    return subprocess.run([HEARTHD, *args], capture_output=True, text=True, timeout=30)


def test_help_documents_every_flag():
    result = run("--help")
    assert result.returncode == 0
    for flag in ["--config", "--data-dir", "--unix", "--tcp", "--no-auth", "--runtimes-dir", "--max-package-size",
                 "--cpu-limits", "--memory-limits", "--timeout-limits", "--log-level", "--drain-seconds", "token"]:
        assert flag in result.stdout, flag


def test_config_file_sets_limits_and_flags_win(tmp_path):
    config = tmp_path / "hearth.json"
    config.write_text(json.dumps({"limits": {"timeout": "1:30:600"}, "max_package_size": 1000, "auth": True}))
    # Its own data directory: tmp_path lies under root's 0700 pytest directory, out of reach of
    # the `hearth` user the daemon becomes. The config file there is read all the same.
    d = Daemon(args=["--config", str(config), "--max-package-size", "100000"]).start()
    try:
        admin = d.unix()
        runtime = create_runtime(admin)
        from hearth import make_zip
        reply = admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}', "entry": "a.main",
                                                  "timeout": "600"}, files={"package": ("p.zip", make_zip({"a.py": "x" * 3000}))})
        assert reply.status == 201, reply  # 600 s allowed by the file; the 1000-byte limit lost to the flag
        assert admin.post("/v1/functions", data={"runtime_id": runtime["id"], "code": '{"source": "package"}', "entry": "a.main"},
                          files={"package": ("p.zip", make_zip({"a.py": ""}))}).json["timeout"] == 30
        assert d.tcp().get("/v1/functions").status == 401  # "auth": true
    finally:
        d.stop()
        shutil.rmtree(d.data_dir, ignore_errors=True)


def test_broken_config_stops_start_up_with_the_reason(tmp_path):
    config = tmp_path / "bad.json"
    for content, expected in [("{not json", "not valid JSON"), ('{"port": 1}', 'unknown key "port"'),
                              ('{"auth": "yes"}', '"auth" must be true or false'),
                              ('{"limits": {"cpu": "300:100:100"}}', "min ≤ default ≤ max"),
                              ('{"drain_seconds": "20"}', '"drain_seconds" must be a number of seconds'),
                              ('{"drain_seconds": -1}', "drain_seconds must be 0 or more")]:
        config.write_text(content)
        result = run("--config", str(config), "--data-dir", str(tmp_path))
        assert result.returncode != 0, content
        assert expected in result.stderr, (content, result.stderr)
        assert str(config) in result.stderr or "limits" in result.stderr or "drain_seconds" in result.stderr


def test_bad_flags_are_refused(tmp_path):
    assert "HOST:PORT" in run("--data-dir", str(tmp_path), "--tcp", "7070").stderr
    assert "log level" in run("--data-dir", str(tmp_path), "--log-level", "loud").stderr
    assert "drain_seconds must be 0 or more" in run("--data-dir", str(tmp_path), "--drain-seconds=-5").stderr


def test_the_example_config_shipped_for_systemd_is_valid(tmp_path):
    example = os.path.join(os.path.dirname(__file__), "..", "..", "systemd", "hearth.json")
    d = Daemon(args=["--config", example]).start()  # flags keep it off the system paths
    try:
        assert d.unix().get("/v1/runtimes").status == 200
    finally:
        d.stop()
        shutil.rmtree(d.data_dir, ignore_errors=True)


def test_a_broken_seccomp_profile_stops_start_up(tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "default.json").write_text('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["no_such_call"], "action": "SCMP_ACT_ALLOW"}]}')
    (profiles / "untrusted.json").write_text('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}')
    result = run("--data-dir", str(tmp_path), "--unix", "none", "--tcp", "127.0.0.1:0", "--profiles-dir", str(profiles))
    assert result.returncode != 0
    assert "default.json" in result.stderr and 'unknown syscall "no_such_call"' in result.stderr
