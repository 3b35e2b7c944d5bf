"""A Python client of hearth-launcher's wire format (Sources/hearth-launcher/PROTOCOL.md), for
tests that drive the launcher directly over its socketpair, as hearthd does."""

import array
import os
import select
import socket
import struct
import subprocess
import time

from hearth import HEARTHD

LAUNCHER = os.path.join(os.path.dirname(HEARTHD), "hearth-launcher")
INIT = os.path.join(os.path.dirname(HEARTHD), "hearth-init")

MAGIC = 0x4C485448
REGISTER_FILTER, SEAL, SPAWN, KILL, SET_LIMITS, CLONE_TREE = 1, 2, 3, 4, 5, 6
ANSWER, EXIT = 0x81, 0x82
FD_STDIN, FD_STDOUT, FD_STDERR, FD_CONTROL = 1, 2, 4, 8
OPT_HOST_NETWORK = 1

# One BPF instruction: return SECCOMP_RET_ALLOW. Enough to prove the registration path; the
# real profiles are compiled by hearthd with libseccomp.
ALLOW_ALL = struct.pack("<HBBI", 0x06, 0, 0, 0x7FFF0000)


def header(kind, tag, body_size, magic=MAGIC, flags=0, length=None):
    return struct.pack("<IHHII", magic, kind, flags, HEADER + body_size if length is None else length, tag)


HEADER = 16


def record(kind, tag, body=b""):
    return header(kind, tag, len(body)) + body


def string(text):
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("<H", len(data)) + data


def system_binds():
    """What SandboxSpec.systemBinds gives every sandbox: /usr, the merged-/usr links as the host
    has them, the dynamic linker's cache and the time zone."""
    binds, links = [("/usr", "/usr")], []
    for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]:
        if os.path.islink(top):
            links.append((os.readlink(top), top))
        elif os.path.exists(top):
            binds.append((top, top))
    for path in ["/etc/ld.so.cache", "/etc/localtime"]:
        if os.path.exists(path):
            binds.append((path, path))
    return binds, links


def allowed_roots(extra=()):
    binds, _ = system_binds()
    return [source for source, _ in binds] + list(extra)


def spawn_body(argv, *, binds=None, symlinks=None, fds=0, options=0, filter=0, pids=16, memory=64 << 20,
               millicpu=1000, tmp_size=1 << 20, code_size=0, code_dir="", rlimits=(), env=("PATH=/usr/bin:/bin",),
               hostname="hearth", cwd="/", path=None, reserved=(0, 0)):
    default_binds, default_links = system_binds()
    binds = default_binds if binds is None else binds
    symlinks = default_links if symlinks is None else symlinks
    body = struct.pack("<IIIIQIIQQHHHHHH", fds, options, filter, pids, memory, millicpu, reserved[0], tmp_size, code_size,
                       len(binds), len(symlinks), len(rlimits), len(argv), len(env), reserved[1])
    body += string(hostname) + string(cwd) + string(code_dir) + string(path or argv[0])
    for source, target in binds:
        body += string(source) + string(target)
    for target, link in symlinks:
        body += string(target) + string(link)
    for resource, soft, hard in rlimits:
        body += struct.pack("<IIQQ", resource, 0, soft, hard)
    for item in list(argv) + list(env):
        body += string(item)
    return body


class Answer:
    def __init__(self, data, fds):
        self.tag = struct.unpack_from("<I", data, 12)[0]
        self.error, self.step, self.id, self.pid, self.uid, length = struct.unpack_from("<iIQiIH", data, 16)
        self.reason = data[42:42 + length].decode(errors="replace")
        self.fds = fds

    def __repr__(self):
        return f"Answer(tag={self.tag}, error={self.error}, step={self.step}, id={self.id}, pid={self.pid}, reason={self.reason!r})"


class Exit:
    def __init__(self, data):
        self.id, self.exited, self.status, self.oom, _, self.peak = struct.unpack_from("<QIiIIq", data, 16)


class Launcher:
    """A hearth-launcher on a socketpair of our own."""

    def __init__(self, packages, roots=None, uid_range="610000:64", extra=()):
        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        args = [LAUNCHER, "--socket-fd", str(theirs.fileno()), "--init", INIT, "--packages", packages,
                "--uid-range", uid_range, *extra]
        for root in (roots if roots is not None else allowed_roots()):
            args += ["--allow", root]
        self.process = subprocess.Popen(args, pass_fds=[theirs.fileno()], stderr=subprocess.PIPE)
        theirs.close()
        self.tag = 0
        self.exits = {}

    def send(self, data, fds=()):
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        self.socket.sendmsg([data], ancillary)

    def receive(self, timeout=10):
        ready, _, _ = select.select([self.socket], [], [], timeout)
        assert ready, "the launcher did not answer in time"
        data, ancillary, _, _ = self.socket.recvmsg(65536, socket.CMSG_SPACE(4 * 4))
        assert data, "the launcher closed its socket"
        fds = []
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += array.array("i", payload[: len(payload) - len(payload) % 4]).tolist()
        kind = struct.unpack_from("<H", data, 4)[0]
        if kind == EXIT:
            event = Exit(data)
            self.exits[event.id] = event
            return None
        assert kind == ANSWER, data
        return Answer(data, fds)

    def next_answer(self, timeout=10):
        while True:
            answer = self.receive(timeout)
            if answer is not None:
                return answer

    def request(self, kind, body=b"", fds=()):
        self.tag += 1
        self.send(record(kind, self.tag, body), fds)
        answer = self.next_answer()
        assert answer.tag == self.tag, answer
        return answer

    def register_allow_all(self):
        answer = self.request(REGISTER_FILTER, struct.pack("<I", 1) + ALLOW_ALL)
        assert answer.error == 0, answer
        return answer.id

    def seal(self):
        answer = self.request(SEAL)
        assert answer.error == 0, answer

    def spawn(self, argv, fds=(), **kwargs):
        mask = kwargs.pop("fds_mask", None)
        if mask is None:
            mask = [0, FD_STDOUT, FD_STDOUT | FD_STDERR, FD_STDOUT | FD_STDERR | FD_CONTROL][len(fds)]
        return self.request(SPAWN, spawn_body(argv, fds=mask, **kwargs), fds)

    def wait_exit(self, sandbox, timeout=20):
        deadline = time.monotonic() + timeout
        while sandbox not in self.exits:
            left = deadline - time.monotonic()
            assert left > 0, f"no exit event for sandbox {sandbox}"
            answer = self.receive(left)
            assert answer is None, f"an answer nobody asked for: {answer}"
        return self.exits.pop(sandbox)

    def alive(self):
        return self.process.poll() is None

    def close(self, timeout=20):
        self.socket.close()
        try:
            self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        return self.process.stderr.read().decode()
