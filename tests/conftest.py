"""Shared test setup: network access is blocked in unit tests."""

import socket
import sys
import uuid
from types import SimpleNamespace
from unittest import mock

import pytest

_real_connect = socket.socket.connect
_LOCAL_PREFIXES = ("127.", "::1", "localhost", "/")


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not host.startswith(_LOCAL_PREFIXES):
        raise RuntimeError(f"Tests may not reach the network ({host}).")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def _pythons_gil_turns():
    # A Celery worker started in this process (celery_worker below) shortens the GIL's
    # turns for the whole process (functions_ide/celery.py, a worker's setting): every
    # later test then paid for ten times the thread switches (test-fast took 119 s
    # instead of 74). Each test ends with the turns it began with.
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The hashed manifest exists only after collectstatic; unit tests render pages
    # without it. The browser tests run against collected, hashed files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _warehouses_in_tmp(settings, tmp_path):
    # Embedded warehouses (DuckDB files) of a test live and die with it.
    settings.WAREHOUSE_DIR = tmp_path / "warehouses"


@pytest.fixture(autouse=True)
def _no_turn_queued(monkeypatch):
    # The marks of queued, unstarted turns live in the cache for a second: left by one
    # test, they would keep the next test's turns from going out. Each test has its own.
    from ingest import queue

    monkeypatch.setattr(queue, "TURN_MARK", f"ingest:turn-queued:{uuid.uuid4()}:{{}}")


# --- catalog: a workspace with a user per role -------------------------------------


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # Real hashers take ~0.5 s per password on purpose; tests make many users. For the
    # whole session, so that rows made once for a module (module_db) are cheap too.
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="module")
def module_db(request, django_db_setup, django_db_blocker):
    """Rows made once for all the database tests of a module (by a fixture of module
    scope that asks for this one), in a transaction rolled back when the module is done.
    Each test still runs in its own savepoint (pytest-django's `db`), so what one test
    writes is gone before the next. The rows' instances are shared: tests use them by id.
    Every database test of the module should use these rows: one that makes its own
    (the `workspace` fixture) would meet them, with the same unique names.

    The transaction stays open while the module's tests run, so the module may have no
    transaction=True test: its flush and its other threads would wait on this one."""
    from django.db import transaction

    here = [
        item for item in request.session.items if getattr(item, "module", None) is request.module
    ]
    transactional = [item.nodeid for item in here if _is_transactional(item)]
    if transactional:
        pytest.fail(f"module_db in a module with transaction=True tests: {transactional}")
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    asked = marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    return bool(asked) or bool({"transactional_db", "live_server"} & set(item.fixturenames))


@pytest.fixture
def workspace(db):
    from tests.factories import WorkspaceFactory

    return WorkspaceFactory(slug="acme", name="Acme")


@pytest.fixture
def owner(workspace):
    from tests.factories import member

    return member(workspace, "owner", "owner@acme.example")


@pytest.fixture
def source_admin(workspace):
    from tests.factories import member

    return member(workspace, "source_admin", "admin@acme.example")


@pytest.fixture
def member_user(workspace):
    from tests.factories import member

    return member(workspace, "member", "member@acme.example")


@pytest.fixture
def outsider(db):
    """A user of another workspace."""
    from tests.factories import WorkspaceFactory, member

    return member(WorkspaceFactory(slug="other"), "owner", "outsider@other.example")


@pytest.fixture
def api_client_for():
    """api_client_for(user, workspace) -> an APIClient with a Bearer token of the user."""
    from rest_framework.test import APIClient

    from tests.factories import bearer

    def make(user, workspace):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=bearer(user, workspace))
        return client

    return make


@pytest.fixture
def owner_api(owner, workspace, api_client_for):
    return api_client_for(owner, workspace)


@pytest.fixture
def celery_worker():
    """A real Celery worker consuming the default and interactive queues in-process
    (memory broker, or Redis with REDIS_URL). start() is idempotent: the worker is
    started once and shared; a test that stopped it gets a fresh one here."""
    from celery.fixups.django import DjangoWorkerFixup

    from functions_ide import embedded_worker

    # Celery's Django fixup closes this thread's database connections when a worker
    # starts; on PostgreSQL that would end the test's transaction under its feet.
    with (
        mock.patch.object(DjangoWorkerFixup, "close_database"),
        mock.patch.object(DjangoWorkerFixup, "close_cache"),
    ):
        return embedded_worker.start(concurrency=2)


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread for the whole session, which async tests after it could not start theirs in."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


class _EmptyTestRun:
    """A worker's answer to a test run, without a worker (the run itself is tested in
    tests/catalog/test_test_run.py)."""

    backend = SimpleNamespace(is_async=True)  # waited for as Redis's results are

    @classmethod
    def send(cls, *args, **kwargs):
        return cls()

    def get(self, timeout):
        return {"events": [], "objects": [], "logs": [], "error": None, "fetches": []}

    def forget(self):
        pass


class _EmptySavedTestsRun(_EmptyTestRun):
    """The same for a run of saved tests: an empty result per case."""

    def __init__(self, cases=()) -> None:
        self.cases = cases

    @classmethod
    def send(cls, args, **kwargs):
        return cls(args[1])

    def get(self, timeout):
        return [{**_EmptyTestRun.get(self, timeout), "duration_ms": 0.0} for _ in self.cases]


@pytest.fixture
def empty_test_runs(monkeypatch):
    """Test runs answer an empty result at once: for tests of who may ask for one."""
    from catalog import tasks

    monkeypatch.setattr(tasks.run_function_test, "apply_async", _EmptyTestRun.send)
    monkeypatch.setattr(tasks.run_saved_tests, "apply_async", _EmptySavedTestsRun.send)
