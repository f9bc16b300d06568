"""What happens to a webhook after a sender POSTs it: the ingest event, each execution
of it, the events and objects it produced, and their delivery downstream."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_cryptography.fields import encrypt


class StoredRequest(models.Model):
    """A request as it arrived, byte for byte: a webhook's or a capture's."""

    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    query_string = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    raw_body = models.BinaryField()

    class Meta:
        abstract = True

    @property
    def url(self) -> str:
        """Path and query, as the sender asked for them."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    @property
    def public_url(self) -> str:
        """The whole URL, as the function sees it in request.url."""
        return settings.PUBLIC_URL + self.url


class IngestEvent(StoredRequest):
    """One accepted webhook, written before the sender gets its 2xx."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        RETRYING = "retrying", "Waiting to retry"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (dead letter)"

    source = models.ForeignKey("catalog.Source", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        "catalog.FunctionVersion", on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set with each claim, so a worker that asked for many events learns in one query
    # which of them it got.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    replays = models.PositiveSmallIntegerField(default=0)
    # The last replay asked for its output to go to destinations again, message ids
    # already stored included (docs/destinations.md).
    redeliver = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="ingest_due_idx"),
            # Due events in the order turns claim them: a claim reads its batch off the
            # front instead of sorting the whole backlog (46 ms a turn at 20,000 due,
            # 1.3 ms with it; docs/performance.md).
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status__in=["pending", "retrying"]),
                name="ingest_due_order_idx",
            ),
            models.Index(
                fields=["source", "status", "-received_at"], name="ingest_source_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"ingest event {self.pk} ({self.status})"

    @property
    def is_dead_letter(self) -> bool:
        return self.status == self.Status.FAILED


class Execution(models.Model):
    """One run of an ingest event's function: an attempt, a retry or a replay."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"

    ingest_event = models.ForeignKey(
        IngestEvent, on_delete=models.CASCADE, related_name="executions"
    )
    source = models.ForeignKey("catalog.Source", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        "catalog.FunctionVersion", on_delete=models.PROTECT, related_name="+"
    )
    attempt = models.PositiveSmallIntegerField()
    is_replay = models.BooleanField(default=False)
    started_at = models.DateTimeField(db_index=True)
    duration_ms = models.FloatField()
    status = models.CharField(max_length=10, choices=Status.choices)
    logs = models.JSONField(default=list)
    error = models.JSONField(null=True, blank=True)
    fetches = models.JSONField(default=list)
    event_count = models.PositiveIntegerField(default=0)
    object_count = models.PositiveIntegerField(default=0)
    # What a function that responds to the sender returned for it ({"status", "headers",
    # "body"}); null when it returned nothing, failed, or does not respond.
    response = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["source", "-started_at"], name="execution_source_idx"),
            # A rollout's watch and page: each version's latest executions on a source.
            models.Index(
                fields=["source", "version", "-started_at"], name="execution_source_version_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"execution {self.pk} of ingest event {self.ingest_event_id}"


class StoredEvent(models.Model):
    """The event store: every message a source's function emitted, once."""

    source = models.ForeignKey("catalog.Source", on_delete=models.CASCADE, related_name="+")
    ingest_event = models.ForeignKey(
        IngestEvent, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    message_id = models.CharField(max_length=200)
    type = models.CharField(max_length=20)
    message = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "message_id"], name="event_unique_message_id")
        ]
        indexes = [models.Index(fields=["source", "-received_at"], name="event_source_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class WarehouseObject(models.Model):
    """The object store: one row per (workspace, collection, id), properties merged."""

    workspace = models.ForeignKey("catalog.Workspace", on_delete=models.CASCADE, related_name="+")
    collection = models.CharField(max_length=200)
    object_id = models.CharField(max_length=200)
    properties = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "collection", "object_id"], name="object_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "collection", "-updated_at"], name="object_idx")
        ]

    def __str__(self) -> str:
        return f"{self.collection}/{self.object_id}"


class ObjectChange(models.Model):
    """History of an object: the properties one `Segment.set` call wrote."""

    object = models.ForeignKey(WarehouseObject, on_delete=models.CASCADE, related_name="changes")
    source = models.ForeignKey(
        "catalog.Source", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    ingest_event = models.ForeignKey(
        IngestEvent, on_delete=models.SET_NULL, null=True, related_name="object_changes"
    )
    properties = models.JSONField()
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"change of {self.object_id} at {self.changed_at:%Y-%m-%d %H:%M:%S}"


class Destination(models.Model):
    """Where a workspace's events and objects go next (docs/destinations.md).

    `config` holds what an owner may read back (a preset, a base URL); `credentials`
    what they may only replace (a write key, a DSN, a signing secret), encrypted."""

    class Kind(models.TextChoices):
        SEGMENT = "segment", "Segment-compatible HTTP"
        WEBHOOK = "webhook", "Signed webhook"
        POSTGRES = "postgres", "PostgreSQL warehouse"
        DUCKDB = "duckdb", "Embedded warehouse (DuckDB)"

    class Messages(models.TextChoices):
        ALL = "all", "Events and objects"
        EVENTS = "events", "Events only"
        OBJECTS = "objects", "Objects only"

    workspace = models.ForeignKey(
        "catalog.Workspace", on_delete=models.CASCADE, related_name="destinations"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    config = models.JSONField(default=dict, blank=True)
    credentials = encrypt(models.JSONField(default=dict, blank=True))
    messages = models.CharField(max_length=10, choices=Messages.choices, default=Messages.ALL)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="destination_unique_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"destination {self.name} ({self.kind})"

    def takes(self, *, events: bool, objects: bool) -> bool:
        """Whether output with events and/or objects is for this destination."""
        return (events and self.messages != self.Messages.OBJECTS) or (
            objects and self.messages != self.Messages.EVENTS
        )


class Routing(models.Model):
    """A source that chose its destinations; a source without one sends to every
    enabled destination of its workspace."""

    source = models.OneToOneField(
        "catalog.Source", on_delete=models.CASCADE, related_name="routing"
    )
    destinations = models.ManyToManyField(Destination, blank=True, related_name="routings")

    def __str__(self) -> str:
        return f"routing of source {self.source_id}"


class Delivery(models.Model):
    """What one ingest event produced, on its way to one destination.

    Delivered in order of the store's ids: `events_sent_to` and `objects_sent_to` are
    the last stored event and object change the destination took, so a replay that
    produced the same message ids again sends nothing new, and a retry after a
    partial success sends the rest. A permanent refusal, or temporary ones for longer
    than DELIVERY_RETRY_HOURS, make it a delivery dead letter."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Failed, will retry"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (dead letter)"

    ingest_event = models.ForeignKey(
        IngestEvent, on_delete=models.CASCADE, related_name="deliveries"
    )
    destination = models.ForeignKey(
        Destination, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    events_sent_to = models.BigIntegerField(default=0)
    objects_sent_to = models.BigIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    object_count = models.PositiveIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ingest_event", "destination"], name="delivery_unique_pair"
            )
        ]
        indexes = [
            models.Index(
                fields=["destination", "status", "next_attempt_at"], name="delivery_due_idx"
            ),
            models.Index(fields=["destination", "-created_at"], name="delivery_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery of ingest event {self.ingest_event_id} to {self.destination_id}"

    @property
    def is_dead_letter(self) -> bool:
        return self.status == self.Status.FAILED


class Catcher(models.Model):
    """A test webhook URL: what arrives is captured, never executed. A function's, or a
    scratch one (no function yet: the editor of a new function), which is its creator's
    until it expires, becomes the function's when Configure creates it (ingest.catcher)."""

    workspace = models.ForeignKey("catalog.Workspace", on_delete=models.CASCADE, related_name="+")
    function = models.OneToOneField(
        "catalog.Function", null=True, blank=True, on_delete=models.CASCADE, related_name="catcher"
    )
    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Set for a scratch catcher only: when it stops catching and is deleted.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(function__isnull=False)
                | models.Q(expires_at__isnull=False, created_by__isnull=False),
                name="catcher_of_a_function_or_scratch",
            )
        ]
        indexes = [models.Index(fields=["expires_at"], name="catcher_expiry_idx")]

    def __str__(self) -> str:
        if self.function_id is None:
            return f"scratch catcher {self.pk} of user {self.created_by_id}"
        return f"catcher of function {self.function_id}"

    @property
    def is_scratch(self) -> bool:
        return self.function_id is None


class Capture(StoredRequest):
    """One request caught by a catcher (the last 50 per function, or per scratch
    catcher, are kept). A scratch catcher's captures have no function until it is
    adopted."""

    KEEP = 50

    function = models.ForeignKey(
        "catalog.Function", null=True, blank=True, on_delete=models.CASCADE, related_name="captures"
    )
    catcher = models.ForeignKey(
        Catcher, null=True, blank=True, on_delete=models.CASCADE, related_name="captures"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["function", "-received_at"], name="capture_function_idx"),
            models.Index(fields=["catcher", "-received_at"], name="capture_catcher_idx"),
        ]

    def __str__(self) -> str:
        return f"capture {self.pk} of function {self.function_id}"


class Preview(models.Model):
    """A draft run on a source's latest webhooks and compared with what the source's
    version emitted for each (docs/ingest.md, "Preview on recent traffic"). Nothing it
    runs is stored or delivered; it is itself kept for ingest.previews.KEEP."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    function = models.ForeignKey("catalog.Function", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey("catalog.Source", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # What runs: the draft when the preview was asked for, or code of the request.
    code = models.TextField()
    from_draft = models.BooleanField(default=True)
    legacy = models.BooleanField(default=False)
    time_limit_ms = models.PositiveIntegerField()
    allow_fetch = models.BooleanField(default=False)
    requested = models.PositiveIntegerField()
    # The webhooks it runs on, latest first: chosen when it is asked for.
    ingest_event_ids = models.JSONField(default=list)
    done = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    summary = models.JSONField(default=dict)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    # A queued or running preview not heard of by then lost its worker (the sweep ends it).
    stale_after = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["function", "-created_at"], name="preview_function_idx")]

    def __str__(self) -> str:
        return f"preview {self.pk} of function {self.function_id} ({self.status})"

    @property
    def total(self) -> int:
        return len(self.ingest_event_ids)

    @property
    def is_over(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.CANCELLED, self.Status.FAILED)


class PreviewWebhook(models.Model):
    """One webhook of a preview: whether the draft emitted the same as the source's
    version did, and the comparison (runner.comparison, secret values taken out)."""

    preview = models.ForeignKey(Preview, on_delete=models.CASCADE, related_name="webhooks")
    position = models.PositiveIntegerField()  # 0: the latest webhook
    ingest_event = models.ForeignKey(
        IngestEvent, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    received_at = models.DateTimeField()
    version = models.PositiveIntegerField()  # the number of the version it is compared with
    same = models.BooleanField()
    comparison = models.JSONField()
    logs = models.JSONField(default=list)  # the draft's console output
    fetch_refused = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["preview", "position"], name="preview_unique_position")
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return f"webhook {self.position} of preview {self.preview_id}"
