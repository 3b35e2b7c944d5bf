"""Async destinations (async-invoke-config `destination_config`) may not form a cycle: a
destination naming its own function, through any URN of it, or leading back to it through other
functions' configs is refused when configured; a cycle made afterwards (functions renamed under
the URNs that configs name) and a chain longer than eight functions stop when they run."""

import json
import time
from urllib.parse import quote

import pytest

from functiongraph import urn, zip_b64
from hearth import create_runtime, wait_for

PROJECT = "destinations"
OK = "def handler(event, context):\n    return 'ok'\n"
MAXIMUM_CHAIN = 8


@pytest.fixture(scope="module")
def admin(daemon):
    client = daemon.unix(project=PROJECT)
    create_runtime(client, image="python3")
    return client


def fg_path(rest=""):
    return f"/v2/{PROJECT}/fgs/functions{rest}"


def create(client, name):
    body = {"func_name": name, "package": "default", "runtime": "Python3.9", "handler": "index.handler",
            "memory_size": 128, "timeout": 30, "code_type": "zip", "func_code": {"file": zip_b64({"index.py": OK})}}
    reply = client.post(fg_path(), json=body)
    assert reply.status == 200, reply
    return reply.json


def to(target_urn):
    return {"destination": "FunctionGraph", "param": json.dumps({"func_urn": target_urn})}


def configure(client, name, on_success=None, on_failure=None):
    config = {k: to(v) for k, v in (("on_success", on_success), ("on_failure", on_failure)) if v}
    return client.put(fg_path(f"/{quote(urn(PROJECT, name), safe='')}/async-invoke-config"),
                      json={"max_async_retry_attempts": 0, "destination_config": config})


def assert_refused(reply, *words):
    assert reply.status == 400, reply
    assert reply.json["error_code"] == "FSS.0400", reply
    for word in words:
        assert word in reply.json["error_msg"], reply.json["error_msg"]


def executions(client, function):
    return client.get(f"/v1/executions?function_id={function['func_id']}").json["executions"]


def rename(client, function, name):
    reply = client.put(f"/v1/functions/{function['func_id']}", json={"name": name})
    assert reply.status == 200, reply


def invoke_async(client, name):
    reply = client.post(fg_path(f"/{quote(urn(PROJECT, name), safe='')}/invocations-async"), json={})
    assert reply.status == 202, reply


def settled(client, functions, seconds=3):
    """Execution counts per function, once every one has run, then again `seconds` later."""
    counts = lambda: [len(executions(client, f)) for f in functions]
    wait_for(lambda: all(counts()), timeout=30)
    time.sleep(seconds)
    before = counts()
    time.sleep(seconds)
    return before, counts()


def test_a_destination_naming_its_own_function_is_refused(admin):
    create(admin, "narcissus")
    assert admin.post(fg_path(f"/{quote(urn(PROJECT, 'narcissus'), safe='')}/versions"), json={"version": "v1"}).status == 200
    alias = admin.post(fg_path(f"/{quote(urn(PROJECT, 'narcissus'), safe='')}/aliases"), json={"name": "mirror", "version": "v1"})
    assert alias.status == 200, alias
    for own in [urn(PROJECT, "narcissus"), urn(PROJECT, "narcissus", qualifier=None), urn(PROJECT, "narcissus", "v1"),
                urn(PROJECT, "narcissus", "!mirror"), "narcissus"]:
        assert_refused(configure(admin, "narcissus", on_success=own), "on_success", "names the function itself")
        assert_refused(configure(admin, "narcissus", on_failure=own), "on_failure", "names the function itself")
    assert admin.get(fg_path(f"/{quote(urn(PROJECT, 'narcissus'), safe='')}/async-invoke-config")).status == 404


def test_a_cycle_through_other_functions_is_refused(admin):
    for name in ("ping", "pong", "third"):
        create(admin, name)
    assert configure(admin, "ping", on_success=urn(PROJECT, "pong")).status == 200
    assert_refused(configure(admin, "pong", on_success=urn(PROJECT, "ping")), "pong → ping → pong")
    assert_refused(configure(admin, "pong", on_failure=urn(PROJECT, "ping", "latest")), "on_failure", "cycle")
    # Through a third function, and through on_failure as well as on_success.
    assert configure(admin, "pong", on_failure=urn(PROJECT, "third")).status == 200
    assert_refused(configure(admin, "third", on_success=urn(PROJECT, "ping")), "third → ping → pong → third")
    # A chain that does not come back is fine.
    assert configure(admin, "third", on_success=urn(PROJECT, "narcissus-free")).status == 404
    create(admin, "sink")
    assert configure(admin, "third", on_success=urn(PROJECT, "sink")).status == 200


def test_a_cycle_made_after_the_configs_were_checked_stops_when_it_runs(admin):
    first, second, spare = create(admin, "tick"), create(admin, "tock"), create(admin, "understudy")
    assert configure(admin, "tick", on_success=urn(PROJECT, "tock")).status == 200
    assert configure(admin, "understudy", on_success=urn(PROJECT, "tick")).status == 200
    # Renames put `understudy` under the URN tick's config names: tick → understudy → tick.
    rename(admin, second, "tock-retired")
    rename(admin, spare, "tock")
    invoke_async(admin, "tick")
    before, after = settled(admin, [first, spare])
    assert after == before == [1, 1], f"executions of tick and its destination: {before}, then {after}"
    assert executions(admin, second) == []


def test_a_chain_of_destinations_stops_at_eight_functions(admin):
    chain = [create(admin, f"relay{i}") for i in range(MAXIMUM_CHAIN + 2)]
    for i in range(len(chain) - 1):
        assert configure(admin, f"relay{i}", on_success=urn(PROJECT, f"relay{i + 1}")).status == 200
    invoke_async(admin, "relay0")
    wait_for(lambda: executions(admin, chain[MAXIMUM_CHAIN - 1]), timeout=60)
    time.sleep(3)
    counts = [len(executions(admin, f)) for f in chain]
    assert counts == [1] * MAXIMUM_CHAIN + [0, 0], counts
