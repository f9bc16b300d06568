"""Preview on recent traffic: a function's draft run on a source's latest webhooks in
the sandbox, and compared with what the source's version emitted for each
(docs/ingest.md, "Preview on recent traffic").

Nothing the draft emits is stored or delivered; its cache is its own and starts empty;
fetch is off unless the preview allows it (the runner then refuses every call, "fetch
is off for this run"). One task per preview (ingest.queue.preview, the default queue)
runs its webhooks BATCH at a time through the worker's isolate pool, as the execute
stage runs a batch, and writes each batch's results and the progress in one
transaction; a cancel is seen there, between batches. A preview and its results are
kept KEEP, then the retention cleanup deletes them; one whose worker was lost is ended
by the sweep.

The comparison itself is runner.comparison (its field differences are those of saved
tests, runner.expectations, compared exactly). The draft runs with each webhook's
ingest event id as its execution id, so the message ids the runner fills in are the
ones the source's run got.
"""

import dataclasses
import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

import runner
from catalog import policy
from catalog.models import Function, Interface, Source
from catalog.policy import Action
from catalog.services import audit_record, source_runtime_settings
from ingest import queue
from ingest.execute import runtime
from ingest.models import Execution, IngestEvent, ObjectChange, Preview, PreviewWebhook, StoredEvent
from ingest.record.stores import without_nul
from runner.comparison import RunWindow, compare_runs
from runner.redact import Redactor, redactor

logger = logging.getLogger(__name__)

Status = Preview.Status
KEEP = timedelta(hours=24)
DEFAULT_COUNT = 100
MAX_COUNT = 1000
BATCH = 100
# Webhooks whose run is over for now: a baseline to compare with.
COMPARABLE = (
    IngestEvent.Status.SUCCEEDED,
    IngestEvent.Status.FAILED,
    IngestEvent.Status.RETRYING,
)
# A timestamp this close to a run may be the one the runner filled in (an execution's
# recorded start is its batch's start plus the runs before it: close, not exact).
CLOCK_SLACK = timedelta(seconds=5)
# A queued preview no worker started within this is ended by the sweep.
QUEUED_STALE = timedelta(hours=1)
FETCH_OFF_NOTE = (
    "fetch was off: the draft's fetch calls were refused (FetchError), so webhooks "
    "whose run fetches differ for that reason. Allow fetch for this preview to send "
    "them for real."
)
FETCH_ALLOWED_NOTE = (
    "fetch was allowed: the draft's requests were really sent to the servers it calls."
)
LOST = (
    "No worker finished this preview (it stopped, or none consumes the default queue). "
    "Start it again."
)


def preview_start(
    *,
    actor,
    function: Function,
    source: Source,
    count: int = DEFAULT_COUNT,
    code: str | None = None,
    allow_fetch: bool = False,
) -> Preview:
    """Queue a preview of the draft (or of `code`) on the source's latest `count`
    webhooks. Who may edit the function only: it runs with the source's settings,
    secrets included. The source must run this function."""
    policy.require(policy.membership_of(actor, function.workspace), Action.EDIT_FUNCTIONS)
    _check_request(function, source, count)
    ids = list(
        IngestEvent.objects.filter(source=source, status__in=COMPARABLE)
        .order_by("-received_at", "-pk")
        .values_list("pk", flat=True)[:count]
    )
    if not ids:
        raise ValidationError(
            {"source": f"{source.name} has no webhooks to preview on yet (none has run)."}
        )
    now = timezone.now()
    preview = Preview.objects.create(
        function=function, source=source, created_by=actor,
        code=function.draft_code if code is None else code,
        from_draft=code in (None, function.draft_code),
        legacy=function.interface == Interface.LEGACY, time_limit_ms=function.time_limit,
        allow_fetch=allow_fetch, requested=count, ingest_event_ids=ids,
        summary=_counts(), expires_at=now + KEEP, stale_after=now + QUEUED_STALE,
    )  # fmt: skip
    audit_record(
        workspace=function.workspace, actor=actor, action="function.preview", target=function,
        details={"source": source.slug, "webhooks": len(ids), "allow_fetch": allow_fetch,
                 "draft": preview.from_draft},
    )  # fmt: skip
    transaction.on_commit(lambda: queue.preview(preview.pk), robust=True)
    return preview


def _check_request(function: Function, source: Source, count: int) -> None:
    if source.workspace_id != function.workspace_id:
        raise Http404("No such source in this workspace.")
    if source.function_id != function.pk:
        raise ValidationError(
            {"source": f"The source {source.slug!r} runs another function: preview it there."}
        )
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ValidationError(
            {"count": f"How many webhooks: a whole number from 1 to {MAX_COUNT:,}."}
        )


def preview_for_user(user, function: Function, preview_id) -> Preview:
    """A preview of the function, while it is kept, for who may preview it (404 once
    expired or for another function's id; 403 for a role that may not)."""
    membership = policy.membership_of(user, function.workspace)
    if membership is None:
        raise Http404("No such workspace.")
    try:
        pk = int(preview_id)
    except (TypeError, ValueError):
        raise Http404("No such preview.") from None
    preview = (
        Preview.objects.select_related("source", "created_by")
        .filter(function=function, pk=pk, expires_at__gt=timezone.now())
        .first()
    )
    if preview is None:
        raise Http404("No such preview of this function (previews are kept 24 hours).")
    policy.require(membership, Action.EDIT_FUNCTIONS)
    return preview


def previews_of(function: Function):
    """The function's previews still kept, newest first."""
    return (
        Preview.objects.filter(function=function, expires_at__gt=timezone.now())
        .select_related("source", "created_by")
        .order_by("-created_at", "-pk")
    )


def preview_webhooks(preview: Preview, *, same: bool | None = None):
    rows = PreviewWebhook.objects.filter(preview=preview).order_by("position")
    return rows if same is None else rows.filter(same=same)


def preview_cancel(*, actor, preview: Preview) -> Preview:
    """Stop a queued or running preview; what it compared so far is kept. A preview
    that is over stays as it is."""
    policy.require(policy.membership_of(actor, preview.function.workspace), Action.EDIT_FUNCTIONS)
    Preview.objects.filter(pk=preview.pk, status__in=[Status.QUEUED, Status.RUNNING]).update(
        status=Status.CANCELLED, finished_at=timezone.now()
    )
    preview.refresh_from_db()
    return preview


def fetch_note(preview: Preview) -> str:
    return FETCH_ALLOWED_NOTE if preview.allow_fetch else FETCH_OFF_NOTE


# --- the run, in a worker ---------------------------------------------------------------


def preview_run(*, preview_id: int) -> None:
    """Run a queued preview to its end (the task of ingest.queue.preview). A preview
    that is not queued any more (cancelled, or run already) is left alone."""
    preview = Preview.objects.select_related("source", "function").filter(pk=preview_id).first()
    if preview is None or preview.status != Status.QUEUED:
        return
    now = timezone.now()
    started = Preview.objects.filter(pk=preview_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, stale_after=now + _batch_deadline(preview)
    )
    if not started:
        return
    try:
        run = _Run(preview)
        for start in range(0, preview.total, BATCH):
            if not run.batch(start):
                return  # cancelled, or ended by the sweep
        _end(preview, Status.FINISHED)
    except Exception as exc:
        logger.exception("preview %s failed", preview_id)
        _end(preview, Status.FAILED, f"The preview failed in the worker ({type(exc).__name__}).")


def _batch_deadline(preview: Preview) -> timedelta:
    """How long a batch may take: past it (and a margin) its worker is taken as lost."""
    limits = dataclasses.replace(settings.RUNNER_LIMITS, timeout_ms=preview.time_limit_ms)
    return timedelta(seconds=limits.batch_deadline_s(BATCH) + 60)


def _end(preview: Preview, status: str, failure: str = "") -> None:
    Preview.objects.filter(pk=preview.pk, status=Status.RUNNING).update(
        status=status, finished_at=timezone.now(), failure=failure
    )


@dataclasses.dataclass
class _Baseline:
    """What the source's version did with a webhook: its last execution."""

    result: dict
    window: RunWindow
    version: int


class _Run:
    """The state of one preview's run: its settings, limits and cache, the counts."""

    def __init__(self, preview: Preview) -> None:
        source = preview.source
        self.preview = preview
        self.settings = source_runtime_settings(source)
        self.secret_names = tuple(source.secret_values)
        self.redactor = redactor(self.settings, self.secret_names)
        fetch_calls = settings.RUNNER_LIMITS.fetch_calls if preview.allow_fetch else 0
        self.limits = dataclasses.replace(
            settings.RUNNER_LIMITS, timeout_ms=preview.time_limit_ms, fetch_calls=fetch_calls
        )
        self.cache = runner.MemoryCache()  # the preview's own: no source's cache is touched
        self.summary = _counts()
        self.versions: set[int] = set()

    def batch(self, start: int) -> bool:
        """Run and record the webhooks from `start`; False when the preview was stopped."""
        ids = self.preview.ingest_event_ids[start : start + BATCH]
        events = IngestEvent.objects.in_bulk(ids)
        baselines = _baselines(ids)
        positions = {pk: start + offset for offset, pk in enumerate(ids)}
        present = [pk for pk in ids if pk in events and pk in baselines]
        self.summary["unavailable"] += len(ids) - len(present)
        began = timezone.now()
        results = self._draft_results([events[pk] for pk in present])
        window = RunWindow(began - CLOCK_SLACK, timezone.now() + CLOCK_SLACK)
        rows = [
            self._row(positions[pk], events[pk], baselines[pk], result, window)
            for pk, result in zip(present, results, strict=True)
        ]
        return self._record(rows, done=start + len(ids))

    def _draft_results(self, events: list[IngestEvent]) -> list[dict]:
        results: dict[int, dict] = {}
        invocations, runnable = [], []
        for event in events:
            try:
                request = runtime.request_of(event)
            except runner.RequestFormatError as exc:
                results[event.pk] = runtime.invocation_failure(event, exc).to_dict()
                continue
            invocations.append(
                runner.Invocation(
                    request, self.settings, str(event.pk), self.secret_names,
                    f"preview-{self.preview.pk}",
                )
            )  # fmt: skip
            runnable.append(event.pk)
        if invocations:
            ran = runtime.pool().run_batch(
                f"preview-function-{self.preview.function_id}", self.preview.code, invocations,
                legacy=self.preview.legacy, limits=self.limits, cache=self.cache,
            )  # fmt: skip
            results.update(zip(runnable, (r.to_dict() for r in ran), strict=True))
        return [results[event.pk] for event in events]

    def _row(self, position, event, baseline: _Baseline, result: dict, window) -> PreviewWebhook:
        result = {**result, "objects": [_as_stored(item) for item in result["objects"]]}
        comparison = compare_runs(
            baseline.result, result, execution_id=str(event.pk),
            before_window=baseline.window, after_window=window,
        ).to_dict()  # fmt: skip
        refused = sum(f.get("refused", 0) for f in result.get("fetches") or [])
        _count(self.summary, comparison, refused)
        self.versions.add(baseline.version)
        return PreviewWebhook(
            preview_id=self.preview.pk, position=position, ingest_event_id=event.pk,
            received_at=event.received_at, version=baseline.version,
            same=comparison["same"], comparison=_shown(comparison, self.redactor),
            logs=_shown(result.get("logs") or [], self.redactor), fetch_refused=refused,
        )  # fmt: skip

    def _record(self, rows: list[PreviewWebhook], *, done: int) -> bool:
        self.summary["versions"] = sorted(self.versions)
        deadline = timezone.now() + _batch_deadline(self.preview)
        with transaction.atomic():
            going = Preview.objects.filter(pk=self.preview.pk, status=Status.RUNNING).update(
                done=done, summary=self.summary, stale_after=deadline
            )
            if going:
                PreviewWebhook.objects.bulk_create(rows)
        return bool(going)


def _baselines(ids: list[int]) -> dict[int, _Baseline]:
    """Each webhook's last execution, with the events and objects its runs stored."""
    last: dict[int, dict] = {}
    executions = (
        Execution.objects.filter(ingest_event_id__in=ids)
        .order_by("started_at", "pk")
        .values("ingest_event_id", "status", "error", "started_at", "duration_ms",
                "version__number")
    )  # fmt: skip
    for execution in executions:
        last[execution["ingest_event_id"]] = execution
    events, objects = defaultdict(list), defaultdict(list)
    stored = StoredEvent.objects.filter(ingest_event_id__in=ids).order_by("pk")
    for event_id, message in stored.values_list("ingest_event_id", "message"):
        events[event_id].append(message)
    changes = ObjectChange.objects.filter(ingest_event_id__in=ids).order_by("pk")
    for event_id, collection, object_id, properties in changes.values_list(
        "ingest_event_id", "object__collection", "object__object_id", "properties"
    ):
        objects[event_id].append(
            {"collection": collection, "id": object_id, "properties": properties}
        )
    return {pk: _baseline(execution, events[pk], objects[pk]) for pk, execution in last.items()}


def _baseline(execution: dict, events: list, objects: list) -> _Baseline:
    succeeded = execution["status"] == Execution.Status.SUCCEEDED
    result = {
        "events": events if succeeded else [],
        "objects": objects if succeeded else [],
        "error": None if succeeded else execution["error"],
    }
    start = execution["started_at"]
    end = start + timedelta(milliseconds=execution["duration_ms"])
    window = RunWindow(start - CLOCK_SLACK, end + CLOCK_SLACK)
    return _Baseline(result, window, execution["version__number"])


def _as_stored(item: dict) -> dict:
    """An object as the object store keeps it: its collection and id as text."""
    return {**item, "collection": str(item.get("collection")), "id": str(item.get("id"))}


def _counts() -> dict:
    lists = {"changed": 0, "new": 0, "missing": 0}
    return {
        "compared": 0, "same": 0, "different": 0, "new_errors": 0, "fixed_errors": 0,
        "changed_errors": 0, "events": dict(lists), "objects": dict(lists),
        "fetch_refused": 0, "unavailable": 0, "versions": [],
    }  # fmt: skip


def _count(summary: dict, comparison: dict, refused: int) -> None:
    summary["compared"] += 1
    summary["same" if comparison["same"] else "different"] += 1
    error = comparison["error"]
    if error:
        summary[f"{error['change']}_errors"] += 1
    for name in ("events", "objects"):
        for kind in ("changed", "new", "missing"):
            summary[name][kind] += len(comparison[name][kind])
    summary["fetch_refused"] += bool(refused)


def _shown(value, found: Redactor | None):
    """What a preview keeps of the draft's output: redacted, and without NUL characters
    (a draft that logged or emitted one failed the whole preview on PostgreSQL)."""
    return without_nul(_redacted(value, found))


def _redacted(value, found: Redactor | None):
    """`value` with the source's secret values taken out of every text in it: the
    draft's events and objects may hold them, and previews are shown, never sent."""
    if found is None:
        return value
    if isinstance(value, str):
        return found.text(value)
    if isinstance(value, list):
        return [_redacted(item, found) for item in value]
    if isinstance(value, dict):
        return {_redacted(k, found): _redacted(v, found) for k, v in value.items()}
    return value


# --- upkeep, from the periodic tasks --------------------------------------------------


def previews_sweep() -> int:
    """End previews whose worker was lost (nothing heard by their stale_after)."""
    now = timezone.now()
    return Preview.objects.filter(
        status__in=[Status.QUEUED, Status.RUNNING], stale_after__lt=now
    ).update(status=Status.FAILED, finished_at=now, failure=LOST)


def previews_expire() -> int:
    """Delete the previews kept long enough, with their results."""
    deleted, _ = Preview.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
