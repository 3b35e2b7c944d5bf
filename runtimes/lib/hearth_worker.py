"""What the Python-based workers share: the frames of ../PROTOCOL.md on fd 3, the descriptors that
ride on them, the switch of fds 1 and 2 to a call's own output pipes and back, and the loop that
hands each message to the worker's handlers.

Standard library only, and only C modules (`_socket`, `json`, `struct`): importing `socket` would
pull in `enum` and `selectors` and cost every worker's start-up a few milliseconds.
"""

import _socket
import json
import os
import struct
import sys

FRAME_FD = 3
# A frame never carries more than a few descriptors; room for more costs nothing.
_CONTROL_SPACE = _socket.CMSG_SPACE(16 * 4)
_MAX_FRAME = 64 << 20

# u32 frame length, u32 header length (both big-endian).
_PREFIX = struct.Struct(">II")
# allow_nan=False: NaN/Infinity are not JSON, and the daemon's decoder would reject the whole frame.
encode = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode

_socket_in = _socket.socket(fileno=FRAME_FD)
_buffer = bytearray()
# Descriptors in the order they arrived; each frame takes as many as its "fds" says.
_received = []
# The worker's own stdout and stderr, put back on 1 and 2 after each call.
_own_output = (os.dup(1), os.dup(2))


def _fill(count):
    """Read until the buffer holds `count` bytes; False at end-of-file."""
    while len(_buffer) < count:
        data, ancillary, _, _ = _socket_in.recvmsg(max(1 << 16, count - len(_buffer)), _CONTROL_SPACE)
        for level, kind, payload in ancillary:
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                whole = len(payload) - len(payload) % 4
                _received.extend(struct.unpack(f"{whole // 4}i", payload[:whole]))
        if not data:
            return False
        _buffer.extend(data)
    return True


def read_frame():
    """(message, blob, fds) of the next frame, or None at end-of-file."""
    if not _fill(8):
        return None
    length, header_length = _PREFIX.unpack_from(_buffer)
    if length < 4 or header_length > length - 4 or length > _MAX_FRAME:
        protocol_error(f"bad frame lengths {length}/{header_length}")
    # The length counts the header length's four bytes and what follows them.
    if not _fill(4 + length):
        return None
    body = _buffer[8:4 + length]
    del _buffer[:4 + length]
    message = json.loads(body[:header_length])
    count = message.get("fds") or 0
    if count > len(_received):
        protocol_error(f"the frame announces {count} descriptors, {len(_received)} arrived")
    fds = _received[:count]
    del _received[:count]
    return message, memoryview(body)[header_length:], fds


def write_frame(header):
    """Send one frame whose header is the JSON text `header` (a worker never sends a blob)."""
    data = header.encode()
    frame = _PREFIX.pack(len(data) + 4, len(data)) + data
    sent = os.write(FRAME_FD, frame)
    if sent < len(frame):  # a large frame may be taken by the socket in several parts
        view = memoryview(frame)
        while sent < len(frame):
            sent += os.write(FRAME_FD, view[sent:])


def flush_stdio():
    """Push what the function printed into the pipes before the daemon sees the answer."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # the function may have replaced or closed them; the answer goes anyway
            pass


def protocol_error(reason):
    sys.stderr.write(f"hearth worker: protocol error: {reason}\n")
    flush_stdio()
    os._exit(2)


def begin_call(fds):
    """Put a call's stdout and stderr (the invoke's two descriptors) on fds 1 and 2.

    dup2 rather than replacing sys.stdout: output of C code and of child processes goes to the
    call's pipes too. No descriptors (a daemon that sends none): output stays where it is.
    """
    if not fds:
        return
    if len(fds) != 2:
        protocol_error(f"invoke carries {len(fds)} descriptors, expected stdout and stderr")
    flush_stdio()
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    os.close(fds[0])
    os.close(fds[1])


def end_call(fds):
    """Flush the call's output and give fds 1 and 2 back to the worker: from now on nothing the
    function left behind holds the call's pipes through them, so the daemon can close them."""
    flush_stdio()
    if fds:
        os.dup2(_own_output[0], 1)
        os.dup2(_own_output[1], 2)


def code_directory(fds):
    """The function's code: the directory the load's one descriptor names, reached through
    /proc/self/fd, so that nothing else of the host's is visible.

    Not the cwd: it lies outside the sandbox's root, where getcwd() fails, and a shell started
    there complains."""
    if len(fds) != 1:
        protocol_error(f"load carries {len(fds)} descriptors, expected the code directory")
    return f"/proc/self/fd/{fds[0]}"


def serve(runtime, load, invoke):
    """Say hello, then hand each `load` and `invoke` to its handler (message, fds) until the
    daemon closes fd 3. Never returns."""
    try:
        write_frame(encode({"type": "hello", "runtime": runtime, "pid": os.getpid()}))
        while _serve_one(load, invoke):
            pass
    except (BrokenPipeError, ConnectionResetError):  # the daemon went away: same as end-of-file
        pass
    flush_stdio()
    # os._exit rather than sys.exit: threads or atexit hooks the function left behind must not
    # keep a worker alive after the daemon let go of it.
    os._exit(0)


def _serve_one(load, invoke):
    """Read and handle one message; False at end-of-file.

    A function of its own so that nothing of the frame (which may hold a huge input) stays
    referenced while the worker waits for the next one.
    """
    frame = read_frame()
    if frame is None:
        return False
    message, _, fds = frame
    kind = message.get("type")
    if kind == "invoke":
        invoke(message, fds)
    elif kind == "load":
        load(message, fds)
    else:
        protocol_error(f"unexpected message type {kind!r}")
    return True
