"""Drives a real hearthd: starts it on a scratch data dir and free ports, and talks HTTP to it
over its Unix socket or over TCP."""

import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import zipfile

import requests

HEARTHD = os.environ.get("HEARTHD") or os.path.join(
    os.path.dirname(__file__), "..", "..", ".build", "debug", "hearthd")
RUNTIMES = os.path.join(os.path.dirname(__file__), "..", "..", "runtimes")
PROFILES = os.path.join(os.path.dirname(__file__), "..", "..", "sandbox-profiles")


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode()

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:300]!r}>"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Client:
    """HTTP to hearthd. Bodies are built by `requests` (json=, data=, files=) so that
    multipart and form encodings are exactly what Python clients send."""

    def __init__(self, unix=None, tcp=None, token=None, project=None):
        self.unix, self.tcp, self.token, self.project = unix, tcp, token, project

    def connection(self):
        if self.unix:
            return _UnixConnection(self.unix)
        return http.client.HTTPConnection(*self.tcp, timeout=30)

    def request(self, method, path, json=None, data=None, files=None, headers=None, raw=None):
        prepared = requests.Request(method, "http://hearth" + path, json=json, data=data, files=files).prepare()
        all_headers = dict(prepared.headers)
        body = prepared.body
        if raw is not None:
            body = raw
            all_headers["Content-Length"] = str(len(raw))
        if self.token is not None:
            all_headers["X-Auth-Token"] = self.token
        if self.project is not None:
            all_headers["X-Project-Id"] = self.project
        all_headers.update(headers or {})
        conn = self.connection()
        try:
            conn.request(method, prepared.path_url, body=body, headers=all_headers)
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class Daemon:
    """A hearthd process on a scratch data dir, its own Unix socket and a free TCP port."""

    def __init__(self, data_dir=None, args=(), auth=True, drain=3):
        """`drain`: --drain-seconds, short so that a module's daemon stopped while a test's
        call still runs does not keep the suite waiting 20 s; None: hearthd's default."""
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="hearth-test-")
        self.socket_path = os.path.join(self.data_dir, "hearth.sock")
        self.args = list(args)
        if drain is not None and "--drain-seconds" not in self.args:
            self.args += ["--drain-seconds", str(drain)]
        self.auth = auth
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.data_dir, "hearthd.log")

    def start(self, timeout=20):
        cmd = [HEARTHD, "--data-dir", self.data_dir, "--unix", self.socket_path,
               "--tcp", "127.0.0.1:0", "--runtimes-dir", RUNTIMES, "--profiles-dir", PROFILES] + self.args
        if not self.auth:
            cmd.append("--no-auth")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.time() + timeout
        addresses = []
        while len(addresses) < 2:
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"hearthd did not start: {self.read_log()}")
            line = self.proc.stdout.readline().decode()
            match = re.match(r"hearthd: listening on (\S+)", line)
            if match:
                addresses.append(match.group(1))
        self.port = int(next(a for a in addresses if a.startswith("http://")).rsplit(":", 1)[1])
        return self

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode if self.proc else None

    def unix(self, project=None):
        return Client(unix=self.socket_path, project=project)

    def tcp(self, token=None):
        return Client(tcp=("127.0.0.1", self.port), token=token)

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def hearthd(self, *args):
        """Runs a hearthd subcommand against this daemon's data dir."""
        return subprocess.run([HEARTHD, *args, "--data-dir", self.data_dir], capture_output=True, text=True, timeout=30)

    def create_token(self, project, admin=False):
        args = ["token", "create", "--project", project] + (["--admin"] if admin else [])
        result = self.hearthd(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


def make_zip(files):
    """A zip in memory from {name: text}."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


HELLO_PY = "def main(name='World', **kwargs):\n    print('Hello, %s' % name)\n    return 'Hello, %s' % name\n"


def wait_for(predicate, timeout=10, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def create_runtime(client, image="python3", **fields):
    reply = client.post("/v1/runtimes", json={"image": image, **fields})
    assert reply.status == 201, reply
    runtime = reply.json
    return wait_for(lambda: (r := client.get(f"/v1/runtimes/{runtime['id']}").json)["status"] != "creating" and r)


def create_function(client, runtime_id, files=None, entry="hello.main", **fields):
    package = make_zip(files or {"hello.py": HELLO_PY})
    data = {"runtime_id": runtime_id, "code": json.dumps({"source": "package"}), "entry": entry, **fields}
    reply = client.post("/v1/functions", data=data, files={"package": ("hello.zip", package)})
    assert reply.status == 201, reply
    return reply.json


def worker_processes(daemon):
    """(pid, host uid, command) of the sandboxed workers this daemon started: children of its
    hearth-launcher (or of the daemon itself, when it makes sandboxes in-process)."""
    # -ww: piped, ps cuts args at 80 columns, which hides "hearth-launcher" in a long build path.
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,uid=,args="], capture_output=True, text=True).stdout
    table = [line.split(None, 3) for line in out.splitlines()]
    parents = {daemon.proc.pid} | {int(pid) for pid, ppid, _, args in table
                                   if int(ppid) == daemon.proc.pid and "hearth-launcher" in args}
    rows = []
    for pid, ppid, uid, args in table:
        if int(ppid) in parents and "/runtimes/" in args and "/worker." in args:
            rows.append((int(pid), int(uid), args))
    return rows


def execute(client, function_id, input=None, **fields):
    body = {"function_id": function_id, **fields}
    if input is not None:
        body["input"] = input
    reply = client.post("/v1/executions", json=body)
    assert reply.status == 201, reply
    execution = reply.json
    execution["result_json"] = json.loads(execution["result"]) if execution["result"] else None
    return execution


def slow_function(admin, runtime, seconds):
    """A function that prints 'begin TAG', sleeps `seconds`, prints 'end TAG' and returns TAG."""
    source = ("import time\n"
              "def main(tag=None, **kw):\n"
              "    print('begin', tag, flush=True)\n"
              f"    time.sleep({seconds})\n"
              "    print('end', tag)\n"
              "    return tag\n")
    return create_function(admin, runtime["id"], files={"slow.py": source}, entry="slow.main", timeout=60)


def run_async(admin, function, tag):
    """Starts an async execution of `function` with input {"tag": tag}; its id."""
    reply = admin.post("/v1/executions", json={"function_id": function["id"], "sync": False, "input": json.dumps({"tag": tag})})
    assert reply.status == 201, reply
    assert reply.json["status"] == "running"
    return reply.json["id"]
