"""The runner uses mini-racer's private API in one module, checked against the exact
version it was written for: an upgrade fails loudly, naming what changed."""

import pytest

from runner import minirace_adapter
from runner.minirace_adapter import AdapterError, check


def test_the_installed_mini_racer_is_the_one_the_adapter_was_written_for():
    check.__wrapped__()  # not the cached answer: the check itself


def test_another_version_is_refused_by_name(monkeypatch):
    monkeypatch.setattr(minirace_adapter.metadata, "version", lambda name: "0.15.0")
    with pytest.raises(AdapterError, match=r"version 0\.15\.0 is installed.*PINNED_VERSION"):
        check.__wrapped__()


def test_a_private_name_that_moved_is_named(monkeypatch):
    from py_mini_racer import _objects

    monkeypatch.delattr(_objects.JSObjectImpl, "raw_handle")
    with pytest.raises(AdapterError, match="raw_handle"):
        check.__wrapped__()


def test_the_pin_in_pyproject_is_the_adapters_version():
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert f'"mini-racer=={minirace_adapter.PINNED_VERSION}"' in pyproject


FIRST_RUN_IN_A_THREAD = """
import threading, runner
pool = runner.IsolatePool(isolation="inline")
outcome = []
def go():
    try:
        pool.run("v", "async function onRequest() {}", {"body": {}})
        outcome.append("ran")
    except Exception as exc:
        outcome.append(type(exc).__name__ + ": " + str(exc))
for _ in range(2):
    thread = threading.Thread(target=go)
    thread.start()
    thread.join()
print(outcome)
"""


def test_v8_started_from_a_thread_is_a_clear_error_not_a_crash():
    """Started from a thread other than the main one, V8 crashed the whole process on
    the next isolate (a segmentation fault)."""
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run(
        [sys.executable, "-c", FIRST_RUN_IN_A_THREAD],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert "WrongThread: V8 must start on the main thread" in done.stdout
