"""The cache of production (functions_ide.cache): Django's Redis cache, with one client
kept per connection pool instead of one built for every operation."""

import threading

from functions_ide.cache import RedisCache
from tests.faults.stack import REDIS, require_services


def a_cache() -> RedisCache:
    require_services()
    cache = RedisCache(f"redis://{REDIS[0]}:{REDIS[1]}/11", {"KEY_PREFIX": "cache-test"})
    cache.delete_many(["mark", "other", "count", "shared"])  # not clear(): others' keys
    return cache


def test_it_is_django_s_cache_with_one_client():
    cache = a_cache()
    assert cache.add("mark", 1.5, timeout=5) and not cache.add("mark", 2.5, timeout=5)
    assert cache.get("mark") == 1.5 and cache.get("other", "none") == "none"
    cache.set("mark", {"n": 3}, timeout=5)
    assert cache.get_many(["mark", "other"]) == {"mark": {"n": 3}}
    cache.set("count", 1)
    assert cache.incr("count") == 2
    cache.delete("mark")
    assert cache.get("mark") is None
    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=False)


def test_threads_share_the_kept_client():
    cache = a_cache()

    def count() -> None:
        for _ in range(50):
            cache.incr("shared")

    cache.set("shared", 0)
    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("shared") == 200
