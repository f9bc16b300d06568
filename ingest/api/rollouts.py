"""REST API of a source's gradual rollout (docs/catalog.md "Gradual rollout"): start it,
change its share, promote or roll it back, and read both versions' error rates."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from catalog import access
from catalog.api.base import WorkspaceView
from catalog.api.functions import ERROR, version_field
from catalog.serializers import RolloutOutput, SourceOutput
from catalog.services import rollouts
from ingest import services


class ErrorRateOutput(serializers.Serializer):
    version = serializers.IntegerField()
    executions = serializers.IntegerField(help_text="At most ROLLOUT_WINDOW, the latest.")
    errors = serializers.IntegerField()
    error_rate = serializers.FloatField()


class RollbackOutput(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version whose rollout was rolled back.")
    at = serializers.DateTimeField(help_text="When it was rolled back, by hand or by the watch.")


class RolloutStateOutput(serializers.Serializer):
    rollout = RolloutOutput(allow_null=True)
    old = ErrorRateOutput(allow_null=True, help_text="The pinned version's executions.")
    new = ErrorRateOutput(allow_null=True, help_text="The new version's, since the start.")
    rollback_note = serializers.CharField()
    last_rollback = RollbackOutput(
        allow_null=True,
        help_text="The last rollout rolled back, until the source moves or a new one starts.",
    )


class RolloutStartInput(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version a share of webhooks runs on.")
    share = serializers.IntegerField(help_text="Percent of new webhooks, 1–100.")


class RolloutShareInput(serializers.Serializer):
    share = serializers.IntegerField(help_text="Percent of new webhooks, 1–100.")


def rollout_state(source) -> dict:
    """The rollout with both versions' error rates, as the source page shows it."""
    state = {"rollout": None, "old": None, "new": None, "rollback_note": source.rollback_note,
             "last_rollback": _last_rollback(source)}  # fmt: skip
    if source.rollout_version_id:
        rates = services.rollout_rates(source)
        state["rollout"] = RolloutOutput(source).data
        state["old"] = _rate(source.version.number, rates.old)
        state["new"] = _rate(source.rollout_version.number, rates.new)
    return state


def _last_rollback(source) -> dict | None:
    if source.rolled_back_version is None:
        return None
    return RollbackOutput(
        {"version": source.rolled_back_version.number, "at": source.rolled_back_at}
    ).data


def _rate(number: int, rate) -> dict:
    return {"version": number, "executions": rate.executions, "errors": rate.errors,
            "error_rate": round(rate.rate, 4)}  # fmt: skip


class RolloutView(WorkspaceView):
    def source(self, slug: str, write: bool = False):
        if write:
            return access.source_for_user(self.request.user, self.workspace, slug, write=True)
        return access.source_logs_for_user(self.request.user, self.workspace, slug)

    @extend_schema(
        summary="The source's rollout and both versions' error rates",
        responses={200: RolloutStateOutput, 403: ERROR, 404: ERROR},
    )
    def get(self, request, ws: str, slug: str):
        return Response(rollout_state(self.source(slug)))

    @extend_schema(
        summary="Start a gradual rollout: a share of new webhooks runs on another version",
        request=RolloutStartInput,
        responses={200: RolloutStateOutput, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    def post(self, request, ws: str, slug: str):
        source = self.source(slug, write=True)
        data = self.valid(RolloutStartInput)
        version = version_field(request.user, source.function, data["version"])
        rollouts.source_rollout_start(
            source=source, actor=request.user, version=version, share=data["share"]
        )
        return Response(rollout_state(source))

    @extend_schema(
        summary="Change the running rollout's share",
        request=RolloutShareInput,
        responses={200: RolloutStateOutput, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    def patch(self, request, ws: str, slug: str):
        source = self.source(slug, write=True)
        share = self.valid(RolloutShareInput)["share"]
        rollouts.source_rollout_share(source=source, actor=request.user, share=share)
        return Response(rollout_state(source))

    @extend_schema(
        summary="Roll back: every new webhook runs on the pinned version again (with no "
        "rollout running, dismisses the last automatic rollback's note)",
        request=None,
        responses={200: RolloutStateOutput, 403: ERROR, 404: ERROR},
    )
    def delete(self, request, ws: str, slug: str):
        source = self.source(slug, write=True)
        rollouts.source_rollout_end(source=source, actor=request.user)
        return Response(rollout_state(source))


class RolloutPromoteView(WorkspaceView):
    @extend_schema(
        summary="Finish the rollout: the source moves to the new version",
        request=None,
        responses={200: SourceOutput, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    def post(self, request, ws: str, slug: str):
        source = access.source_for_user(request.user, self.workspace, slug, write=True)
        rollouts.source_rollout_promote(source=source, actor=request.user)
        return Response(self.output(SourceOutput, source))
