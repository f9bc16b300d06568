"""The per-source rate limit: exact in one process, never exceeded across processes,
and counted in memory between visits to the shared cache."""

import threading
from unittest import mock

import pytest
from django.core.cache import cache

from ingest.receive import rate_limit
from ingest.receive.rate_limit import admits


@pytest.fixture
def second(monkeypatch):
    """A fixed second of the clock, and a clean slate of windows."""
    monkeypatch.setattr(rate_limit, "_windows", {})
    now = 1_800_000_000 + id(monkeypatch) % 1_000_000
    with mock.patch("ingest.receive.rate_limit.time.time", return_value=float(now)):
        yield now
    cache.delete_many([f"webhook-rate:{source}:{now}" for source in range(1, 4)])


def admitted(source_id: int, tries: int) -> int:
    return sum(admits(source_id) for _ in range(tries))


def test_a_process_admits_exactly_the_limit(second, settings):
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 100
    assert admitted(1, 150) == 100


def test_the_shared_cache_is_asked_once_per_lease(second, settings):
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 100  # leases of 5
    with mock.patch.object(rate_limit, "_add", wraps=rate_limit._add) as visits:
        assert admitted(1, 100) == 100
    assert visits.call_count == 20


def test_processes_together_never_exceed_the_limit(second, settings, monkeypatch):
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 100
    first = admitted(2, 33)
    monkeypatch.setattr(rate_limit, "_windows", {})  # another process, same second
    second_process = admitted(2, 200)
    assert first == 33
    assert first + second_process <= 100
    assert second_process >= 100 - 35  # at most the first process's unused lease is lost


def test_without_the_cache_webhooks_are_still_admitted(second, settings):
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 10
    with mock.patch.object(rate_limit, "_add", side_effect=ConnectionError("redis down")):
        assert admitted(3, 5) == 5


def test_a_new_second_opens_a_new_window(second, settings):
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 2
    assert admitted(1, 3) == 2
    with mock.patch("ingest.receive.rate_limit.time.time", return_value=float(second + 1)):
        assert admitted(1, 3) == 2
    cache.delete(f"webhook-rate:1:{second + 1}")


def test_a_slow_cache_for_one_source_holds_up_no_other(second, settings):
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 100
    release = threading.Event()
    real = rate_limit._add

    def add(key, amount):
        if key.startswith("webhook-rate:1:"):
            release.wait(10)
        return real(key, amount)

    with mock.patch.object(rate_limit, "_add", side_effect=add):
        stuck = threading.Thread(target=admits, args=(1,))
        stuck.start()
        assert admitted(2, 3) == 3  # while source 1 waits on the cache
        release.set()
        stuck.join(10)
    assert admitted(1, 1) == 1
