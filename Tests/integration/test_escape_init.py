"""PID 1 of a sandbox is a minimal init, not the worker (issue 10, finding 7): a function's own
signals behave as on any Linux and are reported as what they were, orphans are reaped, and
nothing a function started outlives its sandbox.

The daemon's wording for a worker that ended is `Function execution failed: the worker exited
with status N.` / `... was killed by signal N (Name).`; "too much resource consumption" is kept
for real resource limits."""

import json
import os
import secrets
import shutil
import time

import pytest

from hearth import Daemon, create_function, create_runtime, execute, wait_for


@pytest.fixture(scope="module")
def daemon():
    d = Daemon(args=["--pool-capacity", "1"]).start()
    yield d
    d.stop()
    shutil.rmtree(d.data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def admin(daemon):
    return daemon.unix()


@pytest.fixture(scope="module")
def runtimes(admin):
    return {image: create_runtime(admin, image=image) for image in ("python3", "nodejs", "shell")}


def python(admin, runtimes, source, **fields):
    return create_function(admin, runtimes["python3"]["id"], files={"f.py": source}, entry="f.main", **fields)


def node(admin, runtimes, source):
    return create_function(admin, runtimes["nodejs"]["id"], files={"f.js": source}, entry="f.main")


def shell(admin, runtimes, script):
    return create_function(admin, runtimes["shell"]["id"], files={"run.sh": script}, entry="run.sh")


def output(execution):
    return execution["result_json"]["output"]


def still_works(admin, function, **input):
    """The worker that ended was replaced: the same function runs again."""
    again = execute(admin, function["id"], input=json.dumps(input or {"step": "again"}))
    assert again["status"] == "success", again
    return again


# ---- PID 1 -----------------------------------------------------------------------------------


def test_the_python_worker_is_not_pid_1(admin, runtimes):
    source = ("import os\n"
              "def main(**kw):\n"
              "    own = open('/proc/self/cmdline', 'rb').read().replace(b'\\0', b' ').decode()\n"
              "    init = open('/proc/1/cmdline', 'rb').read().replace(b'\\0', b' ').decode()\n"
              "    return {'pid': os.getpid(), 'ppid': os.getppid(), 'own': own, 'init': init}\n")
    seen = output(execute(admin, python(admin, runtimes, source)["id"]))
    assert seen["pid"] != 1 and seen["ppid"] == 1, seen
    # PID 1 is another program (its arguments may name the worker's command, for ps).
    assert "worker.py" in seen["own"] and seen["init"].split()[0] != seen["own"].split()[0], seen


def test_the_nodejs_worker_is_not_pid_1(admin, runtimes):
    seen = output(execute(admin, node(admin, runtimes, "exports.main = () => ({pid: process.pid, ppid: process.ppid})\n")["id"]))
    assert seen["pid"] != 1, seen


# ---- a function's own signals and exits, reported as what they were ------------------------------


def assert_reported(execution, words):
    assert execution["status"] == "failed", execution
    text = output(execution)
    assert words in text, text
    assert "resource consumption" not in text, text


def test_python_sigkill_of_itself_ends_the_call(admin, runtimes):
    source = ("import os, signal\n"
              "def main(step='kill', **kw):\n"
              "    if step == 'kill':\n"
              "        os.kill(os.getpid(), signal.SIGKILL)\n"
              "    return 'survived ' + step\n")
    function = python(admin, runtimes, source)
    assert_reported(execute(admin, function["id"]), "signal 9")
    assert output(still_works(admin, function)) == "survived again"


def test_python_abort_is_signal_6(admin, runtimes):
    function = python(admin, runtimes, "import os\ndef main(step='abort', **kw):\n    if step == 'abort':\n        os.abort()\n    return step\n")
    assert_reported(execute(admin, function["id"]), "signal 6 (Aborted)")
    still_works(admin, function)


def test_python_segfault_is_signal_11(admin, runtimes):
    function = python(admin, runtimes, "import ctypes\ndef main(**kw):\n    return ctypes.string_at(0)\n")
    assert_reported(execute(admin, function["id"]), "signal 11")


def test_python_exit_status_is_reported(admin, runtimes):
    function = python(admin, runtimes, "import os\ndef main(**kw):\n    os._exit(3)\n")
    assert_reported(execute(admin, function["id"]), "exited with status 3")


def test_nodejs_sigkill_abort_and_exit(admin, runtimes):
    source = ("exports.main = (context, input) => {\n"
              "  if (input.how === 'kill') process.kill(process.pid, 'SIGKILL');\n"
              "  if (input.how === 'abort') process.abort();\n"
              "  if (input.how === 'exit') process.exit(3);\n"
              "  return 'survived ' + input.how;\n"
              "};\n")
    function = node(admin, runtimes, source)
    assert_reported(execute(admin, function["id"], input='{"how": "kill"}'), "signal 9")
    assert_reported(execute(admin, function["id"], input='{"how": "abort"}'), "signal 6")
    assert_reported(execute(admin, function["id"], input='{"how": "exit"}'), "exited with status 3")
    assert output(execute(admin, function["id"], input='{"how": "nothing"}')) == "survived nothing"


def test_a_shell_function_that_kills_its_worker_fails(admin, runtimes):
    # The executable's parent is the worker: SIGKILL to it ends the call, as it would anywhere.
    function = shell(admin, runtimes, "#!/bin/sh\nkill -9 $PPID\nsleep 1\necho survived\n")
    assert_reported(execute(admin, function["id"]), "signal 9")


def test_a_memory_limit_is_still_a_resource_failure(admin, runtimes):
    function = python(admin, runtimes, "def main(**kw):\n    blocks = [bytearray(16 << 20) for _ in range(8)]\n    return len(blocks)\n")
    result = execute(admin, function["id"])
    assert result["status"] == "failed"
    assert result["result_json"]["error"] == "out_of_memory"
    assert "too much resource consumption" in output(result)


# ---- orphans and leftovers ---------------------------------------------------------------------


def test_orphans_are_reaped(admin, runtimes):
    # Double forks: each grandchild is orphaned, reparented to PID 1 and exits; an init reaps it.
    source = ("import os, time\n"
              "def zombies():\n"
              "    found = []\n"
              "    for pid in os.listdir('/proc'):\n"
              "        if pid.isdigit():\n"
              "            try:\n"
              "                state = open('/proc/%s/stat' % pid).read().rsplit(') ', 1)[1].split()\n"
              "            except OSError:\n"
              "                continue\n"
              "            if state[0] == 'Z':\n"
              "                found.append([int(pid), int(state[1])])\n"
              "    return found\n"
              "def main(**kw):\n"
              "    for _ in range(5):\n"
              "        child = os.fork()\n"
              "        if child == 0:\n"
              "            if os.fork() == 0:\n"
              "                time.sleep(0.05)\n"
              "                os._exit(0)\n"
              "            os._exit(0)\n"
              "        os.waitpid(child, 0)\n"
              "    for _ in range(40):\n"
              "        time.sleep(0.05)\n"
              "        if not zombies():\n"
              "            break\n"
              "    return {'zombies': zombies(), 'pid': os.getpid()}\n")
    seen = output(execute(admin, python(admin, runtimes, source)["id"]))
    assert seen["zombies"] == [], seen


def processes_with(marker):
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if marker.encode() in open(f"/proc/{pid}/cmdline", "rb").read():
                    found.append(int(pid))
            except OSError:
                pass
    return found


LEFTOVER = ("import os, subprocess\n"
            "KEEP = 'import signal, time\\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\\nsignal.signal(signal.SIGHUP, signal.SIG_IGN)\\ntime.sleep(120)'\n"
            "def main(step, marker, **kw):\n"
            "    if step == 'leave':\n"
            "        # A session of its own, deaf to SIGTERM and SIGHUP, holding none of the call's pipes.\n"
            "        subprocess.Popen(['/usr/bin/python3', '-c', KEEP, marker], start_new_session=True, stdin=subprocess.DEVNULL,\n"
            "                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)\n"
            "        return 'left'\n"
            "    if step == 'crash':\n"
            "        os._exit(3)\n"
            "    return step\n")


def test_a_process_left_behind_dies_with_its_worker(admin, runtimes):
    function = python(admin, runtimes, LEFTOVER)
    marker = f"hearth-leftover-{secrets.token_hex(6)}"
    assert output(execute(admin, function["id"], input=json.dumps({"step": "leave", "marker": marker}))) == "left"
    assert wait_for(lambda: processes_with(marker), timeout=10)  # it is running, on the host's view
    crashed = execute(admin, function["id"], input=json.dumps({"step": "crash", "marker": marker}))
    assert crashed["status"] == "failed"
    wait_for(lambda: not processes_with(marker), timeout=10)


def test_a_process_left_behind_dies_when_its_function_is_deleted(admin, runtimes):
    function = python(admin, runtimes, LEFTOVER)
    marker = f"hearth-leftover-{secrets.token_hex(6)}"
    assert output(execute(admin, function["id"], input=json.dumps({"step": "leave", "marker": marker}))) == "left"
    assert wait_for(lambda: processes_with(marker), timeout=10)
    assert admin.delete(f"/v1/functions/{function['id']}").status == 204
    wait_for(lambda: not processes_with(marker), timeout=10)
