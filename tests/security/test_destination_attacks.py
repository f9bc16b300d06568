"""Attacks on destinations from outside, each as a repro of a hole found by running the
product (docs/destinations.md): an owner who points a warehouse DSN at the product's own
database or at the host, credentials echoed back, an endpoint that answers one byte at a
time, names that fill a worker's memory, one source loading into another's schema.

Each test states what the attacker would gain if it failed."""

import json
import socket
import struct
import threading
import time
import tracemalloc
import urllib.parse
from collections.abc import Iterator
from unittest import mock

import duckdb
import psycopg
import pytest

from catalog.models import Role
from ingest import services
from ingest.deliver.destinations.base import DeliveryError
from ingest.deliver.destinations.transport import Egress, Transport, Wording
from ingest.deliver.destinations.warehouse import names
from ingest.models import Delivery, Destination, IngestEvent
from tests.factories import member
from tests.ingest.deliver.conftest import pg_database, pg_dsn  # noqa: F401 (fixtures)
from tests.ingest.deliver.receiver import Receiver, Reply, serve
from tests.ingest.helpers import STRIPE_CHARGE, TRACK_AND_SET, post_webhook, source_running

pytestmark = pytest.mark.django_db
URL = "/api/v1/workspaces/acme/destinations/"


def postgres(dsn: str) -> dict:
    return {"name": "Warehouse", "kind": "postgres", "credentials": {"dsn": dsn}}


def refusal(answer) -> str:
    assert answer.status_code == 400, answer.content
    return json.dumps(answer.json())


# --- PostgreSQL DSNs: the product's own database, the host, its files -------------------

# Proven against `make run` in production configuration: an owner of workspace "evil"
# saved `host=127.0.0.1 user=postgres dbname=<the product's database>`, connected a
# source named `public` and had its function `Segment.set` a row of collection
# `catalog_membership` with {role: "owner", user_id: <own id>, workspace_id: 1}: the
# loader upserted it into the product's own table and the attacker became an owner of
# every other workspace (their webhook URLs, their functions' secrets). The HTTP kinds
# refuse such addresses (runner.netguard); the DSN's host was never vetted.
LOCAL_DSNS = [
    "postgresql://postgres@127.0.0.1:5432/functions_ide",
    "host=localhost port=5432 user=postgres dbname=functions_ide",
    "host=::ffff:127.0.0.1 user=postgres dbname=functions_ide",
    "postgresql://postgres@2130706433/functions_ide",
    "host=10.0.0.5 user=postgres dbname=warehouse",
    "host=169.254.169.254 port=80 user=x dbname=x",
    "host=db.example.com hostaddr=127.0.0.1 user=postgres dbname=functions_ide",
    "host=db.example.com,127.0.0.1 user=postgres dbname=functions_ide",
    # A unix socket: local trust or peer authentication, as the worker's own OS user.
    "host=/var/run/postgresql user=postgres dbname=functions_ide",
    "postgresql:///functions_ide?host=/var/run/postgresql",
    # No host at all is libpq's default: the local socket.
    "user=postgres dbname=functions_ide",
]


@pytest.mark.parametrize("dsn", LOCAL_DSNS)
def test_a_dsn_of_a_local_or_private_database_is_refused_before_connecting(owner_api, dsn):
    with mock.patch("psycopg.connect", side_effect=psycopg.OperationalError("reached")) as connect:
        answer = owner_api.post(URL, postgres(dsn), format="json")
    message = refusal(answer)
    assert "credentials.dsn" in message
    assert connect.call_count == 0, f"the product connected to {dsn!r}"
    assert "private" in message or "local" in message, message
    assert not Destination.objects.exists()


# libpq reads files of the host for these options (and sends what a passfile holds to
# whatever server the DSN names): proven with `passfile=<a host file>` and a fake server
# that asked for a cleartext password, which received the file's password.
FILE_OPTIONS = [
    "passfile=/tmp/pgpass",
    "sslkey=/etc/ssl/private/server.key",
    "sslcert=/etc/ssl/certs/server.crt",
    "sslrootcert=/etc/shadow",
    "sslcrl=/etc/shadow",
    "service=production",
]


@pytest.mark.parametrize("option", FILE_OPTIONS)
def test_libpq_options_that_read_host_files_are_refused(owner_api, settings, option):
    settings.DESTINATIONS_ALLOW_PRIVATE_NETWORK = True  # only the option is at fault
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname=warehouse {option}"
    with mock.patch("psycopg.connect", side_effect=psycopg.OperationalError("reached")) as connect:
        answer = owner_api.post(URL, postgres(dsn), format="json")
    message = refusal(answer)
    assert connect.call_count == 0, f"the product connected with {option!r}"
    assert option.split("=")[0] in message, message


class FakePostgres:
    """A PostgreSQL server of the attacker's: it asks every client for its password in
    clear text and keeps what it was given."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.passwords: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.socket.accept()
            except OSError:
                return
            with client:
                try:
                    self._answer(client)
                except (OSError, struct.error):
                    pass

    def _answer(self, client: socket.socket) -> None:
        length, code = struct.unpack("!II", client.recv(8))
        if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest: not here
            client.sendall(b"N")
            length, code = struct.unpack("!II", client.recv(8))
        client.recv(length - 8)
        client.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartextPassword
        kind, length = struct.unpack("!cI", client.recv(5))
        self.passwords.append(client.recv(length - 4))

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def fake_postgres() -> Iterator[FakePostgres]:
    server = FakePostgres()
    yield server
    server.close()


def test_the_workers_own_postgres_passwords_are_never_sent(
    owner_api, settings, monkeypatch, tmp_path, fake_postgres
):
    """libpq fills what a DSN leaves out from the worker's environment: PGPASSWORD, and
    the passfile (~/.pgpass, PGPASSFILE). An owner's DSN naming their own server, with
    no password, would collect the password the host keeps for its own databases."""
    settings.DESTINATIONS_ALLOW_PRIVATE_NETWORK = True  # the attacker's server, here
    passfile = tmp_path / "pgpass"
    passfile.write_text("*:*:*:*:host-pgpass-secret\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    owner_api.post(
        URL, postgres(f"host=127.0.0.1 port={fake_postgres.port} user=x dbname=y"), format="json"
    )
    monkeypatch.setenv("PGPASSWORD", "host-env-secret")
    owner_api.post(
        URL, postgres(f"host=127.0.0.1 port={fake_postgres.port} user=x dbname=y"), format="json"
    )
    sent = b"".join(fake_postgres.passwords)
    assert b"host-pgpass-secret" not in sent
    assert b"host-env-secret" not in sent


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://loader:pass word secret@[::1/warehouse",
        "postgresql://loader@127.0.0.1:1/warehouse?password=pass word secret&sslmode=x",
    ],
)
def test_a_refused_dsn_never_echoes_its_password(owner_api, settings, dsn):
    """libpq quotes the part of a DSN it cannot read; with a space in the password, the
    redaction missed it, and the refusal showed the password."""
    settings.DESTINATIONS_ALLOW_PRIVATE_NETWORK = True
    message = refusal(owner_api.post(URL, postgres(dsn), format="json"))
    assert "word secret" not in message, message


# --- HTTP destinations -----------------------------------------------------------------


@pytest.fixture
def echo(settings):
    """An endpoint that answers 400 with the write key it was sent, URL-encoded (as a
    query string or a form would quote it)."""
    settings.DESTINATIONS_ALLOW_PRIVATE_NETWORK = True

    def judge(received):
        user = received.headers.get("authorization", "")
        key = ""
        if user.startswith("Basic "):
            import base64

            key = base64.b64decode(user[6:]).decode().rstrip(":")
        body = f"bad key={urllib.parse.quote(key, safe='')} or {urllib.parse.quote_plus(key)}"
        return Reply(400 if received.path == "/v1/batch" and b"Send Test" in received.body
                     else 200, body.encode())  # fmt: skip

    yield from serve(Receiver(judge))


def test_a_write_key_echoed_url_encoded_is_never_shown(owner_api, echo):
    """Send test's detail and a delivery dead letter's error are the first 1 KB of the
    answer, which every member reads: a key quoted there was shown to them."""
    key = "wk_live/8f+3a=c0ffee:9b"
    created = owner_api.post(
        URL,
        {"name": "Collector", "kind": "segment",
         "config": {"preset": "custom", "base_url": echo.url},
         "credentials": {"write_key": key}},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    answer = owner_api.post(f"{URL}{created.json()['id']}/test/").json()
    assert answer["ok"] is False and answer["status"] == 400
    shown = json.dumps(answer)
    assert urllib.parse.quote(key, safe="") not in shown, shown
    assert urllib.parse.quote_plus(key) not in shown, shown


TRICKLED_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000
STATUS_LINE = len(b"HTTP/1.1 200 OK\r\n")
HEADERS = TRICKLED_ANSWER.index(b"\r\n\r\n") + 4
PROMPT_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"


class Trickle:
    """An endpoint that answers one byte at a time, each well within the read timeout:
    every read succeeds, and the answer never ends. The first `at_once` bytes go at
    once (to trickle the headers or the body only), after `answered` prompt answers on
    the same kept-alive connection."""

    def __init__(self, every_s: float, for_s: float, at_once: int = 0, answered: int = 0):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.every_s, self.for_s, self.at_once, self.answered = every_s, for_s, at_once, answered
        self.requests = 0  # on the one connection it accepts
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        client, _ = self.socket.accept()
        with client:
            for _ in range(self.answered):
                self._read_request(client)
                client.sendall(PROMPT_ANSWER)
            self._read_request(client)
            client.sendall(TRICKLED_ANSWER[: self.at_once])
            ends = time.monotonic() + self.for_s
            for byte in TRICKLED_ANSWER[self.at_once :]:
                if time.monotonic() > ends:
                    return
                try:
                    client.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(self.every_s)

    def _read_request(self, client: socket.socket) -> None:
        client.recv(65536)
        self.requests += 1

    def close(self) -> None:
        self.socket.close()


def trickled_post(trickle: Trickle, posts: int = 1) -> tuple[DeliveryError, float]:
    """The error of the last of `posts` POSTs through one Transport, and how long the
    last one took."""
    egress = Egress("http://product.example", allow_private_network=True, timeout_seconds=0.5)
    wording = Wording("The endpoint", "The endpoint refused the key", "check the URL")
    url = f"http://127.0.0.1:{trickle.port}/in"
    try:
        with Transport(egress, wording, secrets=[]) as http:
            for _ in range(posts - 1):
                assert http.post(url, b"{}", {}).status == 200
            started = time.monotonic()
            with pytest.raises(DeliveryError) as caught:
                http.post(url, b"{}", {})
            return caught.value, time.monotonic() - started
    finally:
        trickle.close()


def test_an_answer_trickled_byte_by_byte_is_cut_at_the_timeout():
    """Proven live: an endpoint that answered a byte every 8 s (the read timeout is 10 s)
    held a worker thread 320 s per request; two such destinations held every delivery
    slot of a worker, and another workspace's deliveries waited. A Send test or a save
    holds a web thread and its database connection the same way: ten at once (the pool)
    answered every other request, webhooks included, with 503."""
    trickle = Trickle(every_s=0.1, for_s=15)
    egress = Egress("http://product.example", allow_private_network=True, timeout_seconds=0.5)
    wording = Wording("The endpoint", "The endpoint refused the key", "check the URL")
    started = time.monotonic()
    try:
        with Transport(egress, wording, secrets=[]) as http, pytest.raises(DeliveryError):
            http.post(f"http://127.0.0.1:{trickle.port}/in", b"{}", {})
    finally:
        trickle.close()
    assert time.monotonic() - started < 5, "the whole exchange must end near its timeout"


@pytest.mark.parametrize(
    "at_once", [STATUS_LINE, HEADERS], ids=["headers trickled", "body trickled"]
)
def test_an_answer_trickled_after_a_prompt_start_is_cut_at_the_timeout(at_once):
    error, seconds = trickled_post(Trickle(every_s=0.1, for_s=15, at_once=at_once))

    assert seconds < 1.5, "the deadline covers the headers and the body, not each read"
    assert not error.permanent and error.status is None
    assert str(error) == "The endpoint did not answer within 0.5 s."


def test_a_kept_alive_connection_that_trickles_its_next_answer_is_cut_too():
    """A reused connection is not connected again: its deadline must reach it anyway."""
    trickle = Trickle(every_s=0.1, for_s=15, at_once=HEADERS, answered=1)

    error, seconds = trickled_post(trickle, posts=2)

    assert trickle.requests == 2, "both POSTs went over the one kept-alive connection"
    assert seconds < 1.5
    assert str(error) == "The endpoint did not answer within 0.5 s."


# --- Warehouse names and schemas ---------------------------------------------------------


def test_long_property_names_do_not_stay_in_the_workers_memory():
    """The naming rules cache 65,536 names each, and a name may be as long as a message
    (32 KB): measured 4.4 GB kept per worker process once the caches fill, which a
    function emitting unique long property names (1,000 events per webhook) does in 66
    webhooks. The caches are for the same few short names that come back."""
    long_names = [f"Prop{n}x" * 4000 for n in range(200)]  # ~28 KB each, not snake_case
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for name in long_names:
            names.fit(names.normalise(name))
        del name
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    kept = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert kept < 1_000_000, f"{kept:,} bytes kept for 200 names"


def test_a_source_of_chosen_sources_cannot_load_into_another_sources_schema(
    client, workspace, api_client_for, settings
):
    """Schemas are named after sources: `shop-orders` and `shop_orders` (both valid
    slugs) are the schema shop_orders. A source admin of chosen sources, who may not
    touch the owner's source, connected `shop_orders` and loaded its rows into the
    owner's tables (upserts: users and objects overwritten)."""
    owners = source_running(TRACK_AND_SET, workspace=workspace, slug="shop-orders")
    admin = member(workspace, Role.SOURCE_ADMIN, "limited@acme.example", all_sources=False)
    warehouse = Destination.objects.create(workspace=workspace, name="Embedded", kind="duckdb")
    answer = api_client_for(admin, workspace).post(
        "/api/v1/workspaces/acme/sources/",
        {"name": "Shop orders", "slug": "shop_orders", "function": owners.function_id},
        format="json",
    )
    if answer.status_code == 400:
        return  # refused: the two would share a schema
    assert answer.status_code == 201, answer.content
    theirs = owners.__class__.objects.get(workspace=workspace, slug="shop_orders")
    with mock.patch("ingest.queue.broker"), mock.patch("ingest.queue.execute_soon"):
        for source, customer in ((owners, "cus_owner"), (theirs, "cus_intruder")):
            body = json.loads(json.dumps(STRIPE_CHARGE))
            body["data"]["object"].update(id=f"ch_{customer}", customer=customer)
            event_id = post_webhook(client, source, body).json()["id"]
            services.ingest_event_execute(ingest_event_id=event_id)
        services.destination_deliver(destination_id=warehouse.pk)
    with duckdb.connect(str(settings.WAREHOUSE_DIR / "acme.duckdb"), read_only=True) as db:
        loaded = db.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'tracks'"
        ).fetchall()
        users = {
            schema: sorted(
                user for (user,) in db.execute(f'SELECT user_id FROM "{schema}".tracks').fetchall()
            )
            for (schema,) in loaded
        }
    assert sorted(sum(users.values(), [])) == ["cus_intruder", "cus_owner"]
    assert len(users) == 2, f"both sources loaded into one schema: {users}"


# --- One webhook's output must fail only itself ------------------------------------------

NESTED = """\
async function onRequest(request, settings) {
  const body = request.json();
  let properties = { leaf: 1 };
  for (let level = 0; level < body.depth; level++) properties = { a: properties };
  Segment.track({ event: 'Nested', userId: 'u1', properties });
}
"""


def test_an_event_nested_960_deep_fails_only_its_own_execution(client):
    """A 960-deep object is 6 KB, well within a message's 32 KB. Proven live: the runner's
    JSON reader, or the record stage's writer, hit Python's recursion limit; the whole
    batch failed as an InfrastructureError (its other webhooks with it, retried until
    they were dead letters), or the turn crashed and left the event `running`. With a
    function that copies a payload's structure, any webhook sender can do this."""
    source = source_running(NESTED)
    with mock.patch("ingest.queue.broker"), mock.patch("ingest.queue.execute_soon"):
        nested = post_webhook(client, source, {"depth": 960}).json()["id"]
        plain = post_webhook(client, source, {"depth": 1}).json()["id"]
        services.ingest_events_execute(ingest_event_ids=[nested, plain])
    executions = {
        event.pk: event.executions.order_by("-pk").first()
        for event in IngestEvent.objects.filter(pk__in=[nested, plain])
    }
    assert executions[plain].status == "succeeded", executions[plain].error
    assert executions[nested].status != "succeeded"
    assert executions[nested].error["name"] != "InfrastructureError", executions[nested].error


WIDE = """\
async function onRequest(request, settings) {
  const body = request.json();
  const properties = {};
  for (let n = 0; n < body.width; n++) properties['p' + n] = n;
  Segment.track({ event: 'Wide', userId: 'u' + body.width, properties });
}
"""


@pytest.mark.integration
def test_a_webhook_over_the_warehouses_column_limit_fails_only_its_own_delivery(
    client, workspace, settings, request
):
    """PostgreSQL takes at most 1,600 columns per table; one webhook whose event has
    1,700 properties made the load of its whole batch fail for good: every other webhook
    of the source delivered in the same turn (up to DELIVERY_BATCH_MAX) became a dead
    letter with it, and replaying them all sends them together again."""
    settings.DESTINATIONS_ALLOW_PRIVATE_NETWORK = True  # the test's PostgreSQL, on loopback
    dsn = request.getfixturevalue("pg_dsn")  # tests/ingest/deliver/conftest.py's database
    source = source_running(WIDE, workspace=workspace)
    warehouse = Destination.objects.create(
        workspace=workspace, name="Warehouse", kind="postgres", credentials={"dsn": dsn}
    )
    with mock.patch("ingest.queue.broker"), mock.patch("ingest.queue.execute_soon"):
        wide = post_webhook(client, source, {"width": 1700}).json()["id"]
        plain = post_webhook(client, source, {"width": 3}).json()["id"]
        services.ingest_events_execute(ingest_event_ids=[wide, plain])
        services.destination_deliver(destination_id=warehouse.pk)
    statuses = dict(
        Delivery.objects.filter(destination=warehouse).values_list("ingest_event_id", "status")
    )
    assert statuses.get(plain) == "delivered", statuses
    assert statuses[wide] == "failed"
