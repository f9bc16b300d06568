"""REST API of what sources received and produced. Thin: access helpers decide who
sees what, services do the writes."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from catalog import access, policy
from catalog.api.base import CatalogView, WorkspaceView
from catalog.masking import mask_headers, mask_query_string, shorten_tokens
from catalog.policy import Action
from catalog.serializers import RetryPolicyOutput
from ingest import catcher, live, selectors, services
from ingest.models import (
    Delivery,
    Execution,
    IngestEvent,
    ObjectChange,
    StoredEvent,
    WarehouseObject,
)
from runner import body_text


class SourceView(WorkspaceView):
    """Base: the source of the URL, if the request's user may read its logs."""

    def source(self, slug: str):
        return access.source_logs_for_user(self.request.user, self.workspace, slug)


class RequestOutput(serializers.Serializer):
    """Documents ingest.live.request_shown: what the debugger shows of a request."""

    method = serializers.CharField()
    path = serializers.CharField(help_text="The webhook token in it shortened.")
    query = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2),
        help_text="[name, value] pairs, decoded; credential-like parameters hidden.",
    )
    headers = serializers.DictField(
        child=serializers.CharField(),
        help_text="As stored (hop-by-hop headers dropped), credential headers hidden for "
        "every role.",
    )
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Body size in bytes.")


class RequestWithBodyOutput(RequestOutput):
    body = serializers.CharField(help_text="The body as text, as the function read it.")


class ExecutionDeliveryOutput(serializers.Serializer):
    """Documents ingest.live.delivery_summary."""

    id = serializers.IntegerField()
    ingest_event = serializers.IntegerField()
    destination = serializers.DictField(help_text="{id, name}")
    status = serializers.ChoiceField(choices=Delivery.Status.choices)
    error = serializers.CharField(allow_null=True, help_text="The first line of the answer.")


class AttemptOutput(serializers.ModelSerializer):
    """An execution as one attempt of a dead letter (which has the request itself)."""

    class Meta:
        model = Execution
        fields = [
            "id", "ingest_event", "attempt", "is_replay", "status", "started_at", "duration_ms",
            "event_count", "object_count", "error", "logs", "fetches", "response",
        ]  # fmt: skip


class ExecutionOutput(AttemptOutput):
    """An execution of executions_of: with the version that ran, the request it ran on
    and, for one that succeeded, the deliveries of its output."""

    version = serializers.IntegerField(source="version.number", help_text="The version that ran.")
    request = serializers.SerializerMethodField()
    deliveries = serializers.SerializerMethodField()

    class Meta(AttemptOutput.Meta):
        fields = [*AttemptOutput.Meta.fields, "version", "request", "deliveries"]

    @extend_schema_field(RequestOutput)
    def get_request(self, execution: Execution) -> dict:
        return live.request_shown(execution.ingest_event, size=execution.body_size)

    @extend_schema_field(ExecutionDeliveryOutput(many=True))
    def get_deliveries(self, execution: Execution) -> list[dict]:
        if execution.status != Execution.Status.SUCCEEDED:
            return []  # a failed run sent nothing
        deliveries = execution.ingest_event.deliveries.all()  # prefetched (executions_of)
        return [live.delivery_summary(d, d.destination) for d in deliveries]


class EmittedOutput(serializers.ModelSerializer):
    class Meta:
        model = StoredEvent
        fields = ["id", "message_id", "type", "message"]


class ExecutionDetailOutput(ExecutionOutput):
    """One execution: as in the list, and the request's body and the events it emitted
    (the first selectors.EMITTED_SHOWN; event_count says how many)."""

    events = serializers.SerializerMethodField()

    class Meta(ExecutionOutput.Meta):
        fields = [*ExecutionOutput.Meta.fields, "events"]

    @extend_schema_field(RequestWithBodyOutput)
    def get_request(self, execution: Execution) -> dict:
        event = execution.ingest_event
        return live.request_shown(event, size=execution.body_size, with_body=True)

    @extend_schema_field(EmittedOutput(many=True))
    def get_events(self, execution: Execution) -> list[dict]:
        return EmittedOutput(selectors.events_emitted(execution), many=True).data


class EventOutput(serializers.ModelSerializer):
    """An event of events_of: with the execution that emitted it, the version that ran
    and the request it came from (null once retention removed the ingest event)."""

    execution = serializers.IntegerField(source="execution_id", allow_null=True)
    version = serializers.IntegerField(source="version_number", allow_null=True)
    request = serializers.SerializerMethodField()

    class Meta:
        model = StoredEvent
        fields = [
            "id", "message_id", "type", "message", "received_at", "sent_at", "ingest_event",
            "execution", "version", "request",
        ]  # fmt: skip

    @extend_schema_field(RequestOutput(allow_null=True))
    def get_request(self, event: StoredEvent) -> dict | None:
        if event.ingest_event is None:
            return None
        return live.request_shown(event.ingest_event, size=event.body_size)


class ObjectOutput(serializers.ModelSerializer):
    id = serializers.CharField(source="object_id")
    changes = serializers.IntegerField(
        source="change_count", help_text="How many Segment.set calls wrote it (any source)."
    )

    class Meta:
        model = WarehouseObject
        fields = ["collection", "id", "properties", "created_at", "updated_at", "changes"]


class ObjectChangeOutput(serializers.ModelSerializer):
    source = serializers.SerializerMethodField(help_text="{slug, name}; null once deleted.")

    class Meta:
        model = ObjectChange
        fields = ["id", "changed_at", "properties", "source", "ingest_event"]

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_source(self, change: ObjectChange) -> dict | None:
        source = change.source
        return {"slug": source.slug, "name": source.name} if source else None


class DeadLetterOutput(serializers.ModelSerializer):
    """Its headers, query and path are masked for anyone below owner, as in captures. With the
    retry policy of the version it ran, and why it was not retried further."""

    executions = AttemptOutput(many=True)
    path = serializers.SerializerMethodField()
    query_string = serializers.SerializerMethodField()
    headers = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    version = serializers.IntegerField(source="version.number")
    time_limit_ms = serializers.IntegerField(
        source="version.time_limit", help_text="The time limit of the version it ran."
    )
    retry_policy = RetryPolicyOutput(source="version.retry_policy")
    reason = serializers.SerializerMethodField(help_text="Why it is a dead letter, in words.")

    class Meta:
        model = IngestEvent
        fields = [
            "id", "received_at", "finished_at", "attempts", "replays", "method", "path",
            "query_string", "headers", "body", "version", "time_limit_ms", "retry_policy",
            "reason", "executions",
        ]  # fmt: skip

    def get_reason(self, event: IngestEvent) -> str:
        executions = list(event.executions.all())  # prefetched (selectors.dead_letters_of)
        last = max(executions, key=lambda e: (e.started_at, e.pk), default=None)
        error = last.error if last else None
        return event.version.retry_policy.dead_letter_reason(error, event.attempts)

    def get_body(self, event: IngestEvent) -> str:
        return body_text(bytes(event.raw_body))

    def get_path(self, event: IngestEvent) -> str:
        return event.path if self._reveal() else shorten_tokens(event.path)

    def get_query_string(self, event: IngestEvent) -> str:
        return event.query_string if self._reveal() else mask_query_string(event.query_string)

    def get_headers(self, event: IngestEvent) -> dict[str, str]:
        return event.headers if self._reveal() else mask_headers(event.headers)

    def _reveal(self) -> bool:
        return policy.allows(self.context.get("membership"), Action.SEE_CREDENTIALS)


class LogsView(SourceView):
    @extend_schema(
        summary="Executions of a source, newest first",
        parameters=[OpenApiParameter("status", str, enum=[s.value for s in Execution.Status])],
        responses=ExecutionOutput(many=True),
    )
    def get(self, request, ws: str, slug: str):
        source = self.source(slug)
        status = request.query_params.get("status") or None
        if status and status not in Execution.Status.values:
            raise ValidationError(
                {"status": f"Must be one of {', '.join(Execution.Status.values)}."}
            )
        return self.paginated(selectors.executions_of(source, status=status), ExecutionOutput)


class EventsView(SourceView):
    @extend_schema(
        summary="Events a source stored, newest first",
        parameters=[OpenApiParameter("type", str, description="Only messages of this type.")],
        responses=EventOutput(many=True),
    )
    def get(self, request, ws: str, slug: str):
        source = self.source(slug)
        events = selectors.events_of(source, type=request.query_params.get("type") or None)
        return self.paginated(events, EventOutput)


class ObjectsView(SourceView):
    @extend_schema(
        summary="Objects a source wrote (warehouse tables), last changed first",
        parameters=[
            OpenApiParameter("collection", str, description="Only this collection."),
            OpenApiParameter("id", str, description="Only the object with this id."),
            OpenApiParameter("search", str, description="Only objects whose id contains this."),
        ],
        responses=ObjectOutput(many=True),
    )
    def get(self, request, ws: str, slug: str):
        source = self.source(slug)
        query = request.query_params
        objects = selectors.objects_of(
            source,
            collection=query.get("collection") or None,
            id=query.get("id") or None,
            search=query.get("search") or None,
        )
        return self.paginated(objects, ObjectOutput)


class ObjectChangesView(SourceView):
    """An object's key is a collection and an id, any text each (a slash included): they
    are query parameters, not path segments."""

    @extend_schema(
        summary="The history of one object a source wrote: each Segment.set, newest first",
        parameters=[
            OpenApiParameter("collection", str, required=True),
            OpenApiParameter("id", str, required=True, description="The object's id."),
        ],
        responses=ObjectChangeOutput(many=True),
    )
    def get(self, request, ws: str, slug: str):
        source = self.source(slug)
        key = {name: request.query_params.get(name, "") for name in ("collection", "id")}
        missing = {name: "Give the object's collection and id." for name, v in key.items() if not v}
        if missing:
            raise ValidationError(missing)
        found = selectors.object_of(source, **key)
        if found is None:
            raise Http404("This source wrote no object with that collection and id.")
        return self.paginated(selectors.object_changes(found), ObjectChangeOutput)


class DeadLettersView(SourceView):
    @extend_schema(summary="Dead letters of a source", responses=DeadLetterOutput(many=True))
    def get(self, request, ws: str, slug: str):
        return self.paginated(selectors.dead_letters_of(self.source(slug)), DeadLetterOutput)


class DeadLetterIds(serializers.Serializer):
    """Which dead letters: some by id, or all."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False
    )
    all = serializers.BooleanField(default=False)

    def validate(self, data):
        if not data["all"] and not data.get("ids"):
            raise serializers.ValidationError(
                "Give the dead letters to replay as ids, or all: true."
            )
        return data


class ReplayInput(DeadLetterIds):
    version = serializers.ChoiceField(choices=["pinned", "deployed"], default="pinned")
    redeliver = serializers.BooleanField(
        default=False,
        help_text="Deliver what the replays emit even where its message ids were stored "
        "and delivered before (by default those are not sent again).",
    )


class ReplayOutput(serializers.Serializer):
    replayed = serializers.ListField(child=serializers.IntegerField())


class ReplayView(SourceView):
    @extend_schema(
        summary="Replay dead letters, one by one or all",
        request=ReplayInput,
        responses=ReplayOutput,
    )
    def post(self, request, ws: str, slug: str):
        source = self.source(slug)
        data = self.valid(ReplayInput)
        if data["version"] == "deployed" and not source.function.deployed_version_id:
            raise ValidationError({"version": "This function has no deployed version."})
        replayed = services.dead_letters_replay(
            actor=request.user,
            source=source,
            ingest_event_ids=None if data["all"] else data["ids"],
            version=data["version"],
            redeliver=data["redeliver"],
        )
        return Response({"replayed": replayed})


# --- the webhook catcher of a function (docs/live.md) ---------------------------------


class FunctionView(CatalogView):
    """Base: resolves the workspace and the function of the URL for the request's user.
    Reading needs membership; the catcher's services check the writes (rotate, delete).
    What a capture shows depends on the role (docs/security.md)."""

    def function(self, ws: str, function_id: int, write: bool = False):
        workspace = access.workspace_for_request(self.request, ws)
        self.membership = policy.membership_of(self.request.user, workspace)
        return access.function_for_user(self.request.user, workspace, function_id, write=write)

    def shown(self, capture) -> dict:
        payload = catcher.capture_payload(capture)
        if policy.allows(self.membership, Action.SEE_CREDENTIALS):
            return payload
        return catcher.masked_capture(payload)

    def catcher_output(self, found) -> dict:
        shown = policy.allows(self.membership, Action.SEE_CATCHER_URL)
        url = catcher.catcher_url(found) if shown else None
        return CatcherOutput(
            {
                "url": url,
                "websocket": f"/ws/functions/{found.function_id}/catcher/",
                "created_at": found.created_at,
            }
        ).data


class CatcherOutput(serializers.Serializer):
    url = serializers.CharField(
        allow_null=True,
        help_text="POST requests here to capture them. null for members: only who runs "
        "the function sees it (it works as a write credential).",
    )
    websocket = serializers.CharField(help_text="Path of the websocket that pushes captures.")
    created_at = serializers.DateTimeField()


class CaptureOutput(serializers.Serializer):
    """Documents catcher.capture_payload, the one format of a capture."""

    id = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    method = serializers.CharField()
    url = serializers.CharField()
    path = serializers.CharField()
    query_string = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Body size in bytes.")
    truncated = serializers.BooleanField(
        help_text="In lists, bodies over 256 KB, and past 1 MB of bodies in all, are left "
        "out: GET the capture for them."
    )
    body = serializers.CharField(required=False, help_text="The body as text.")
    json = serializers.JSONField(required=False, help_text="The body parsed, when it is JSON.")
    request = serializers.JSONField(
        required=False, help_text="As a Run's input: method, url, headers, body or rawBody."
    )


class CatcherView(FunctionView):
    @extend_schema(summary="The function's test webhook URL", responses=CatcherOutput)
    def get(self, request, ws: str, function_id: int):
        function = self.function(ws, function_id)
        found = catcher.catcher_for_function(function=function)
        return Response(self.catcher_output(found))


class CatcherRotateView(FunctionView):
    @extend_schema(summary="Rotate the test webhook URL", request=None, responses=CatcherOutput)
    def post(self, request, ws: str, function_id: int):
        function = self.function(ws, function_id)
        rotated = catcher.catcher_rotate(function=function, actor=request.user)
        return Response(self.catcher_output(rotated))


class CapturesView(FunctionView):
    @extend_schema(
        summary="Requests caught at the function's test URL, newest first (the last 50); "
        "credential headers are masked for anyone below owner",
        responses=CaptureOutput(many=True),
    )
    def get(self, request, ws: str, function_id: int):
        function = self.function(ws, function_id)
        captures = [self.shown(c) for c in catcher.recent_captures(function.pk)]
        return self.paginated(captures, CaptureOutput)


class CaptureView(FunctionView):
    def capture(self, function, capture_id: int):
        capture = catcher.capture_for_function(function, capture_id)
        if capture is None:
            raise Http404("No such capture of this function.")
        return capture

    @extend_schema(summary="One capture, body included", responses=CaptureOutput)
    def get(self, request, ws: str, function_id: int, capture_id: int):
        capture = self.capture(self.function(ws, function_id), capture_id)
        return Response(self.shown(capture))

    @extend_schema(summary="Delete a capture", responses={204: None})
    def delete(self, request, ws: str, function_id: int, capture_id: int):
        capture = self.capture(self.function(ws, function_id), capture_id)
        catcher.capture_delete(capture=capture, actor=request.user)
        return Response(status=204)


class ExecutionLogView(SourceView):
    """One execution with its console output, error and fetch calls: the page opens an
    execution's details with this instead of searching the newest hundred."""

    @extend_schema(
        summary="One execution of a source: its logs, error, fetch calls, the request it "
        "ran on (body included) and the events it emitted",
        responses=ExecutionDetailOutput,
    )
    def get(self, request, ws: str, slug: str, execution_id: int):
        execution = selectors.execution_of(self.source(slug), execution_id)
        if execution is None:
            raise Http404("No such execution in this source.")
        return Response(ExecutionDetailOutput(execution).data)
