#!/usr/bin/env python3
"""Writes Tests/Fuzz/corpus/zip/: zips made by Python's zipfile that HearthZip must read
(ok-*.zip) and malformed ones it must refuse without trapping (bad-*.zip), each made by
patching a good one the way an attacker would. HearthZipTests reads every file here and
checks each verdict; the zip fuzz target seeds from the same files.

Run it again after changing a case: python3 Tests/Fuzz/make_zip_corpus.py
The output is deterministic (fixed timestamps), so an unchanged case leaves its file alone."""

import io
import os
import struct
import warnings
import zipfile

warnings.filterwarnings("ignore", "Duplicate name")

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "zip")
WHEN = (2025, 1, 2, 3, 4, 6)
HELLO = b"def main(name='World', **kwargs):\n    return 'Hello, %s' % name\n"


def info(name, mode=0o100644, method=zipfile.ZIP_DEFLATED):
    entry = zipfile.ZipInfo(name, date_time=WHEN)
    entry.compress_type = method
    entry.create_system = 3
    entry.external_attr = mode << 16
    if name.endswith("/"):
        entry.external_attr |= 0x10
    return entry


def build(entries, comment=b"", stream=None):
    """entries: (name, bytes, mode, method)."""
    buffer = stream or io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, mode, method in entries:
            archive.writestr(info(name, mode, method), data)
        archive.comment = comment
    return bytearray(buffer.getvalue())


def one(name=b"hello.py", data=HELLO, method=zipfile.ZIP_DEFLATED):
    return build([(name if isinstance(name, str) else name.decode(), data, 0o100644, method)])


def renamed(name, raw):
    """A one-file zip named `name`, then renamed to the same-length bytes `raw` in both
    headers (zipfile itself would cut a name at NUL or re-encode it)."""
    data = one(name)
    assert len(raw) == len(name)
    for at in (data.find(LOCAL) + 30, data.find(CENTRAL) + 46):
        data[at:at + len(raw)] = raw
    return data


def offsets(data, signature):
    found, start = [], 0
    while (at := data.find(signature, start)) >= 0:
        found.append(at)
        start = at + 1
    return found


LOCAL, CENTRAL, END = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"


def patch32(data, at, value):
    struct.pack_into("<I", data, at, value)
    return data


def patch16(data, at, value):
    struct.pack_into("<H", data, at, value)
    return data


class Unseekable(io.RawIOBase):
    """A write-only stream zipfile cannot seek in, so it writes data descriptors (flag bit 3)."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)

    def getvalue(self):
        return bytes(self.data)


def good():
    yield "ok-stored.zip", build([("hello.py", HELLO, 0o100644, zipfile.ZIP_STORED),
                                   ("lib/util.py", b"X = 1\n", 0o100644, zipfile.ZIP_STORED)])
    yield "ok-deflate.zip", build([
        ("lib/", b"", 0o40755, zipfile.ZIP_STORED),
        ("hello.py", HELLO, 0o100644, zipfile.ZIP_DEFLATED),
        ("lib/util.py", b"X = 1\n" * 50, 0o100600, zipfile.ZIP_DEFLATED),
        ("bin/run.sh", b"#!/bin/sh\necho hi\n", 0o100755, zipfile.ZIP_DEFLATED),
        ("empty.txt", b"", 0o100644, zipfile.ZIP_DEFLATED),
        ("docs/", b"", 0o40755, zipfile.ZIP_STORED),
    ])
    big = b"".join(b"hearth line %06d\n" % (i % 1000) for i in range(200_000))  # 3.6 MB, compresses well
    yield "ok-big.zip", build([("big.txt", big, 0o100644, zipfile.ZIP_DEFLATED)])
    yield "ok-empty-archive.zip", build([])
    # A comment that itself holds an end-record signature: the search must not stop there.
    yield "ok-comment.zip", build([("hello.py", HELLO, 0o100644, zipfile.ZIP_DEFLATED)], comment=b"see PK\x05\x06 here" + b"." * 40)
    stream = Unseekable()
    build([("hello.py", HELLO, 0o100644, zipfile.ZIP_DEFLATED), ("b.txt", b"b" * 1000, 0o100644, zipfile.ZIP_DEFLATED)], stream=stream)
    yield "ok-data-descriptor.zip", stream.getvalue()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        with archive.open(info("hello.py"), "w", force_zip64=True) as f:
            f.write(HELLO)
    yield "ok-zip64-extra.zip", buffer.getvalue()
    yield "ok-unicode.zip", build([("héllo/wörld.py", HELLO, 0o100644, zipfile.ZIP_DEFLATED)])


def bad():
    # The 176-byte crasher: a valid one-file zip whose end record puts the central directory
    # past the end of the file (ZIPFoundation trapped on `Range requires lowerBound <= upperBound`).
    data = one()
    end = data.rfind(END)
    yield "bad-eocd-offset.zip", patch32(data, end + 16, len(data) + 4096)

    # The central directory's size made to end past the end record.
    data = one()
    end = data.rfind(END)
    yield "bad-directory-size.zip", patch32(data, end + 12, struct.unpack_from("<I", data, end + 12)[0] + 100)

    # The last central record cut short, with the end record's size agreeing.
    data = build([("a.py", b"a", 0o100644, zipfile.ZIP_STORED), ("b.py", b"b", 0o100644, zipfile.ZIP_STORED)])
    end = data.rfind(END)
    cut = data[:end - 4] + data[end:]
    end -= 4
    yield "bad-directory-truncated.zip", patch32(cut, end + 12, struct.unpack_from("<I", cut, end + 12)[0] - 4)

    # More entries counted than there are.
    data = one()
    end = data.rfind(END)
    patch16(data, end + 8, 2)
    yield "bad-entry-count.zip", patch16(data, end + 10, 2)

    # A local header offset past the central directory.
    data = one()
    yield "bad-local-offset.zip", patch32(data, data.find(CENTRAL) + 42, 0x7FFFFFF0)

    # A local header offset that lands inside the data, not on a header.
    data = one(data=HELLO * 3, method=zipfile.ZIP_STORED)
    yield "bad-local-signature.zip", patch32(data, data.find(CENTRAL) + 42, 40)

    # A zip that lies about its size (both headers say 100 bytes; it inflates to 1 MiB).
    data = one(b"bomb.py", b"\0" * (1 << 20))
    patch32(data, data.find(LOCAL) + 22, 100)
    yield "bad-sizes-lie.zip", patch32(data, data.find(CENTRAL) + 24, 100)

    # A stored entry whose declared size differs from its compressed size.
    data = one(method=zipfile.ZIP_STORED)
    patch32(data, data.find(LOCAL) + 22, 10)
    yield "bad-stored-size.zip", patch32(data, data.find(CENTRAL) + 24, 10)

    # A bad CRC-32 in both headers: the data is not what was zipped.
    data = one()
    crc = struct.unpack_from("<I", data, data.find(CENTRAL) + 16)[0] ^ 1
    patch32(data, data.find(LOCAL) + 14, crc)
    yield "bad-crc.zip", patch32(data, data.find(CENTRAL) + 16, crc)

    # One flipped byte in stored data.
    data = one(method=zipfile.ZIP_STORED)
    data[data.find(LOCAL) + 30 + len(b"hello.py") + 5] ^= 0x20
    yield "bad-crc-data.zip", data

    # Method 12 (bzip2) in both headers.
    data = one()
    patch16(data, data.find(LOCAL) + 8, 12)
    yield "bad-method.zip", patch16(data, data.find(CENTRAL) + 10, 12)

    # The encryption flag in both headers.
    data = one()
    patch16(data, data.find(LOCAL) + 6, 1)
    yield "bad-encrypted.zip", patch16(data, data.find(CENTRAL) + 8, 1)

    # The local header names another file than the central directory.
    data = one()
    data[data.find(LOCAL) + 30] = ord("j")
    yield "bad-local-name.zip", data

    # The local header's method differs from the central directory's.
    data = one()
    yield "bad-local-method.zip", patch16(data, data.find(LOCAL) + 8, 0)

    yield "bad-dotdot.zip", one(b"a/../../escape.py")
    yield "bad-absolute.zip", one(b"/etc/cron.d/x")
    yield "bad-backslash.zip", one(b"..\\..\\escape.py")
    yield "bad-nul.zip", renamed(b"hello.py_.txt", b"hello.py\0.txt")
    yield "bad-control.zip", renamed(b"hello_.py", b"hello\n.py")
    yield "bad-not-utf8.zip", renamed(b"cafX.py", b"caf\xe9.py")
    yield "bad-dot.zip", one(b"./hello.py")
    yield "bad-empty-component.zip", one(b"lib//hello.py")
    yield "bad-long-component.zip", one(b"lib/" + b"a" * 256 + b".py")
    yield "bad-name-too-long.zip", one(b"a/" * 600 + b"x.py")
    yield "bad-duplicate.zip", build([("hello.py", HELLO, 0o100644, zipfile.ZIP_DEFLATED), ("hello.py", b"evil", 0o100644, zipfile.ZIP_DEFLATED)])
    yield "bad-file-and-directory.zip", build([("lib", b"x", 0o100644, zipfile.ZIP_STORED), ("lib/util.py", b"y", 0o100644, zipfile.ZIP_STORED)])
    yield "bad-symlink.zip", build([("link.py", b"/etc/shadow", 0o120777, zipfile.ZIP_STORED)])
    yield "bad-fifo.zip", build([("fifo", b"", 0o010644, zipfile.ZIP_STORED)])
    yield "bad-directory-contents.zip", build([("lib/", b"not empty", 0o40755, zipfile.ZIP_STORED)])

    # The deflate stream cut in half: the declared compressed size (both headers) covers
    # only its first half; the rest lies unused before the central directory.
    data = one(b"hello.py", bytes(range(256)) * 8)
    size = struct.unpack_from("<I", data, data.find(CENTRAL) + 20)[0]
    patch32(data, data.find(LOCAL) + 18, size // 2)
    yield "bad-truncated-deflate.zip", patch32(data, data.find(CENTRAL) + 20, size // 2)

    # Garbage where the deflate stream should be.
    data = one(b"hello.py", bytes(range(256)) * 8)
    start = data.find(LOCAL) + 30 + len(b"hello.py")
    data[start:start + 8] = b"\xff" * 8
    yield "bad-deflate-data.zip", data

    # Overlapping entries: 'b.py' is stored inside the data of 'a.bin', and the central
    # record of 'b.py' points there (the shape of the densest zip bombs).
    inner = one(b"b.py", b"print('b')\n", zipfile.ZIP_STORED)
    inner_local = bytes(inner[:inner.find(CENTRAL)])
    data = build([("a.bin", inner_local, 0o100644, zipfile.ZIP_STORED), ("b.py", b"print('b')\n", 0o100644, zipfile.ZIP_STORED)])
    centrals = offsets(data, CENTRAL)
    yield "bad-overlap.zip", patch32(data, centrals[-1] + 42, 30 + len(b"a.bin"))

    # Trailing bytes after the end record (its comment length no longer reaches the end).
    yield "bad-trailing-bytes.zip", one() + b"x" * 30

    yield "bad-not-a-zip.zip", b"PK\x03\x04 truncated"
    yield "bad-empty-file.zip", b""


def main():
    os.makedirs(HERE, exist_ok=True)
    wanted = set()
    for name, data in [*good(), *bad()]:
        wanted.add(name)
        path = os.path.join(HERE, name)
        if not os.path.exists(path) or open(path, "rb").read() != bytes(data):
            with open(path, "wb") as f:
                f.write(bytes(data))
    for stale in set(os.listdir(HERE)) - wanted:
        os.remove(os.path.join(HERE, stale))
    crasher = os.path.getsize(os.path.join(HERE, "bad-eocd-offset.zip"))
    print(f"{len(wanted)} files in {HERE} (the EOCD crasher is {crasher} bytes)")


if __name__ == "__main__":
    main()
