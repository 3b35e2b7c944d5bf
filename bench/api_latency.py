"""Warm sync execution latency through the API, next to the floor of an HTTP round trip
measured with the same client in the same run. Starts its own hearthd (HEARTHD, default the
release build) on a scratch data dir. Prints a table, then one JSON line."""

import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "integration"))
import hearth  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "2000"))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int((len(values) - 1) * p))]


def timed(connection, method, path, body=None, headers=None):
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    assert response.status < 300, (response.status, data)
    return elapsed * 1e6


def measure(connection, method, path, body=None, headers=None):
    for _ in range(200):
        timed(connection, method, path, body, headers)
    return [timed(connection, method, path, body, headers) for _ in range(CALLS)]


def main():
    daemon = hearth.Daemon(data_dir=tempfile.mkdtemp(prefix="hearth-bench-"), args=["--pool-capacity", "2"], auth=False).start()
    results = {}
    try:
        admin = daemon.unix()
        runtime = hearth.create_runtime(admin)
        function = hearth.create_function(admin, runtime["id"], files={"empty.py": "def main(**kwargs):\n    return None\n"}, entry="empty.main")
        body = json.dumps({"function_id": function["id"], "sync": True})
        headers = {"Content-Type": "application/json"}
        for name, connection in [("unix", hearth._UnixConnection(daemon.socket_path)),
                                 ("tcp", __import__("http.client").client.HTTPConnection("127.0.0.1", daemon.port))]:
            floor = measure(connection, "GET", "/v1/")
            calls = measure(connection, "POST", "/v1/executions", body, headers)
            results[name] = {
                "http_round_trip_p50_us": percentile(floor, 0.5), "http_round_trip_p99_us": percentile(floor, 0.99),
                "sync_execution_p50_us": percentile(calls, 0.5), "sync_execution_p99_us": percentile(calls, 0.99),
            }
            print(f"{name:5} sync execution p50 {percentile(calls, 0.5):8.0f} µs  p99 {percentile(calls, 0.99):8.0f} µs"
                  f"   baseline GET /v1/ p50 {percentile(floor, 0.5):6.0f} µs  p99 {percentile(floor, 0.99):6.0f} µs"
                  f"   (ratio p50 {percentile(calls, 0.5) / percentile(floor, 0.5):.1f})")
            connection.close()
    finally:
        daemon.stop()
    print(json.dumps({"api_latency": results, "calls": CALLS}))


if __name__ == "__main__":
    main()
