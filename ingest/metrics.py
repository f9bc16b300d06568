"""Prometheus metrics of ingest (`/metrics`, exposed by functions_ide/ops.py).

Two kinds, because Celery workers are other processes, often on other machines:

- What the database knows is read at scrape time by `DatabaseCollector`: executions by
  status and their duration histogram, queue depth, retries, dead letters. Every web
  process that is scraped reports the same numbers; scrape one, or use max().
- What only the web process sees is counted in it: webhooks accepted and refused by
  reason (`webhook_accepted()`, `webhook_refused(reason)`, called by the receive stage's
  HTTP front), and
  the warm isolates of a worker running in this process (the embedded mode).

With PROMETHEUS_MULTIPROC_DIR set (several web processes behind one scrape, or Celery
workers on the same machine), process-local metrics are written to that directory by
every process and the scrape adds them up (prometheus-client's multiprocess mode).
"""

import os
import threading
from collections.abc import Callable
from datetime import timedelta

from django.db import DatabaseError
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from ingest.models import Delivery, Execution, IngestEvent

PREFIX = "sfi"

# Execution durations in seconds: runs are limited to 1 s by default, 10 s at most.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Delivery lag in seconds, from the webhook's arrival to the destination's answer.
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0, 86400.0)

# Why a webhook was refused; anything else is counted as "other" so a caller cannot
# grow the number of series.
REFUSAL_REASONS = (
    "not_found",
    "method_not_allowed",
    "too_large",
    "too_slow",
    "rate_limited",
    "unavailable",
    "bad_request",
    "other",
)
_REASON_BY_STATUS = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "too_slow",
    413: "too_large",
    429: "rate_limited",
    503: "unavailable",
}

# --- process-local metrics -----------------------------------------------------------

LOCAL = CollectorRegistry(auto_describe=True)

WEBHOOKS_ACCEPTED = Counter(
    f"{PREFIX}_webhooks_accepted",
    "Webhooks stored as ingest events by this process (the sender got a 2xx).",
    registry=LOCAL,
)
WEBHOOKS_REFUSED = Counter(
    f"{PREFIX}_webhooks_refused",
    "Webhooks answered with an error by this process, by reason.",
    ["reason"],
    registry=LOCAL,
)
for _reason in REFUSAL_REASONS:
    WEBHOOKS_REFUSED.labels(reason=_reason)  # every reason is a series from the start
# What the sender of a webhook of a function that responds to it was answered: the
# function's response, the usual answer (it returned none), a failure (500) or 503.
RESPONSE_ANSWERS = ("function", "usual", "failed", "unavailable")
WEBHOOK_RESPONSES = Counter(
    f"{PREFIX}_webhook_responses",
    "Webhooks of functions that respond to the sender, by what the sender was answered.",
    ["answer"],
    registry=LOCAL,
)
for _answer in RESPONSE_ANSWERS:
    WEBHOOK_RESPONSES.labels(answer=_answer)
# Set by workers in the multiprocess mode (set_warm_isolates); otherwise the
# WarmIsolatesCollector reads the pool of this process directly.
_WORKER_REGISTRY = CollectorRegistry(auto_describe=True)
WARM_ISOLATES = Gauge(
    f"{PREFIX}_warm_isolates",
    "Warm V8 isolates kept by the runner pools of live worker processes.",
    multiprocess_mode="livesum",
    registry=_WORKER_REGISTRY,
)


def webhook_accepted() -> None:
    WEBHOOKS_ACCEPTED.inc()


def webhook_refused(reason: str) -> None:
    """Count a refused webhook; `reason` is one of REFUSAL_REASONS."""
    WEBHOOKS_REFUSED.labels(reason=reason if reason in REFUSAL_REASONS else "other").inc()


def webhook_answered(answer: str) -> None:
    """Count what the sender of a responding function's webhook got (RESPONSE_ANSWERS)."""
    WEBHOOK_RESPONSES.labels(answer=answer if answer in RESPONSE_ANSWERS else "failed").inc()


def reason_for_status(status: int) -> str:
    """The refusal reason of an HTTP status the webhook endpoint answers."""
    return _REASON_BY_STATUS.get(status, "other")


def set_warm_isolates(count: int) -> None:
    """For worker processes in the multiprocess mode: report the size of their pool."""
    WARM_ISOLATES.set(count)


def process_exited(pid: int) -> None:
    """In multiprocess mode, forget the live gauges of a process that has exited (call
    it from the process manager: Celery's worker_process_shutdown, gunicorn child_exit)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


class WarmIsolatesCollector:
    """The warm isolates of the runner pool of this process, if it has one (the embedded
    worker thread runs in the server process; separate workers are not visible here).
    The execute stage says how to count them (count_warm_isolates_with)."""

    count: Callable[[], int] = staticmethod(lambda: 0)

    def collect(self):
        gauge = GaugeMetricFamily(
            f"{PREFIX}_warm_isolates",
            "Warm V8 isolates kept by the runner pool of this process.",
        )
        gauge.add_metric([], float(self.count()))
        yield gauge


def count_warm_isolates_with(count: Callable[[], int]) -> None:
    WarmIsolatesCollector.count = staticmethod(count)


LOCAL.register(WarmIsolatesCollector())


# --- what the database knows ---------------------------------------------------------


class ExecutionTotals:
    """Cumulative counts and durations of executions, read incrementally by id.

    Each scrape reads only the executions recorded since the previous one (a range of
    the primary key), so the cost stays small however many the table keeps. The totals
    start when this process first scrapes (Prometheus sees a counter reset, as after a
    restart). Rows are counted one scrape late (`hold_back`): an execution whose
    transaction commits after a newer one would otherwise be skipped.
    """

    def __init__(self, *, hold_back: bool = True) -> None:
        self.hold_back = hold_back
        self.counted_up_to: int | None = None  # the highest id already counted
        self.seen_up_to: int | None = None  # the highest id at the previous scrape
        self.by_status: dict[str, dict] = {}
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock:
            newest = Execution.objects.aggregate(newest=Max("id"))["newest"] or 0
            if self.counted_up_to is None:
                self.counted_up_to = self.seen_up_to = newest
                return
            upper = self.seen_up_to if self.hold_back else newest
            if upper > self.counted_up_to:
                self._add(Execution.objects.filter(id__gt=self.counted_up_to, id__lte=upper))
                self.counted_up_to = upper
            self.seen_up_to = newest

    def _add(self, executions) -> None:
        buckets = {
            f"le_{i}": Count("id", filter=Q(duration_ms__lte=bound * 1000))
            for i, bound in enumerate(DURATION_BUCKETS)
        }
        rows = executions.values("status").annotate(
            count=Count("id"), total_ms=Sum("duration_ms"), **buckets
        )
        for row in rows:
            totals = self.by_status.setdefault(
                row["status"], {"count": 0, "sum": 0.0, "buckets": [0] * len(DURATION_BUCKETS)}
            )
            totals["count"] += row["count"]
            totals["sum"] += (row["total_ms"] or 0.0) / 1000
            for i in range(len(DURATION_BUCKETS)):
                totals["buckets"][i] += row[f"le_{i}"]


class DeliveryLag:
    """Cumulative histogram of delivery lag, read incrementally by delivery time: each
    scrape adds the deliveries delivered since the previous one, up to a few seconds
    ago (a delivery whose transaction commits late would otherwise be skipped)."""

    HOLD_BACK = timedelta(seconds=5)

    def __init__(self) -> None:
        self.counted_until = None
        self.count, self.sum, self.buckets = 0, 0.0, [0] * len(LAG_BUCKETS)
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock:
            until = timezone.now() - self.HOLD_BACK
            if self.counted_until is not None and until > self.counted_until:
                self._add(
                    Delivery.objects.filter(
                        delivered_at__gt=self.counted_until, delivered_at__lte=until
                    )
                )
            self.counted_until = max(until, self.counted_until or until)

    def _add(self, deliveries) -> None:
        lag = ExpressionWrapper(
            F("delivered_at") - F("ingest_event__received_at"), output_field=DurationField()
        )
        row = deliveries.annotate(lag=lag).aggregate(
            count=Count("id"),
            total=Sum("lag"),
            **{
                f"le_{i}": Count("id", filter=Q(lag__lte=timedelta(seconds=bound)))
                for i, bound in enumerate(LAG_BUCKETS)
            },
        )
        self.count += row["count"]
        self.sum += row["total"].total_seconds() if row["total"] else 0.0
        for i in range(len(LAG_BUCKETS)):
            self.buckets[i] += row[f"le_{i}"]

    def histogram(self) -> HistogramMetricFamily:
        histogram = HistogramMetricFamily(
            f"{PREFIX}_delivery_lag_seconds",
            "From a webhook's arrival to a destination taking its output (counted since "
            "this process first scraped).",
        )
        bounds = [str(b) for b in LAG_BUCKETS] + ["+Inf"]
        counts = [*self.buckets, self.count]
        histogram.add_metric([], list(zip(bounds, counts, strict=True)), self.sum)
        return histogram


def deliveries_gauge() -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(
        f"{PREFIX}_deliveries",
        "Deliveries kept (the retention's window), by destination id, kind and status.",
        labels=["destination", "kind", "status"],
    )
    rows = Delivery.objects.values_list("destination_id", "destination__kind", "status")
    for destination_id, kind, status, n in rows.annotate(n=Count("id")).order_by():
        gauge.add_metric([str(destination_id), kind, status], n)
    return gauge


class DatabaseCollector:
    """Metrics read from the database at scrape time; a database that does not answer
    gives `sfi_database_up 0` instead of a failed scrape."""

    def __init__(self, totals: ExecutionTotals | None = None) -> None:
        self.totals = totals or ExecutionTotals()
        self.lag = DeliveryLag()

    def collect(self):
        up = GaugeMetricFamily(f"{PREFIX}_database_up", "1 when the database answered this scrape.")
        try:
            families = list(self._families())
        except DatabaseError:
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        yield from families

    def _families(self):
        self.totals.refresh()
        by_status = self.totals.by_status
        executions = CounterMetricFamily(
            f"{PREFIX}_executions",
            "Executions recorded by the workers, by status (counted since this process "
            "first scraped).",
            labels=["status"],
        )
        known = ["succeeded", "retrying", "failed"]
        for status in known + sorted(set(by_status) - set(known)):
            executions.add_metric([status], by_status.get(status, {}).get("count", 0))
        yield executions
        yield self._duration_histogram(by_status)
        retries = CounterMetricFamily(
            f"{PREFIX}_execution_retries",
            "Executions that failed and scheduled another attempt.",
        )
        retries.add_metric([], by_status.get("retrying", {}).get("count", 0))
        yield retries

        waiting = dict(
            IngestEvent.objects.filter(
                status__in=[IngestEvent.Status.PENDING, IngestEvent.Status.RETRYING]
            )
            .values_list("status")
            .annotate(n=Count("id"))
        )
        depth = GaugeMetricFamily(
            f"{PREFIX}_queue_depth",
            "Ingest events waiting for an execution (pending, or retrying later).",
            labels=["status"],
        )
        for status in (IngestEvent.Status.PENDING, IngestEvent.Status.RETRYING):
            depth.add_metric([status.value], waiting.get(status.value, 0))
        yield depth

        dead = GaugeMetricFamily(
            f"{PREFIX}_dead_letters", "Ingest events that failed for good (dead letters)."
        )
        dead.add_metric([], IngestEvent.objects.filter(status=IngestEvent.Status.FAILED).count())
        yield dead
        yield deliveries_gauge()
        self.lag.refresh()
        yield self.lag.histogram()

    @staticmethod
    def _duration_histogram(by_status: dict) -> HistogramMetricFamily:
        histogram = HistogramMetricFamily(
            f"{PREFIX}_execution_duration_seconds",
            "Duration of executions recorded by the workers.",
            labels=["status"],
        )
        for status, totals in sorted(by_status.items()):
            bounds = [str(b) for b in DURATION_BUCKETS] + ["+Inf"]
            counts = [*totals["buckets"], totals["count"]]
            histogram.add_metric([status], list(zip(bounds, counts, strict=True)), totals["sum"])
        return histogram


DATABASE = CollectorRegistry(auto_describe=False)
DATABASE_COLLECTOR = DatabaseCollector()
DATABASE.register(DATABASE_COLLECTOR)


def process_registry() -> CollectorRegistry:
    """The process-local metrics: this process's, or every process's in multiprocess mode."""
    if not multiprocess_dir():
        return LOCAL
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def exposition() -> bytes:
    """The whole scrape in the Prometheus text format."""
    return generate_latest(process_registry()) + generate_latest(DATABASE)
