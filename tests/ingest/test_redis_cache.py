# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""The production store of the functions' cache: Redis, shared by every worker, within
the same bounds as the memory store. Runs against the Redis of REDIS_URL (the production
configuration) or the machine's (REDIS_TEST_URL, else database 0, under keys of each
test's own); skipped without one, failed in CI (REQUIRE_SERVICES)."""

import os
import threading
import time
import uuid

import pytest
from django.conf import settings

from ingest.execute.cache import SCOPE_IDLE_S, RedisCache
from runner import CacheBounds, IsolatePool

BOUNDS = CacheBounds(value_bytes=40, scope_bytes=60)


@pytest.fixture
def redis_url():
    import redis

    url = settings.REDIS_URL or os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        message = f"needs Redis at {url}"
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def store(redis_url):
    """A store with keys of its own, all deleted afterwards."""
    prefix = f"fcache-test-{uuid.uuid4().hex}"
    made = RedisCache(redis_url, BOUNDS, prefix=prefix)
    yield made
    client = made._client
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def test_values_are_kept_per_scope_and_deleted(store):
    assert store.put("s1", "k", '{"a":1}', None) is None
    assert store.get("s1", "k") == '{"a":1}'
    assert store.get("s2", "k") is None
    store.delete("s1", "k")
    assert store.get("s1", "k") is None and store.scope_bytes("s1") == 0


def test_a_value_expires_after_its_ttl(store):
    store.put("s", "k", "1", 80)
    assert store.get("s", "k") == "1"
    time.sleep(0.15)
    assert store.get("s", "k") is None
    assert store.scope_bytes("s") == 0


def test_a_scope_keeps_within_its_bound_dropping_the_oldest(store):
    for key in ("a", "b", "c"):
        store.put("s", key, "x" * 19, None)  # 20 bytes each: the scope is full
    store.put("s", "d", "y" * 19, None)
    assert [store.get("s", k) for k in "abcd"] == [None, "x" * 19, "x" * 19, "y" * 19]
    assert store.scope_bytes("s") == 60


def test_an_oversized_value_is_not_cached_and_the_old_one_goes(store):
    store.put("s", "k", '"small"', None)
    refused = store.put("s", "k", '"' + "z" * 50 + '"', None)
    assert refused == (
        'the value of "k" is 52 bytes of JSON, over the 40 a cached value may hold: it is '
        "returned but not cached"
    )
    assert store.get("s", "k") is None


def test_text_beyond_ascii_is_counted_in_bytes_and_kept_whole(store):
    value = '"é\u2028😀"'
    store.put("s", "clé", value, None)
    assert store.get("s", "clé") == value
    assert store.scope_bytes("s") == len("clé".encode()) + len(value.encode())


def test_a_scope_nobody_uses_goes_away(store):
    store.put("s", "k", "1", None)
    # Every key the scope has (no expiry times yet: that one does not exist) expires.
    ttls = [store._client.ttl(key) for key in store.keys("s")]
    assert ttls[1] == -2
    assert all(0 < ttl <= SCOPE_IDLE_S for ttl in ttls[:1] + ttls[2:]), ttls


def test_workers_storing_at_once_never_pass_the_bound(store, redis_url):
    workers = [RedisCache(redis_url, BOUNDS, prefix=store.prefix) for _ in range(6)]

    def fill(worker, n):
        for i in range(30):
            worker.put("busy", f"{n}-{i}", "v" * 10, None)

    threads = [threading.Thread(target=fill, args=(w, n)) for n, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    values = store._client.hgetall(store.keys("busy")[0])
    counted = sum(len(k) + len(v) for k, v in values.items())
    assert counted == store.scope_bytes("busy") <= 60


def test_two_workers_pools_read_what_the_other_stored(store):
    code = "async function onRequest(request) { let fetched = false; const v = await cache.load('token', 60000, async () => { fetched = true; return request.json().token; }); console.log(fetched, v); }"
    one, two = IsolatePool(max_isolates=1), IsolatePool(max_isolates=1)
    try:
        first = one.run("v", code, {"body": {"token": "t1"}}, cache=store, cache_scope="source-1")
        second = two.run("v", code, {"body": {"token": "t2"}}, cache=store, cache_scope="source-1")
    finally:
        one.close()
        two.close()
    assert [first.logs[0]["message"], second.logs[0]["message"]] == ["true t1", "false t1"]
