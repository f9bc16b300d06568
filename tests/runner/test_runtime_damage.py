# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""A function that breaks what the runner's own JavaScript relies on ends with a result or
a clear RunnerError, and its isolate is replaced once: never a loop of fresh isolates."""

import threading

import pytest

from runner import Invocation, IsolatePool, normalize_request
from runner.engine import Isolate

REQ = {"body": {}}
DAMAGES = {
    "the array iterator": "Array.prototype[Symbol.iterator] = function* () {}",
    "the array iterator, then a timer": "Array.prototype[Symbol.iterator] = function* () {}; await new Promise((r) => setTimeout(r, 5))",
    "Array.prototype.toJSON": "Array.prototype.toJSON = function () { return []; }",
    "Object.prototype.toJSON": "Object.prototype.toJSON = function () { return {}; }",
    "Map iteration": "Map.prototype[Symbol.iterator] = function* () {}; Map.prototype.entries = function* () {}",
    "the array iterator's next": "Object.getPrototypeOf([][Symbol.iterator]()).next = () => ({ done: true })",
    "Set.prototype.has": "Set.prototype.has = () => true; globalThis.stash = 1",
}


@pytest.fixture
def isolates_made(monkeypatch):
    made = []
    original = Isolate.__init__

    def counting(self, **kwargs):
        made.append(1)
        original(self, **kwargs)

    monkeypatch.setattr(Isolate, "__init__", counting)
    return made


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


def test_in_a_batch_only_the_culprit_fails(isolates_made):
    pool = IsolatePool(isolation="inline")
    code = "async function onRequest(request) { const n = request.json().n; if (n === 2) Object.prototype.toJSON = function () { return {}; }; Segment.track({ userId: 'u', event: 'e' + n }) }"
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


def test_reports_of_earlier_executions_survive_a_poisoned_json():
    pool = IsolatePool(isolation="inline")
    code = "async function onRequest(request) { const n = request.json().n; if (n === 1) Object.prototype.toJSON = function () { return { stolen: true }; }; Segment.track({ userId: 'u', event: 'e' + n, properties: { secret: 's' + n } }) }"
    invocations = [Invocation(normalize_request({"body": {"n": n}})) for n in range(3)]
    first, _, third = run_guarded(pool, "v", code, invocations)
    assert first.events[0]["properties"] == {"secret": "s0"}
    assert third.events[0]["properties"] == {"secret": "s2"}
    pool.close()
