# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""A function that breaks what the runner's own JavaScript relies on ends with a result or
a clear RunnerError, and its isolate is replaced once: never a loop of fresh isolates.

Built-ins cannot be damaged any more (they are locked, see test_builtins_do_not_carry.py):
replacing one is refused and the isolate stays warm. Globals the runtime reads while a
run waits (Date, Math, String) can still be replaced, so those are the damage here."""

import threading

import pytest

from runner import Invocation, IsolatePool, normalize_request

REQ = {"body": {}}
WAIT = "const later = new Promise((resolve) => setTimeout(resolve, 5))"
DAMAGES = {
    "Date, while a timer is pending": f"{WAIT}; globalThis.Date = null; await later",
    "Math, while a timer is pending": f"{WAIT}; globalThis.Math = null; await later",
    "String, then a throw": "globalThis.String = null; throw new Error('boom')",
}
# What used to damage the runtime when built-ins could be replaced.
REFUSED = {
    "the array iterator": "Array.prototype[Symbol.iterator] = function* () {}",
    "the array iterator, then a timer": "Array.prototype[Symbol.iterator] = function* () {}; await new Promise((r) => setTimeout(r, 5))",
    "Array.prototype.toJSON": "Array.prototype.toJSON = function () { return []; }",
    "Object.prototype.toJSON": "Object.prototype.toJSON = function () { return {}; }",
    "Map iteration": "Map.prototype[Symbol.iterator] = function* () {}; Map.prototype.entries = function* () {}",
    "the array iterator's next": "Object.getPrototypeOf([][Symbol.iterator]()).next = () => ({ done: true })",
    "Set.prototype.has": "Set.prototype.has = () => true; globalThis.stash = 1",
    "JSON.stringify, in strict code": "(() => { 'use strict'; JSON.stringify = () => '{}'; })()",
}


def run_guarded(pool, key, code, invocations):
    outcome = {}
    thread = threading.Thread(
        target=lambda: outcome.setdefault(
            "results", pool.run_batch(key, code, invocations, timeout_ms=500)
        ),
        daemon=True,
    )
    thread.start()
    thread.join(20)
    assert not thread.is_alive(), "the run never ended"
    return outcome["results"]


@pytest.mark.parametrize("name", sorted(DAMAGES))
def test_damage_ends_the_run_and_replaces_the_isolate_once(name, isolates_made):
    pool = IsolatePool(isolation="inline")
    code = f"async function onRequest() {{ {DAMAGES[name]}; Segment.track({{ userId: 'u', event: 'e' }}) }}"
    [result] = run_guarded(pool, "v", code, [Invocation(normalize_request(REQ))])
    assert result.error is None or result.error["name"] == "RunnerError", result.error
    assert len(isolates_made) == 1
    assert pool.idle_count() == 0  # dropped, not reused
    ok = pool.run(
        "ok", "async function onRequest() { Segment.track({ userId: 'u', event: 'ok' }) }", REQ
    )
    assert [e["event"] for e in ok.events] == ["ok"]
    pool.close()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_refused_change_to_a_built_in_keeps_the_isolate_warm(name, isolates_made):
    pool = IsolatePool(isolation="inline")
    code = f"async function onRequest(request) {{ if (request.json().damage) {{ {REFUSED[name]}; }} Segment.track({{ userId: 'u', event: 'e', properties: {{ list: [...[1, 2]], map: [...new Map([[1, 2]])] }} }}) }}"
    [damaged] = run_guarded(
        pool, "v", code, [Invocation(normalize_request({"body": {"damage": True}}))]
    )
    assert damaged.error is None or damaged.error["name"] == "TypeError", damaged.error
    [after] = run_guarded(pool, "v", code, [Invocation(normalize_request(REQ))])
    assert after.error is None, after.error
    assert after.events[0]["properties"] == {"list": [1, 2], "map": [[1, 2]]}
    assert len(isolates_made) == 1 and pool.idle_count() == 1
    pool.close()


def test_in_a_batch_only_the_culprit_fails(isolates_made):
    pool = IsolatePool(isolation="inline")
    code = f"async function onRequest(request) {{ const n = request.json().n; if (n === 2) {{ {DAMAGES['Date, while a timer is pending']}; }} Segment.track({{ userId: 'u', event: 'e' + n }}) }}"
    invocations = [Invocation(normalize_request({"body": {"n": n}})) for n in range(5)]
    results = run_guarded(pool, "v", code, invocations)
    for n, result in enumerate(results):
        if n == 2:
            assert result.error["name"] == "RunnerError"
            assert "damaged the runtime" in result.error["message"]
        else:
            assert result.error is None and [e["event"] for e in result.events] == [f"e{n}"]
    assert len(isolates_made) <= 3  # the first, one to find the culprit, one after it
    pool.close()


def test_a_refused_to_json_steals_no_report():
    pool = IsolatePool(isolation="inline")
    code = "async function onRequest(request) { const n = request.json().n; if (n === 1) Object.prototype.toJSON = function () { return { stolen: true }; }; Segment.track({ userId: 'u', event: 'e' + n, properties: { secret: 's' + n } }) }"
    invocations = [Invocation(normalize_request({"body": {"n": n}})) for n in range(3)]
    first, second, third = run_guarded(pool, "v", code, invocations)
    assert first.events[0]["properties"] == {"secret": "s0"}
    assert second.events[0]["properties"] == {"secret": "s1"}  # ignored: Object.prototype is frozen
    assert third.events[0]["properties"] == {"secret": "s2"}
    pool.close()
