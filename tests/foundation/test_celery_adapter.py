"""The Celery internals the project leans on are checked: the installed Celery passes, and
an upgrade that changes one stops the worker with the reason instead of undoing the
adaptation silently."""

import re
from pathlib import Path
from unittest import mock

import celery
import pytest
from celery import _state
from celery.fixups.django import DjangoWorkerFixup
from celery.worker import WorkController
from celery.worker.consumer.consumer import Consumer

from functions_ide import celery_adapter
from functions_ide.celery import app


def test_the_installed_celery_fits_every_adaptation():
    assert celery_adapter.problems() == []
    celery_adapter.ensure_compatible()


def test_the_pinned_versions_are_the_checked_ones():
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    for name, version in celery_adapter.CHECKED_WITH.items():
        assert re.search(rf'"{name}(\[[a-z,]+\])?=={re.escape(version)}"', pyproject), name


def test_an_upgrade_names_the_versions(monkeypatch):
    monkeypatch.setattr(celery, "__version__", "5.8.0")
    with pytest.raises(celery_adapter.CeleryIncompatible) as refused:
        celery_adapter.ensure_compatible()
    assert "celery 5.8.0 is installed" in str(refused.value)
    assert "checked with celery 5.7.0" in str(refused.value)


def test_a_changed_internal_is_named(monkeypatch):
    def _set_task_join_will_block(blocks, *, reason=None):  # what a new release might have
        pass

    monkeypatch.setattr(_state, "_set_task_join_will_block", _set_task_join_will_block)
    found = celery_adapter.problems()
    assert len(found) == 1
    assert found[0].startswith("celery._state._set_task_join_will_block changed since it was")


def test_a_removed_internal_is_named(monkeypatch):
    monkeypatch.delattr(_state, "task_join_will_block")
    assert celery_adapter.problems() == [
        "A Celery internal this module relies on is gone: "
        "module 'celery._state' has no attribute 'task_join_will_block'."
    ]


def test_the_consumer_is_adapted_once():
    adapted = Consumer.on_connection_error_after_connected
    assert adapted.__wrapped__ is not None
    celery_adapter.survive_connection_close()
    assert Consumer.on_connection_error_after_connected is adapted


def test_a_lost_connection_that_fails_to_close_does_not_stop_the_consumer():
    class Original:
        def on_connection_error_after_connected(self, exc):
            raise AttributeError("'NoneType' object has no attribute 'disconnect'")

    class Acked:
        def ack_log_error(self, logger, errors, multiple=False):
            return "acked"

    celery_adapter.survive_connection_close(Original, Acked)
    Original().on_connection_error_after_connected(ConnectionError("broker gone"))
    assert Acked().ack_log_error(None, ()) == "acked"


def test_an_acknowledgement_on_a_lost_connection_does_not_stop_the_worker(caplog):
    """What stopped a worker when Redis restarted under load: a task ended while the
    connection was gone, and its ack failed inside kombu's Redis transport."""

    class Consumer:
        def on_connection_error_after_connected(self, exc):
            pass

    class Lost:
        def ack_log_error(self, logger, errors, multiple=False):
            raise AttributeError("'NoneType' object has no attribute 'hostname'")

    celery_adapter.survive_connection_close(Consumer, Lost)
    Lost().ack_log_error(None, ())
    assert "delivered again later" in caplog.text


def test_waits_are_allowed_again_after_a_pool_started():
    before = _state.task_join_will_block()
    try:
        _state._set_task_join_will_block(True)  # what starting a pool does
        with pytest.raises(RuntimeError, match="Never call result.get"):
            celery.result.assert_will_not_block()
        celery_adapter.allow_result_waits_in_this_process()
        celery.result.assert_will_not_block()
    finally:
        _state._set_task_join_will_block(before)


def test_a_worker_refuses_to_start_on_an_unchecked_celery(monkeypatch):
    monkeypatch.setattr(celery, "__version__", "6.0.0")
    with (
        mock.patch.object(DjangoWorkerFixup, "close_database"),
        mock.patch.object(DjangoWorkerFixup, "close_cache"),
        pytest.raises(SystemExit) as stopped,
    ):
        WorkController(app=app, pool_cls="solo", concurrency=1, without_heartbeat=True)
    assert "The worker cannot start." in str(stopped.value)
    assert "celery 6.0.0 is installed" in str(stopped.value)
