"""The store behind the functions' `cache` (runner.cache): this worker's memory in the
embedded mode, Redis in production so that every worker of every machine sees the value
a source stored.

Values are kept per source (`cache_scope`): its workspace, its id and when it was made,
so neither another source nor a source made later with the same id (a database
restored, a Redis shared by mistake) reads them. Each scope holds at most
FUNCTION_CACHE_SOURCE_BYTES and each value at most FUNCTION_CACHE_VALUE_BYTES.

In Redis a scope is four keys under one hash tag (one cluster slot): its values, their
expiry times, the order they were stored in, and its size; each operation is one Lua
script, so the bound holds however many workers store at once. A scope nobody touches
for SCOPE_IDLE_S goes away (a deleted source's values with it).
"""

import threading
import time

from django.conf import settings

import runner
from runner.cache import CacheBounds, MemoryCache

SCOPE_IDLE_S = 7 * 24 * 3600
# A cache operation waits at most this long for Redis: an execution must not spend its
# time limit on a store that is down (the operation is then a miss, or not stored).
REDIS_TIMEOUT_S = 0.5

# KEYS: values, expiries, order, size. Each removes an entry and counts its bytes out.
_REMOVE = """
local function remove(key)
  local value = redis.call('HGET', KEYS[1], key)
  if not value then return end
  redis.call('HDEL', KEYS[1], key)
  redis.call('ZREM', KEYS[2], key)
  redis.call('ZREM', KEYS[3], key)
  redis.call('DECRBY', KEYS[4], string.len(key) + string.len(value))
end
local function touch(idle)
  for i = 1, 4 do redis.call('EXPIRE', KEYS[i], idle) end
end
"""
# ARGV: key, now (ms), idle (s)
_GET = (
    _REMOVE
    + """
local expires = redis.call('ZSCORE', KEYS[2], ARGV[1])
if expires and tonumber(expires) <= tonumber(ARGV[2]) then
  remove(ARGV[1])
  return false
end
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value then touch(tonumber(ARGV[3])) end
return value
"""
)
# ARGV: key, value, ttl (ms, 0 for none), now (ms), scope bound (bytes), idle (s)
_PUT = (
    _REMOVE
    + """
local now, bound = tonumber(ARGV[4]), tonumber(ARGV[5])
local size = string.len(ARGV[1]) + string.len(ARGV[2])
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do remove(key) end
remove(ARGV[1])
while (tonumber(redis.call('GET', KEYS[4]) or '0') + size) > bound do
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0)
  if #oldest == 0 then break end
  remove(oldest[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], now, ARGV[1])
if tonumber(ARGV[3]) > 0 then redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1]) end
redis.call('INCRBY', KEYS[4], size)
touch(tonumber(ARGV[6]))
return 1
"""
)
_DELETE = _REMOVE + "\nremove(ARGV[1])\nreturn 1\n"


class RedisCache:
    """A runner.cache.FunctionCache in Redis, shared by every worker."""

    def __init__(self, url: str, bounds: CacheBounds, *, prefix: str = "fcache") -> None:
        import redis

        self.bounds = bounds
        self.prefix = prefix
        self._client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        self._get = self._client.register_script(_GET)
        self._put = self._client.register_script(_PUT)
        self._delete = self._client.register_script(_DELETE)

    def keys(self, scope: str) -> list[str]:
        base = f"{self.prefix}:{{{scope}}}"
        return [f"{base}:values", f"{base}:expires", f"{base}:order", f"{base}:size"]

    def get(self, scope: str, key: str) -> str | None:
        value = self._get(keys=self.keys(scope), args=[_utf8(key), _now_ms(), SCOPE_IDLE_S])
        return None if value is None else value.decode("utf-8", "surrogatepass")

    def put(self, scope: str, key: str, value: str, ttl_ms: int | None) -> str | None:
        refused = self.bounds.too_big(key, value)
        if refused:
            self.delete(scope, key)  # the old value would be out of date
            return refused
        args = [
            _utf8(key), _utf8(value), ttl_ms or 0, _now_ms(), self.bounds.scope_bytes, SCOPE_IDLE_S
        ]  # fmt: skip
        self._put(keys=self.keys(scope), args=args)
        return None

    def delete(self, scope: str, key: str) -> None:
        self._delete(keys=self.keys(scope), args=[_utf8(key)])

    def scope_bytes(self, scope: str) -> int:
        return int(self._client.get(self.keys(scope)[3]) or 0)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _utf8(text: str) -> bytes:
    """As UTF-8, a lone surrogate a function wrote kept as it is (runner.cache counts so)."""
    return text.encode("utf-8", "surrogatepass")


def cache_scope(source) -> str:
    """Whose values a source's executions read and store."""
    return f"w{source.workspace_id}.s{source.pk}.{int(source.created_at.timestamp() * 1e6)}"


def bounds() -> CacheBounds:
    return CacheBounds(
        value_bytes=settings.FUNCTION_CACHE_VALUE_BYTES,
        scope_bytes=settings.FUNCTION_CACHE_SOURCE_BYTES,
    )


_store: runner.FunctionCache | None = None
_store_lock = threading.Lock()


def function_cache() -> runner.FunctionCache:
    """This process's cache store: Redis when REDIS_URL is set, else its memory."""
    global _store
    with _store_lock:
        if _store is None:
            _store = (
                RedisCache(settings.REDIS_URL, bounds())
                if settings.REDIS_URL
                else MemoryCache(bounds())
            )
        return _store
