"""Hearth's Python 3 worker: one long-lived process that runs one function version.

Started by the daemon as `/usr/bin/python3 -I -S -u /runtimes/python3/worker.py` and spoken to
over fd 3 with the frames described in ../PROTOCOL.md: it says `hello`, receives one `load` (the
entry, with the function's code directory as a descriptor), then answers each `invoke` with one
`result`. During a call, fds 1 and 2 are the call's own pipes, passed with the invoke.

Standard library only. The worker is on the hot path of every execution, so the per-invocation
work is kept to: one recvmsg, one JSON decode, two dup2, the call, one JSON encode, one write.
"""

import importlib
import os
import sys
import time
import types

# The shared protocol module sits beside the runtime directories (runtimes/lib).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from hearth_worker import (  # noqa: E402
    begin_call, code_directory, encode as _encode, end_call, flush_stdio as _flush_stdio,
    serve, write_frame as _write_frame,
)
del sys.path[0]

RUNTIME = os.environ.get("HEARTH_RUNTIME", "python3")

_clock = time.perf_counter
_THIS_FILE = __file__

# Set by `load`: the function wrapped in its calling convention, or why loading failed.
_call = None
_load_error = None

# The function's directory is read-only and shared, so .pyc files could not be written anyway.
sys.dont_write_bytecode = True


# ---- errors ---------------------------------------------------------------------------------


def _message(error):
    """What a user sees as the output of a failed call: str(e), or the class name if that is empty."""
    try:
        text = str(error)
    except Exception:
        text = ""
    return text or type(error).__name__


def _print_exception(error):
    """Print the traceback to stderr, without the worker's own frames at the top.

    traceback is imported here, on the first error: at start-up it would cost every worker about
    7 ms (it pulls in linecache and tokenize).
    """
    import traceback

    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == _THIS_FILE:
        tb = tb.tb_next
    try:
        traceback.print_exception(type(error), error, tb)
    except Exception:  # stderr replaced by something unusable; the message still reaches the user
        pass


# ---- load -----------------------------------------------------------------------------------


def _load(message, fds):
    global _call, _load_error
    if _call is not None or _load_error is not None:
        _write_frame(_encode({"type": "loaded", "ok": False, "error": "this worker is already loaded"}))
        return
    try:
        # FunctionGraph user_data: set before the import, since module code may read it.
        os.environ.update(message.get("environment") or {})
        function = _resolve(message.get("entry") or "", code_directory(fds))
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


def _resolve(entry, directory):
    """Import `module.path.function` (split at the last dot) from `directory`; the function."""
    module_name, _, name = entry.rpartition(".")
    if not module_name or not name:
        raise ValueError(f"invalid entry {entry!r}: expected module.function")
    sys.path.insert(0, directory)
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


def _invoke(message, fds):
    begin_call(fds)
    if _call is None:
        reply = _encode({"type": "result", "ok": False, "error_type": "exception",
                         "output": _load_error or "no function is loaded", "duration": 0.0})
        end_call(fds)
        _write_frame(reply)
        return
    start = _clock()
    try:
        output = _call(message, start)
    except BaseException as error:  # SystemExit, KeyboardInterrupt too: the worker keeps serving
        duration = _clock() - start
        _print_exception(error)
        if isinstance(error, (BlockingIOError, MemoryError)):
            # A process, thread or allocation the sandbox's limits refused (EAGAIN from fork is
            # BlockingIOError): say so, as Qinling did, rather than only "Resource temporarily
            # unavailable".
            reply = _encode({"type": "result", "ok": False, "error_type": "resource", "duration": duration,
                             "output": "Function execution failed because of too much resource consumption: "
                                       + _message(error)})
        else:
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
    end_call(fds)
    _write_frame(reply)


def main():
    serve(RUNTIME, _load, _invoke)


if __name__ == "__main__":
    main()
