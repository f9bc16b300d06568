"""Sources: connect, configure, upgrade or roll back, rotate the webhook URL, delete."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from catalog import access, selectors, services
from catalog.api.base import WorkspaceView
from catalog.api.functions import ERROR, version_field
from catalog.serializers import JSONObjectField, SourceOutput

SETTINGS_HELP = (
    "Setting values by name, merged into the current ones: null clears a value, names "
    "left out keep theirs. Secret values are write-only."
)


class SourceListView(WorkspaceView):
    class SourceCreateInput(serializers.Serializer):
        # Checked by the service with the settings, so a form hears of all at once.
        name = serializers.CharField(
            max_length=100, required=False, allow_blank=True, default="",
            help_text="Required: a missing name is reported with the settings' problems.",
        )  # fmt: skip
        slug = serializers.SlugField(max_length=60, required=False)
        function = serializers.IntegerField(help_text="The id of the function to run.")
        version = serializers.IntegerField(
            required=False, help_text="The version to pin (default: the deployed one)."
        )
        follow_deployed = serializers.BooleanField(required=False, default=False)
        enabled = serializers.BooleanField(required=False, default=True)
        settings = JSONObjectField(required=False, help_text=SETTINGS_HELP)

    @extend_schema(summary="List sources", responses=SourceOutput(many=True))
    def get(self, request, ws):
        return self.paginated(selectors.source_list(self.workspace), SourceOutput)

    @extend_schema(
        summary="Connect a source to a function",
        request=SourceCreateInput,
        responses={201: SourceOutput, 400: ERROR, 403: ERROR},
    )
    def post(self, request, ws):
        data = self.valid(self.SourceCreateInput)
        try:
            function = access.function_for_user(request.user, self.workspace, data.pop("function"))
        except Http404:
            raise ValidationError({"function": "No such function in this workspace."}) from None
        if "version" in data:
            data["version"] = version_field(request.user, function, data["version"])
        source = services.source_create(
            workspace=self.workspace, actor=request.user, function=function, **data
        )
        return self.created(self.output(SourceOutput, source))


class SourceDetailView(WorkspaceView):
    class SourceUpdateInput(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        enabled = serializers.BooleanField(required=False)
        follow_deployed = serializers.BooleanField(required=False)
        settings = JSONObjectField(required=False, help_text=SETTINGS_HELP)

    @extend_schema(summary="Get a source", responses=SourceOutput)
    def get(self, request, ws, slug):
        source = access.source_for_user(request.user, self.workspace, slug)
        return Response(self.output(SourceOutput, source))

    @extend_schema(
        summary="Configure a source: settings, enabled, name, follow the deployed version",
        request=SourceUpdateInput,
        responses={200: SourceOutput, 400: ERROR, 403: ERROR},
    )
    def patch(self, request, ws, slug):
        source = access.source_for_user(request.user, self.workspace, slug, write=True)
        data = self.valid(self.SourceUpdateInput, partial=True)
        services.source_update(source=source, actor=request.user, **data)
        return Response(self.output(SourceOutput, source))

    @extend_schema(summary="Delete a source", responses={204: None, 403: ERROR})
    def delete(self, request, ws, slug):
        source = access.source_for_user(request.user, self.workspace, slug, write=True)
        services.source_delete(source=source, actor=request.user)
        return Response(status=204)


class SourceUpgradeView(WorkspaceView):
    class SourceUpgradeInput(serializers.Serializer):
        version = serializers.IntegerField(help_text="The version to move to (up or down).")
        settings = JSONObjectField(required=False, help_text=SETTINGS_HELP)

    @extend_schema(
        summary="Move a source to another version (upgrade or rollback); re-validates settings",
        request=SourceUpgradeInput,
        responses={200: SourceOutput, 400: ERROR, 403: ERROR},
    )
    def post(self, request, ws, slug):
        source = access.source_for_user(request.user, self.workspace, slug, write=True)
        data = self.valid(self.SourceUpgradeInput)
        version = version_field(request.user, source.function, data["version"])
        services.source_upgrade(
            source=source, actor=request.user, version=version, settings=data.get("settings")
        )
        return Response(self.output(SourceOutput, source))


class SourceRotateTokenView(WorkspaceView):
    @extend_schema(
        summary="Give the source a new webhook URL (the old one stops working)",
        request=None,
        responses={200: SourceOutput, 403: ERROR},
    )
    def post(self, request, ws, slug):
        source = access.source_for_user(request.user, self.workspace, slug, write=True)
        services.source_rotate_token(source=source, actor=request.user)
        return Response(self.output(SourceOutput, source))
