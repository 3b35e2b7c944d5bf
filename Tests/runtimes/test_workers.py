"""The runtime workers (runtimes/*/worker.*) against the frame protocol of runtimes/PROTOCOL.md.

Each worker is started directly, without a sandbox, the way the daemon starts it: a socketpair
whose child end is fd 3, stdout and stderr as pipes, stdin /dev/null, cwd `/`. Runtimes that take
descriptors (all the bundled ones) get the code directory with `load` and each call's stdout and
stderr pipes with `invoke`; any other would get the files in `load`, written under HEARTH_CODE_DIR.
"""

import json
import os
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

RUNTIMES_DIR = Path(__file__).resolve().parents[2] / "runtimes"
COMMANDS = {
    "python3": ["/usr/bin/python3", "-I", "-S", "-u", str(RUNTIMES_DIR / "python3" / "worker.py")],
    "nodejs": ["/usr/bin/node", "--preserve-symlinks", str(RUNTIMES_DIR / "nodejs" / "worker.js")],
}
# Runtimes whose manifest says "descriptors": true.
DESCRIPTORS = {"python3", "shell", "nodejs"}
PREFIX = struct.Struct(">II")


# ---- frame codec ----------------------------------------------------------------------------


def encode_frame(header, blob=b""):
    data = json.dumps(header).encode()
    return PREFIX.pack(4 + len(data) + len(blob), len(data)) + data + blob


def recv_exact(sock, count):
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError(f"end-of-file after {len(data)} of {count} bytes")
        data += chunk
    return bytes(data)


def decode_frame(sock):
    length, header_length = PREFIX.unpack(recv_exact(sock, 8))
    body = recv_exact(sock, length - 4)
    return json.loads(body[:header_length]), body[header_length:]


# ---- a worker under test --------------------------------------------------------------------


class Worker:
    def __init__(self, runtime, code_dir, env=None):
        self.runtime = runtime
        self.code_dir = code_dir
        self.descriptors = runtime in DESCRIPTORS
        self.call_output = [b"", b""]
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        child_fd = child.fileno()

        def put_socket_on_fd3():
            # Runs in the child between fork and exec. dup2 onto 3 clears close-on-exec, except
            # when the socket already is fd 3 (dup2 is then a no-op), hence set_inheritable.
            os.dup2(child_fd, 3)
            os.set_inheritable(3, True)

        self.process = subprocess.Popen(
            COMMANDS[runtime],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd="/", close_fds=False, preexec_fn=put_socket_on_fd3,
            env={"HEARTH_RUNTIME": runtime, "HEARTH_CODE_DIR": str(code_dir), "PATH": "/usr/bin:/bin",
                 "HOME": "/tmp", "LANG": "C.UTF-8", **(env or {})},
        )
        child.close()
        self.sock = parent
        self.sock.settimeout(20)
        for pipe in (self.process.stdout, self.process.stderr):
            os.set_blocking(pipe.fileno(), False)

    def send(self, header, blob=b"", fds=()):
        if fds:
            frame = encode_frame({**header, "fds": len(fds)}, blob)
            sent = socket.send_fds(self.sock, [frame], list(fds))  # may take only part of a big frame
            self.sock.sendall(frame[sent:])
        else:
            self.sock.sendall(encode_frame(header, blob))

    def recv(self):
        return decode_frame(self.sock)[0]

    def load(self, files, entry, convention="qinling", environment=None):
        """Load files given as {path: text} (mode 0o644) or {path: (text, mode)}."""
        files = {path: value if isinstance(value, tuple) else (value, 0o644) for path, value in files.items()}
        header = {"type": "load", "function_id": "f-1", "version": 0, "entry": entry, "convention": convention}
        if environment is not None:
            header["environment"] = environment
        if not self.descriptors:
            contents = [text.encode() for text, _ in files.values()]
            self.send({**header, "files": [{"path": p, "mode": mode, "size": len(c)}
                                           for (p, (_, mode)), c in zip(files.items(), contents)]},
                      b"".join(contents))
            return self.recv()
        for path, (text, mode) in files.items():
            target = self.code_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            target.chmod(mode)
        directory = os.open(self.code_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            self.send(header, fds=[directory])
        finally:
            os.close(directory)
        return self.recv()

    def invoke(self, data=None, positional=False, execution_id="e-1"):
        header = {"type": "invoke", "execution_id": execution_id, "input": data, "positional": positional,
                  "timeout": 5.0, "function_id": "f-1", "version": 0}
        if not self.descriptors:
            self.send(header)
            return self.recv()
        pipes = [os.pipe(), os.pipe()]
        try:
            self.send(header, fds=[pipes[0][1], pipes[1][1]])
        finally:
            for _, write_end in pipes:
                os.close(write_end)
        result = self.recv()
        # The worker gave the pipes back before answering: what they hold is the whole call's.
        for index, (read_end, _) in enumerate(pipes):
            os.set_blocking(read_end, False)
            try:
                while chunk := os.read(read_end, 1 << 16):
                    self.call_output[index] += chunk
            except BlockingIOError:
                pass
            os.close(read_end)
        return result

    def _drain(self, pipe, index):
        # Non-blocking: only what the worker wrote before its last frame is expected here.
        text, self.call_output[index] = self.call_output[index], b""
        try:
            return (text + (pipe.read() or b"")).decode()
        except BlockingIOError:
            return text.decode()

    def stdout(self):
        return self._drain(self.process.stdout, 0)

    def stderr(self):
        return self._drain(self.process.stderr, 1)

    def close(self):
        self.sock.close()
        try:
            return self.process.wait(10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()
            self.process.stderr.close()


@pytest.fixture
def start(tmp_path):
    workers = []

    def start_worker(runtime, env=None):
        code_dir = tmp_path / f"code-{len(workers)}"
        code_dir.mkdir()
        worker = Worker(runtime, code_dir, env)
        hello = worker.recv()
        assert hello == {"type": "hello", "runtime": runtime, "pid": worker.process.pid}
        workers.append(worker)
        return worker

    yield start_worker
    for worker in workers:
        worker.close()


def loaded(worker, files, entry, convention="qinling", environment=None):
    assert worker.load(files, entry, convention, environment) == {"type": "loaded", "ok": True}
    return worker


def assert_ok(result, output):
    assert result["type"] == "result" and result["ok"] is True, result
    assert result["output"] == output
    assert isinstance(result["duration"], float | int) and 0 <= result["duration"] < 5


def assert_failed(result, error_type, output):
    assert result["type"] == "result" and result["ok"] is False, result
    assert result["error_type"] == error_type
    assert result["output"] == output


BOTH = pytest.mark.parametrize("runtime", ["python3", "nodejs"])

# Sources per runtime for the tests that both share.
HELLO = {
    "python3": {"hello.py": "def main(name='World'):\n    return 'Hello, ' + name\n"},
    "nodejs": {"hello.js": "exports.main = (context, input) =>\n"
                           "  'Hello, ' + ((input && input.name) || 'World');\n"},
}
ECHO = {
    "python3": {"echo.py": "def main(value):\n    return value\n"},
    "nodejs": {"echo.js": "exports.main = (context, input) => input;\n"},
}
PRINTS = {
    "python3": {"prints.py": "import sys\n"
                             "def main():\n"
                             "    print('to stdout')\n"
                             "    print('to stderr', file=sys.stderr)\n"
                             "    return 1\n"},
    "nodejs": {"prints.js": "exports.main = () => {\n"
                            "  console.log('to stdout');\n"
                            "  console.error('to stderr');\n"
                            "  return 1;\n"
                            "};\n"},
}
RAISES = {
    "python3": {"boom.py": "def main():\n    raise RuntimeError('boom')\n"},
    "nodejs": {"boom.js": "exports.main = () => { throw new Error('boom'); };\n"},
}
COUNTER = {
    "python3": {"counter.py": "calls = 0\n"
                              "def main():\n"
                              "    global calls\n"
                              "    calls += 1\n"
                              "    return calls\n"},
    "nodejs": {"counter.js": "let calls = 0;\nexports.main = () => ++calls;\n"},
}
EMPTY = {
    "python3": {"empty.py": "def main():\n    pass\n"},
    "nodejs": {"empty.js": "exports.main = () => {};\n"},
}
FUNCTIONGRAPH = {
    "python3": {"index.py": "def handler(event, context):\n"
                            "    context.getLogger().info('got %s', event['k'])\n"
                            "    return {'id': context.getRequestID(),\n"
                            "            'greeting': context.getUserData('GREETING'),\n"
                            "            'missing': context.getUserData('NOPE', 'dflt'),\n"
                            "            'remaining': context.getRemainingTimeInMilliSeconds(),\n"
                            "            'version': context.getVersion(),\n"
                            "            'key': context.getAccessKey(), 'event': event}\n"},
    "nodejs": {"index.js": "exports.handler = (event, context) => {\n"
                           "  context.getLogger().info('got %s', event.k);\n"
                           "  return {id: context.getRequestID(),\n"
                           "          greeting: context.getUserData('GREETING'),\n"
                           "          missing: context.getUserData('NOPE', 'dflt'),\n"
                           "          remaining: context.getRemainingTimeInMilliSeconds(),\n"
                           "          version: context.getVersion(),\n"
                           "          key: context.getAccessKey(), event};\n"
                           "};\n"},
}


def module_entry(files, function="main"):
    return Path(next(iter(files))).stem + "." + function


# ---- both runtimes --------------------------------------------------------------------------


@BOTH
def test_hello_then_load_and_invoke_with_keyword_input(start, runtime):
    worker = loaded(start(runtime), HELLO[runtime], "hello.main")
    assert_ok(worker.invoke({"name": "Qinling"}), "Hello, Qinling")


@BOTH
def test_positional_input(start, runtime):
    worker = loaded(start(runtime), ECHO[runtime], "echo.main")
    assert_ok(worker.invoke("plain text", positional=True), "plain text")
    assert_ok(worker.invoke(["a", 1], positional=True), ["a", 1])


@BOTH
def test_null_input(start, runtime):
    worker = loaded(start(runtime), HELLO[runtime], "hello.main")
    assert_ok(worker.invoke(None), "Hello, World")


@BOTH
def test_output_is_in_the_pipes_before_the_result(start, runtime):
    worker = loaded(start(runtime), PRINTS[runtime], "prints.main")
    assert_ok(worker.invoke(), 1)
    assert worker.stdout() == "to stdout\n"
    assert worker.stderr() == "to stderr\n"


@BOTH
def test_exception_is_a_failed_result_with_the_trace_on_stderr(start, runtime):
    worker = loaded(start(runtime), RAISES[runtime], "boom.main")
    assert_failed(worker.invoke(), "exception", "boom")
    stderr = worker.stderr()
    assert "boom" in stderr
    assert ("Traceback" in stderr and "boom.py" in stderr) if runtime == "python3" else "boom.js" in stderr
    assert_failed(worker.invoke(), "exception", "boom")  # still serving


@BOTH
def test_missing_function(start, runtime):
    reply = start(runtime).load(HELLO[runtime], "hello.nope")
    assert reply["ok"] is False
    expected = {"python3": "module 'hello' has no attribute 'nope'",
                "nodejs": "module 'hello' does not export 'nope'"}[runtime]
    assert reply["error"] == expected


@BOTH
def test_missing_module(start, runtime):
    worker = start(runtime)
    reply = worker.load({}, "main.main")
    expected = {"python3": "No module named 'main'", "nodejs": "Cannot find module 'main'"}[runtime]
    assert reply == {"type": "loaded", "ok": False, "error": expected}
    # An invocation sent anyway fails with the same message.
    assert_failed(worker.invoke(), "exception", expected)


@BOTH
def test_package_in_subdirectory(start, runtime):
    files = {
        "python3": {"pkg/__init__.py": "", "pkg/sub.py": "def run():\n    return 'sub ok'\n"},
        "nodejs": {"lib/sub.js": "exports.run = () => 'sub ok';\n"},
    }[runtime]
    worker = loaded(start(runtime), files, {"python3": "pkg.sub.run", "nodejs": "lib/sub.run"}[runtime])
    assert_ok(worker.invoke(), "sub ok")


@BOTH
def test_warm_globals_persist(start, runtime):
    worker = loaded(start(runtime), COUNTER[runtime], "counter.main")
    assert_ok(worker.invoke(), 1)
    assert_ok(worker.invoke(), 2)


@BOTH
def test_functiongraph_context(start, runtime):
    worker = loaded(start(runtime, env={"GREETING": "hi"}), FUNCTIONGRAPH[runtime], "index.handler",
                    convention="functiongraph")
    result = worker.invoke({"k": "v"}, execution_id="req-42")
    assert result["ok"] is True, result
    output = result["output"]
    assert output.pop("remaining") in range(4000, 5001)
    assert output == {"id": "req-42", "greeting": "hi", "missing": "dflt", "version": "latest", "key": "",
                      "event": {"k": "v"}}
    assert worker.stdout().endswith(" req-42 INFO got v\n")


@BOTH
def test_load_environment_is_set_before_the_import(start, runtime):
    files = {
        "python3": {"index.py": "import os\nAT_IMPORT = os.environ.get('GREETING')\n"
                                "def handler(event, context):\n"
                                "    return [AT_IMPORT, context.getUserData('GREETING'), context.getFunctionName(), context.getPackage()]\n"},
        "nodejs": {"index.js": "const atImport = process.env.GREETING;\n"
                               "exports.handler = (event, context) => [atImport, context.getUserData('GREETING'),\n"
                               "  context.getFunctionName(), context.getPackage()];\n"},
    }[runtime]
    worker = loaded(start(runtime), files, "index.handler", convention="functiongraph",
                    environment={"GREETING": "from user_data", "RUNTIME_FUNC_NAME": "hello", "RUNTIME_PACKAGE": "tools"})
    assert_ok(worker.invoke({}), ["from user_data", "from user_data", "hello", "tools"])


@BOTH
def test_two_hundred_invocations(start, runtime):
    worker = loaded(start(runtime), ECHO[runtime], "echo.main")
    for i in range(200):
        assert_ok(worker.invoke({"i": i, "pad": "x" * (i * 100)}, positional=True),
                  {"i": i, "pad": "x" * (i * 100)})


@BOTH
def test_large_input_and_frames_sent_in_pieces(start, runtime):
    worker = loaded(start(runtime), ECHO[runtime], "echo.main")
    big = "y" * (4 << 20)
    assert_ok(worker.invoke(big, positional=True), big)
    frame = encode_frame({"type": "invoke", "execution_id": "e-2", "input": "slow", "positional": True,
                          "timeout": 5.0, "function_id": "f-1", "version": 0})
    for i in range(0, len(frame), 7):
        worker.sock.sendall(frame[i:i + 7])
        time.sleep(0.001)
    assert_ok(worker.recv(), "slow")


@BOTH
def test_end_of_file_on_fd3_exits_zero(start, runtime):
    worker = loaded(start(runtime), EMPTY[runtime], module_entry(EMPTY[runtime]))
    assert_ok(worker.invoke(), None)
    assert worker.close() == 0


@BOTH
def test_round_trip_time(start, runtime, capsys):
    """Not a timed test: prints the mean round trip of an empty function over 2000 calls."""
    worker = loaded(start(runtime), EMPTY[runtime], module_entry(EMPTY[runtime]))
    frame = encode_frame({"type": "invoke", "execution_id": "e-1", "input": None, "positional": False,
                          "timeout": 5.0, "function_id": "f-1", "version": 0})
    calls = 2000
    for _ in range(calls):  # warm-up: V8 needs a few thousand calls to optimise the hot path
        worker.sock.sendall(frame)
        decode_frame(worker.sock)
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        worker.sock.sendall(frame)
        decode_frame(worker.sock)
        times.append(time.perf_counter() - began)
    mean, median = sum(times) / calls, sorted(times)[calls // 2]
    with capsys.disabled():
        print(f"\n{runtime}: round trip of an empty function over {calls} calls: "
              f"mean {mean * 1e6:.1f} µs, median {median * 1e6:.1f} µs")


# ---- Python only ----------------------------------------------------------------------------


def test_python_context_only_when_accepted(start):
    files = {
        "ctx.py": "def plain(name):\n"
                  "    return name\n"
                  "def named(name, context):\n"
                  "    return [name, sorted(context), context['execution_id'], context['timeout'],\n"
                  "            context.getRemainingTimeInMilliSeconds() > 4000]\n"
                  "def kwargs(**kw):\n"
                  "    return sorted(kw)\n"
                  "def positional(arg, **kw):\n"
                  "    return [arg, sorted(kw)]\n"
                  "def keyword_only(*, context=None):\n"
                  "    return context is not None\n"
                  "def positional_only(context=None, /):\n"
                  "    return context is not None\n"
                  "import functools\n"
                  "def logged(f):\n"
                  "    @functools.wraps(f)\n"
                  "    def wrapper(*args, **kwargs):\n"
                  "        return f(*args, **kwargs)\n"
                  "    return wrapper\n"
                  "@logged\n"
                  "def decorated(name):\n"
                  "    return name\n"
                  "class Handler:\n"
                  "    def __call__(self, context):\n"
                  "        return context['function_id']\n"
                  "instance = Handler()\n",
    }
    worker = loaded(start("python3"), files, "ctx.plain")
    assert_ok(worker.invoke({"name": "n"}), "n")

    worker = loaded(start("python3"), files, "ctx.named")
    assert_ok(worker.invoke({"name": "n"}, execution_id="e-9"),
              ["n", ["execution_id", "function_id", "function_version", "os_session", "timeout"], "e-9", 5.0,
               True])
    # The input's own `context` wins.
    result = worker.invoke({"name": "n", "context": {"execution_id": "mine", "timeout": 1}})
    assert result["ok"] is False and "getRemainingTimeInMilliSeconds" in result["output"]

    worker = loaded(start("python3"), files, "ctx.kwargs")
    assert_ok(worker.invoke({"a": 1}), ["a", "context"])
    assert_ok(worker.invoke(None), ["context"])
    assert_ok(worker.invoke({"context": 1}), ["context"])

    worker = loaded(start("python3"), files, "ctx.positional")
    assert_ok(worker.invoke("6", positional=True), ["6", ["context"]])

    # Read from the code object: keyword-only counts, positional-only does not.
    for entry, expected in [("ctx.keyword_only", True), ("ctx.positional_only", False)]:
        assert_ok(loaded(start("python3"), files, entry).invoke(None), expected)
    # Through inspect: a decorated function shows its own signature, not the wrapper's **kwargs.
    assert_ok(loaded(start("python3"), files, "ctx.decorated").invoke({"name": "n"}), "n")
    assert_ok(loaded(start("python3"), files, "ctx.instance").invoke(None), "f-1")


def test_python_unserializable_return(start):
    files = {"bad.py": "def a_set():\n    return {1, 2}\n"
                       "def nan():\n    return float('nan')\n"}
    worker = loaded(start("python3"), files, "bad.a_set")
    assert_failed(worker.invoke(), "unserializable",
                  "The function returned a value that is not JSON serializable: "
                  "Object of type set is not JSON serializable")
    worker = loaded(start("python3"), files, "bad.nan")
    assert worker.invoke()["error_type"] == "unserializable"


def test_python_system_exit_does_not_end_the_worker(start):
    worker = loaded(start("python3"), {"quit.py": "import sys\ndef main():\n    sys.exit(3)\n"}, "quit.main")
    assert_failed(worker.invoke(), "exception", "3")
    assert_failed(worker.invoke(), "exception", "3")
    assert worker.process.poll() is None


def test_python_empty_exception_message_is_the_class_name(start):
    worker = loaded(start("python3"), {"e.py": "def main():\n    raise KeyError\n"}, "e.main")
    assert_failed(worker.invoke(), "exception", "KeyError")


def test_python_syntax_error_at_load(start):
    worker = start("python3")
    reply = worker.load({"broken.py": "def main(:\n"}, "broken.main")
    assert reply["ok"] is False and "invalid syntax" in reply["error"]
    assert "SyntaxError" in worker.stderr()


# ---- Node only ------------------------------------------------------------------------------


def test_node_unserializable_return(start):
    files = {"bad.js": "exports.big = () => 10n;\n"
                       "exports.circular = () => { const o = {}; o.self = o; return o; };\n"
                       "exports.fn = () => () => 1;\n"}
    for name, detail in [("big", "BigInt"), ("circular", "circular"), ("fn", "function")]:
        worker = loaded(start("nodejs"), files, f"bad.{name}")
        result = worker.invoke()
        assert result["error_type"] == "unserializable", result
        assert result["output"].startswith("The function returned a value that is not JSON serializable: ")
        assert detail in result["output"]


def test_node_promises_and_async_errors(start):
    files = {"a.js": "exports.resolves = async (context, input) => {\n"
                     "  await new Promise((r) => setTimeout(r, 10));\n"
                     "  return {echo: input, id: context.execution_id};\n"
                     "};\n"
                     "exports.rejects = async () => { throw new Error('async boom'); };\n"
                     "exports.timer = () => new Promise(() => {\n"
                     "  setTimeout(() => { throw new Error('from a timer'); }, 5);\n"
                     "});\n"
                     "exports.unhandled = () => { Promise.reject(new Error('nobody caught me'));\n"
                     "  return new Promise(() => {}); };\n"
                     "exports.throwsString = () => { throw 'plain string'; };\n"}
    worker = loaded(start("nodejs"), files, "a.resolves")
    assert_ok(worker.invoke({"x": 1}, execution_id="e-7"), {"echo": {"x": 1}, "id": "e-7"})
    worker = loaded(start("nodejs"), files, "a.rejects")
    assert_failed(worker.invoke(), "exception", "async boom")
    for name, message in [("timer", "from a timer"), ("unhandled", "nobody caught me"),
                          ("throwsString", "plain string")]:
        worker = loaded(start("nodejs"), files, f"a.{name}")
        assert_failed(worker.invoke(), "exception", message)
        assert message in worker.stderr()
        assert_failed(worker.invoke(), "exception", message)  # the worker survived


def test_node_call_output_is_the_calls_own(start):
    """What a call prints on later turns of the event loop is in its pipes before the result;
    what a timer it left prints after the result goes to the worker's own stdout."""
    files = {"out.js": "exports.main = async () => {\n"
                       "  console.log('before the await');\n"
                       "  await new Promise((r) => setTimeout(r, 20));\n"
                       "  process.stdout.write('x'.repeat(30000) + '\\n');\n"
                       "  console.error('after the await');\n"
                       "  setTimeout(() => console.log('too late'), 100);\n"
                       "  return 'done';\n"
                       "};\n"}
    worker = loaded(start("nodejs"), files, "out.main")
    assert_ok(worker.invoke(), "done")
    call_stdout, call_stderr = (output.decode() for output in worker.call_output)
    assert call_stdout == "before the await\n" + "x" * 30000 + "\n"
    assert call_stderr == "after the await\n"
    worker.call_output = [b"", b""]
    time.sleep(0.3)
    assert worker.stdout() == "too late\n"
    assert_ok(worker.invoke(), "done")  # and the next call has a log of its own again
    assert worker.call_output[0].decode().startswith("before the await\n")


def test_node_qinling_context(start):
    files = {"c.js": "exports.main = (context, input) => ({context,\n"
                     "  remaining: context.getRemainingTimeInMilliSeconds() > 4000});\n"}
    worker = loaded(start("nodejs"), files, "c.main")
    assert_ok(worker.invoke(None, execution_id="e-3"),
              {"context": {"execution_id": "e-3", "function_id": "f-1", "function_version": 0, "timeout": 5.0},
               "remaining": True})
