"""Hearth's Python 3 worker: one long-lived process that runs one function version.

Started by the daemon as `/usr/bin/python3 -I -S -u /runtime/worker.py` and spoken to over fd 3
with the frames described in ../PROTOCOL.md: it says `hello`, receives one `load` (the function's
files and entry), then answers each `invoke` with one `result`. Everything the function prints goes
straight to fd 1 and fd 2, which the daemon reads.

Standard library only. The worker is on the hot path of every execution, so the per-invocation
work is kept to: one buffered read, one JSON decode, the call, one JSON encode, one write.
"""

import importlib
import io
import json
import os
import struct
import sys
import time
import traceback
import types

FRAME_FD = 3
RUNTIME = os.environ.get("HEARTH_RUNTIME", "python3")
CODE_DIR = os.environ.get("HEARTH_CODE_DIR", "/code")

# u32 frame length, u32 header length (both big-endian); see PROTOCOL.md.
_PREFIX = struct.Struct(">II")
# allow_nan=False: NaN/Infinity are not JSON, and the daemon's decoder would reject the whole frame.
_encode = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
_clock = time.perf_counter
_THIS_FILE = __file__

# A BufferedReader's read(n) keeps reading until it has n bytes or hits end-of-file, so short reads
# on the socket are handled in C; a small frame costs one read(2).
_reader = io.open(FRAME_FD, "rb", buffering=1 << 16, closefd=False)

# Set by `load`: the function wrapped in its calling convention, or why loading failed.
_call = None
_load_error = None

# The function's directory is private to this worker and used once, so .pyc files would only be
# written, never read.
sys.dont_write_bytecode = True


# ---- frames ---------------------------------------------------------------------------------


def _write_frame(header):
    """Send one frame whose header is the JSON text `header` (the worker never sends a blob)."""
    data = header.encode()
    frame = _PREFIX.pack(len(data) + 4, len(data)) + data
    sent = os.write(FRAME_FD, frame)
    if sent < len(frame):  # a large frame may be taken by the socket in several parts
        view = memoryview(frame)
        while sent < len(frame):
            sent += os.write(FRAME_FD, view[sent:])


def _flush_stdio():
    """Push anything the function printed into the pipes before the daemon sees the answer."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # the function may have replaced or closed them; the answer goes anyway
            pass


def _serve_one():
    """Read and handle one message; False at end-of-file.

    A function of its own so that nothing of the frame (which may hold a huge input) stays
    referenced while the worker waits for the next one.
    """
    prefix = _reader.read(8)
    if len(prefix) < 8:
        return False
    length, header_length = _PREFIX.unpack(prefix)
    if length < 4 or header_length > length - 4:
        _protocol_error(f"bad frame lengths {length}/{header_length}")
    body = _reader.read(length - 4)
    if len(body) < length - 4:
        return False
    # Slicing a bytes object to its full length returns the object itself: no copy for `invoke`.
    message = json.loads(body[:header_length].decode())
    kind = message.get("type")
    if kind == "invoke":
        _invoke(message)
    elif kind == "load":
        _load(message, memoryview(body)[header_length:])
    else:
        _protocol_error(f"unexpected message type {kind!r}")
    return True


def _protocol_error(reason):
    sys.stderr.write(f"hearth worker: protocol error: {reason}\n")
    _flush_stdio()
    os._exit(2)


# ---- errors ---------------------------------------------------------------------------------


def _message(error):
    """What a user sees as the output of a failed call: str(e), or the class name if that is empty."""
    try:
        text = str(error)
    except Exception:
        text = ""
    return text or type(error).__name__


def _print_exception(error):
    """Print the traceback to stderr, without the worker's own frames at the top."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == _THIS_FILE:
        tb = tb.tb_next
    try:
        traceback.print_exception(type(error), error, tb)
    except Exception:  # stderr replaced by something unusable; the message still reaches the user
        pass


# ---- load -----------------------------------------------------------------------------------


def _load(message, blob):
    global _call, _load_error
    if _call is not None or _load_error is not None:
        _write_frame(_encode({"type": "loaded", "ok": False, "error": "this worker is already loaded"}))
        return
    try:
        _write_files(message.get("files") or [], blob)
        # FunctionGraph user_data: set before the import, since module code may read it.
        os.environ.update(message.get("environment") or {})
        function = _resolve(message.get("entry") or "")
        make_call = _CONVENTIONS.get(message.get("convention"))
        if make_call is None:
            raise ValueError(f"unknown calling convention {message.get('convention')!r}")
        _call = make_call(function)
        reply = {"type": "loaded", "ok": True}
    except BaseException as error:  # SystemExit at import time must not end the worker either
        _print_exception(error)
        _load_error = _message(error)
        reply = {"type": "loaded", "ok": False, "error": _load_error}
    _flush_stdio()
    _write_frame(_encode(reply))


def _write_files(files, blob):
    """Write the package's files (their contents concatenated in `blob`) under CODE_DIR."""
    if sum(entry["size"] for entry in files) != len(blob):
        raise ValueError("the file sizes do not add up to the length of the load frame's blob")
    offset = 0
    for entry in files:
        relative, size = entry["path"], entry["size"]
        if not relative or relative.startswith("/") or ".." in relative.split("/"):
            raise ValueError(f"invalid file path {relative!r}")
        target = os.path.join(CODE_DIR, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(blob[offset:offset + size])
        os.chmod(target, entry.get("mode", 0o644) & 0o7777)
        offset += size


def _resolve(entry):
    """Import `module.path.function` (split at the last dot) and return the function."""
    module_name, _, name = entry.rpartition(".")
    if not module_name or not name:
        raise ValueError(f"invalid entry {entry!r}: expected module.function")
    sys.path.insert(0, CODE_DIR)
    importlib.invalidate_caches()  # the files were written after start-up
    function = getattr(importlib.import_module(module_name), name)
    if not callable(function):
        raise TypeError(f"{entry!r} is not callable")
    return function


# ---- calling conventions --------------------------------------------------------------------
# Each builder runs once at load and returns call(message, start) for the hot path.


class QinlingContext(dict):
    """The `context` keyword argument of a Qinling function: a dict, as Qinling passed.

    `os_session` is what Qinling itself put there (None without Keystone), so code written for it
    keeps working.
    """

    __slots__ = ("_deadline",)

    def getRemainingTimeInMilliSeconds(self):
        return max(0, int((self._deadline - _clock()) * 1000))


_CO_VARKEYWORDS = 0x08  # code.co_flags bit of a function with a **kwargs parameter


def _accepts_context(function):
    """Whether `function` takes a `context` keyword: a parameter of that name, or **kwargs.

    A plain function is read from its code object. Anything else (a class, a partial, a function
    wrapped by a decorator) goes through inspect, imported only then: importing it up front would
    add about 5 ms to every worker's start-up.
    """
    if type(function) is types.FunctionType and not hasattr(function, "__wrapped__"):
        code = function.__code__
        # co_varnames starts with the positional-only, then the other positional, then the
        # keyword-only parameters.
        keyword_names = code.co_varnames[code.co_posonlyargcount:code.co_argcount + code.co_kwonlyargcount]
        return bool(code.co_flags & _CO_VARKEYWORDS) or "context" in keyword_names
    import inspect

    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return False
    return any(
        p.kind is p.VAR_KEYWORD
        or (p.name == "context" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        for p in parameters
    )


def _qinling(function):
    """main(input) when positional, main(**input) for an object, main() for null."""
    wants_context = _accepts_context(function)

    def call(message, start):
        data = message.get("input")
        if message.get("positional"):
            args, kwargs = (data,), {}
        elif data is None:
            args, kwargs = (), {}
        elif type(data) is dict:
            args, kwargs = (), data
        else:  # a non-object the daemon did not mark positional: still one argument
            args, kwargs = (data,), {}
        if wants_context and "context" not in kwargs:
            context = QinlingContext(
                execution_id=message.get("execution_id"),
                function_id=message.get("function_id"),
                function_version=message.get("version"),
                timeout=message.get("timeout"),
                os_session=None,
            )
            context._deadline = start + (message.get("timeout") or 0)
            kwargs["context"] = context
        return function(*args, **kwargs)

    return call


class FunctionGraphLogger:
    """context.getLogger(): lines `<UTC time> <request id> <LEVEL> <message>` on stdout."""

    __slots__ = ("_request_id",)

    def __init__(self, request_id):
        self._request_id = request_id

    def _log(self, level, message, args):
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % (now * 1000 % 1000)
        text = message % args if args else message
        sys.stdout.write(f"{stamp} {self._request_id} {level} {text}\n")

    def debug(self, message, *args):
        self._log("DEBUG", message, args)

    def info(self, message, *args):
        self._log("INFO", message, args)

    def warn(self, message, *args):
        self._log("WARN", message, args)

    warning = warn

    def error(self, message, *args):
        self._log("ERROR", message, args)


class FunctionGraphContext:
    """The `context` of handler(event, context), with FunctionGraph's methods.

    Descriptive values the protocol does not carry come from the environment names FunctionGraph's
    runtime uses (RUNTIME_FUNC_NAME, RUNTIME_MEMORY, ...), with defaults that fit a local daemon.
    Credentials are never given to functions: the key and token getters return "".
    """

    __slots__ = ("_request_id", "_function_id", "_version", "_timeout", "_deadline")

    def __init__(self, message, start):
        self._request_id = message.get("execution_id")
        self._function_id = message.get("function_id")
        self._version = message.get("version")
        self._timeout = message.get("timeout") or 0
        self._deadline = start + self._timeout

    def getRequestID(self):
        return self._request_id

    def getRemainingTimeInMilliSeconds(self):
        return max(0, int((self._deadline - _clock()) * 1000))

    def getRunningTimeInSeconds(self):
        return int(self._timeout)

    def getUserData(self, key, default=None):
        return os.environ.get(key, default)

    def getFunctionName(self):
        return os.environ.get("RUNTIME_FUNC_NAME") or self._function_id

    def getVersion(self):
        # FunctionGraph's `latest` is Qinling's version 0.
        return os.environ.get("RUNTIME_FUNC_VERSION") or ("latest" if not self._version else str(self._version))

    def getAlias(self):
        return os.environ.get("RUNTIME_FUNC_ALIAS", "")

    def getMemorySize(self):
        return int(os.environ.get("RUNTIME_MEMORY") or 128)

    def getCPUNumber(self):
        return int(os.environ.get("RUNTIME_CPU") or os.cpu_count() or 1)

    def getProjectID(self):
        return os.environ.get("RUNTIME_PROJECT_ID", "")

    def getPackage(self):
        return os.environ.get("RUNTIME_PACKAGE") or "default"

    def getLogger(self):
        return FunctionGraphLogger(self._request_id)

    def getAccessKey(self):
        return ""

    getSecretKey = getSecurityAccessKey = getSecuritySecretKey = getAccessKey
    getToken = getSecurityToken = getAccessKey


def _functiongraph(function):
    """handler(event, context)."""

    def call(message, start):
        return function(message.get("input"), FunctionGraphContext(message, start))

    return call


_CONVENTIONS = {"qinling": _qinling, "functiongraph": _functiongraph}


# ---- invoke ---------------------------------------------------------------------------------


def _invoke(message):
    if _call is None:
        reply = _encode({"type": "result", "ok": False, "error_type": "exception",
                         "output": _load_error or "no function is loaded", "duration": 0.0})
        _write_frame(reply)
        return
    start = _clock()
    try:
        output = _call(message, start)
    except BaseException as error:  # SystemExit, KeyboardInterrupt too: the worker keeps serving
        duration = _clock() - start
        _print_exception(error)
        reply = _encode({"type": "result", "ok": False, "error_type": "exception",
                         "output": _message(error), "duration": duration})
    else:
        duration = _clock() - start
        try:
            reply = _encode({"type": "result", "ok": True, "output": output, "duration": duration})
        except Exception as error:  # TypeError, ValueError (circular, NaN), RecursionError, ...
            reply = _encode({
                "type": "result", "ok": False, "error_type": "unserializable",
                "output": f"The function returned a value that is not JSON serializable: {error}",
                "duration": duration,
            })
    _flush_stdio()
    _write_frame(reply)


def main():
    try:
        _write_frame(_encode({"type": "hello", "runtime": RUNTIME, "pid": os.getpid()}))
        while _serve_one():
            pass
    except (BrokenPipeError, ConnectionResetError):  # the daemon went away: same as end-of-file
        pass
    _flush_stdio()
    # os._exit rather than sys.exit: threads or atexit hooks the function left behind must not
    # keep a worker alive after the daemon let go of it.
    os._exit(0)


if __name__ == "__main__":
    main()
