# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""Preview on recent traffic: the draft runs on a source's stored webhooks and each is
compared with what the source's version emitted; progress, cancel, expiry, roles."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import AuditEntry
from ingest import previews, services
from ingest.models import Preview, PreviewWebhook, StoredEvent
from ingest.receive import IncomingWebhook
from tests.factories import SourceFactory
from tests.ingest.helpers import source_running

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]

CURRENT = """\
async function onRequest(request) {
  const body = request.json();
  if (body.type === 'refund') throw new EventNotSupported('refund is not supported');
  Segment.track({ event: 'Order Completed', userId: `u${body.n}`, properties: { amount: body.cents / 100, currency: 'usd' } });
  Segment.set({ collection: 'orders', id: body.n, properties: { cents: body.cents } });
}
"""
# The known change: every fifth order in cents, refunds handled, order 42 refused.
DRAFT = """\
async function onRequest(request) {
  const body = request.json();
  if (body.n === 42) throw new ValidationError('order 42 has no customer');
  if (body.type === 'refund') {
    Segment.track({ event: 'Order Refunded', userId: `u${body.n}`, properties: { cents: body.cents } });
    return;
  }
  const amount = body.n % 5 === 0 ? body.cents : body.cents / 100;
  Segment.track({ event: 'Order Completed', userId: `u${body.n}`, properties: { amount, currency: 'usd' } });
  Segment.set({ collection: 'orders', id: body.n, properties: { cents: body.cents } });
}
"""


def webhook(n: int) -> dict:
    return {"n": n, "type": "refund" if n % 10 == 9 else "charge", "cents": 1000 + n}


def received(source, count: int, body=webhook) -> list[int]:
    """`count` webhooks accepted and run on the source's version, as the product does."""
    ids = []
    for n in range(count):
        incoming = IncomingWebhook(
            "POST", "/hooks/x", "", {"Content-Type": "application/json"},
            json.dumps(body(n)).encode(),
        )  # fmt: skip
        ids.append(services.webhook_accept(token=source.webhook_token, webhook=incoming).event.pk)
    services.ingest_events_execute(ingest_event_ids=ids)
    return ids


def url(source, suffix: str = "") -> str:
    return f"/api/v1/workspaces/{source.workspace.slug}/functions/{source.function_id}/previews/{suffix}"


def started(api, source, **body) -> dict:
    answer = api.post(url(source), {"source": source.slug, **body}, format="json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def run(api, source, **body) -> dict:
    """Start a preview through the API and run its task here."""
    preview = started(api, source, **body)
    services.preview_run(preview_id=preview["id"])
    return api.get(url(source, f"{preview['id']}/")).json()


def js_number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


@pytest.fixture
def orders(workspace):
    source = source_running(CURRENT, workspace=workspace, slug="orders")
    source.function.draft_code = DRAFT
    source.function.save(update_fields=["draft_code"])
    return source


def test_a_known_change_on_100_webhooks_gives_exactly_the_expected_diff(owner_api, orders):
    ids = received(orders, 100)
    preview = run(owner_api, orders)
    assert preview["status"] == "finished"
    assert (preview["total"], preview["done"], preview["progress"]) == (100, 100, 1.0)
    assert preview["summary"] == {
        "compared": 100, "same": 69, "different": 31,
        "new_errors": 1, "fixed_errors": 10, "changed_errors": 0,
        "events": {"changed": 20, "new": 10, "missing": 1},
        "objects": {"changed": 0, "new": 0, "missing": 1},
        "fetch_refused": 0, "unavailable": 0, "versions": [1],
    }  # fmt: skip
    page = owner_api.get(url(orders, f"{preview['id']}/webhooks/"), {"same": "false", "limit": 100})
    different = {row["ingest_event"]: row for row in page.json()["results"]}
    assert page.json()["count"] == 31
    by_n = dict(zip(range(100), ids, strict=True))
    for n in range(100):
        row = different.get(by_n[n])
        if n % 10 == 9:
            assert row["error"]["change"] == "fixed"
            assert row["error"]["before"]["name"] == "EventNotSupported"
            assert [item["message"]["event"] for item in row["events"]["new"]] == ["Order Refunded"]
            assert row["events"]["changed"] == row["events"]["missing"] == []
        elif n % 5 == 0:
            cents = 1000 + n
            assert row["error"] is None
            assert [c["differences"] for c in row["events"]["changed"]] == [
                [f"events[0].properties.amount: was {js_number(cents / 100)}, now {cents}"]
            ]
            assert row["events"]["new"] == row["events"]["missing"] == []
            assert row["objects"] == {"changed": [], "new": [], "missing": []}
        elif n == 42:
            assert row["error"]["change"] == "new"
            assert row["error"]["after"]["message"] == "order 42 has no customer"
            assert [m["message"]["event"] for m in row["events"]["missing"]] == ["Order Completed"]
            assert [m["message"]["id"] for m in row["objects"]["missing"]] == ["42"]
        else:
            assert row is None, f"webhook {n} differs: {row}"
    # Latest first; nothing the draft emitted reached the stores.
    assert page.json()["results"][0]["ingest_event"] == by_n[99]
    assert not StoredEvent.objects.filter(message__event="Order Refunded").exists()


def test_the_same_code_is_the_same_on_every_webhook(owner_api, orders):
    orders.function.draft_code = CURRENT
    orders.function.save(update_fields=["draft_code"])
    received(orders, 12)
    preview = run(owner_api, orders, count=10)
    assert (preview["total"], preview["summary"]["same"], preview["summary"]["different"]) == (
        10, 10, 0,
    )  # fmt: skip
    assert preview["from_draft"] is True


def test_code_of_the_request_is_previewed_instead_of_the_draft(owner_api, orders):
    received(orders, 3)
    preview = run(owner_api, orders, code=CURRENT.replace("'usd'", "'eur'"))
    assert preview["from_draft"] is False
    assert preview["summary"]["events"]["changed"] == 3  # the refunds fail alike: same
    rows = owner_api.get(url(orders, f"{preview['id']}/webhooks/")).json()["results"]
    assert rows[0]["events"]["changed"][0]["differences"] == [
        'events[0].properties.currency: was "usd", now "eur"'
    ]


def test_fetch_is_off_unless_allowed_and_the_result_says_so(owner_api, orders):
    received(orders, 2)
    orders.function.draft_code = (
        "async function onRequest(request) { await fetch('https://api.example.com/x'); }"
    )
    orders.function.save(update_fields=["draft_code"])
    preview = run(owner_api, orders)
    assert preview["allow_fetch"] is False
    assert preview["fetch"].startswith("fetch was off")
    assert preview["summary"]["fetch_refused"] == 2
    rows = owner_api.get(url(orders, f"{preview['id']}/webhooks/")).json()["results"]
    assert rows[0]["error"]["after"]["name"] == "FetchError"
    assert "fetch is off for this run" in rows[0]["error"]["after"]["message"]
    assert rows[0]["fetch_refused"] == 1


def test_secret_values_never_appear_in_results(owner_api, workspace):
    secret = "sk_live_preview_9c1f0e"
    source = source_running(CURRENT, workspace=workspace, slug="orders")
    source.secret_values = {"apiKey": secret}
    source.save(update_fields=["secret_values"])
    source.function.draft_code = (
        "async function onRequest(request, settings) { console.log('key', settings.apiKey);"
        " Segment.track({ event: 'Key', userId: settings.apiKey, properties: { key: settings.apiKey } }); }"
    )
    source.function.save(update_fields=["draft_code"])
    received(source, 1, body=lambda n: {"n": 1, "type": "charge", "cents": 5})
    preview = run(owner_api, source)
    rows = owner_api.get(url(source, f"{preview['id']}/webhooks/"))
    assert secret not in rows.content.decode()
    assert secret not in json.dumps(list(PreviewWebhook.objects.values("comparison", "logs")))
    assert "[secret apiKey]" in rows.content.decode()


def test_progress_is_written_batch_by_batch_and_a_cancel_stops_the_run(
    owner_api, orders, monkeypatch
):
    monkeypatch.setattr(previews, "BATCH", 5)
    received(orders, 20)
    preview = started(owner_api, orders, count=20)
    real = previews._Run._draft_results
    seen = []

    def then_cancel(run, events):
        seen.append(Preview.objects.get(pk=preview["id"]).done)
        if len(seen) == 2:  # cancelled while its second batch runs
            owner_api.post(url(orders, f"{preview['id']}/cancel/"))
        return real(run, events)

    monkeypatch.setattr(previews._Run, "_draft_results", then_cancel)
    services.preview_run(preview_id=preview["id"])
    shown = owner_api.get(url(orders, f"{preview['id']}/")).json()
    assert seen == [0, 5]
    assert (shown["status"], shown["done"], shown["summary"]["compared"]) == ("cancelled", 5, 5)
    assert PreviewWebhook.objects.filter(preview_id=preview["id"]).count() == 5


def test_a_cancelled_queued_preview_never_runs(owner_api, orders):
    received(orders, 2)
    preview = started(owner_api, orders)
    assert preview["status"] == "queued"
    cancelled = owner_api.post(url(orders, f"{preview['id']}/cancel/")).json()
    assert cancelled["status"] == "cancelled"
    services.preview_run(preview_id=preview["id"])
    assert Preview.objects.get(pk=preview["id"]).done == 0
    # Cancelling what is over changes nothing.
    assert owner_api.post(url(orders, f"{preview['id']}/cancel/")).json()["status"] == "cancelled"


def test_the_task_is_queued_once_the_preview_is_written(
    owner_api, orders, django_capture_on_commit_callbacks
):
    received(orders, 1)
    with (
        mock.patch("ingest.queue.broker") as broker,
        django_capture_on_commit_callbacks(execute=True),
    ):
        preview = started(owner_api, orders)
    broker.send.assert_called_once_with("ingest.preview", preview["id"])
    entry = AuditEntry.objects.get(action="function.preview")
    assert entry.details == {"source": "orders", "webhooks": 1, "allow_fetch": False, "draft": True}


def test_results_expire_after_24_hours(owner_api, orders):
    received(orders, 2)
    preview = run(owner_api, orders)
    Preview.objects.filter(pk=preview["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert owner_api.get(url(orders, f"{preview['id']}/")).status_code == 404
    assert owner_api.get(url(orders)).json()["count"] == 0
    services.retention_cleanup()
    assert not Preview.objects.exists() and not PreviewWebhook.objects.exists()


def test_the_sweep_ends_a_preview_whose_worker_was_lost(owner_api, orders):
    received(orders, 1)
    preview = started(owner_api, orders)
    Preview.objects.filter(pk=preview["id"]).update(
        stale_after=timezone.now() - timedelta(seconds=1)
    )
    services.ingest_events_sweep()
    shown = owner_api.get(url(orders, f"{preview['id']}/")).json()
    assert shown["status"] == "failed" and "Start it again" in shown["failure"]


def test_who_may_preview(
    api_client_for, owner_api, orders, workspace, source_admin, member_user, outsider
):
    received(orders, 1)
    preview = started(owner_api, orders)
    body = {"source": orders.slug}
    for user, status in ((source_admin, 403), (member_user, 403)):
        api = api_client_for(user, workspace)
        assert api.post(url(orders), body, format="json").status_code == status
        assert api.get(url(orders, f"{preview['id']}/")).status_code == status
        assert api.get(url(orders, f"{preview['id']}/webhooks/")).status_code == status
        assert api.post(url(orders, f"{preview['id']}/cancel/")).status_code == status
    other = outsider.memberships.get().workspace
    api = api_client_for(outsider, other)
    assert api.post(url(orders), body, format="json").status_code == 404
    assert api.get(url(orders, f"{preview['id']}/")).status_code == 404


def test_the_source_must_be_of_the_workspace_and_run_the_function(owner_api, orders, outsider):
    elsewhere = SourceFactory(workspace=outsider.memberships.get().workspace, slug="theirs")
    assert owner_api.post(url(orders), {"source": elsewhere.slug}, format="json").status_code == 404
    another = source_running(CURRENT, workspace=orders.workspace, slug="another")
    answer = owner_api.post(url(orders), {"source": another.slug}, format="json")
    assert answer.status_code == 400
    assert "runs another function" in answer.json()["errors"]["source"][0]


@pytest.mark.parametrize("count", [0, 1001, "many"])
def test_count_is_from_1_to_1000(owner_api, orders, count):
    received(orders, 1)
    answer = owner_api.post(url(orders), {"source": orders.slug, "count": count}, format="json")
    assert answer.status_code == 400 and "count" in answer.json()["errors"]


def test_a_source_without_webhooks_has_nothing_to_preview(owner_api, orders):
    answer = owner_api.post(url(orders), {"source": orders.slug}, format="json")
    assert answer.status_code == 400
    assert "no webhooks to preview on" in answer.json()["errors"]["source"][0]


def test_another_function_preview_id_is_a_404(owner_api, orders):
    received(orders, 1)
    preview = started(owner_api, orders)
    another = source_running(CURRENT, workspace=orders.workspace, slug="another")
    assert owner_api.get(url(another, f"{preview['id']}/")).status_code == 404


def test_the_lists_read_a_fixed_number_of_rows(owner_api, orders):
    received(orders, 5)

    def queries(path: str, **params) -> int:
        with CaptureQueriesContext(connection) as seen:
            assert owner_api.get(path, params).status_code == 200
        return len(seen)

    first = run(owner_api, orders, count=1)
    one = (queries(url(orders)), queries(url(orders, f"{first['id']}/webhooks/")))
    for _ in range(2):
        last = run(owner_api, orders, count=5)
    assert (queries(url(orders)), queries(url(orders, f"{last['id']}/webhooks/"))) == one
