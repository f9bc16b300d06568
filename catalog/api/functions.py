"""Functions, their versions, test runs and templates."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from catalog import access, selectors, services
from catalog.api.base import WorkspaceView
from catalog.models import Interface
from catalog.run_policy import RetryOn
from catalog.serializers import (
    FunctionOutput,
    FunctionSummaryOutput,
    JSONObjectField,
    RunResultOutput,
    SourceOutput,
    TemplateOutput,
    TemplateSummaryOutput,
    VersionOutput,
    VersionSummaryOutput,
    methods_field,
    responds_field,
)

ERROR = OpenApiResponse(description="A JSON object with `detail` (and `errors` per field).")


def version_field(user, function, number):
    """The version a request body names, or a field error (not a 404: the URL exists)."""
    try:
        return access.version_for_user(user, function, number)
    except Http404:
        raise ValidationError({"version": f"This function has no version {number}."}) from None


def sample_field(user, function, sample_id):
    """The sample a request body names, or a field error."""
    try:
        return access.sample_for_user(user, function, sample_id)
    except Http404:
        raise ValidationError({"sample": f"This function has no sample {sample_id}."}) from None


def _definitions_field(**kwargs):
    return serializers.ListField(
        child=serializers.DictField(),
        help_text="Setting definitions: name, label, description, type, required, encrypted.",
        **kwargs,
    )


class RetryPolicyInput(serializers.Serializer):
    """Any of these, over the draft's; the service checks the ranges."""

    retry_on = serializers.ChoiceField(choices=RetryOn.choices, required=False)
    attempts = serializers.IntegerField(required=False, help_text="1 (no retry) to 10.")
    first_delay_s = serializers.FloatField(
        required=False, allow_null=True, help_text="1–3,600 s; null: the default (300 s)."
    )
    max_delay_s = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="The longest wait, 1–3,600 s and at least the first; null: the default "
        "(1,200 s).",
    )


class DraftInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    interface = serializers.ChoiceField(choices=Interface.choices, required=False)
    code = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    settings = _definitions_field(required=False)
    methods = methods_field(required=False)
    responds = responds_field(required=False)
    time_limit_ms = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The time limit per execution, 100–10,000 ms; null: the default (1,000). "
        "Sources get it with the next version.",
    )
    retry_policy = RetryPolicyInput(
        required=False, help_text="Which failures are retried, how often and how long apart."
    )


class FunctionListView(WorkspaceView):
    class FunctionCreateInput(DraftInput):
        slug = serializers.SlugField(max_length=60, required=False)
        template = serializers.CharField(
            required=False, help_text="Start from this template (see templates/)."
        )
        samples = serializers.ListField(
            child=serializers.DictField(),
            required=False,
            help_text="The function's samples, [{name, request, settings?}], each with its "
            "own test settings; a template's samples when not given.",
        )

    @extend_schema(summary="List functions", responses=FunctionSummaryOutput(many=True))
    def get(self, request, ws):
        return self.paginated(selectors.function_list(self.workspace), FunctionSummaryOutput)

    @extend_schema(
        summary="Create a function, from scratch or from a template",
        request=FunctionCreateInput,
        responses={201: FunctionOutput, 400: ERROR, 403: ERROR},
    )
    def post(self, request, ws):
        data = self.valid(self.FunctionCreateInput)
        function = services.function_create(
            workspace=self.workspace, actor=request.user, name=data.pop("name", ""), **data
        )
        return self.created(FunctionOutput(function).data)


class FunctionDetailView(WorkspaceView):
    @extend_schema(summary="Get a function with its draft", responses=FunctionOutput)
    def get(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id)
        return Response(FunctionOutput(function).data)

    @extend_schema(
        summary="Save the draft (never changes deployed versions or sources)",
        request=DraftInput,
        responses={200: FunctionOutput, 400: ERROR, 403: ERROR},
    )
    def patch(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id, write=True)
        data = self.valid(DraftInput, partial=True)
        services.function_save(function=function, actor=request.user, **data)
        return Response(FunctionOutput(function).data)

    @extend_schema(
        summary="Delete a function (force=true also deletes its sources)",
        parameters=[OpenApiParameter("force", bool, description="Also delete its sources.")],
        responses={204: None, 409: ERROR, 403: ERROR},
    )
    def delete(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id, write=True)
        force = request.query_params.get("force", "").lower() in {"1", "true", "yes"}
        services.function_delete(function=function, actor=request.user, force=force)
        return Response(status=204)


class DeployOutput(serializers.Serializer):
    version = VersionOutput()
    moved_sources = SourceOutput(many=True, source="moved")
    held_sources = SourceOutput(
        many=True, source="held", help_text="Following sources whose settings do not fit."
    )


class FunctionDeployView(WorkspaceView):
    class DeployInput(DraftInput):
        message = serializers.CharField(max_length=500, required=False, allow_blank=True)
        deploy_anyway = serializers.CharField(
            max_length=500,
            required=False,
            allow_blank=True,
            help_text="Deploy even though saved tests fail, for this reason (kept in the "
            "audit log).",
        )

    @extend_schema(
        summary="Save & Deploy: save the draft, run its saved tests, make it the next version",
        description="Refused with 409 and `failed_tests` (name, differences) when a saved "
        "test fails on the draft, unless `deploy_anyway` gives a reason. The draft is saved "
        "either way.",
        request=DeployInput,
        responses={201: DeployOutput, 400: ERROR, 403: ERROR, 409: ERROR, 504: ERROR},
    )
    def post(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id, write=True)
        data = self.valid(self.DeployInput)
        deployment = services.function_deploy(function=function, actor=request.user, **data)
        return self.created(self.output(DeployOutput, deployment))


class VersionListView(WorkspaceView):
    @extend_schema(summary="List versions, newest first", responses=VersionSummaryOutput(many=True))
    def get(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id)
        return self.paginated(selectors.version_list(function), VersionSummaryOutput)


class VersionDetailView(WorkspaceView):
    @extend_schema(summary="Get a version", responses=VersionOutput)
    def get(self, request, ws, function_id, number):
        function = access.function_for_user(request.user, self.workspace, function_id)
        version = access.version_for_user(request.user, function, number)
        return Response(VersionOutput(version).data)


class VersionRestoreView(WorkspaceView):
    @extend_schema(
        summary="Copy a version into the draft",
        request=None,
        responses={200: FunctionOutput, 403: ERROR},
    )
    def post(self, request, ws, function_id, number):
        function = access.function_for_user(request.user, self.workspace, function_id, write=True)
        version = access.version_for_user(request.user, function, number)
        services.function_restore(function=function, actor=request.user, version=version)
        return Response(FunctionOutput(function).data)


class FunctionTestView(WorkspaceView):
    class TestInput(serializers.Serializer):
        request = JSONObjectField(
            required=False,
            help_text="{method, url, headers, body | rawBody} or {payload: {body, headers, "
            "queryParameters}}; the sample's when a sample is given without it.",
        )
        sample = serializers.IntegerField(
            required=False,
            help_text="Run with this sample's test settings (instead of the function's).",
        )
        settings = JSONObjectField(
            required=False,
            help_text="Setting values for this run, over the stored test values (the "
            "sample's, or the function's); null leaves one out.",
        )
        code = serializers.CharField(
            required=False, trim_whitespace=False, help_text="Unsaved code to run instead."
        )
        version = serializers.IntegerField(required=False, help_text="Run this version.")

    @extend_schema(
        summary="Run the draft (or code, or a version) on a request in a worker",
        request=TestInput,
        responses={200: RunResultOutput, 400: ERROR, 403: ERROR, 504: ERROR},
    )
    def post(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id)
        data = self.valid(self.TestInput)
        if "version" in data:
            data["version"] = version_field(request.user, function, data["version"])
        if "sample" in data:
            data["sample"] = sample_field(request.user, function, data["sample"])
        result = services.function_test_run(function=function, actor=request.user, **data)
        return Response(result)


class FunctionTestSettingsView(WorkspaceView):
    class TestSettingsInput(serializers.Serializer):
        settings = JSONObjectField(
            help_text='Values by name, over those kept: null or "" clears one (a secret '
            'too), an absent name or {"set": true} (how a secret shows) keeps it.'
        )

    @extend_schema(
        summary="Keep setting values for the editor's Run of a request that is no sample "
        "(secrets stay write-only)",
        request=TestSettingsInput,
        responses={200: FunctionOutput, 400: ERROR, 403: ERROR},
    )
    def patch(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id)
        data = self.valid(self.TestSettingsInput)
        services.function_set_test_values(
            function=function, actor=request.user, values=data["settings"]
        )
        return Response(FunctionOutput(function).data)


class TemplateListView(WorkspaceView):
    @extend_schema(summary="List function templates", responses=TemplateSummaryOutput(many=True))
    def get(self, request, ws):
        from catalog import function_templates

        return self.paginated(function_templates.all_templates(), TemplateSummaryOutput)


class TemplateDetailView(WorkspaceView):
    @extend_schema(summary="Get a template with its code and samples", responses=TemplateOutput)
    def get(self, request, ws, slug):
        from catalog import function_templates

        try:
            template = function_templates.get_template(slug)
        except (KeyError, LookupError, ValueError):
            raise Http404("No such template.") from None
        return Response(TemplateOutput(template).data)
