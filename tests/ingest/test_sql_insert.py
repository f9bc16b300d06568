"""The hot path's inserts (ingest.sql.insert): every row or none, however many rows, and
each row's id, on PostgreSQL (one statement, values bound apart) and SQLite (which holds
fewer values a statement)."""

import pytest
from django.db import IntegrityError

from ingest import sql
from ingest.models import IngestEvent
from tests.factories import SourceFactory

# Autocommit, as the accept path's write thread runs: no test transaction around it.
pytestmark = pytest.mark.django_db(transaction=True)


def webhook(source, n: int, version_id: int | None = None) -> IngestEvent:
    return IngestEvent(
        source_id=source.pk,
        version_id=version_id or source.version_id,
        method="POST",
        path=f"/hooks/{n}",
        query_string="",
        headers={"Content-Type": "application/json"},
        raw_body=b'{"n": %d}' % n,
    )


def test_many_rows_get_their_ids_in_order():
    source = SourceFactory()
    rows = [webhook(source, n) for n in range(150)]
    sql.insert(IngestEvent, rows)
    stored = dict(IngestEvent.objects.values_list("pk", "path"))
    assert [stored[row.pk] for row in rows] == [f"/hooks/{n}" for n in range(150)]
    assert bytes(IngestEvent.objects.get(pk=rows[7].pk).raw_body) == b'{"n": 7}'


def test_a_bad_row_stores_none_of_them_however_many():
    """More rows than one SQLite statement holds: they share a transaction, so a group of
    webhooks is answered all stored or none (a group written again row by row after a
    bad one must not store the first ones twice)."""
    source = SourceFactory()
    rows = [webhook(source, n) for n in range(150)] + [webhook(source, 150, version_id=10**9)]
    with pytest.raises(IntegrityError):
        sql.insert(IngestEvent, rows)
    assert IngestEvent.objects.count() == 0
