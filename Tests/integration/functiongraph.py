"""Helpers for the FunctionGraph face: AK/SK credentials from the CLI, the real Huawei SDK
client pointed at a test daemon, base64 zips, polling async records, and a request signer
for raw HTTP cases (the SDK's algorithm, signer/signer.py, so that tests can sign requests
the SDK would never send: skewed dates, tampered bodies)."""

import base64
import datetime
import hashlib
import hmac
import json
import time
from urllib.parse import quote, unquote, urlsplit

from hearth import make_zip, wait_for

try:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkfunctiongraph.v2 import FunctionGraphClient
except ImportError as error:  # a clear message rather than a bare ImportError in collection
    raise ImportError("the FunctionGraph tests need huaweicloudsdkcore and huaweicloudsdkfunctiongraph 3.1.219: "
                      "run `make venv` and use .venv/bin/pytest") from error


def create_credential(daemon, project):
    """(access key, secret key) from `hearthd credential create`."""
    result = daemon.hearthd("credential", "create", "--project", project)
    assert result.returncode == 0, result.stderr
    ak, sk = result.stdout.split()
    return ak, sk


def sdk_client(daemon, ak, sk, project):
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 120)
    cfg.retry_times = 0
    return (FunctionGraphClient.new_builder().with_http_config(cfg)
            .with_credentials(BasicCredentials(ak, sk, project))
            .with_endpoints([daemon.endpoint]).build())


def zip_b64(files):
    return base64.b64encode(make_zip(files)).decode()


def urn(project, name, qualifier="latest", package="default"):
    return f"urn:fss:local:{project}:function:{package}:{name}" + (f":{qualifier}" if qualifier else "")


def records(client, path_project, function_urn, **query):
    """GET async-invocations with `client` (a hearth.Client) and a begin time well in the past."""
    query.setdefault("query_begin_time", (datetime.datetime.utcnow() - datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S"))
    qs = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(query.items()))
    reply = client.get(f"/v2/{path_project}/fgs/functions/{quote(function_urn, safe='')}/async-invocations?{qs}")
    assert reply.status == 200, reply
    return reply.json


def wait_for_record(fetch, request_id, statuses=("SUCCESS", "FAIL", "DISCARD"), timeout=60):
    """Polls `fetch(request_id)` (a list of record dicts) until the record has one of `statuses`."""
    def done():
        found = [r for r in fetch(request_id) if r["request_id"] == request_id]
        return found[0] if found and found[0]["status"] in statuses else None
    return wait_for(done, timeout=timeout, interval=0.2)


def sign(method, url, headers, body, ak, sk, when=None):
    """Adds X-Sdk-Date and an SDK-HMAC-SHA256 Authorization to `headers`, as the SDK does."""
    when = when or datetime.datetime.utcnow()
    headers = dict(headers)
    headers["X-Sdk-Date"] = when.strftime("%Y%m%dT%H%M%SZ")
    parts = urlsplit(url)
    headers["Host"] = parts.netloc
    path = "/".join(quote(segment, safe="~") for segment in unquote(parts.path).split("/"))
    if not path.endswith("/"):
        path += "/"
    pairs = sorted((unquote(k), unquote(v)) for k, _, v in (item.partition("=") for item in parts.query.split("&") if item))
    query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)
    signed = sorted(k.lower() for k in headers if "_" not in k)
    canonical_headers = "".join(f"{k}:{str(headers[next(h for h in headers if h.lower() == k)]).strip()}\n" for k in signed)
    payload = hashlib.sha256(body or b"").hexdigest()
    canonical = "\n".join([method, path, query, canonical_headers, ";".join(signed), payload])
    to_sign = "SDK-HMAC-SHA256\n%s\n%s" % (headers["X-Sdk-Date"], hashlib.sha256(canonical.encode()).hexdigest())
    signature = hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = f"SDK-HMAC-SHA256 Access={ak}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    return headers


def signed_request(daemon, method, path, ak, sk, body=None, when=None, headers=None):
    """A raw request over TCP signed with AK/SK; returns a hearth.Reply."""
    import http.client
    from hearth import Reply
    raw = json.dumps(body).encode() if isinstance(body, (dict, list)) else (body or b"")
    url = f"{daemon.endpoint}{path}"
    all_headers = sign(method, url, {"Content-Type": "application/json", **(headers or {})}, raw, ak, sk, when)
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=60)
    try:
        conn.request(method, path, body=raw, headers=all_headers)
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def eventually_stable(fetch, settle=1.5):
    """`fetch()` once it has returned the same value twice, `settle` seconds apart."""
    previous = fetch()
    while True:
        time.sleep(settle)
        current = fetch()
        if current == previous:
            return current
        previous = current
