"""The baseline Hearth's throughput is a ratio against: Google's functions-framework (Flask on
gunicorn, one warm process, no sandbox, no store), the runner a Python developer already uses
to test a function locally, serving an empty function on a loopback port with its defaults
(`functions-framework --target main`)."""

import os
import socket
import subprocess
import sys
import tempfile
import time

from client import children

VERSION = "3.10.2"  # the Makefile's BENCH_PIP_PACKAGES installs this one
EMPTY = "def main(request):\n    return ''\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FunctionsFramework:
    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="hearth-bench-ff-")
        with open(os.path.join(self.directory, "main.py"), "w") as f:
            f.write(EMPTY)
        self.port = free_port()
        self.proc = None

    def start(self, timeout=30):
        # The console script beside the interpreter running the bench: the bench's venv.
        command = os.path.join(os.path.dirname(sys.executable), "functions-framework")
        self.proc = subprocess.Popen([command, "--target", "main", "--source", os.path.join(self.directory, "main.py"),
                                      "--host", "127.0.0.1", "--port", str(self.port)],
                                     cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"functions-framework did not start (exit {self.proc.poll()}); is it installed in {sys.prefix}?")
                time.sleep(0.05)
        return self

    @property
    def address(self):
        return ("tcp", ("127.0.0.1", self.port))

    @property
    def pids(self):
        """gunicorn's arbiter and its worker: the CPU they spend is the runner's."""
        return [self.proc.pid] + children(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
