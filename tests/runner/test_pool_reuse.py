# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""Reuse policy of warm isolates."""

from runner import Invocation, IsolatePool, normalize_request

REQ = {"body": {"n": 1}}
LEAKY = """
counter = (typeof counter === 'undefined' ? 0 : counter) + 1;
globalThis.secret = globalThis.secret || 'from-' + counter;
async function onRequest() {
  Segment.track({ userId: 'u', event: 'e', properties: { counter, secret, sawJSON: typeof JSON } });
}"""


def test_same_version_is_reused_but_globals_are_gone():
    pool = IsolatePool(max_isolates=2)
    first = pool.run("v1", LEAKY, REQ).events[0]["properties"]
    second = pool.run("v1", LEAKY, REQ).events[0]["properties"]
    assert pool.idle_count() == 1
    assert first == second == {"counter": 1, "secret": "from-1", "sawJSON": "object"}
    pool.close()


def test_replaced_globals_are_put_back():
    pool = IsolatePool()
    pool.run("v", "async function onRequest() { console = null; fetch = 1; }", REQ)
    result = pool.run("v", "async function onRequest() { console.log(typeof fetch) }", REQ)
    assert result.logs == [{"level": "log", "message": "function"}]
    pool.close()


def test_a_created_global_is_gone_even_when_the_run_deleted_another():
    pool = IsolatePool()
    code = "async function onRequest() { const seen = typeof leak + ' ' + typeof atob; delete globalThis.atob; globalThis.leak = 1; Segment.track({ userId: 'u', event: seen }) }"
    events = [pool.run("delete-and-create", code, REQ).events[0]["event"] for _ in range(3)]
    assert events == ["undefined function"] * 3
    pool.close()


def test_different_versions_never_share_an_isolate(isolates_made):
    made = isolates_made
    pool = IsolatePool(max_isolates=4, isolation="inline")
    code = "async function onRequest() { Segment.track({ userId: 'u', event: 'a' }) }"
    other = "async function onRequest() { Segment.track({ userId: 'u', event: 'b' }) }"
    pool.run("a", code, REQ)
    pool.run("b", other, REQ)
    pool.run("a", other, REQ)  # the same key with other code is another version too
    assert len(made) == 3
    pool.run("a", code, REQ)
    assert len(made) == 3 and pool.idle_count() == 3
    pool.close()


def test_tainted_isolate_is_thrown_away():
    # RegExp.prototype is the one built-in left unfrozen (see docs/runner.md): changing it
    # taints the isolate.
    pool = IsolatePool()
    code = "async function onRequest() { const seen = String(RegExp.prototype.stash); RegExp.prototype.stash = 'x'; Segment.track({ userId: 'u', event: seen }) }"
    assert pool.run("t", code, REQ).events[0]["event"] == "undefined"
    assert pool.idle_count() == 0
    assert pool.run("t", code, REQ).events[0]["event"] == "undefined"
    pool.close()


def test_lru_eviction_by_count():
    pool = IsolatePool(max_isolates=2)
    for key in ("a", "b", "c"):
        pool.run(key, "function onRequest() {}", REQ)
    assert pool.idle_count() == 2
    pool.close()


def test_batch_runs_many_requests_and_isolates_each():
    pool = IsolatePool()
    code = "x = (typeof x === 'undefined') ? 'fresh' : 'leaked'; async function onRequest(r, s) { Segment.track({ userId: s.user, event: x, properties: r.json() }) }"
    invocations = [
        Invocation(normalize_request({"body": {"i": i}}), {"user": f"u{i}"}, f"e{i}")
        for i in range(50)
    ]
    results = pool.run_batch("batch", code, invocations)
    assert [r.events[0]["properties"]["i"] for r in results] == list(range(50))
    assert {r.events[0]["event"] for r in results} == {"fresh"}
    assert results[7].events[0]["userId"] == "u7"
    pool.close()


def test_each_execution_of_a_batch_has_its_own_random_source(pool):
    code = "async function onRequest() { Segment.track({ userId: 'u', event: 'e', properties: { id: crypto.randomUUID(), hex: crypto.randomBytes(16).toString('hex') } }) }"
    invocations = [Invocation(normalize_request(REQ), {}, f"r{i}") for i in range(20)]
    seen = [r.events[0]["properties"] for r in pool.run_batch("random", code, invocations)]
    again = [r.events[0]["properties"] for r in pool.run_batch("random", code, invocations)]
    values = [p["id"] for p in seen + again] + [p["hex"] for p in seen + again]
    assert len(set(values)) == len(values) == 80
    assert all(len(p["hex"]) == 32 for p in seen)


def test_batch_with_a_hostile_request_blames_only_it():
    pool = IsolatePool()
    code = "async function onRequest(r) { if (r.json().loop) for (;;) {} Segment.track({ userId: 'u', event: 'ok' }) }"
    invocations = [Invocation(normalize_request({"body": {"loop": i == 3}})) for i in range(6)]
    results = pool.run_batch("mixed", code, invocations, timeout_ms=150)
    assert [r.error["name"] if r.error else "ok" for r in results] == [
        "ok",
        "ok",
        "ok",
        "TimeoutError",
        "ok",
        "ok",
    ]
    pool.close()


def test_syntax_error_fails_every_request_of_the_batch():
    pool = IsolatePool()
    results = pool.run_batch("bad", "function (", [Invocation(normalize_request(REQ))] * 2)
    assert all(r.error["name"] == "SyntaxError" for r in results)
    pool.close()
