# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""`cache.load(key, ttl, fn)` and `cache.delete(key)`, through the runner's API and CLI:
per scope, across the executions of a batch, across isolates and pools sharing one
store, JSON values only, bounded, a throwing fn not cached, one-shot runs empty."""

import json

import pytest

import runner
from runner import CacheBounds, Invocation, IsolatePool, MemoryCache, normalize_request
from runner.sandbox import CacheDesk

from .conftest import run_cli

REQ = {"body": {}}

# Logs "hit" or "miss" and the value; the request says which key and what fn returns.
LOADER = """
async function onRequest(request) {
  const ask = request.json();
  let missed = false;
  const value = await cache.load(ask.key || 'k', ask.ttl, async () => { missed = true; return ask.value; });
  console.log(missed ? 'miss' : 'hit', JSON.stringify(value));
  if (ask.forget) cache.delete(ask.key || 'k');
}
"""


def invocation(scope: str = "source-1", **ask) -> Invocation:
    return Invocation(normalize_request({"body": ask}), cache_scope=scope)


def said(result) -> str:
    assert result.error is None, result.error
    return " / ".join(line["message"] for line in result.logs)


@pytest.fixture(scope="module", params=["process", "inline"])
def any_pool(request):
    pool = IsolatePool(max_isolates=4, isolation=request.param)
    yield pool
    pool.close()


def test_a_value_is_loaded_once_then_read_from_the_cache(any_pool):
    store = MemoryCache()
    first = any_pool.run(
        "v", LOADER, {"body": {"value": {"token": "t1"}}}, cache=store, cache_scope="s"
    )
    second = any_pool.run(
        "v", LOADER, {"body": {"value": {"token": "t2"}}}, cache=store, cache_scope="s"
    )
    assert said(first) == 'miss {"token":"t1"}'
    assert said(second) == 'hit {"token":"t1"}'


def test_the_executions_of_a_batch_see_what_the_earlier_ones_stored(any_pool):
    store = MemoryCache()
    asks = [
        invocation(value=1),
        invocation(value=2, forget=True),  # a delete it does not wait for is still done
        invocation(value=3),
        invocation(value=4),
        invocation("source-2", value=5),  # another source of the same version
    ]
    results = any_pool.run_batch("batch", LOADER, asks, cache=store)
    assert [said(r) for r in results] == ["miss 1", "hit 1", "miss 3", "hit 3", "miss 5"]
    assert store.get("source-1", "k") == "3" and store.get("source-2", "k") == "5"


def test_scopes_never_share_a_value(any_pool):
    store = MemoryCache()
    any_pool.run("v", LOADER, {"body": {"value": "secret of 1"}}, cache=store, cache_scope="w1.s1")
    other = any_pool.run("v", LOADER, {"body": {"value": "own"}}, cache=store, cache_scope="w2.s9")
    assert said(other) == 'miss "own"'


def test_fresh_isolates_and_two_pools_share_one_store():
    """Two workers' pools (here: no warm isolate at all) reading one store."""
    store = MemoryCache()
    one, two = IsolatePool(max_isolates=0), IsolatePool(max_isolates=0, isolation="inline")
    try:
        stored = one.run("v", LOADER, {"body": {"value": [1, 2]}}, cache=store, cache_scope="s")
        read = two.run("v", LOADER, {"body": {"value": "other"}}, cache=store, cache_scope="s")
    finally:
        one.close()
        two.close()
    assert (said(stored), said(read)) == ("miss [1,2]", "hit [1,2]")


def test_a_value_expires_after_its_ttl(any_pool):
    code = """
    async function onRequest() {
      let calls = 0;
      const load = () => cache.load('k', 50, async () => ++calls);
      const first = await load();
      const again = await load();
      await new Promise((resolve) => setTimeout(resolve, 80));
      const later = await load();
      console.log(first, again, later, calls);
    }"""
    assert said(any_pool.run("ttl", code, REQ, cache=MemoryCache())) == "1 1 2 2"


def test_a_function_that_throws_is_not_cached(any_pool):
    code = """
    async function onRequest(request) {
      const failing = request.json().fail;
      try {
        const value = await cache.load('k', -1, async () => { if (failing) throw new RetryError('upstream down'); return 'fresh'; });
        console.log('value', value);
      } catch (err) {
        console.log('failed', err.name, err.message);
      }
    }"""
    store = MemoryCache()
    failed = any_pool.run("throws", code, {"body": {"fail": True}}, cache=store, cache_scope="s")
    then = any_pool.run("throws", code, {"body": {"fail": False}}, cache=store, cache_scope="s")
    assert said(failed) == "failed RetryError upstream down"
    assert said(then) == "value fresh"
    assert store.get("s", "k") == '"fresh"'


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("undefined", "it is undefined"),
        (
            "({ at: new Date(0) })",
            'its property "at" is a Date (for a date, cache date.toISOString())',
        ),
        ("({ f() {} })", 'its property "f" is a function'),
        ("[1, undefined]", 'its item "1" is undefined'),
        ("({ n: NaN })", 'its property "n" is NaN'),
        ("10n", "it is a bigint"),
        ("new Map([[1, 2]])", "it is a Map (for a Map, cache Object.fromEntries(map))"),
        ("(() => { const o = {}; o.self = o; return o; })()", "it cannot be written as JSON"),
        ("new (class Token {})()", "it is a Token"),
    ],
)
def test_only_json_values_are_cached_and_anything_else_is_a_clear_error(pool, value, problem):
    code = f"async function onRequest() {{ await cache.load('token', -1, async () => {value}); }}"
    store = MemoryCache()
    result = pool.run("json", code, REQ, cache=store, cache_scope="s")
    assert result.error["name"] == "TypeError"
    assert result.error["message"].startswith(
        f'cache.load("token"): fn gave a value that cannot be cached: {problem}'
    ), result.error["message"]
    assert (
        "Cache only JSON values: objects, arrays, strings, finite numbers"
        in result.error["message"]
    )
    assert result.error["line"] == 1
    assert store.get("s", "token") is None


def test_json_values_of_every_kind_come_back_equal(pool):
    code = """
    async function onRequest() {
      const value = { s: 'é\\u2028', n: -1.5, t: true, f: false, z: null, list: [1, 'a', [null]], nested: { deep: { x: 1 } }, gone: undefined, bare: Object.create(null) };
      await cache.load('v', -1, async () => value);
      const hit = await cache.load('v', -1, async () => 'not called');
      hit.list.push('mutated');  // a hit is a copy: the cached value stays as it was
      const again = await cache.load('v', -1, async () => 'not called');
      console.log(JSON.stringify(hit.nested), again.list.length, 'gone' in again, again.s === value.s);
    }"""
    assert said(pool.run("kinds", code, REQ)) == '{"deep":{"x":1}} 3 false true'


def test_an_oversized_value_is_returned_but_not_cached(pool):
    code = """
    async function onRequest() {
      let calls = 0;
      const big = async () => { calls++; return 'x'.repeat(100); };
      const first = await cache.load('big', -1, big);
      const second = await cache.load('big', -1, big);
      console.log(first.length, second.length, calls);
    }"""
    store = MemoryCache(CacheBounds(value_bytes=64, scope_bytes=1024))
    result = pool.run("big", code, REQ, cache=store, cache_scope="s")
    assert result.error is None
    warnings = [line["message"] for line in result.logs if line["level"] == "warn"]
    assert warnings[0] == (
        '[cache] the value of "big" is 102 bytes of JSON, over the 64 a cached value may hold: '
        "it is returned but not cached"
    )
    assert result.logs[-1]["message"] == "100 100 2"
    assert store.scope_bytes("s") == 0


def test_two_loads_of_one_key_at_once_call_fn_once(pool):
    code = """
    async function onRequest() {
      let calls = 0;
      const slow = async () => { calls++; await new Promise((r) => setTimeout(r, 10)); return calls; };
      const [a, b] = await Promise.all([cache.load('k', -1, slow), cache.load('k', -1, slow)]);
      console.log(a, b, calls);
    }"""
    assert said(pool.run("twice", code, REQ)) == "1 1 1"


def test_an_awaited_delete_removes_the_value(pool):
    code = """
    async function onRequest() {
      await cache.load('k', -1, async () => 'old');
      const deleted = await cache.delete('k');
      const after = await cache.load('k', -1, async () => 'new');
      console.log(String(deleted), after);
    }"""
    assert said(pool.run("delete", code, REQ)) == "undefined new"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "cache.load('', -1, async () => 1)",
            "cache.load: the key must be a string of 1 to 256 characters",
        ),
        (
            "cache.load(42, -1, async () => 1)",
            "cache.load: the key must be a string of 1 to 256 characters",
        ),
        (
            "cache.load('x'.repeat(257), -1, async () => 1)",
            "cache.load: the key must be a string of 1 to 256 characters",
        ),
        (
            "cache.load('k', 0, async () => 1)",
            "cache.load: ttl must be a number of milliseconds above 0, or -1 (or left out) for no expiry",
        ),
        (
            "cache.load('k', '60000', async () => 1)",
            "cache.load: ttl must be a number of milliseconds above 0, or -1 (or left out) for no expiry",
        ),
        (
            "cache.load('k', -1, 'value')",
            "cache.load: fn must be a function that returns (or resolves to) the value to cache",
        ),
        ("cache.delete(null)", "cache.delete: the key must be a string of 1 to 256 characters"),
    ],
)
def test_bad_arguments_are_a_type_error_that_says_what_to_pass(pool, call, message):
    result = pool.run("args", f"async function onRequest() {{ await {call}; }}", REQ)
    assert (result.error["name"], result.error["message"]) == ("TypeError", message)


def test_a_ttl_left_out_or_null_means_no_expiry(pool):
    code = "async function onRequest() { const a = await cache.load('k', undefined, async () => 1); await new Promise((r) => setTimeout(r, 30)); console.log(a, await cache.load('k', null, async () => 2)); }"
    assert said(pool.run("no-ttl", code, REQ)) == "1 1"


def test_a_one_shot_run_starts_with_an_empty_cache():
    code = "async function onRequest() { let missed = false; await cache.load('k', -1, async () => { missed = true; return 1; }); console.log(missed); }"
    assert said(runner.run(code, REQ)) == "true"
    assert said(runner.run(code, REQ)) == "true"


def test_the_cli_has_a_cache_within_a_run_and_an_empty_one_for_each_run(tmp_path):
    code = "async function onRequest() { let calls = 0; const f = async () => ++calls; await cache.load('k', -1, f); await cache.load('k', -1, f); console.log(calls); }"
    outputs = []
    for _ in range(2):
        proc = run_cli(tmp_path, code)
        assert proc.returncode == 0, proc.stderr
        outputs.append(json.loads(proc.stdout)["logs"])
    assert outputs == [[{"level": "log", "message": "1"}]] * 2


def test_a_store_that_fails_makes_a_miss_and_the_function_goes_on(pool):
    class Down:
        def get(self, *args):
            raise ConnectionError("redis down")

        put = delete = get

    result = pool.run("down", LOADER, {"body": {"value": 7}}, cache=Down(), cache_scope="s")
    assert result.error is None
    assert [line["message"] for line in result.logs] == [
        "[cache] the cache is unavailable (ConnectionError)",
        "[cache] the cache is unavailable (ConnectionError)",
        "miss 7",
    ]


# --- the memory store, and the sandbox's channel to it ---------------------------------


def test_a_scope_past_its_bound_drops_its_oldest_values_first():
    store = MemoryCache(CacheBounds(value_bytes=100, scope_bytes=30))
    for key in ("a", "b", "c"):
        assert store.put("s", key, "x" * 9, None) is None  # 10 bytes each
    store.put("s", "d", "x" * 9, None)
    assert [store.get("s", k) for k in "abcd"] == [None, "x" * 9, "x" * 9, "x" * 9]
    assert store.scope_bytes("s") == 30
    store.put("other", "a", "y" * 9, None)  # another scope's bound is its own
    assert store.get("s", "b") == "x" * 9


def test_all_scopes_together_stay_within_the_store_s_total():
    store = MemoryCache(CacheBounds(value_bytes=100, scope_bytes=100), total_bytes=25)
    store.put("old", "a", "x" * 9, None)
    store.put("recent", "a", "x" * 9, None)
    store.get("old", "a")  # used: "recent" is now the least recently used scope
    store.put("new", "a", "x" * 9, None)
    assert store.get("recent", "a") is None
    assert store.get("old", "a") == store.get("new", "a") == "x" * 9


def test_expired_values_are_gone_and_make_room(monkeypatch):
    now = [1000.0]
    store = MemoryCache(CacheBounds(value_bytes=100, scope_bytes=20), clock=lambda: now[0])
    store.put("s", "short", "x" * 5, 500)
    store.put("s", "long", "x" * 6, None)
    now[0] += 0.4
    assert store.get("s", "short") == "x" * 5
    now[0] += 0.2
    assert store.get("s", "short") is None
    store.put("s", "other", "x" * 5, None)  # fits: the expired value was counted out
    assert store.get("s", "long") == "x" * 6


def test_a_value_over_the_bound_replaces_nothing_and_removes_the_old_one():
    store = MemoryCache(CacheBounds(value_bytes=8, scope_bytes=100))
    store.put("s", "k", '"old"', None)
    assert "over the 8 a cached value may hold" in store.put("s", "k", '"much too long"', None)
    assert store.get("s", "k") is None


def test_a_sandbox_names_invocations_of_its_batch_never_a_scope():
    store = MemoryCache()
    store.put("w1.s1", "k", '"theirs"', None)
    desk = CacheDesk(store, ["w2.s2"])
    assert desk.answer({"op": "get", "scope": "0", "key": "k"}) == {"value": None}
    for place in ("w1.s1", "1", "-1", 0, None):
        answer = desk.answer({"op": "get", "scope": place, "key": "k"})
        assert answer == {"value": None, "note": "a cache operation of no invocation of this batch"}
    assert desk.answer("not an operation")["value"] is None


def test_an_execution_does_at_most_a_thousand_cache_operations(pool):
    code = """
    async function onRequest() {
      // A get and a put each: the 501st load goes over the cap.
      for (let i = 0; i < 600; i++) await cache.load('k' + i, -1, async () => i);
      let called = false;
      const late = await cache.load('k1', -1, async () => { called = true; return 'again'; });
      for (let i = 0; i < 5; i++) cache.delete('k' + i);
      console.log(late, called);
    }"""
    store = MemoryCache()
    result = pool.run("cap", code, REQ, cache=store, cache_scope="s", timeout_ms=10_000)
    assert result.error is None, result.error
    assert [line["message"] for line in result.logs] == [
        "[cache] over 1,000 cache operations in one execution: the later ones are not done "
        "(a load calls its fn, nothing is stored)",
        "again true",
    ]
    assert store.get("s", "k0") == "0"  # the deletes past the cap were not done


def test_a_store_frees_a_bounded_number_of_values_and_the_next_ones_free_more():
    # A scope full of tiny values: no single store removes more than frees_per_store.
    store = MemoryCache(CacheBounds(value_bytes=100, scope_bytes=30, frees_per_store=2))
    for key in "abcdefghij":
        store.put("s", key, "xx", None)  # 3 bytes each: the scope is full
    assert store.put("s", "k", "y" * 9, None) == (
        'the value of "k" is returned but not cached: the source\'s cache is full (30 bytes) '
        "of smaller values, and one store frees at most 2 of them; the next stores free more"
    )
    assert store.get("s", "k") is None and store.scope_bytes("s") == 24
    assert store.put("s", "k", "y" * 9, None) is None
    assert store.get("s", "k") == "y" * 9 and store.scope_bytes("s") == 28
    assert [store.get("s", key) for key in "abcde"] == [None] * 4 + ["xx"]


def test_expired_values_go_first_a_bounded_number_at_a_time():
    now = [1000.0]
    bounds = CacheBounds(value_bytes=100, scope_bytes=1000, frees_per_store=3)
    store = MemoryCache(bounds, clock=lambda: now[0])
    for n in range(10):
        store.put("s", f"short{n}", "1", 100)
    store.put("s", "short0", "2", None)  # replaced: its expiry no longer applies
    now[0] += 1
    store.put("s", "a", "1", None)  # 3 marks looked at: short0's stale, short1, short2
    assert store.scope_bytes("s") == 8 * 7 + 2  # short0 and short3 to short9, and a
    assert store.get("s", "short0") == "2"
