"""What the escape tests share: a daemon whose host holds canaries, a victim project, hostile
functions for each runtime, and a judge that decides on the host side whether anything got out.

The canaries are made before the attack and are world-readable (or world-connectable), so that
only the sandbox's boundary protects them:
- a secret file in the data directory, and at random paths in host /tmp, /var/tmp and /dev/shm;
- a Unix socket listening in host /tmp (mode 0777) and one in the abstract namespace, both
  recording every connection;
- a victim project's function whose package holds a secret, and whose execution printed another
  secret (so the database and its WAL hold it).
The data directory is made by the test with mode 0755 before the daemon starts, as an existing
installation's /var/lib/hearth is: the sandbox, not the directory's mode, must keep code out.

A canary secret is `HEARTHCANARY` followed by 32 hex digits: the attacks grep everything they
read for that shape (an attacker who knows what to look for), and the judge looks for the host's
actual secrets in what came back: the execution's result and its log.
"""

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading

import pytest

from hearth import RUNTIMES, Daemon, create_runtime, execute, make_zip

ATTACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "escape_attacks")
SQLITE_MAGIC = "SQLite format 3"


def token():
    return "HEARTHCANARY" + secrets.token_hex(16)


class Listener:
    """A Unix socket on the host that records who connected (and their first bytes)."""

    def __init__(self, address):
        self.address = address
        self.connections = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(address)
        if not address.startswith("\0"):
            os.chmod(address, 0o777)
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            self.connections.append(data)
            try:
                conn.sendall(b"canary listener\n")
            except OSError:
                pass
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()
        if not self.address.startswith("\0"):
            try:
                os.unlink(self.address)
            except FileNotFoundError:
                pass


class Host:
    """One daemon and everything on its host an attack must not reach."""

    def __init__(self, args=()):
        self.tag = secrets.token_hex(6)
        self.parent = tempfile.mkdtemp(prefix=f"hearth-escape-{self.tag}-")
        os.chmod(self.parent, 0o755)
        self.data_dir = os.path.join(self.parent, "data")
        os.mkdir(self.data_dir)
        os.chmod(self.data_dir, 0o755)
        self.daemon = Daemon(data_dir=self.data_dir, args=["--pool-capacity", "1", *args]).start()
        self.admin = self.daemon.unix()
        self.attacker = self.daemon.unix(project=f"attacker-{self.tag}")
        self.victim = self.daemon.unix(project=f"victim-{self.tag}")
        self.runtimes = {}
        self.cleanup = []
        # The name every attack tries to create, wherever it can.
        self.name = f"hearth-escape-{self.tag}-made"
        self.secrets = {}
        self.listener = self.abstract = None
        try:
            self._canaries()
            self._victim()
        except BaseException:
            self.close()
            raise

    # ---- set-up ---------------------------------------------------------------------------------

    def _canary_file(self, label, path):
        value = token()
        with open(path, "w") as f:
            f.write(f"{label} canary: {value}\n")
        os.chmod(path, 0o644)
        self.secrets[label] = value
        self.cleanup.append(path)
        return path

    def _canaries(self):
        self.data_canary = self._canary_file("data-dir file", os.path.join(self.data_dir, "canary.txt"))
        self.tmp_canary = self._canary_file("host /tmp file", f"/tmp/hearth-canary-{self.tag}.txt")
        self.var_tmp_canary = self._canary_file("host /var/tmp file", f"/var/tmp/hearth-canary-{self.tag}.txt")
        self.shm_canary = self._canary_file("host /dev/shm file", f"/dev/shm/hearth-canary-{self.tag}.txt")
        self.socket_path = f"/tmp/hearth-canary-{self.tag}.sock"
        self.listener = Listener(self.socket_path)
        self.abstract_name = f"hearth-canary-{self.tag}"
        self.abstract = Listener("\0" + self.abstract_name)

    def runtime(self, image):
        if image not in self.runtimes:
            runtime = create_runtime(self.admin, image=image)
            assert runtime["status"] == "available", runtime
            self.runtimes[image] = runtime
        return self.runtimes[image]

    def _victim(self):
        code_secret, log_secret = token(), token()
        self.secrets["victim's code"] = code_secret
        self.secrets["victim's log"] = log_secret
        source = ("def main(say, **kw):\n"
                  "    print('victim says', say)\n"
                  "    return 'victim done'\n")
        package = make_zip({"victim.py": source, "secret.txt": f"victim code secret {code_secret}\n"})
        self.victim_function = self.function(self.victim, "python3", package, "victim.main")
        done = execute(self.victim, self.victim_function["id"], input=json.dumps({"say": log_secret}))
        assert done["status"] == "success", done
        log = self.victim.get(f"/v1/executions/{done['id']}/log").text
        assert log_secret in log  # the secret is in the database now, and nowhere the attacker may look

    def function(self, client, image, package, entry, **fields):
        data = {"runtime_id": self.runtime(image)["id"], "code": json.dumps({"source": "package"}), "entry": entry,
                "timeout": "60", "memory_size": "134217728", "cpu": "300", **fields}
        reply = client.post("/v1/functions", data=data, files={"package": ("code.zip", package)})
        assert reply.status == 201, reply
        function = reply.json
        function["package_md5"] = hashlib.md5(package).hexdigest()
        return function

    # ---- the attack's input -----------------------------------------------------------------

    def code_dir(self, function):
        return os.path.join(self.data_dir, "packages", function["id"], function["package_md5"])

    def targets_to_create(self, function):
        """Host directories where the attack's file must never appear."""
        return [
            "/tmp", "/var/tmp", "/dev/shm", "/", self.parent, self.data_dir,
            os.path.join(self.data_dir, "packages"), os.path.join(self.data_dir, "packages", function["id"]),
            self.code_dir(function), os.path.abspath(RUNTIMES),
        ]

    def spec(self, function, marker):
        """What the attacker knows: every host path that matters (it only lacks the secrets)."""
        victim_dir = self.code_dir(self.victim_function)
        return {
            "marker": marker,
            "name": self.name,
            "data_dir": self.data_dir,
            "read": [os.path.join(self.data_dir, n) for n in ("hearth.sqlite", "hearth.sqlite-wal", "hearth.sqlite-shm",
                                                              "credentials.key", "canary.txt", "hearthd.log")]
                    + [self.tmp_canary, self.var_tmp_canary, self.shm_canary, "/etc/shadow",
                       os.path.join(victim_dir, "secret.txt"), os.path.join(victim_dir, "victim.py"),
                       victim_dir + ".zip", "/proc/1/environ", "/proc/self/mountinfo"],
            "names": ["hearth.sqlite", "hearth.sqlite-wal", "canary.txt", "credentials.key"],
            "create": [os.path.join(d, self.name) for d in self.targets_to_create(function)],
            "connect": [self.socket_path, self.daemon.socket_path],
            "abstract": [self.abstract_name],
            "seconds": 25,
        }

    def spec_lines(self, function, marker):
        spec = self.spec(function, marker)
        lines = [f"marker {marker}", f"name {self.name}"]
        lines += [f"read {t}" for t in spec["read"]] + [f"create {t}" for t in spec["create"]]
        return "\n".join(lines) + "\n"

    def close(self):
        for listener in (self.listener, self.abstract):
            if listener is not None:
                listener.close()
        try:
            self.daemon.stop()
        except Exception:  # a daemon that does not stop in time must not keep the canaries around
            self.daemon.proc.kill()
            self.daemon.proc.wait(timeout=20)
        for path in self.cleanup:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        for directory in ["/tmp", "/var/tmp", "/dev/shm", "/"]:
            try:
                os.unlink(os.path.join(directory, self.name))
            except (FileNotFoundError, IsADirectoryError, PermissionError):
                pass
        shutil.rmtree(self.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def host():
    h = Host()
    yield h
    h.close()


def attack_package(image, own_secret):
    """The hostile function's package for a runtime, with a secret of its own (a positive
    control: reading its own code is allowed, so that token must come back)."""
    mine = {"mine.txt": f"the attacker's own file {own_secret}\n"}
    if image == "python3":
        return make_zip({"attack.py": open(os.path.join(ATTACKS, "attack.py")).read(), **mine}), "attack.main"
    if image == "nodejs":
        return make_zip({"attack.js": open(os.path.join(ATTACKS, "attack.js")).read(), **mine}), "attack.main"
    if image == "shell-python":
        return make_zip({"attack.py": open(os.path.join(ATTACKS, "attack.py")).read(), **mine}), "attack.py"
    if image == "shell":
        return make_zip({"attack.sh": open(os.path.join(ATTACKS, "attack.sh")).read(), **mine}), "attack.sh"
    raise ValueError(image)


class Outcome:
    """One attack's execution, and the host's state after it."""

    def __init__(self, host, function, execution, log, own_secret, marker, before):
        self.host, self.function, self.execution, self.log = host, function, execution, log
        self.own_secret, self.marker, self.before = own_secret, marker, before
        self.result = execution["result"] or ""
        self.text = self.result + "\n" + log


def host_listings(host, function):
    listings = {}
    for directory in host.targets_to_create(function):
        try:
            listings[directory] = set(os.listdir(directory))
        except OSError:
            listings[directory] = None
    return listings


def run_attack(host, image, runtime_image=None):
    own_secret = token()
    package, entry = attack_package(image, own_secret)
    function = host.function(host.attacker, runtime_image or image, package, entry)
    marker = f"attack-{image}-{secrets.token_hex(4)}"
    before = host_listings(host, function)
    connections_before = (len(host.listener.connections), len(host.abstract.connections))
    if image == "shell":
        payload = json.dumps(host.spec_lines(function, marker))
    else:
        payload = json.dumps(host.spec(function, marker))
    execution = execute(host.attacker, function["id"], input=payload)
    log_reply = host.attacker.get(f"/v1/executions/{execution['id']}/log")
    outcome = Outcome(host, function, execution, log_reply.text if log_reply.status == 200 else "", own_secret, marker, before)
    outcome.connections_before = connections_before
    return outcome


# ---- the judge ----------------------------------------------------------------------------------


def host_only_directories(host, function):
    """Directories of the host a sandbox must never reach (its own code directory it may)."""
    victim = host.victim_function
    paths = {
        "the data directory": host.data_dir,
        "packages/": os.path.join(host.data_dir, "packages"),
        "the attacker's packages/<function>/ (the parent of its code)": os.path.join(host.data_dir, "packages", function["id"]),
        "the victim's packages/<function>/": os.path.join(host.data_dir, "packages", victim["id"]),
        "the victim's unpacked code": host.code_dir(victim),
        "the data directory's parent": host.parent,
        "host /tmp": "/tmp", "host /var/tmp": "/var/tmp", "host /dev/shm": "/dev/shm", "host /": "/",
        "host /proc": "/proc", "host /etc": "/etc", "host /root": "/root",
    }
    result = {}
    for label, path in paths.items():
        try:
            st = os.stat(path)
        except OSError:
            continue
        result[(st.st_dev, st.st_ino)] = f"{label} ({path})"
    return result


def ran(outcome):
    """The attack ran to its end and could read its own code: the judgement below is not vacuous."""
    assert outcome.marker in outcome.result, outcome.execution
    assert "hearth-escape-attack" in outcome.result, outcome.execution
    assert outcome.own_secret in outcome.result, "the attack could not even read its own package: " + outcome.result[:2000]


def leaked_secrets(outcome):
    return sorted(label for label, value in outcome.host.secrets.items() if value in outcome.text)


def reached_directories(outcome):
    """Host directories whose identity the attack reported, with the route that reached each."""
    forbidden = host_only_directories(outcome.host, outcome.function)
    found = set()
    for dev, ino, route in re.findall(r'dir:(\d+):(\d+) ?([^"\n\\]*)', outcome.text):
        key = (int(dev), int(ino))
        if key in forbidden:
            found.add(f"{forbidden[key]} via {route.strip()[:160]}")
    return sorted(found)


def leaked_names(outcome):
    """Host names that only a view of the host's directories (or a descriptor's host path) shows."""
    host = outcome.host
    names = {
        "hearth.sqlite": "hearth.sqlite",
        os.path.basename(host.parent): "the data directory's path",
        f"hearth-canary-{host.tag}": "a canary's name in host /tmp",
        host.victim_function["id"]: "the victim function's id",
        SQLITE_MAGIC: "the database's contents",
    }
    try:
        shadow_line = open("/etc/shadow").readline().strip()
        if shadow_line:
            names[shadow_line] = "/etc/shadow's first line"
    except OSError:
        pass
    return sorted(f"{label} ({name!r})" for name, label in names.items() if name in outcome.text)


def files_made_on_the_host(outcome):
    """The attack's file in any host directory it aimed at, and anything new in its own code
    directory or the runtimes directory (both read-only to it)."""
    made = []
    for directory, before in outcome.before.items():
        if os.path.exists(os.path.join(directory, outcome.host.name)):
            made.append(os.path.join(directory, outcome.host.name))
        if before is not None and directory in (outcome.host.code_dir(outcome.function), os.path.abspath(RUNTIMES)):
            made += [os.path.join(directory, n) for n in set(os.listdir(directory)) - before]
    return sorted(set(made))


def socket_connections(outcome):
    path_before, abstract_before = outcome.connections_before
    return {"host /tmp socket": outcome.host.listener.connections[path_before:],
            "host abstract socket": outcome.host.abstract.connections[abstract_before:]}


def nothing(found, what):
    """Assert that `found` is empty, naming every item otherwise (they are the escapes)."""
    if isinstance(found, dict):
        found = [f"{k}: {v!r}" for k, values in found.items() for v in values]
    assert not found, f"{what}:\n  " + "\n  ".join(str(item) for item in found)
