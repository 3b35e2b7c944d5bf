"""What an idle hearthd holds, read from /proc: its RSS (just started, then with a runtime's
generic workers warm) and its thread count with 64 warm workers (a daemon started with
--pool-capacity 64, the default max_workers), with how long the 64 took to be ready. Starts
its own hearthds (HEARTHD) on scratch data dirs. Run alone it prints one JSON line."""

import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "integration"))
os.environ.setdefault("HEARTHD", os.path.join(os.path.dirname(__file__), "..", ".build", "release", "hearthd"))
import hearth  # noqa: E402
from client import children, status_field  # noqa: E402

SETTLE_SECONDS = 2.0
WARM_WORKERS = 64


def runtime_ready(client, workers, timeout=180):
    """Creates a python3 runtime and waits until `workers` generic workers are available:
    the seconds that took."""
    started = time.perf_counter()
    reply = client.post("/v1/runtimes", json={"image": "python3"})
    assert reply.status == 201, reply
    runtime_id = reply.json["id"]
    deadline = time.time() + timeout
    while client.get(f"/v1/runtimes/{runtime_id}/pool").json["capacity"]["available"] < workers:
        assert time.time() < deadline, f"{workers} workers not warm in {timeout} s"
        time.sleep(0.01)
    return time.perf_counter() - started


def idle_rss():
    daemon = hearth.Daemon(data_dir=tempfile.mkdtemp(prefix="hearth-bench-")).start()
    try:
        time.sleep(SETTLE_SECONDS)
        started_kb = status_field(daemon.proc.pid, "VmRSS")
        launcher = children(daemon.proc.pid, "hearth-launcher")
        runtime_seconds = runtime_ready(daemon.unix(), 3)
        time.sleep(SETTLE_SECONDS)
        warm_kb = status_field(daemon.proc.pid, "VmRSS")
        return {"started_mb": started_kb / 1024, "with_runtime_mb": warm_kb / 1024,
                "launcher_mb": status_field(launcher[0], "VmRSS") / 1024 if launcher else None,
                "runtime_3_workers_s": runtime_seconds}
    finally:
        daemon.stop()


def warm_threads():
    daemon = hearth.Daemon(data_dir=tempfile.mkdtemp(prefix="hearth-bench-"),
                           args=["--pool-capacity", str(WARM_WORKERS), "--max-workers", str(WARM_WORKERS)]).start()
    try:
        seconds = runtime_ready(daemon.unix(), WARM_WORKERS)
        time.sleep(SETTLE_SECONDS)
        return {"workers": WARM_WORKERS, "threads": status_field(daemon.proc.pid, "Threads"),
                "rss_mb": status_field(daemon.proc.pid, "VmRSS") / 1024, "ready_s": seconds}
    finally:
        daemon.stop()


def measure():
    return {"idle_rss": idle_rss(), "warm": warm_threads()}


def print_rows(report):
    rss, warm = report["idle_rss"], report["warm"]
    print(f"\nhearthd idle RSS: {rss['started_mb']:.1f} MB just started, {rss['with_runtime_mb']:.1f} MB with a runtime's 3 workers warm"
          + (f" (hearth-launcher {rss['launcher_mb']:.1f} MB)" if rss["launcher_mb"] is not None else ""))
    print(f"with {warm['workers']} warm workers: {warm['threads']} threads, RSS {warm['rss_mb']:.1f} MB; "
          f"the {warm['workers']} were ready {warm['ready_s']:.2f} s after the runtime was created")


if __name__ == "__main__":
    result = measure()
    print_rows(result)
    print(json.dumps({"footprint": result}))
