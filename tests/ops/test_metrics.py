"""/metrics: the Prometheus exposition of webhook counters (this process) and of what
the database knows (executions, durations, queue depth, retries, dead letters)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from functions_ide import metrics
from ingest.models import Execution, IngestEvent
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str) -> dict:
    """{(sample name, frozenset of labels): value} of an exposition."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return samples(response.content.decode())


def value(found: dict, name: str, **labels) -> float:
    return found[(name, frozenset(labels.items()))]


@pytest.fixture
def fresh_totals(monkeypatch):
    """Execution totals that start now, without the one-scrape hold back."""
    totals = metrics.ExecutionTotals(hold_back=False)
    monkeypatch.setattr(metrics.DATABASE_COLLECTOR, "totals", totals)
    return totals


def ingest_event(source, status=IngestEvent.Status.PENDING) -> IngestEvent:
    return IngestEvent.objects.create(
        source=source, version=source.version, method="POST", path="/hooks/x", raw_body=b"{}",
        status=status,
    )  # fmt: skip


def execution(event, status: str, duration_ms: float) -> Execution:
    return Execution.objects.create(
        ingest_event=event, source=event.source, version=event.version, attempt=1,
        started_at=timezone.now(), duration_ms=duration_ms, status=status,
    )  # fmt: skip


def test_webhook_counters_count_accepted_and_refused_by_reason(client):
    before = scrape(client)
    metrics.webhook_accepted()
    metrics.webhook_refused("rate_limited")
    metrics.webhook_refused("rate_limited")
    metrics.webhook_refused("a reason nobody planned")  # bounded cardinality

    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("sfi_webhooks_accepted_total") == 1
    assert delta("sfi_webhooks_refused_total", reason="rate_limited") == 2
    assert delta("sfi_webhooks_refused_total", reason="other") == 1
    assert value(after, "sfi_webhooks_refused_total", reason="not_found") >= 0  # pre-created


@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, "not_found"), (405, "method_not_allowed"), (413, "too_large"),
     (429, "rate_limited"), (503, "unavailable"), (400, "bad_request"), (418, "other")],
)  # fmt: skip
def test_refusal_reason_of_each_status(status, reason):
    assert metrics.reason_for_status(status) == reason


def test_database_metrics(client, fresh_totals):
    source = SourceFactory()
    for status in ("pending", "pending", "retrying"):
        ingest_event(source, status)
    dead = ingest_event(source, IngestEvent.Status.FAILED)
    done = ingest_event(source, IngestEvent.Status.SUCCEEDED)
    scrape(client)  # the first scrape starts the execution totals
    execution(done, "succeeded", 3.0)
    execution(done, "succeeded", 700.0)
    execution(dead, "retrying", 40.0)
    execution(dead, "failed", 20_000.0)

    found = scrape(client)

    assert value(found, "sfi_database_up") == 1
    assert value(found, "sfi_queue_depth", status="pending") == 2
    assert value(found, "sfi_queue_depth", status="retrying") == 1
    assert value(found, "sfi_dead_letters") == 1
    assert value(found, "sfi_executions_total", status="succeeded") == 2
    assert value(found, "sfi_executions_total", status="retrying") == 1
    assert value(found, "sfi_executions_total", status="failed") == 1
    assert value(found, "sfi_execution_retries_total") == 1
    succeeded = {"status": "succeeded"}
    assert value(found, "sfi_execution_duration_seconds_bucket", le="0.005", **succeeded) == 1
    assert value(found, "sfi_execution_duration_seconds_bucket", le="1.0", **succeeded) == 2
    assert value(found, "sfi_execution_duration_seconds_count", **succeeded) == 2
    assert value(found, "sfi_execution_duration_seconds_sum", **succeeded) == pytest.approx(0.703)
    failed = {"status": "failed"}
    assert value(found, "sfi_execution_duration_seconds_bucket", le="10.0", **failed) == 0
    assert value(found, "sfi_execution_duration_seconds_bucket", le="+Inf", **failed) == 1


def test_execution_totals_are_cumulative_and_read_each_row_once(fresh_totals):
    source = SourceFactory()
    event = ingest_event(source, IngestEvent.Status.SUCCEEDED)
    fresh_totals.refresh()
    execution(event, "succeeded", 1.0)
    fresh_totals.refresh()
    fresh_totals.refresh()  # nothing new: nothing counted twice
    execution(event, "succeeded", 2.0)
    fresh_totals.refresh()
    assert fresh_totals.by_status["succeeded"]["count"] == 2
    assert fresh_totals.by_status["succeeded"]["sum"] == pytest.approx(0.003)


def test_rows_are_counted_one_scrape_late_by_default():
    """An execution committed after a newer one still gets counted."""
    totals = metrics.ExecutionTotals()
    event = ingest_event(SourceFactory(), IngestEvent.Status.SUCCEEDED)
    totals.refresh()
    execution(event, "succeeded", 1.0)
    totals.refresh()
    assert totals.by_status == {}
    totals.refresh()
    assert totals.by_status["succeeded"]["count"] == 1


def test_a_database_that_does_not_answer_still_gives_a_scrape(client, monkeypatch):
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("down")

    monkeypatch.setattr(metrics.ExecutionTotals, "refresh", down)
    found = scrape(client)
    assert value(found, "sfi_database_up") == 0
    assert ("sfi_webhooks_accepted_total", frozenset()) in found


def test_warm_isolates_of_the_pool_in_this_process(client, monkeypatch):
    import runner
    from ingest.execute import runtime

    pool = runner.IsolatePool(max_isolates=4)
    code = "async function onRequest() {}"
    for key in ("version-1", "version-2", "version-3"):
        pool.run(key, code, {"body": {}})
    monkeypatch.setattr(runtime, "_pool", pool)
    try:
        assert value(scrape(client), "sfi_warm_isolates") == 3
    finally:
        pool.close()


def test_the_token_protects_metrics_when_set(client, settings):
    settings.METRICS_TOKEN = "scrape-me-0123456789"
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-wrong")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert b"sfi_" not in wrong.content
    scrape(client, HTTP_AUTHORIZATION="Bearer scrape-me-0123456789")


def test_open_without_a_token_and_read_only(client, settings):
    settings.METRICS_TOKEN = ""
    scrape(client)
    assert client.post("/metrics").status_code == 405


MULTIPROCESS_PROBE = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "functions_ide.settings")
django.setup()
from prometheus_client import generate_latest
from functions_ide import metrics
metrics.webhook_accepted()
metrics.set_warm_isolates(int(os.environ["ISOLATES"]))
print(os.getpid())
if os.environ.get("SCRAPE"):
    print(generate_latest(metrics.process_registry()).decode())
"""


@pytest.mark.slow
def test_multiprocess_mode_adds_up_every_process(tmp_path):
    """Two processes count; a third scrapes their sum from PROMETHEUS_MULTIPROC_DIR."""
    shared = tmp_path / "prom"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared), "DATA_DIR": str(tmp_path)}

    def run(isolates: int, scrape: bool = False) -> str:
        done = subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_PROBE],
            cwd=ROOT,
            env={**env, "ISOLATES": str(isolates), **({"SCRAPE": "1"} if scrape else {})},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = int(run(2).strip())
    found = samples(run(5, scrape=True).split("\n", 1)[1])
    assert value(found, "sfi_webhooks_accepted_total") == 2
    assert value(found, "sfi_warm_isolates") == 7

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(shared)
    try:
        metrics.process_exited(first)  # livesum: an exited worker's isolates are gone
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
    found = samples(run(1, scrape=True).split("\n", 1)[1])
    assert value(found, "sfi_webhooks_accepted_total") == 3  # counters keep what they counted
    assert value(found, "sfi_warm_isolates") == 5 + 1  # the second was not marked dead


def test_deliveries_by_destination_and_status_and_their_lag(client, monkeypatch):
    from datetime import timedelta

    from ingest.models import Delivery, Destination

    lag = metrics.DeliveryLag()
    monkeypatch.setattr(metrics.DATABASE_COLLECTOR, "lag", lag)
    monkeypatch.setattr(metrics.DeliveryLag, "HOLD_BACK", timedelta(0))
    source = SourceFactory()
    warehouse = Destination.objects.create(workspace=source.workspace, name="W", kind="duckdb")
    scrape(client)  # the lag is counted from the first scrape on
    now = timezone.now()  # after the first scrape: these are counted by the next
    for status, seconds in (("delivered", 0.2), ("delivered", 3.0), ("failed", None)):
        event = ingest_event(source)
        received = now - timedelta(seconds=seconds or 1)
        IngestEvent.objects.filter(pk=event.pk).update(received_at=received)
        Delivery.objects.create(
            ingest_event=event, destination=warehouse, status=status,
            delivered_at=now if seconds else None,
        )  # fmt: skip
    found = scrape(client)
    labels = {"destination": str(warehouse.pk), "kind": "duckdb"}
    assert value(found, "sfi_deliveries", **labels, status="delivered") == 2
    assert value(found, "sfi_deliveries", **labels, status="failed") == 1
    assert value(found, "sfi_delivery_lag_seconds_count") == 2
    assert value(found, "sfi_delivery_lag_seconds_bucket", le="0.25") == 1
    assert value(found, "sfi_delivery_lag_seconds_bucket", le="5.0") == 2
    assert value(found, "sfi_delivery_lag_seconds_sum") == pytest.approx(3.2, abs=0.01)
