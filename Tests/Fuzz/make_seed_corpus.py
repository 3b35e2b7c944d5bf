#!/usr/bin/env python3
"""Writes the hand-made seeds (seed-*) of Tests/Fuzz/corpus/<target>/ for every hearth-fuzz
target but zip (Tests/Fuzz/make_zip_corpus.py writes that one): what real clients send,
edge cases, and the inputs behind the findings of issue 10. Each file is one input in the
target's format (see Sources/hearth-fuzz/Targets/). The fuzzer starts from these; `make
test` replays them with the rest of the corpus.

Run it again after changing a case: python3 Tests/Fuzz/make_seed_corpus.py
The output is deterministic, so an unchanged case leaves its file alone."""

import io
import json
import os
import struct
import zipfile

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def frame(header, blob=b""):
    """A worker frame as runtimes/PROTOCOL.md defines it: u32 total | u32 header length | header | blob."""
    head = json.dumps(header).encode()
    return struct.pack(">II", 4 + len(head) + len(blob), len(head)) + head + blob


def multipart(boundary, parts):
    """As urllib3's encode_multipart_formdata (under requests) writes it."""
    out = b""
    for name, value, filename, content_type in parts:
        out += b"--" + boundary + b"\r\n"
        disposition = b'Content-Disposition: form-data; name="' + name + b'"'
        if filename is not None:
            disposition += b'; filename="' + filename + b'"'
        out += disposition + b"\r\n"
        if content_type:
            out += b"Content-Type: " + content_type + b"\r\n"
        out += b"\r\n" + value + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"




def package():
    """A one-file function package, as a user zips it (fixed timestamp: deterministic)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("main.py", date_time=(2025, 1, 2, 3, 4, 6)), "def main(**kwargs):\n    return 'hi'\n")
    return buffer.getvalue()


ZIP = package()

SIGNED_GET = "\n".join([
    "SDK-HMAC-SHA256 Access=AKTESTLOCAL, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, "
    "Signature=4971c358db6891cfcde386309c0220a35365d023f114f6566513b128c7b89aef",
    "20261123T123820Z",
    "GET",
    "/v2/0123456789abcdef0123456789abcdef/fgs/functions/urn%3Afss%3Alocal%3A0123456789abcdef0123456789abcdef"
    "%3Afunction%3Adefault%3Ahello%3A%21prod/async-invocations",
    "limit=10&marker=0&query_begin_time=2024-01-01T00%3A00%3A00&status=SUCCESS",
    "content-type: application/json\nhost: 127.0.0.1:7071\nuser-agent: huaweicloud-usdk-python/3.0\n"
    "x-project-id: 0123456789abcdef0123456789abcdef\nx-sdk-date: 20261123T123820Z\n",
]).encode()

SIGNED_POST = "\n".join([
    "SDK-HMAC-SHA256 Access=AKTESTLOCAL, SignedHeaders=content-type;host;x-cff-log-type;x-cff-request-version;x-sdk-date, "
    "Signature=182b0b46815280ef21ed777d68067f4864f87c5120ae9d5e1d5a89794c3e8c91",
    "20261123T123820Z",
    "POST",
    "/v2/p/fgs/functions/urn%3Afss%3Alocal%3Ap%3Afunction%3Adefault%3Ahello%3Alatest/invocations",
    "",
    "content-type: application/json\nhost: 127.0.0.1:7071\nx-cff-log-type: tail\nx-cff-request-version: v1\n"
    "x-sdk-date: 20261123T123820Z\n\n{\"name\": \"qinling\"}",
]).encode()

SIGNED_UNSIGNED_PAYLOAD = "\n".join([
    "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-content-sha256;x-sdk-date, Signature=00",
    "20240229T235959Z",
    "put",
    "/v2/p/fgs/functions/f/code",
    "a=1&a=0&b=%E2%82%AC&c",
    "host: localhost\nx-sdk-content-sha256: UNSIGNED-PAYLOAD\nx-sdk-date: 20240229T235959Z\n\nPK\x03\x04",
]).encode()


def cron(pattern, when=1_795_437_840):
    """A pattern, a newline, and the start time as four big-endian bytes (2026-11-23T12:44Z)."""
    return pattern.encode() + b"\n" + struct.pack(">I", when)


# The patterns of Tests/HearthCoreTests/CronScheduleTests.swift, and the ones it refuses.
CRON = [
    "* * * * *", "0 * * * *", "*/15 9-10 * * *", "5/20 * * * *", "0 0 1 jan,Jul *", "30 8 * * mon-fri", "0 12 * * 7",
    "0 0 1-10/3 * *", "0 0 13 * 5", "0 0 13 * *", "0 0 * * 5", "0 0 29 2 *", "59 23 31 12 *", "* * * * * */5",
    "*/2 * * * * 30", "* * * * * *", "@hourly", "@daily", "@weekly", "@yearly", "@monthly", "@midnight", "@annually",
    "0 0 29 2 1", "0 0 31 */2 sun-sat", "\t1,2,3\t4-5/1  * DEC-dec  SUN ", "", "* * * *", "* * * * * * *", "60 * * * *",
    "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *", "* * * foo *",
    "1,,2 * * * *", "1-2-3 * * * *", "0 0 30 2 *", "* * * * * 60", "@often",
]

TIMES = [
    "2024-01-01T00:00:00", "2024-01-01T00:00:00.250000+00:00", "2024-01-01T08:00:00+08:00", "2024-01-01T00:00:00Z",
    "2024-01-01 00:00", "2024-01-01", "2024-02-29T23:59:59", "2026-11-23T12:44:00-0530", "  1999-12-31T23:59:59.999999z ",
    "0001-01-01T00:00:00", "9999-12-31T23:59:59", "1582-10-10", "2024-13-01T00:00:00", "2024-02-30", "2024-01-01T00",
    "2024-01-01T00:00:00junk", "yesterday", "",
]


def keys(n, form):
    """The body of issue 10's finding 3: N distinct keys, which cost O(N²) in the webhook."""
    if form:
        return "&".join("k%d=%d" % (i, i) for i in range(n)).encode()
    return ("{" + ", ".join('"k%d": %d' % (i, i) for i in range(n)) + "}").encode()


SEEDS = {
    "json": {
        "unicode-escapes": rb'{"a": "\u00e9\ud83d\ude00\u0000\n\"\\\/\b\f\r\t", "b": "caf' + "é".encode() + rb'"}',
        "every-type": b'[null, true, false, 0, -0, 1.5, -2.5E-3, 1e308, 5e-324, 9223372036854775807, 9223372036854775808, "", [], {}]',
        "duplicate-keys": b'{"a": 1, "a": {"a": [1, {"a": 2}]}}',
        "whitespace": b' \t\r\n{ "k" : [ 1 , 2 ] } \n',
        "nested-256": b"[" * 256 + b"]" * 256,
        "nested-257": b"[" * 257 + b"]" * 257,
        "nested-objects": b'{"a": ' * 100 + b"1" + b"}" * 100,
        "out-of-range": b"[1e400, -1e400, 1e-400]",
        "truncated": b'{"a": [1, 2',
        "bad-escape": b'"\\x"',
        "lone-surrogate": b'"\\ud800"',
        "invalid-utf8": b'"\xff\xfe"',
        "execution-input": b'{"name": "Qinling", "count": 3, "nested": {"list": [1, 2, 3]}}',
    },
    "cron": {"pattern-%02d" % i: cron(p) for i, p in enumerate(CRON)} | {
        "pattern-epoch": cron("0 0 1 1 *", 0),
        "pattern-far": cron("*/7 */5 */3 */2 *", 0xFFFFFFFF),
    },
    "frame": {
        "hello": b"\x07" + frame({"type": "hello", "pid": 1}),
        "result-with-blob": b"\x00" + frame({"type": "result", "ok": True, "duration": 0.01}, b'{"output": "Hello"}'),
        "two-frames": b"\x03" + frame({"type": "hello"}) + frame({"type": "result", "output": "x" * 40}),
        "partial": b"\xff" + frame({"type": "result"}, b"blob")[:-3],
        "header-longer-than-frame": b"\x01" + struct.pack(">II", 8, 9) + b"{}{}",
        "no-type": b"\x02" + frame({"kind": "hello"}),
        "not-json": b"\x02" + struct.pack(">II", 9, 5) + b"hello",
        "too-short": b"\x00" + struct.pack(">I", 2) + b"ab",
        # Issue 10, finding 4: a header declaring 64 MiB, then bytes three at a time.
        "declares-64mib": b"\x02" + struct.pack(">II", 64 << 20, 16) + b'{"type": "big"} ' + b"x" * 600,
        "declares-over-limit": b"\x00" + struct.pack(">II", (64 << 20) + 1, 16) + b'{"type": "big"} ',
    },
    "form": {
        "fields": b"cpu=200&name=a+b%21&empty=&flag",
        "utf8": b"name=caf%C3%A9&city=%E6%9D%B1%E4%BA%AC&plus=%2B&amp=%26&eq=%3D",
        "repeated": b"a=1&a=2&&b=&=c&a=3",
        "bad-escape": b"a=%zz&b=%E",
        "not-utf8": b"a=\xff",
        "percent-not-utf8": b"a=%FF",
        "json-labelled-form": b'  {"name": "curl -d"}',
        "json-object": b'{"runtime_id": "rt", "timeout": "5", "code": "{\\"source\\": \\"package\\"}"}',
        "json-array": b"[1, 2]",
        "empty": b"",
        # Issue 10, finding 3: 40,000 keys (642 KB), as a form and as JSON.
        "webhook-40000-keys-form": keys(40_000, form=True),
        "webhook-40000-keys-json": keys(40_000, form=False),
    },
    "multipart": {
        "python-requests": b"9f1c2d3e4b5a69788796a5b4c3d2e1f0\n" + multipart(b"9f1c2d3e4b5a69788796a5b4c3d2e1f0", [
            (b"runtime_id", b"rt", None, None),
            (b"code", b'{"source": "package", "entry": "main.main"}', None, None),
            (b"timeout", b"5", None, None),
            (b"package", ZIP, b"hello.zip", b"application/zip"),
        ]),
        "qinling-client": b"b0\n" + multipart(b"b0", [
            (b"name", b"hello", None, None),
            (b"package", ZIP, b"", None),
        ]),
        "not-utf8-part": b"xyz\n" + multipart(b"xyz", [(b"blob", b"\xff\xfe\x00", None, b"application/octet-stream")]),
        "quoted-names": b"q\n" + multipart(b"q", [(b'a"b', b"1", b"x;y.zip", None), (b"", b"empty name", None, None)]),
        "preamble-epilogue": b"bb\npreamble\r\n" + multipart(b"bb", [(b"a", b"\r\n--b", None, None)]) + b"epilogue",
        "unterminated": b"bb\n--bb\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
        "header-without-colon": b"bb\n--bb\r\nContent-Disposition form-data\r\n\r\nx\r\n--bb--\r\n",
        "garbage": b"x\ngarbage",
        # Found by hearth-fuzz: MultipartKit 4.7.1 trapped (and took hearthd with it) on a header
        # name byte of 0x80 or more, and on an empty boundary.
        "header-name-not-ascii": b"xyz\n--xyz\r\nContent-Disposition" + b"\xe0" * 42
        + b': form-data; name="blam\r\n\r\n\xff\xfe\x00\r\n--xyz--\r\n',
        "boundary-empty": b'""\n--\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n----\r\n',
        "utf8-filename": b"u\n" + multipart(b"u", [(b"package", ZIP, "café.zip".encode(), None)]),
    },
    "signature": {
        "sdk-get-with-alias-urn": SIGNED_GET,
        "sdk-post-with-body": SIGNED_POST,
        "unsigned-payload": SIGNED_UNSIGNED_PAYLOAD,
        "bearer": b"Bearer token\n20261323T123820Z\nGET\n/\n\n",
        "missing-part": b"SDK-HMAC-SHA256 Access=AK, Signature=ab\n+2021123T123820Z\nGET\n/%zz/%2F//a%\n=&&=x\n",
    },
    "time": {"time-%02d" % i: t.encode() for i, t in enumerate(TIMES)},
}


def main():
    for target, seeds in SEEDS.items():
        directory = os.path.join(HERE, target)
        os.makedirs(directory, exist_ok=True)
        for name, data in seeds.items():
            path = os.path.join(directory, "seed-" + name)
            if not os.path.exists(path) or open(path, "rb").read() != data:
                with open(path, "wb") as f:
                    f.write(data)
        print("%s: %d seeds" % (target, len(seeds)))


if __name__ == "__main__":
    main()
