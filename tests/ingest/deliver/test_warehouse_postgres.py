"""The PostgreSQL warehouse's bad input and failures, against the real PostgreSQL: what
check() tells an owner, and whether send()'s errors are permanent (dead letters) or
temporary (retried)."""

import secrets
import socket
import struct
import threading
import time

import psycopg
import pytest

from ingest.deliver.destinations.base import Batch, DeliveryError
from ingest.deliver.destinations.warehouse import PostgresWarehouse
from ingest.deliver.destinations.warehouse import postgres as dialect
from tests.faults.stack import free_port
from tests.ingest.deliver.conftest import ADMIN_DSN, LOOPBACK, TEST_DATABASE, admin
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

PASSWORD = "s3cret-Pa55word"
BATCH = Batch(
    "shop",
    events=[
        {"type": "track", "messageId": f"m{n}", "event": "Paid", "properties": {"amount": n}}
        for n in range(1, 4)
    ],
)


def refused(dsn: str, call: str = "check") -> DeliveryError:
    destination = PostgresWarehouse(LOOPBACK, {"dsn": dsn})
    with pytest.raises(DeliveryError) as caught:
        destination.check() if call == "check" else destination.send(BATCH)
    return caught.value


def assert_no_password(error: DeliveryError) -> None:
    assert PASSWORD not in str(error) and PASSWORD not in error.detail


@pytest.fixture
def role(pg_dsn):
    """A login role of its own (no password: the test server trusts local clients),
    with only what PUBLIC may do in the test database: connect, not create schemas."""
    name = f"fi_wh_test_{secrets.token_hex(4)}"
    with admin() as db:
        db.execute(f'CREATE ROLE "{name}" LOGIN')
    yield name
    with admin(TEST_DATABASE) as db:
        db.execute(f'DROP OWNED BY "{name}" CASCADE')
    with admin() as db:
        db.execute(f'DROP ROLE "{name}"')


def dsn_of(role: str) -> str:
    return f"postgresql://{role}@127.0.0.1:5432/{TEST_DATABASE}"


# --- check(): the owner's answer on save and Send test ---------------------------------


def test_check_reports_what_it_reached(pg_dsn):
    answer = PostgresWarehouse(LOOPBACK, {"dsn": pg_dsn}).check()

    assert answer.status is None
    assert f"database {TEST_DATABASE} as role postgres: can create schemas" in answer.detail


def test_nothing_listening_is_a_temporary_refusal(pg_dsn):
    error = refused(f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free_port()}/x")

    assert str(error).startswith("PostgreSQL refused the connection: ")
    assert "Connection refused" in str(error) and not error.permanent
    assert_no_password(error)


def test_a_database_that_does_not_exist_is_permanent(pg_dsn):
    error = refused(f"{ADMIN_DSN}/fi_wh_no_such_database")

    assert 'database "fi_wh_no_such_database" does not exist' in str(error)
    assert error.permanent


def test_a_dsn_that_is_not_one_is_permanent_and_not_echoed():
    for dsn in (
        f"postgresql://bob:{PASSWORD}@127.0.0.1:5432/db?no_such_option=1",
        f"host=127.0.0.1 password={PASSWORD} dbname",
    ):
        error = refused(dsn)
        assert str(error).startswith("PostgreSQL refused the connection: ") and error.permanent
        assert_no_password(error)


def test_no_dsn_at_all():
    error = refused("  ")
    assert "has no DSN" in str(error) and error.permanent


def test_a_wrong_password_is_permanent_and_not_echoed():
    # The machine's PostgreSQL trusts local clients, so the refusal comes from a server
    # speaking PostgreSQL's protocol that asks for a password and refuses it, as a real
    # one does (SQLSTATE 28P01).
    with PasswordRefusingServer() as server:
        error = refused(f"postgresql://bob:{PASSWORD}@127.0.0.1:{server.port}/shop?sslmode=disable")

    assert server.passwords == [PASSWORD]  # the client did send it
    assert 'password authentication failed for user "bob"' in str(error)
    assert str(error).startswith("PostgreSQL refused the connection: ") and error.permanent
    assert_no_password(error)


def test_a_role_that_may_not_log_in_is_permanent(role):
    with admin() as db:
        db.execute(f'ALTER ROLE "{role}" NOLOGIN')

    error = refused(dsn_of(role))

    assert "not permitted to log in" in str(error) and error.permanent


def test_a_role_without_create_on_the_database_cannot_pass_check(role):
    error = refused(dsn_of(role))

    assert str(error) == (
        f"PostgreSQL refused to create a schema: permission denied for database {TEST_DATABASE}"
    )
    assert error.permanent
    with pytest.raises(DeliveryError) as caught:
        PostgresWarehouse(LOOPBACK, {"dsn": dsn_of(role)}).send(BATCH)
    assert "refused the load into schema shop: permission denied" in str(caught.value)
    assert caught.value.permanent


def test_a_schema_made_for_the_role_is_enough_to_load(role, pg_dsn):
    with admin(TEST_DATABASE) as db:
        db.execute(f'CREATE SCHEMA shop AUTHORIZATION "{role}"')

    answer = PostgresWarehouse(LOOPBACK, {"dsn": dsn_of(role)}).send(BATCH)

    assert "Loaded 6 rows into 2 tables of shop" in answer.detail


# --- send(): permanent or temporary -------------------------------------------------


def test_a_table_the_role_may_not_write_is_permanent(role, pg_dsn):
    with admin(TEST_DATABASE) as db:
        db.execute(f'GRANT CREATE ON DATABASE "{TEST_DATABASE}" TO "{role}"')
    PostgresWarehouse(LOOPBACK, {"dsn": dsn_of(role)}).send(BATCH)
    with admin(TEST_DATABASE) as db:
        db.execute("ALTER TABLE shop.paid OWNER TO postgres")
        db.execute(f'GRANT SELECT ON shop.paid TO "{role}"')

    error = refused(dsn_of(role), "send")

    assert "PostgreSQL refused the load into schema shop: permission denied" in str(error)
    assert error.permanent


def test_data_the_database_rejects_is_permanent(pg_dsn):
    PostgresWarehouse(LOOPBACK, {"dsn": pg_dsn}).send(BATCH)
    with admin(TEST_DATABASE) as db:
        db.execute("ALTER TABLE shop.paid ADD CONSTRAINT small CHECK (amount < 10)")
    too_big = Batch("shop", events=[{"type": "track", "messageId": "m9", "event": "Paid",
                                      "properties": {"amount": 99}}])  # fmt: skip

    with pytest.raises(DeliveryError) as caught:
        PostgresWarehouse(LOOPBACK, {"dsn": pg_dsn}).send(too_big)

    assert 'violates check constraint "small"' in str(caught.value)
    assert caught.value.permanent


def test_a_table_locked_by_someone_else_is_temporary(pg_dsn, monkeypatch):
    PostgresWarehouse(LOOPBACK, {"dsn": pg_dsn}).send(BATCH)
    monkeypatch.setattr(dialect, "LOCK_TIMEOUT", "200ms")

    with admin(TEST_DATABASE) as db, db.transaction():
        db.execute("LOCK TABLE shop.paid IN ACCESS EXCLUSIVE MODE")
        error = refused(pg_dsn, "send")

    assert "PostgreSQL could not finish the load into schema shop" in str(error)
    assert "lock timeout" in str(error) and not error.permanent


def test_a_connection_cut_during_a_load_is_temporary_and_the_retry_loads_once(pg_dsn):
    destination = PostgresWarehouse(LOOPBACK, {"dsn": pg_dsn})
    destination.send(Batch("shop", events=BATCH.events[:1]))
    outcome: list = []

    with admin(TEST_DATABASE) as db, db.transaction(), admin(TEST_DATABASE) as watcher:
        # Hold the load at a table it writes, then cut its connection.
        db.execute("LOCK TABLE shop.paid IN ACCESS EXCLUSIVE MODE")
        loading = threading.Thread(target=lambda: outcome.append(_send(destination)))
        loading.start()
        loader_pid = wait_until(lambda: _waiting_loader(watcher), what="the load to wait")
        watcher.execute("SELECT pg_terminate_backend(%s)", [loader_pid])
        loading.join(10)

    [error] = outcome
    assert isinstance(error, DeliveryError) and not error.permanent
    assert "PostgreSQL could not finish the load into schema shop" in str(error)
    destination.send(BATCH)
    with admin(TEST_DATABASE) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM shop.paid ORDER BY id")]
    assert ids == ["m1", "m2", "m3"]


def _send(destination):
    try:
        return destination.send(BATCH)
    except DeliveryError as error:
        return error


def _waiting_loader(db: psycopg.Connection) -> int | None:
    row = db.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'functions-ide warehouse' "
        "AND wait_event_type = 'Lock'"
    ).fetchone()
    return row[0] if row else None


class PasswordRefusingServer:
    """Just enough of PostgreSQL's wire protocol: decline SSL and GSS encryption, ask
    for a cleartext password, record it, refuse it with SQLSTATE 28P01."""

    def __enter__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.passwords: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.listener.close()
        self.thread.join(5)

    def _serve(self):
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        with client:
            client.settimeout(5)
            while True:
                length, code = struct.unpack("!ii", _read(client, 8))
                _read(client, length - 8)
                if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest
                    client.sendall(b"N")
                    continue
                break  # the StartupMessage
            client.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
            kind, length = struct.unpack("!ci", _read(client, 5))
            self.passwords.append(_read(client, length - 4).rstrip(b"\0").decode())
            fields = b"".join(
                tag + text.encode() + b"\0"
                for tag, text in (
                    (b"S", "FATAL"),
                    (b"V", "FATAL"),
                    (b"C", "28P01"),
                    (b"M", 'password authentication failed for user "bob"'),
                )
            )
            client.sendall(b"E" + struct.pack("!i", len(fields) + 5) + fields + b"\0")
            time.sleep(0.1)  # let the client read the refusal before the close


def _read(client: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = client.recv(count - len(data))
        if not chunk:
            raise ConnectionError("the client went away")
        data += chunk
    return data
