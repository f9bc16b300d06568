"""Scratch catchers: a test URL for a function not created yet (the editor of a new
function), its creator's own until it expires, and its adoption by the function
Configure creates. docs/live.md, *A function not created yet*."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from catalog import policy
from catalog.api.base import WorkspaceView
from catalog.policy import Action
from ingest import catcher
from ingest.api import CaptureOutput, CatcherOutput, FunctionView

ERROR = OpenApiResponse(description="A JSON object with `detail`.")


class ScratchCatcherOutput(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="Send requests here to capture them.")
    websocket = serializers.CharField(help_text="Path of the websocket that pushes captures.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(
        help_text="When it stops catching and goes, unless a function adopts it first."
    )


class ScratchView(WorkspaceView):
    """Base: the request's user's own scratch catcher of the URL (404 otherwise)."""

    def scratch(self, catcher_id):
        return catcher.scratch_catcher_for_user(self.request.user, self.workspace, catcher_id)

    def shown(self, capture) -> dict:
        payload = catcher.capture_payload(capture)
        membership = policy.membership_of(self.request.user, self.workspace)
        if policy.allows(membership, Action.SEE_CREDENTIALS):
            return payload
        return catcher.masked_capture(payload)

    def scratch_output(self, scratch) -> dict:
        return ScratchCatcherOutput(
            {
                "id": scratch.pk,
                "url": catcher.catcher_url(scratch),
                "websocket": f"/ws/workspaces/{self.workspace.slug}/catchers/{scratch.pk}/",
                "created_at": scratch.created_at,
                "expires_at": scratch.expires_at,
            }
        ).data


class ScratchCatcherListView(ScratchView):
    @extend_schema(
        summary="A test URL for a function not created yet (yours, for 24 hours)",
        request=None,
        responses={201: ScratchCatcherOutput, 403: ERROR},
    )
    def post(self, request, ws: str):
        scratch = catcher.scratch_catcher_create(workspace=self.workspace, actor=request.user)
        return self.created(self.scratch_output(scratch))


class ScratchCatcherDetailView(ScratchView):
    @extend_schema(summary="Your scratch test URL", responses=ScratchCatcherOutput)
    def get(self, request, ws: str, catcher_id: int):
        return Response(self.scratch_output(self.scratch(catcher_id)))

    @extend_schema(summary="Discard your scratch test URL and its captures", responses={204: None})
    def delete(self, request, ws: str, catcher_id: int):
        catcher.scratch_catcher_discard(catcher=self.scratch(catcher_id), actor=request.user)
        return Response(status=204)


class ScratchCapturesView(ScratchView):
    @extend_schema(
        summary="Requests caught at your scratch test URL, newest first (the last 50)",
        responses=CaptureOutput(many=True),
    )
    def get(self, request, ws: str, catcher_id: int):
        scratch = self.scratch(catcher_id)
        captures = [self.shown(c) for c in catcher.recent_scratch_captures(scratch)]
        return self.paginated(captures, CaptureOutput)


class ScratchCaptureView(ScratchView):
    @extend_schema(summary="One capture of your scratch test URL, body included",
                   responses=CaptureOutput)  # fmt: skip
    def get(self, request, ws: str, catcher_id: int, capture_id: int):
        scratch = self.scratch(catcher_id)
        capture = catcher.scratch_captures_of(scratch).filter(pk=capture_id).first()
        if capture is None:
            raise Http404("No such capture of this test URL.")
        return Response(self.shown(capture))


class CatcherAdoptView(FunctionView):
    class AdoptInput(serializers.Serializer):
        catcher = serializers.IntegerField(help_text="The id of your scratch test URL.")

    @extend_schema(
        summary="Make your scratch test URL the function's, with its captures",
        description="For a function that has no test URL yet: Configure creates the "
        "function, then adopts the URL the editor of the new function used. 409 when "
        "the function has one already; 400 when the scratch URL is not yours or expired.",
        request=AdoptInput,
        responses={200: CatcherOutput, 400: ERROR, 403: ERROR, 409: ERROR},
    )
    def post(self, request, ws: str, function_id: int):
        function = self.function(ws, function_id, write=True)
        serializer = self.AdoptInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        scratch = _scratch_field(request.user, function.workspace, serializer.validated_data)
        adopted = catcher.catcher_adopt(function=function, actor=request.user, catcher=scratch)
        return Response(self.catcher_output(adopted))


def _scratch_field(user, workspace, data):
    """The scratch catcher a request body names, or a field error (the URL exists)."""
    try:
        return catcher.scratch_catcher_for_user(user, workspace, data["catcher"])
    except Http404:
        raise ValidationError(
            {"catcher": "This scratch test URL has expired, was adopted, or is not yours."}
        ) from None
