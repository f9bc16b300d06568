"""REST API of previews on recent traffic (docs/ingest.md "Preview on recent traffic"):
start one, follow its progress, cancel it, read its webhooks' comparisons."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from catalog import access
from catalog.api.base import WorkspaceView
from catalog.api.functions import ERROR
from catalog.serializers import UserField
from ingest import previews, services
from ingest.models import Preview, PreviewWebhook


class ListChangesOutput(serializers.Serializer):
    changed = serializers.ListField(
        child=serializers.DictField(),
        help_text="{index, was_index, differences: [lines], before, after}: a message "
        "both emitted, whose fields differ.",
    )
    new = serializers.ListField(
        child=serializers.DictField(), help_text="{index, message}: only the draft emits it."
    )
    missing = serializers.ListField(
        child=serializers.DictField(),
        help_text="{index, message}: the current version emitted it, the draft does not.",
    )


class PreviewOutput(serializers.ModelSerializer):
    function = serializers.IntegerField(source="function_id")
    source = serializers.CharField(source="source.slug")
    total = serializers.IntegerField(help_text="The webhooks it runs on (at most requested).")
    progress = serializers.SerializerMethodField(help_text="done / total, from 0 to 1.")
    summary = serializers.JSONField(
        help_text="Counts so far: compared, same, different, new_errors, fixed_errors, "
        "changed_errors, events and objects {changed, new, missing}, fetch_refused "
        "(webhooks whose draft had a fetch refused), unavailable (webhooks deleted "
        "meanwhile), versions (the numbers of the versions compared with)."
    )
    fetch = serializers.SerializerMethodField(help_text="Whether fetch was allowed, in words.")
    created_by = UserField()

    class Meta:
        model = Preview
        fields = [
            "id", "function", "source", "status", "requested", "total", "done", "progress",
            "summary", "allow_fetch", "fetch", "from_draft", "failure", "created_by",
            "created_at", "started_at", "finished_at", "expires_at",
        ]  # fmt: skip

    def get_progress(self, preview: Preview) -> float:
        return round(preview.done / preview.total, 4) if preview.total else 1.0

    def get_fetch(self, preview: Preview) -> str:
        return previews.fetch_note(preview)


class PreviewWebhookOutput(serializers.ModelSerializer):
    version = serializers.IntegerField(help_text="The version whose run it is compared with.")
    events = ListChangesOutput(source="comparison.events")
    objects = ListChangesOutput(source="comparison.objects")
    error = serializers.JSONField(
        source="comparison.error",
        help_text='null, or {change: "new" | "fixed" | "changed", before, after}.',
    )
    logs = serializers.JSONField(help_text="The draft's console output on this webhook.")

    class Meta:
        model = PreviewWebhook
        fields = [
            "position", "ingest_event", "received_at", "version", "same", "events", "objects",
            "error", "logs", "fetch_refused",
        ]  # fmt: skip


class PreviewInput(serializers.Serializer):
    source = serializers.SlugField(help_text="The slug of a source that runs this function.")
    count = serializers.IntegerField(
        required=False,
        default=previews.DEFAULT_COUNT,
        help_text=f"How many of its latest webhooks, 1–{previews.MAX_COUNT:,}.",
    )
    code = serializers.CharField(
        required=False, trim_whitespace=False, help_text="Unsaved code to run instead."
    )
    allow_fetch = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Let the draft's fetch calls really go out (off: each is refused).",
    )


class PreviewListView(WorkspaceView):
    @extend_schema(
        summary="The function's previews on recent traffic (kept 24 hours), newest first",
        responses={200: PreviewOutput(many=True), 403: ERROR},
    )
    def get(self, request, ws: str, function_id: int):
        function = access.function_for_user(request.user, self.workspace, function_id, write=True)
        return self.paginated(services.previews_of(function), PreviewOutput)

    @extend_schema(
        summary="Preview the draft on a source's latest webhooks, in a worker",
        description="Runs the draft (or `code`) on each webhook in the sandbox: nothing "
        "is stored or delivered, fetch is off unless `allow_fetch`. Answers at once, "
        "the preview queued; follow its `progress`, then read the webhooks' comparisons.",
        request=PreviewInput,
        responses={201: PreviewOutput, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    def post(self, request, ws: str, function_id: int):
        function = access.function_for_user(request.user, self.workspace, function_id, write=True)
        data = self.valid(PreviewInput)
        source = access.source_for_user(request.user, self.workspace, data.pop("source"))
        preview = services.preview_start(
            actor=request.user, function=function, source=source, **data
        )
        return self.created(self.output(PreviewOutput, preview))


class PreviewView(WorkspaceView):
    def preview(self, function_id: int, preview_id: int) -> Preview:
        function = access.function_for_user(self.request.user, self.workspace, function_id)
        return services.preview_for_user(self.request.user, function, preview_id)


class PreviewDetailView(PreviewView):
    @extend_schema(
        summary="A preview: its status, progress and summary counts",
        responses={200: PreviewOutput, 403: ERROR, 404: ERROR},
    )
    def get(self, request, ws: str, function_id: int, preview_id: int):
        return Response(self.output(PreviewOutput, self.preview(function_id, preview_id)))


class PreviewCancelView(PreviewView):
    @extend_schema(
        summary="Stop a preview: what it compared so far is kept",
        request=None,
        responses={200: PreviewOutput, 403: ERROR, 404: ERROR},
    )
    def post(self, request, ws: str, function_id: int, preview_id: int):
        preview = self.preview(function_id, preview_id)
        preview = services.preview_cancel(actor=request.user, preview=preview)
        return Response(self.output(PreviewOutput, preview))


class PreviewWebhooksView(PreviewView):
    @extend_schema(
        summary="The webhooks a preview compared, latest first, each with its differences",
        parameters=[
            OpenApiParameter(
                "same", bool, description="true: only the same; false: only those that differ."
            )
        ],
        responses={200: PreviewWebhookOutput(many=True), 403: ERROR, 404: ERROR},
    )
    def get(self, request, ws: str, function_id: int, preview_id: int):
        preview = self.preview(function_id, preview_id)
        same = _same_param(request.query_params.get("same"))
        return self.paginated(services.preview_webhooks(preview, same=same), PreviewWebhookOutput)


def _same_param(raw: str | None) -> bool | None:
    if raw in (None, ""):
        return None
    if raw not in ("true", "false"):
        raise ValidationError({"same": ["Must be true or false."]})
    return raw == "true"
