"""Hearth's shell worker: runs any executable in the package, the input on stdin, stdout as the output.

Started by the daemon as `/usr/bin/python3 -I -S -u /runtimes/shell/worker.py` and spoken to over fd 3
with the frames described in ../PROTOCOL.md: it says `hello`, receives one `load` (the function's
entry, with the package's directory as a descriptor), then answers each `invoke` with one `result`.

The entry is a path in the package (`run.sh`, `bin/hello.py`). Each invocation runs it once, with
cwd the package's directory, the input on stdin (a JSON string as its text, null as nothing, anything else
as compact JSON text), the worker's environment plus HEARTH_EXECUTION_ID and HEARTH_FUNCTION_ID, and
stderr inherited (the daemon logs it). Its stdout, less one trailing newline, is the output; it is
also copied to the worker's stdout as it arrives, so the log has it too. Exit status 0 is success;
anything else is a failed result `exit status N[: <last line of stdout>]` or `killed by signal N`.

The result is sent as soon as the executable itself has exited: children it left behind holding
stdout open do not delay it (what they write later is lost).

Standard library only. Per invocation: one posix_spawn (vfork + exec in glibc), a poll loop over
the stdin and stdout pipes and a pidfd, one waitpid.
"""

import errno
import json
import os
import select
import signal
import sys
import time

# The shared protocol module sits beside the runtime directories (runtimes/lib).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from hearth_worker import (  # noqa: E402
    FRAME_FD, begin_call, code_directory, encode as _encode, end_call, flush_stdio as _flush_stdio,
    serve, write_frame as _write_frame,
)
del sys.path[0]

RUNTIME = os.environ.get("HEARTH_RUNTIME", "shell")

_encode_input = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_clock = time.perf_counter


def _keep_fds_to_the_worker():
    """The executable inherits fds 0-2 only: not the daemon's socket, nor anything else the worker
    was started with."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = [FRAME_FD]
    for fd in fds:
        if fd > 2:
            try:
                os.set_inheritable(fd, False)
            except OSError:  # the directory listdir had open, closed by now
                pass


_keep_fds_to_the_worker()

# Python ignores SIGPIPE and SIGXFSZ; the daemon may have ignored others. The executable starts with
# the default disposition of these (as subprocess's restore_signals does) and no blocked signal.
_RESET_SIGNALS = tuple(
    getattr(signal, name) for name in (
        "SIGPIPE", "SIGXFSZ", "SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGALRM", "SIGUSR1",
        "SIGUSR2", "SIGCHLD", "SIGTSTP", "SIGTTIN", "SIGTTOU",
    ) if hasattr(signal, name)
)

_CHUNK = 1 << 16
# After the executable exited: how long to keep reading what is already in its stdout pipe, in
# case a child it left behind keeps writing.
_DRAIN_SECONDS = 0.1

# Set by `load`.
_entry = None       # the entry as given, for messages
_argv = None        # how to run it: [path], [interpreter, (argument,) path] or ["/bin/sh", path]
_fallback = None    # what to run instead if exec of an executable file fails with ENOEXEC/EACCES
_base_env = None
_load_error = None


# ---- frames ---------------------------------------------------------------------------------


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# ---- load -----------------------------------------------------------------------------------


class LoadError(Exception):
    pass


def _load(message, fds):
    global _entry, _argv, _fallback, _base_env, _load_error
    if _argv is not None or _load_error is not None:
        _write_frame(_encode({"type": "loaded", "ok": False, "error": "this worker is already loaded"}))
        return
    try:
        # The executable runs in the package's directory (posix_spawn keeps the worker's cwd).
        # The descriptor stays inheritable: a #! interpreter opens the script by its
        # /proc/self/fd path after exec. The directory is outside the sandbox's root, where
        # getcwd() fails; PWD names it, so that shells take it instead of asking.
        directory = code_directory(fds)
        os.set_inheritable(fds[0], True)
        os.fchdir(fds[0])
        entry = message.get("entry") or ""
        _argv, _fallback = _resolve(entry, directory)
        _entry = entry
        _base_env = dict(os.environ, PWD=directory)
        reply = {"type": "loaded", "ok": True}
    except Exception as error:
        _argv = None
        if not isinstance(error, LoadError):
            sys.stderr.write(f"hearth shell worker: load failed: {error!r}\n")
        _load_error = str(error) or type(error).__name__
        reply = {"type": "loaded", "ok": False, "error": _load_error}
    _flush_stdio()
    _write_frame(_encode(reply))


def _resolve(entry, directory):
    """(argv, fallback) for the entry: the file <directory>/<entry>, which must exist."""
    missing = LoadError(f"No executable named {entry!r} in the package")
    if not entry or entry.startswith("/") or ".." in entry.split("/"):
        raise missing
    path = os.path.join(directory, entry)
    if not os.path.isfile(path):
        raise missing
    with open(path, "rb") as source:
        head = source.read(256)  # the kernel reads at most this much of a #! line
    interpreted = _interpreted(head, path)
    if os.access(path, os.X_OK):
        return [path], interpreted
    return interpreted, None


def _interpreted(head, path):
    """argv running the file through its #! interpreter (as the kernel would), else /bin/sh."""
    if head.startswith(b"#!"):
        line = head[2:].split(b"\n", 1)[0].strip(b" \t\r")
        # Linux: the interpreter ends at the first blank; everything after it is one argument.
        end = next((i for i, byte in enumerate(line) if byte in b" \t"), len(line))
        interpreter, argument = line[:end], line[end:].strip(b" \t")
        if interpreter:
            return [os.fsdecode(interpreter)] + ([os.fsdecode(argument)] if argument else []) + [path]
    return ["/bin/sh", path]


# ---- invoke ---------------------------------------------------------------------------------


def _stdin_bytes(data):
    if data is None:
        return b""
    if type(data) is str:
        return data.encode("utf-8", "replace")
    return _encode_input(data).encode("utf-8", "replace")


def _spawn(env, stdin_fd, stdout_fd):
    global _argv, _fallback
    actions = [(os.POSIX_SPAWN_DUP2, stdin_fd, 0), (os.POSIX_SPAWN_DUP2, stdout_fd, 1)]
    try:
        return os.posix_spawn(_argv[0], _argv, env, file_actions=actions,
                              setsigdef=_RESET_SIGNALS, setsigmask=())
    except OSError as error:
        # A script without a #! line (ENOEXEC), or a file system that refuses exec (EACCES):
        # run it the other way from now on, as a shell would.
        if _fallback is None or error.errno not in (errno.ENOEXEC, errno.EACCES):
            raise
        _argv, _fallback = _fallback, None
        return os.posix_spawn(_argv[0], _argv, env, file_actions=actions,
                              setsigdef=_RESET_SIGNALS, setsigmask=())


def _run(data, env):
    """Run the executable once; (wait status, stdout bytes)."""
    payload = _stdin_bytes(data)
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    pid = pidfd = -1
    try:
        # Whatever fits in the pipe goes in before the spawn; usually that is all of it.
        os.set_blocking(in_w, False)
        pending = memoryview(payload)
        if pending:
            try:
                pending = pending[os.write(in_w, pending):]
            except BlockingIOError:
                pass
        if not pending:
            os.close(in_w)
            in_w = -1
        try:
            pid = _spawn(env, in_r, out_w)
        finally:
            os.close(in_r)
            os.close(out_w)
            in_r = out_w = -1
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = -1  # no pidfd: poll with a timeout and check with waitpid(WNOHANG)

        os.set_blocking(out_r, False)
        poller = select.poll()
        poller.register(out_r, select.POLLIN)
        if in_w >= 0:
            poller.register(in_w, select.POLLOUT)
        if pidfd >= 0:
            poller.register(pidfd, select.POLLIN)
        chunks = []
        status = None
        exited = False
        timeout = -1 if pidfd >= 0 else 1
        while True:
            for fd, event in poller.poll(timeout):
                if fd == out_r:
                    try:
                        chunk = os.read(out_r, _CHUNK)
                    except BlockingIOError:
                        continue
                    if chunk:
                        chunks.append(chunk)
                        _write_all(1, chunk)
                    else:  # everyone closed it
                        poller.unregister(out_r)
                        os.close(out_r)
                        out_r = -1
                elif fd == in_w:
                    try:
                        if event & select.POLLOUT:
                            pending = pending[os.write(in_w, pending):]
                        else:  # POLLERR: nobody reads stdin any more
                            pending = pending[:0]
                    except BlockingIOError:
                        pass
                    except OSError:  # BrokenPipeError
                        pending = pending[:0]
                    if not pending:
                        poller.unregister(in_w)
                        os.close(in_w)
                        in_w = -1
                elif fd == pidfd:
                    exited = True
            if pidfd < 0:
                reaped, wait_status = os.waitpid(pid, os.WNOHANG)
                if reaped:
                    status, exited = wait_status, True
                else:
                    timeout = min(timeout * 2, 50)
            if exited or (out_r < 0 and in_w < 0):
                break

        if out_r >= 0:
            # The executable has exited; what it wrote is in the pipe. Take that, not waiting for
            # children that still hold the pipe open.
            deadline = _clock() + _DRAIN_SECONDS
            while _clock() < deadline:
                try:
                    chunk = os.read(out_r, _CHUNK)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
                _write_all(1, chunk)
        if status is None:
            status = os.waitpid(pid, 0)[1]
        pid = -1
        return status, b"".join(chunks)
    finally:
        for fd in (in_r, in_w, out_r, out_w, pidfd):
            if fd >= 0:
                os.close(fd)
        if pid > 0:  # an error between spawn and wait: do not leave a zombie behind
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass


def _invoke(message, fds):
    begin_call(fds)
    if _argv is None:
        end_call(fds)
        _write_frame(_encode({"type": "result", "ok": False, "error_type": "exception",
                              "output": _load_error or "no function is loaded", "duration": 0.0}))
        return
    env = _base_env.copy()
    env["HEARTH_EXECUTION_ID"] = str(message.get("execution_id") or "")
    env["HEARTH_FUNCTION_ID"] = str(message.get("function_id") or "")
    start = _clock()
    try:
        status, raw = _run(message.get("input"), env)
    except Exception as error:
        duration = _clock() - start
        text = f"cannot run {_entry!r}: {error}"
        sys.stderr.write(f"hearth shell worker: {text}\n")
        reply = {"type": "result", "ok": False, "error_type": "exception", "output": text,
                 "duration": duration}
    else:
        duration = _clock() - start
        output = raw.decode("utf-8", "replace")
        if output.endswith("\n"):
            output = output[:-1]
        code = os.waitstatus_to_exitcode(status)
        if code == 0:
            reply = {"type": "result", "ok": True, "output": output, "duration": duration}
        else:
            if code < 0:
                text = f"killed by signal {-code}"
            else:
                text = f"exit status {code}"
                last = next((line.rstrip() for line in reversed(output.splitlines()) if line.strip()), "")
                if last:
                    text += ": " + last
            reply = {"type": "result", "ok": False, "error_type": "exception", "output": text,
                     "duration": duration}
    end_call(fds)
    _write_frame(_encode(reply))


def main():
    serve(RUNTIME, _load, _invoke)


if __name__ == "__main__":
    main()
