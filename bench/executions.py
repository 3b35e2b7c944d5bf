"""Sync executions through the API: throughput and latency with N concurrent keep-alive clients
over the Unix socket and over TCP (with a real token), the daemon's CPU per execution, and the
first call of a new function, each next to baselines measured in the same run by the same
clients (client.py):

- functions-framework (local_runner.py): the same empty function, no sandbox, no store;
- client floor: GET /v1/ (no store, no worker), as fast as these clients can go against hearthd;
- python3 per call: the function run by a `python3 -I -S` started per call (1 client), what a
  FaaS without warm workers pays at best.

The function may use one whole core (cpu 1000 millicpu, the daemon started to allow it), as
the runner's one process can: at Qinling's default of 100 millicpu the kernel stops an empty
function for ~35 ms of every 100 ms once it has made ~700 calls in them, which is the
function's limit being kept, not the daemon's speed.

Starts its own hearthd (HEARTHD, default the release build) on a scratch data dir. Run alone it
prints its rows, then one JSON line; bench/run.py runs it with the rest and judges the targets.
BENCH_SECONDS (default 5) is the length of each row, BENCH_CLIENTS (default 1,4,16) the client
counts."""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "integration"))
os.environ.setdefault("HEARTHD", os.path.join(os.path.dirname(__file__), "..", ".build", "release", "hearthd"))
import hearth  # noqa: E402
from client import SECONDS, Connection, children, concurrent, http_client, http_request, percentile  # noqa: E402
from local_runner import FunctionsFramework  # noqa: E402

CLIENTS = [int(n) for n in os.environ.get("BENCH_CLIENTS", "1,4,16").split(",")]
COLD_CALLS = int(os.environ.get("BENCH_COLD_CALLS", "8"))
PYTHON3 = os.environ.get("PYTHON3", "/usr/bin/python3")
EMPTY_PY = "def main(**kwargs):\n    return None\n"
CPU = 1000  # millicpu of every function: one core


def python3_client(code, start_at, results):
    """One client process running the function in a fresh `python3` per call."""
    latencies = []
    time.sleep(max(0, start_at - time.time()))
    end = start_at + SECONDS
    while time.time() < end:
        started = time.perf_counter()
        subprocess.run([PYTHON3, "-I", "-S", "-c", code], check=True, stdout=subprocess.DEVNULL)
        latencies.append((time.perf_counter() - started) * 1e6)
    results.put((latencies, 0, 0))


def daemon_pids(daemon):
    """hearthd and its hearth-launcher: the CPU both spend is the daemon's (the workers' is not)."""
    return [daemon.proc.pid] + children(daemon.proc.pid, "hearth-launcher")


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


def measure():
    daemon = hearth.Daemon(data_dir=tempfile.mkdtemp(prefix="hearth-bench-"), args=["--cpu-limits", f"100:{CPU}:{CPU}"]).start()
    runner = FunctionsFramework().start()
    report = {"seconds_per_row": SECONDS}
    try:
        admin = daemon.unix()
        token = daemon.create_token("bench", admin=True)
        runtime = hearth.create_runtime(admin)
        function = hearth.create_function(admin, runtime["id"], files={"empty.py": EMPTY_PY}, entry="empty.main")
        package = tempfile.mkdtemp(prefix="hearth-bench-py-")
        with open(os.path.join(package, "empty.py"), "w") as f:
            f.write(EMPTY_PY)
        per_call = f"import sys; sys.path.insert(0, {package!r}); import empty; empty.main()"

        pids = daemon_pids(daemon)
        execute = json.dumps({"function_id": function["id"], "sync": True}).encode()
        transports = {
            "unix": (("unix", daemon.socket_path), None),
            "tcp": (("tcp", ("127.0.0.1", daemon.port)), token),
        }
        rows = {}
        for clients in CLIENTS:
            row = {}
            for name, (address, secret) in transports.items():
                row[name] = concurrent(clients, http_client, (address, http_request("POST", "/v1/executions", execute, secret), (201, b'"status": "success"')), pids)
                row[f"{name}_floor"] = concurrent(clients, http_client, (address, http_request("GET", "/v1/", token=secret), (200, b"")), pids)
            # The same body the executions carry, to the runner's one route.
            row["functions_framework"] = concurrent(clients, http_client, (runner.address, http_request("POST", "/", execute), (200, b"")), runner.pids)
            if clients == CLIENTS[0]:
                row["python3_per_call"] = concurrent(clients, python3_client, (per_call,))
            rows[str(clients)] = row
        report["sync"] = rows
        report["cold"] = cold_calls(admin, runtime["id"], daemon.socket_path)
    finally:
        runner.stop()
        daemon.stop()
    return report


ROWS = [("unix", "Hearth, unix socket"), ("unix_floor", "  client floor GET /v1/"),
        ("tcp", "Hearth, tcp + token"), ("tcp_floor", "  client floor GET /v1/"),
        ("functions_framework", "functions-framework"), ("python3_per_call", "python3 started per call")]


def print_rows(report):
    print(f"\nSync executions of an empty python3 function, warm workers, {report['seconds_per_row']:g} s per row")
    print(f"{'':28}{'clients':>8}{'calls/s':>10}{'p50 µs':>10}{'p99 µs':>10}{'server CPU/call':>17}{'failures':>10}")
    for clients, row in report["sync"].items():
        for name, label in ROWS:
            if name not in row:
                continue
            r = row[name]
            cpu = f"{r['server_cpu_us_per_call']:.0f} µs" if r["server_cpu_us_per_call"] is not None else "-"
            print(f"{label:28}{clients:>8}{r['per_second']:>10.0f}{r['p50_us']:>10.0f}{r['p99_us']:>10.0f}{cpu:>17}{r['failures']:>10}")
        ff = row["functions_framework"]
        for name in ("unix", "tcp"):
            r = row[name]
            print(f"  {name}: {r['per_second'] / ff['per_second']:.2f}x the calls/s of functions-framework, "
                  f"{r['per_second'] / row[name + '_floor']['per_second']:.0%} of the client floor's")
    cold = report["cold"]
    print(f"first call of a new function through the API: p50 {cold['p50_ms']:.2f} ms, max {cold['max_ms']:.2f} ms over {cold['calls']}")


if __name__ == "__main__":
    result = measure()
    print_rows(result)
    print(json.dumps({"executions": result}))
