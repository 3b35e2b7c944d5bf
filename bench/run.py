"""`make bench`: every measurement, then issue 12's targets judged against them. In order:
hearth-bench (HEARTH_BENCH, the sandbox and the pool without the API; empty to skip), the
sync executions through the API next to functions-framework (executions.py), and the daemon's
footprint (footprint.py). Prints each part's rows, the targets table, then one JSON line with
everything (also written to BENCH_JSON if set). Always exits 0 once everything was measured:
a MISS is a result, not an error."""

import json
import os
import subprocess
import sys

import executions
import footprint
import targets

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def hearth_bench():
    """Runs hearth-bench, passing its table through: its JSON line (last) as a dict."""
    binary = os.environ.get("HEARTH_BENCH", os.path.join(ROOT, ".build", "release", "hearth-bench"))
    if not binary:
        return {}
    print("Sandbox and pool, in process and through hearth-launcher (hearth-bench)")
    process = subprocess.run([binary, ROOT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = process.stdout.strip().splitlines()
    if process.returncode != 0 or not lines:
        # The API rows do not depend on it: say why and go on.
        print(f"hearth-bench failed (exit {process.returncode}): {process.stderr.strip().splitlines()[:1]}")
        return {}
    print("\n".join(lines[:-1]))
    return json.loads(lines[-1])


def main():
    results = {"hearth_bench": hearth_bench()}
    results["executions"] = executions.measure()
    executions.print_rows(results["executions"])
    results["footprint"] = footprint.measure()
    footprint.print_rows(results["footprint"])
    rows = targets.judge(results)
    targets.print_table(rows)
    results["targets"] = [{"target": r.target, "measured": r.value, "baseline": r.baseline, "ratio": r.ratio,
                           "result": "PASS" if r.passed else "MISS"} for r in rows]
    line = json.dumps(results)
    print(line)
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    sys.exit(main())
