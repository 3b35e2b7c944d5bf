"""What a function can make the daemon hold through fd 3 (its worker's control socket): a frame
over the limit is refused at its length field, and nothing a worker sent outlives its call.
The daemon's RSS is read from /proc, as an operator would watch it."""

import threading

import pytest

from hearth import create_function, create_runtime, execute

# A frame that declares 64 MiB and then sends 60 MB: the old daemon buffered all of it and its
# RSS never came back down (~90 MB a round of three calls).
OVERSIZED = """import os, struct
def main(**kw):
    os.write(3, struct.pack(">II", 64 << 20, 2) + b"{}")
    chunk = b"x" * (1 << 20)
    for _ in range(60):
        os.write(3, chunk)
    return "done"
"""

# A frame within the limit that never ends: the daemon holds it until the call times out,
# and then must give the memory back.
UNFINISHED = """import os, struct, time
def main(**kw):
    os.write(3, struct.pack(">II", 8 << 20, 2) + b"{}")
    chunk = b"x" * (1 << 20)
    for _ in range(7):
        os.write(3, chunk)
    os.write(3, chunk[:(1 << 20) - 200])
    time.sleep(30)
"""

BIG_RESULT = "def main(**kw):\n    return 'x' * (9 << 20)\n"

ROUNDS = 3
AT_ONCE = 3
# Three rounds of three calls buffered ~540 MB in the old daemon; this one stays within noise.
RSS_MARGIN_MIB = 40


def rss_mib(daemon):
    with open(f"/proc/{daemon.proc.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def runtime(daemon):
    return create_runtime(daemon.unix())


@pytest.fixture(scope="module")
def hello(daemon, runtime):
    function = create_function(daemon.unix(), runtime["id"])
    assert execute(daemon.unix(), function["id"])["status"] == "success"
    return function


def rounds(daemon, function):
    """ROUNDS rounds of AT_ONCE concurrent calls; every execution."""
    executions = []
    for _ in range(ROUNDS):
        threads = [threading.Thread(target=lambda: executions.append(execute(daemon.unix(), function["id"])))
                   for _ in range(AT_ONCE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return executions


def test_an_oversized_frame_is_refused_at_its_header_and_leaves_nothing_behind(daemon, admin, runtime, hello):
    attack = create_function(admin, runtime["id"], files={"hello.py": OVERSIZED}, timeout=5)
    baseline = rss_mib(daemon)
    executions = rounds(daemon, attack)
    grown = rss_mib(daemon) - baseline
    assert grown < RSS_MARGIN_MIB, f"the daemon's RSS grew {grown:.0f} MiB over {ROUNDS} rounds"
    assert len(executions) == ROUNDS * AT_ONCE
    for execution in executions:
        assert execution["status"] == "failed"
        assert execution["result_json"]["error"] == "protocol_error"
        output = execution["result_json"]["output"]
        assert "frame of 67108864 bytes" in output and "at most 8388608 bytes" in output, output
        assert execution["result_json"]["duration"] < 4, "refused at the header, not at the timeout"
    assert execute(admin, hello["id"])["status"] == "success"
    assert execute(admin, attack["id"])["status"] == "failed", "its worker was replaced, not left broken"


def test_an_unfinished_frame_is_let_go_with_its_call(daemon, admin, runtime, hello):
    stalled = create_function(admin, runtime["id"], files={"hello.py": UNFINISHED}, timeout=3)
    baseline = rss_mib(daemon)
    executions = rounds(daemon, stalled)
    grown = rss_mib(daemon) - baseline
    assert grown < RSS_MARGIN_MIB, f"the daemon's RSS grew {grown:.0f} MiB over {ROUNDS} rounds"
    assert {e["result_json"]["error"] for e in executions} == {"timeout"}
    assert execute(admin, hello["id"])["status"] == "success"


def test_a_result_over_the_limit_fails_the_call_saying_so(admin, runtime, hello):
    big = create_function(admin, runtime["id"], files={"hello.py": BIG_RESULT}, memory_size=128 << 20)
    execution = execute(admin, big["id"])
    assert execution["status"] == "failed"
    assert "a worker's frames may be at most 8388608 bytes" in execution["result_json"]["output"]
    assert execute(admin, hello["id"])["status"] == "success"
