"""Django's Redis cache with one client per connection pool.

Django's backend builds a redis.Redis for every operation: 65 µs of CPU each (a copy
of the client's table of response callbacks), half again what the round trip costs,
and the accept path and the workers ask the cache a few times per webhook and per
turn. A client is safe to share between threads (each command takes a connection from
the pool), so one is kept per pool."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _KeptClients(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _KeptClients
