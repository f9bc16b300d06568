"""Webhooks arriving while a write is under way share the next one (ingest.receive.
group_commit): one INSERT, one commit, and every sender answered with its own row's id
only once that row is committed."""

import asyncio
import json
import threading
import time
from unittest import mock

import pytest
from django.db import OperationalError, connection

from ingest.models import IngestEvent
from ingest.receive import group_commit
from tests.asgi import exchange
from tests.ingest.helpers import source_running

pytestmark = pytest.mark.django_db(transaction=True)


async def post(token: str, body: dict) -> tuple[int, dict]:
    response = await exchange(
        "POST",
        f"/hooks/{token}",
        body=json.dumps(body).encode(),
        headers=[(b"host", b"testserver"), (b"content-type", b"application/json")],
    )
    return response["status"], json.loads(response["body"])


def writes_recorded(first_write_s: float, fail_after_first: bool = False):
    """_insert as it is, recording each group's size; the first write takes
    `first_write_s` longer, so that the webhooks arriving meanwhile wait for the next."""
    real, sizes, lock = group_commit._insert, [], threading.Lock()

    def insert(rows):
        with lock:
            sizes.append(len(rows))
            first = len(sizes) == 1
        if first:
            time.sleep(first_write_s)
        elif fail_after_first:
            raise OperationalError("the database went away")
        return real(rows)

    return mock.patch.object(group_commit, "_insert", side_effect=insert), sizes


async def test_webhooks_arriving_together_share_a_write_and_each_gets_its_own_id():
    from channels.db import database_sync_to_async

    source = await database_sync_to_async(source_running)("async function onRequest() {}")
    patch, sizes = writes_recorded(0.3)
    with patch, mock.patch("ingest.queue.execute_soon") as queued:
        answers = await asyncio.gather(*(post(source.webhook_token, {"n": n}) for n in range(20)))
    assert [status for status, _ in answers] == [200] * 20
    ids = [body["id"] for _, body in answers]
    assert len(set(ids)) == 20
    assert sum(sizes) == 20 and max(sizes) > 1 and len(sizes) < 20
    stored = await database_sync_to_async(lambda: dict(
        IngestEvent.objects.filter(pk__in=ids).values_list("pk", "raw_body")
    ))()  # fmt: skip
    # Each sender's id is the row of its own body.
    for n, event_id in enumerate(ids):
        assert json.loads(bytes(stored[event_id])) == {"n": n}
    assert queued.call_count == 20


async def test_a_failed_write_answers_each_of_its_senders_503_and_stores_none_of_them():
    from channels.db import database_sync_to_async

    source = await database_sync_to_async(source_running)("async function onRequest() {}")
    patch, sizes = writes_recorded(0.3, fail_after_first=True)
    with patch, mock.patch("ingest.queue.execute_soon"):
        answers = await asyncio.gather(*(post(source.webhook_token, {"n": n}) for n in range(8)))
    refused = [body for status, body in answers if status == 503]
    assert len(refused) == sum(sizes[1:]) > 0
    assert refused[0] == {"error": "Temporarily unavailable; please retry."}
    stored = await database_sync_to_async(IngestEvent.objects.count)()
    assert stored == sizes[0] == 8 - len(refused)


async def test_a_row_that_cannot_be_stored_is_refused_alone():
    """A source deleted a moment ago (other processes remember it for up to 2 s): its
    webhook's row breaks the statement it shares with other senders' webhooks, which
    are then written one by one and stored."""
    from channels.db import database_sync_to_async
    from django.db import IntegrityError

    from ingest.receive.accept import IncomingWebhook, event_fields
    from ingest.receive.sources import Target

    source = await database_sync_to_async(source_running)("async function onRequest() {}")
    kept = Target(source.pk, source.version_id, True, source.workspace_id)
    gone = Target(source.pk + 1000, source.version_id, True, source.workspace_id)

    def fields(target, n):
        webhook = IncomingWebhook("POST", "/hooks/t", "", {}, json.dumps({"n": n}).encode())
        return event_fields(target, webhook), target.workspace_id

    patch, sizes = writes_recorded(0.3)
    with patch, mock.patch("ingest.queue.execute_soon"):
        answers = await asyncio.gather(
            *(group_commit.store(*fields(gone if n == 2 else kept, n)) for n in range(5)),
            return_exceptions=True,
        )
    assert isinstance(answers[2], IntegrityError)
    kept_ids = [a for n, a in enumerate(answers) if n != 2]
    assert all(isinstance(a, int) for a in kept_ids) and len(set(kept_ids)) == 4
    assert max(sizes) > 1  # they did share a statement first
    stored = await database_sync_to_async(IngestEvent.objects.count)()
    assert stored == 4


async def test_big_bodies_share_a_statement_only_up_to_its_size(monkeypatch):
    from channels.db import database_sync_to_async

    monkeypatch.setattr(group_commit, "GROUP_BODY_BYTES", 2500)
    source = await database_sync_to_async(source_running)("async function onRequest() {}")
    patch, sizes = writes_recorded(0.3)
    with patch, mock.patch("ingest.queue.execute_soon"):
        answers = await asyncio.gather(
            *(post(source.webhook_token, {"n": n, "pad": "x" * 1000}) for n in range(7))
        )
    assert [status for status, _ in answers] == [200] * 7
    # Two bodies of about 1 KB fit in 2,500 bytes; a third would not.
    assert sum(sizes) == 7 and max(sizes) == 2


def _end_the_write_thread_s_session() -> None:
    """As a database restart would: the connection the write thread keeps is cut."""
    from django.db import connection

    def session():
        from django.db import connection as theirs

        theirs.ensure_connection()
        return theirs.connection.info.backend_pid

    pid = group_commit._write_thread().submit(session).result()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's sessions")
async def test_the_write_thread_s_connection_is_checked_once_idle(monkeypatch):
    from channels.db import database_sync_to_async

    source = await database_sync_to_async(source_running)("async function onRequest() {}")
    with mock.patch("ingest.queue.execute_soon"):
        assert (await post(source.webhook_token, {"n": 1}))[0] == 200
        monkeypatch.setattr(group_commit, "KEEP_CONNECTION_S", 0.0)
        await database_sync_to_async(_end_the_write_thread_s_session)()
        # Idle, the kept connection is given back and a checked one taken: no refusal.
        assert (await post(source.webhook_token, {"n": 2}))[0] == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's sessions")
async def test_a_write_on_a_lost_connection_leaves_the_next_one_a_good_one(monkeypatch):
    from channels.db import database_sync_to_async

    source = await database_sync_to_async(source_running)("async function onRequest() {}")
    monkeypatch.setattr(group_commit, "KEEP_CONNECTION_S", 3600.0)
    with mock.patch("ingest.queue.execute_soon"):
        assert (await post(source.webhook_token, {"n": 1}))[0] == 200
        await database_sync_to_async(_end_the_write_thread_s_session)()
        status, body = await post(source.webhook_token, {"n": 2})
        assert (status, body) == (503, {"error": "Temporarily unavailable; please retry."})
        assert (await post(source.webhook_token, {"n": 3}))[0] == 200
    bodies = await database_sync_to_async(
        lambda: [
            json.loads(bytes(b)) for b in IngestEvent.objects.values_list("raw_body", flat=True)
        ]
    )()
    assert sorted(b["n"] for b in bodies) == [1, 3]
