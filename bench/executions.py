"""Sync executions through the API: latency and throughput with N concurrent keep-alive clients
over the Unix socket and over TCP (with a real token), and the first call of a new function,
each next to baselines measured in the same run:

- client floor: GET /v1/ (no store, no worker) with the same clients, which is as fast as these
  clients can go against this daemon on this machine;
- python3 per call: the same empty function run by a `python3 -I -S` started per call, which is
  what a FaaS without warm workers pays at best.

Every client is its own process with one keep-alive connection and a minimal HTTP/1.1 client,
so that at high rates the numbers are the daemon's rather than Python's `http.client`. The
clients share the machine's cores with the daemon and its workers, as the client floor shows.
Starts its own hearthd (HEARTHD, default the release build) on a scratch data dir. Prints a
table, then one JSON line. BENCH_SECONDS (default 3) is the length of each measurement."""

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "integration"))
os.environ.setdefault("HEARTHD", os.path.join(os.path.dirname(__file__), "..", ".build", "release", "hearthd"))
import hearth  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CLIENTS = [int(n) for n in os.environ.get("BENCH_CLIENTS", "1,4,16").split(",")]
COLD_CALLS = int(os.environ.get("BENCH_COLD_CALLS", "8"))
PYTHON3 = os.environ.get("PYTHON3", "/usr/bin/python3")
EMPTY_PY = "def main(**kwargs):\n    return None\n"
# DESIGN.md, "Performance".
TARGETS = {"p50_us": 250, "p99_us": 1000, "per_second": 5000, "cold_ms": 5}


class Connection:
    """One keep-alive HTTP/1.1 connection; responses must carry Content-Length (hearthd's do)."""

    def __init__(self, address):
        kind, where = address
        if kind == "unix":
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(where)
        else:
            self.sock = socket.create_connection(where)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def call(self, request):
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
            raise ConnectionError("hearthd closed the connection")
        self.buffer += data


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
    for _ in range(50):
        connection.call(request)
    latencies, failures = [], 0
    time.sleep(max(0, start_at - time.time()))
    end = start_at + SECONDS
    while time.time() < end:
        started = time.perf_counter()
        status, body = connection.call(request)
        latencies.append((time.perf_counter() - started) * 1e6)
        if status != expect[0] or expect[1] not in body:
            failures += 1
    results.put((latencies, failures))


def python3_client(code, start_at, results):
    """One client process running the function in a fresh `python3` per call."""
    latencies = []
    time.sleep(max(0, start_at - time.time()))
    end = start_at + SECONDS
    while time.time() < end:
        started = time.perf_counter()
        subprocess.run([PYTHON3, "-I", "-S", "-c", code], check=True, stdout=subprocess.DEVNULL)
        latencies.append((time.perf_counter() - started) * 1e6)
    results.put((latencies, 0))


def process_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def concurrent(clients, target, args, daemon_pid=None):
    """Runs `clients` processes of `target` at once: latencies, calls per second, failures and
    daemon CPU time per call."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 1.0 + 0.05 * clients
    processes = [context.Process(target=target, args=(*args, start_at, results)) for _ in range(clients)]
    for process in processes:
        process.start()
    time.sleep(max(0, start_at - time.time()))
    cpu_before = process_cpu_seconds(daemon_pid) if daemon_pid else 0
    gathered = [results.get(timeout=SECONDS + 120) for _ in processes]
    cpu_after = process_cpu_seconds(daemon_pid) if daemon_pid else 0
    for process in processes:
        process.join()
    latencies = [value for values, _ in gathered for value in values]
    calls = len(latencies)
    return {
        "clients": clients, "calls": calls, "per_second": calls / SECONDS,
        "p50_us": percentile(latencies, 0.5), "p99_us": percentile(latencies, 0.99),
        "failures": sum(failures for _, failures in gathered),
        "daemon_cpu_us_per_call": (cpu_after - cpu_before) * 1e6 / calls if daemon_pid and calls else None,
    }


def cold_calls(client, runtime_id, socket_path):
    """First call of new functions, each on an idle generic worker, over a keep-alive
    connection of the Unix socket."""
    connection = Connection(("unix", socket_path))
    times = []
    for _ in range(COLD_CALLS):
        function = hearth.create_function(client, runtime_id, files={"empty.py": EMPTY_PY}, entry="empty.main")
        request = http_request("POST", "/v1/executions", json.dumps({"function_id": function["id"]}).encode())
        time.sleep(1.0)  # the pool refills its generic workers in the background
        started = time.perf_counter()
        status, body = connection.call(request)
        times.append((time.perf_counter() - started) * 1e3)
        execution = json.loads(body)
        assert status == 201 and execution["status"] == "success" and json.loads(execution["result"])["cold"] is True, body
    return {"calls": len(times), "p50_ms": percentile(times, 0.5), "max_ms": max(times)}


def main():
    daemon = hearth.Daemon(data_dir=tempfile.mkdtemp(prefix="hearth-bench-")).start()
    report = {"seconds_per_row": SECONDS, "targets": TARGETS}
    try:
        admin = daemon.unix()
        token = daemon.create_token("bench", admin=True)
        runtime = hearth.create_runtime(admin)
        function = hearth.create_function(admin, runtime["id"], files={"empty.py": EMPTY_PY}, entry="empty.main")
        package = tempfile.mkdtemp(prefix="hearth-bench-py-")
        with open(os.path.join(package, "empty.py"), "w") as f:
            f.write(EMPTY_PY)
        per_call = f"import sys; sys.path.insert(0, {package!r}); import empty; empty.main()"

        execute = json.dumps({"function_id": function["id"], "sync": True}).encode()
        transports = {
            "unix": (("unix", daemon.socket_path), None),
            "tcp": (("tcp", ("127.0.0.1", daemon.port)), token),
        }
        rows = {}
        for clients in CLIENTS:
            row = {}
            for name, (address, secret) in transports.items():
                row[name] = concurrent(clients, http_client, (address, http_request("POST", "/v1/executions", execute, secret), (201, b'"status": "success"')), daemon.proc.pid)
                row[f"{name}_floor"] = concurrent(clients, http_client, (address, http_request("GET", "/v1/", token=secret), (200, b"")), daemon.proc.pid)
            row["python3_per_call"] = concurrent(clients, python3_client, (per_call,))
            rows[clients] = row
        report["sync"] = {str(n): row for n, row in rows.items()}
        report["cold"] = cold_calls(admin, runtime["id"], daemon.socket_path)
    finally:
        daemon.stop()
    print_table(report)
    print(json.dumps({"executions": report}))


def print_table(report):
    print(f"Sync executions of an empty python3 function, warm workers, {report['seconds_per_row']:g} s per row "
          f"(targets: p50 ≤ {TARGETS['p50_us']} µs, p99 ≤ {TARGETS['p99_us']} µs, ≥ {TARGETS['per_second']}/s)")
    print(f"{'':28}{'clients':>8}{'calls/s':>10}{'p50 µs':>10}{'p99 µs':>10}{'daemon CPU/call':>17}{'failures':>10}")
    for clients, row in report["sync"].items():
        baseline = row["python3_per_call"]
        for name, label in [("unix", "execution, unix socket"), ("unix_floor", "  client floor GET /v1/"),
                            ("tcp", "execution, tcp + token"), ("tcp_floor", "  client floor GET /v1/"),
                            ("python3_per_call", "python3 started per call")]:
            r = row[name]
            cpu = f"{r['daemon_cpu_us_per_call']:.0f} µs" if r["daemon_cpu_us_per_call"] is not None else "-"
            print(f"{label:28}{clients:>8}{r['per_second']:>10.0f}{r['p50_us']:>10.0f}{r['p99_us']:>10.0f}{cpu:>17}{r['failures']:>10}")
        for name in ("unix", "tcp"):
            r = row[name]
            print(f"  {name}: {r['per_second'] / baseline['per_second']:.1f}x the calls/s of python3 per call, "
                  f"p50 {baseline['p50_us'] / r['p50_us']:.1f}x lower; {r['per_second'] / row[name + '_floor']['per_second']:.0%} of the client floor's calls/s")
    cold = report["cold"]
    baseline = report["sync"][next(iter(report["sync"]))]["python3_per_call"]
    print(f"first call of a new function on an idle generic worker: p50 {cold['p50_ms']:.2f} ms, max {cold['max_ms']:.2f} ms "
          f"over {cold['calls']} (target ≤ {TARGETS['cold_ms']} ms; python3 per call p50 {baseline['p50_us'] / 1e3:.2f} ms, "
          f"ratio {cold['p50_ms'] * 1e3 / baseline['p50_us']:.2f})")


if __name__ == "__main__":
    main()
