"""The one load driver every HTTP case of the bench uses, Hearth's and its baselines' alike:
N client processes, each with one keep-alive connection and a minimal HTTP/1.1 client, so that
at high rates the numbers are the server's rather than Python's `http.client`. The clients share
the machine's cores with the server, as the client floor rows show. Also the /proc readers the
bench needs (CPU time, RSS, threads, children)."""

import multiprocessing
import os
import socket
import time

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
WARMUP_CALLS = 50


class Connection:
    """One keep-alive HTTP/1.1 connection; responses must carry Content-Length (hearthd's and
    gunicorn's do). A server that closes an idle keep-alive connection (gunicorn does after 2 s)
    is reconnected to once, and counted, rather than failing the call."""

    def __init__(self, address):
        self.address = address
        self.reconnects = 0
        self._connect()

    def _connect(self):
        kind, where = self.address
        if kind == "unix":
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(where)
        else:
            self.sock = socket.create_connection(where)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def call(self, request):
        try:
            return self._call(request)
        except ConnectionError:
            if self.buffer:
                raise
            self.sock.close()
            self.reconnects += 1
            self._connect()
            return self._call(request)

    def _call(self, request):
        self.sock.sendall(request)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._receive()
        head = self.buffer[:end]
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        assert length is not None, head
        total = end + 4 + length
        while len(self.buffer) < total:
            self._receive()
        status, body = int(head[9:12]), self.buffer[end + 4:total]
        self.buffer = self.buffer[total:]
        return status, body

    def _receive(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data

    def close(self):
        self.sock.close()


def http_request(method, path, body=b"", token=None):
    head = f"{method} {path} HTTP/1.1\r\nHost: hearth\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    if token:
        head += f"X-Auth-Token: {token}\r\n"
    return (head + "\r\n").encode() + body


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int((len(values) - 1) * p))] if values else float("nan")


def http_client(address, request, expect, start_at, results):
    """One client process: warm up, then call back to back for SECONDS from start_at."""
    connection = Connection(address)
    for _ in range(WARMUP_CALLS):
        if time.time() >= start_at:  # a slow server: measure from the same moment as the others
            break
        connection.call(request)
    connection.reconnects = 0
    latencies, failures = [], 0
    time.sleep(max(0, start_at - time.time()))
    end = start_at + SECONDS
    while time.time() < end:
        started = time.perf_counter()
        try:
            status, body = connection.call(request)
            ok = status == expect[0] and expect[1] in body
        except (ConnectionError, OSError, AssertionError):
            ok = False
            connection = Connection(address)
        latencies.append((time.perf_counter() - started) * 1e6)
        failures += not ok
    results.put((latencies, failures, connection.reconnects))


def cpu_seconds(pid):
    """utime + stime of every thread of `pid` (not of its children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_field(pid, name):
    """A field of /proc/<pid>/status as an int (VmRSS in kB, Threads)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise KeyError(name)


def children(pid, name=None):
    """Processes whose parent is `pid` (optionally only those whose comm is `name`)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and (name is None or comm == name):
            found.append(int(entry))
    return found


def concurrent(clients, target, args, server_pids=()):
    """Runs `clients` processes of `target` at once: calls per second, latencies, failures and
    the CPU time `server_pids` spent per call over the measured window."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 1.0 + 0.05 * clients
    processes = [context.Process(target=target, args=(*args, start_at, results)) for _ in range(clients)]
    for process in processes:
        process.start()
    time.sleep(max(0, start_at - time.time()))
    cpu_before = sum(cpu_seconds(pid) for pid in server_pids)
    gathered = [results.get(timeout=SECONDS + 120) for _ in processes]
    cpu_after = sum(cpu_seconds(pid) for pid in server_pids)
    for process in processes:
        process.join()
    latencies = [value for values, _, _ in gathered for value in values]
    calls = len(latencies)
    return {
        "clients": clients, "calls": calls, "per_second": calls / SECONDS,
        "p50_us": percentile(latencies, 0.5), "p99_us": percentile(latencies, 0.99),
        "failures": sum(g[1] for g in gathered), "reconnects": sum(g[2] for g in gathered),
        "server_cpu_us_per_call": (cpu_after - cpu_before) * 1e6 / calls if server_pids and calls else None,
    }
