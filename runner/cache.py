"""`cache.load(key, ttl, fn)` and `cache.delete(key)`: what the runner asks of a cache
store, and the one that keeps values in this process's memory.

A function's cache is a set of JSON values by key, kept per *scope* (the caller names
one per source: `Invocation.cache_scope`), so no value crosses from one source to
another. The runner itself only passes JSON text to a `FunctionCache`; the caller
chooses the store: `MemoryCache` (this module, a worker's memory), or one shared by
every worker (the product's Redis store lives in ingest, which knows the deployment).
A run that is given no store gets a fresh, empty `MemoryCache`: a one-shot run (the CLI,
the editor's test runs) starts with an empty cache, as on Segment.

Bounds, the same for every store (`CacheBounds`): a value is at most 64 KB of JSON (a
bigger one is not cached; `load` still returns it), a scope at most 1 MB, keys and
values counted in UTF-8 bytes; a scope over its bound drops its least recently stored
values first. A value may also go before its time to live: a cache is not a database.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

KB = 1024


@dataclass(frozen=True)
class CacheBounds:
    """How big a cached value and a scope may be, in bytes of UTF-8 (a key is at most
    256 characters: js/src/cache.js refuses a longer one)."""

    value_bytes: int = 64 * KB
    scope_bytes: int = 1024 * KB

    def too_big(self, key: str, value: str) -> str | None:
        """Why this value is not cached, in words; None when it fits."""
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > self.value_bytes or entry_bytes(key, value) > self.scope_bytes:
            return (
                f"the value of {json.dumps(key)} is {size:,} bytes of JSON, over the "
                f"{min(self.value_bytes, self.scope_bytes):,} a cached value may hold: it is "
                "returned but not cached"
            )
        return None


DEFAULT_BOUNDS = CacheBounds()


class FunctionCache(Protocol):
    """A cache store. Every method may be called from several threads at once.

    Values are JSON text as the function's `fn` produced it. `put` answers None when the
    value is stored, or why it is not (too big), in words for the function's author."""

    def get(self, scope: str, key: str) -> str | None: ...

    def put(self, scope: str, key: str, value: str, ttl_ms: int | None) -> str | None: ...

    def delete(self, scope: str, key: str) -> None: ...


def entry_bytes(key: str, value: str) -> int:
    """What one value counts against its scope's bound."""
    return len(key.encode("utf-8", "surrogatepass")) + len(value.encode("utf-8", "surrogatepass"))


class _Scope:
    def __init__(self) -> None:
        # key -> (value, expires_at or None, bytes); oldest stored first
        self.entries: OrderedDict[str, tuple[str, float | None, int]] = OrderedDict()
        self.bytes = 0

    def drop(self, key: str) -> int:
        entry = self.entries.pop(key, None)
        if entry is None:
            return 0
        self.bytes -= entry[2]
        return entry[2]


class MemoryCache:
    """A FunctionCache in this process's memory. Besides each scope's bound, all scopes
    together hold at most `total_bytes`: past it, the scope used least recently gives
    up its oldest values."""

    def __init__(
        self,
        bounds: CacheBounds = DEFAULT_BOUNDS,
        *,
        total_bytes: int = 64 * 1024 * KB,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bounds = bounds
        self.total_bytes = total_bytes
        self._clock = clock
        self._scopes: OrderedDict[str, _Scope] = OrderedDict()  # least recently used first
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, scope: str, key: str) -> str | None:
        with self._lock:
            found = self._scopes.get(scope)
            entry = found.entries.get(key) if found else None
            if found is None or entry is None:
                return None
            if entry[1] is not None and entry[1] <= self._clock():
                self._bytes -= found.drop(key)
                return None
            self._scopes.move_to_end(scope)
            return entry[0]

    def put(self, scope: str, key: str, value: str, ttl_ms: int | None) -> str | None:
        refused = self.bounds.too_big(key, value)
        if refused:
            self.delete(scope, key)  # the old value would be out of date
            return refused
        size = entry_bytes(key, value)
        now = self._clock()
        expires = None if ttl_ms is None else now + ttl_ms / 1000
        with self._lock:
            found = self._scopes.setdefault(scope, _Scope())
            self._scopes.move_to_end(scope)
            self._bytes -= found.drop(key)
            self._bytes -= _make_room(found, size, self.bounds.scope_bytes, now)
            found.entries[key] = (value, expires, size)
            found.bytes += size
            self._bytes += size
            self._trim()
        return None

    def delete(self, scope: str, key: str) -> None:
        with self._lock:
            found = self._scopes.get(scope)
            if found is not None:
                self._bytes -= found.drop(key)

    def scope_bytes(self, scope: str) -> int:
        """What a scope holds now, in bytes (for tests and metrics)."""
        with self._lock:
            found = self._scopes.get(scope)
            return found.bytes if found else 0

    def _trim(self) -> None:
        while self._bytes > self.total_bytes and self._scopes:
            scope, found = next(iter(self._scopes.items()))
            if not found.entries:
                del self._scopes[scope]
                continue
            self._bytes -= found.drop(next(iter(found.entries)))


def _make_room(scope: _Scope, size: int, bound: int, now: float) -> int:
    """Drop expired values, then the oldest, until `size` more bytes fit; bytes freed."""
    freed = 0
    for key in [k for k, (_, expires, _) in scope.entries.items() if expires and expires <= now]:
        freed += scope.drop(key)
    while scope.entries and scope.bytes + size > bound:
        freed += scope.drop(next(iter(scope.entries)))
    return freed


class CacheUnavailable(Exception):
    """The store failed; the message says so in the function author's words."""


def cache_answer(cache: FunctionCache, scope: str, message: dict[str, Any]) -> dict[str, Any]:
    """Perform one cache operation a function asked for ({"op": "get"|"put"|"delete",
    "key", "value", "ttl"}) and answer it ({"value"} for get, {"note"} when a put was
    not stored). A store that fails makes a get a miss and a put not stored: a function
    must not fail because its cache did."""
    if not isinstance(message, dict):
        return {"value": None, "note": "a malformed cache operation"}
    op, key = message.get("op"), str(message.get("key"))
    try:
        if op == "get":
            return {"value": cache.get(scope, key)}
        if op == "put":
            ttl = message.get("ttl")
            ttl_ms = int(ttl) if isinstance(ttl, int | float) and ttl > 0 else None
            return {"note": cache.put(scope, key, str(message.get("value")), ttl_ms)}
        if op == "delete":
            cache.delete(scope, key)
            return {}
    except CacheUnavailable as exc:  # told by the store's own process (runner.child)
        return {"value": None, "note": str(exc), "failed": True}
    except Exception as exc:  # the store's failure, never the function's  # noqa: BLE001
        note = f"the cache is unavailable ({type(exc).__name__})"
        return {"value": None, "note": note, "failed": True}
    return {"note": f"unknown cache operation {op!r}"}
