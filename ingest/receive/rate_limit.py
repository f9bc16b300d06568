"""The webhook rate limit of a source: a fixed one-second window, shared by every web
process through the cache.

Asking the shared cache on every webhook would cost the accept path a round trip per
request. Instead a process takes a share of the window's allowance at a time (a lease:
a twentieth of the limit) and counts it down in memory. The cache still adds up every
lease, so all processes together never admit more than the limit; a process may refuse
a little early while another holds an unused part of a lease."""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

LEASES_PER_WINDOW = 20
_MAX_WINDOWS = 10_000  # past this many sources seen, windows of past seconds are dropped


@dataclass
class _Window:
    second: int
    granted: int = 0
    used: int = 0
    exhausted: bool = False


_windows: dict[int, _Window] = {}
_lock = threading.Lock()


def admits(source_id: int, *, at_once: bool = False) -> bool | None:
    """Count one webhook for the source; False past the limit. With at_once, None
    (nothing counted) where the answer needs a lease from the cache."""
    limit = settings.WEBHOOK_RATE_LIMIT_PER_SECOND
    if limit <= 0:
        return True
    second = int(time.time())
    with _lock:
        window = _window(source_id, second)
        if _use(window):
            return True
        if window.exhausted:
            return False
    if at_once:
        return None
    # Outside the lock: a slow cache must not hold up the webhooks of other sources.
    size = max(1, limit // LEASES_PER_WINDOW)
    granted = _lease(f"webhook-rate:{source_id}:{second}", size, limit)
    with _lock:
        window = _window(source_id, second)
        window.granted += granted
        window.exhausted = window.exhausted or granted < size
        return _use(window)


def _use(window: _Window) -> bool:
    if window.used < window.granted:
        window.used += 1
        return True
    return False


def _window(source_id: int, second: int) -> _Window:
    """The source's window of this second (a past second's window, for a lease that
    straddled a second, is a throwaway)."""
    window = _windows.get(source_id)
    if window is not None and window.second == second:
        return window
    if window is not None and window.second > second:
        return _Window(second)
    if len(_windows) >= _MAX_WINDOWS:
        for stale in [key for key, w in _windows.items() if w.second != second]:
            del _windows[stale]
    window = _windows[source_id] = _Window(second)
    return window


def _lease(key: str, size: int, limit: int) -> int:
    """Takes a lease from the shared count; returns how much of it is under the limit."""
    try:
        total = _add(key, size)
    except Exception:
        # Without the cache (Redis restarting) webhooks are still accepted: losing
        # them would be worse than a moment without a rate limit.
        logger.warning("rate limit not checked: the cache is unavailable")
        return size
    return max(0, min(size, limit - (total - size)))


def _add(key: str, amount: int) -> int:
    """Add to the window's shared count; returns the new count."""
    if cache.add(key, amount, timeout=2):
        return amount
    try:
        return cache.incr(key, amount)
    except ValueError:  # the window expired between add and incr
        cache.add(key, amount, timeout=2)
        return amount
