"""The shell worker (runtimes/shell/worker.py) against the frame protocol of runtimes/PROTOCOL.md.

Started directly, without a sandbox, with the harness of test_workers.py.
"""

import time

import test_workers
from test_workers import RUNTIMES_DIR, assert_failed, assert_ok, decode_frame, encode_frame, start  # noqa: F401

test_workers.COMMANDS.setdefault(
    "shell", ["/usr/bin/python3", "-I", "-S", "-u", str(RUNTIMES_DIR / "shell" / "worker.py")])


def loaded(worker, files, entry):
    assert worker.load(files, entry) == {"type": "loaded", "ok": True}
    return worker


def script(body, mode=0o755, shebang="#!/bin/sh\n"):
    return (shebang + body, mode)


def test_hello(start):
    worker = start("shell")  # the fixture checks the hello message
    assert worker.process.poll() is None


def test_executable_script_reads_stdin(start):
    worker = loaded(start("shell"), {"run.sh": script("tr a-z A-Z\n")}, "run.sh")
    assert_ok(worker.invoke("hello, world"), "HELLO, WORLD")
    assert_ok(worker.invoke("two\nlines\n"), "TWO\nLINES")  # only one trailing newline goes


def test_entry_in_a_subdirectory_runs_in_the_code_dir(start):
    files = {"bin/where.py": script("import os, sys\n"
                                    "print(os.path.samefile('.', os.path.join(os.path.dirname(sys.argv[0]), '..')),"
                                    " sys.argv[0])\n",
                                    shebang="#!/usr/bin/python3\n"),
             "data.txt": "from a file\n"}
    worker = loaded(start("shell"), files, "bin/where.py")
    result = worker.invoke()
    assert result["ok"] is True, result
    assert result["output"].startswith("True ") and result["output"].endswith("/bin/where.py")
    worker = loaded(start("shell"), {"cat.sh": script("cat data.txt\n"), **files}, "cat.sh")
    assert_ok(worker.invoke(), "from a file")


def test_not_executable_with_shebang_uses_its_interpreter(start):
    files = {"rev.py": script("import sys\n"
                              "print(sys.stdin.read()[::-1], sys.flags.no_site)\n",
                              mode=0o644, shebang="#!/usr/bin/python3 -S\n")}
    worker = loaded(start("shell"), files, "rev.py")
    assert_ok(worker.invoke("abc"), "cba 1")  # the #! line's argument (-S) is passed


def test_not_executable_without_shebang_runs_with_sh(start):
    worker = loaded(start("shell"), {"plain": ("read x\necho \"got $x\"\n", 0o644)}, "plain")
    assert_ok(worker.invoke("it"), "got it")


def test_executable_without_shebang_runs_with_sh(start):
    worker = loaded(start("shell"), {"plain": ("echo no shebang\n", 0o755)}, "plain")
    assert_ok(worker.invoke(), "no shebang")
    assert_ok(worker.invoke(), "no shebang")


def test_non_zero_exit(start):
    worker = loaded(start("shell"), {"fail.sh": script("exit 3\n")}, "fail.sh")
    assert_failed(worker.invoke(), "exception", "exit status 3")
    worker = loaded(start("shell"), {"fail.sh": script("echo first\necho 'last line'\necho\nexit 4\n")}, "fail.sh")
    assert_failed(worker.invoke(), "exception", "exit status 4: last line")
    assert_failed(worker.invoke(), "exception", "exit status 4: last line")  # still serving


def test_killed_by_signal(start):
    worker = loaded(start("shell"), {"die.sh": script("echo before\nkill -9 $$\n")}, "die.sh")
    assert_failed(worker.invoke(), "exception", "killed by signal 9")


def test_stdout_and_stderr_reach_the_worker_pipes(start):
    worker = loaded(start("shell"), {"p.sh": script("echo to stdout\necho to stderr >&2\n")}, "p.sh")
    assert_ok(worker.invoke(), "to stdout")
    assert worker.stdout() == "to stdout\n"
    assert worker.stderr() == "to stderr\n"


def test_null_input_is_empty_stdin(start):
    worker = loaded(start("shell"), {"show.sh": script("printf '[%s]' \"$(cat)\"\n")}, "show.sh")
    assert_ok(worker.invoke(None), "[]")
    assert_ok(worker.invoke(""), "[]")


def test_json_input_is_compact_json_text(start):
    worker = loaded(start("shell"), {"cat.sh": script("cat\n")}, "cat.sh")
    assert_ok(worker.invoke({"name": "Qinling", "list": [1, True, None], "é": 1.5}, positional=False),
              '{"name":"Qinling","list":[1,true,null],"é":1.5}')
    assert_ok(worker.invoke(42, positional=True), "42")
    assert_ok(worker.invoke([1, "a"], positional=True), '[1,"a"]')
    assert_ok(worker.invoke("just text", positional=True), "just text")


def test_environment(start):
    body = "echo \"$HEARTH_EXECUTION_ID $HEARTH_FUNCTION_ID $GREETING $HEARTH_RUNTIME\"\n"
    worker = loaded(start("shell", env={"GREETING": "hi"}), {"env.sh": script(body)}, "env.sh")
    assert_ok(worker.invoke(execution_id="e-77"), "e-77 f-1 hi shell")


def test_missing_entry(start):
    worker = start("shell")
    reply = worker.load({"run.sh": script("echo hi\n")}, "nope.sh")
    assert reply == {"type": "loaded", "ok": False, "error": "No executable named 'nope.sh' in the package"}
    assert_failed(worker.invoke(), "exception", "No executable named 'nope.sh' in the package")
    reply = start("shell").load({"bin/x": script("echo hi\n")}, "bin")  # a directory is not one either
    assert reply["ok"] is False and reply["error"] == "No executable named 'bin' in the package"


def test_background_child_holding_stdout_does_not_delay_the_result(start):
    worker = loaded(start("shell"), {"bg.sh": script("(sleep 5; echo late) &\necho now\n")}, "bg.sh")
    began = time.monotonic()
    assert_ok(worker.invoke(), "now")
    assert time.monotonic() - began < 2
    began = time.monotonic()
    assert_ok(worker.invoke(), "now")
    assert time.monotonic() - began < 2


def test_sigpipe_has_its_default_disposition(start):
    worker = loaded(start("shell"), {"y.sh": script("yes | head -n 2\n")}, "y.sh")
    assert_ok(worker.invoke(), "y\ny")
    assert "Broken pipe" not in worker.stderr()


def test_input_larger_than_a_pipe(start):
    worker = loaded(start("shell"), {"count.sh": script("wc -c\n")}, "count.sh")
    big = "z" * (3 << 20)
    result = worker.invoke(big, positional=True)
    assert result["ok"] is True and result["output"].strip() == str(len(big))
    # A script that does not read its input at all.
    worker = loaded(start("shell"), {"ignore.sh": script("echo ignored\n")}, "ignore.sh")
    assert_ok(worker.invoke(big, positional=True), "ignored")


def test_fifty_invocations(start):
    worker = loaded(start("shell"), {"echo.sh": script("echo \"$(cat)\"\n")}, "echo.sh")
    for i in range(50):
        assert_ok(worker.invoke(f"call {i}", execution_id=f"e-{i}"), f"call {i}")
    assert worker.stdout() == "".join(f"call {i}\n" for i in range(50))
    assert worker.close() == 0


def test_round_trip_time(start, capsys):
    """Not a timed test: prints the mean round trip of a trivial `#!/bin/sh` echo script."""
    worker = loaded(start("shell"), {"hi.sh": script("echo hi\n")}, "hi.sh")
    frame = encode_frame({"type": "invoke", "execution_id": "e-1", "input": None, "positional": False,
                          "timeout": 5.0, "function_id": "f-1", "version": 0})
    calls = 300
    times, durations = [], []
    for _ in range(calls):
        began = time.perf_counter()
        worker.sock.sendall(frame)
        header, _ = decode_frame(worker.sock)
        times.append(time.perf_counter() - began)
        durations.append(header["duration"])
        assert header["output"] == "hi"
        worker.stdout()  # keep the pipe from filling
    mean, median = sum(times) / calls, sorted(times)[calls // 2]
    with capsys.disabled():
        print(f"\nshell: round trip of a #!/bin/sh echo script over {calls} calls: "
              f"mean {mean * 1e3:.2f} ms, median {median * 1e3:.2f} ms "
              f"(worker-measured duration median {sorted(durations)[calls // 2] * 1e3:.2f} ms)")


def test_only_stdio_and_the_package_are_inherited(start):
    """The daemon's socket (fd 3), the worker's own pipes and the call's pipes as received stay
    out of the executable; besides stdio it has only the package's directory (its #! path)."""
    files = {"fds.py": script("import os\n"
                              "fds = sorted(int(fd) for fd in os.listdir('/proc/self/fd'))\n"
                              "print([fd if fd <= 3 or not os.path.samefile(f'/proc/self/fd/{fd}', '.') else 'code'"
                              " for fd in fds])\n",
                              shebang="#!/usr/bin/python3 -I\n")}
    worker = loaded(start("shell"), files, "fds.py")
    result = worker.invoke({"x": 1})
    assert result["ok"] is True, result
    # 3: the directory listdir has open
    assert sorted(result["output"].strip("[]").split(", ")) == ["'code'", "0", "1", "2", "3"]
