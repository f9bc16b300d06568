"""Samples of a function: list, add, change (its name, request or test settings) and
delete. Run one with `functions/<id>/test/` and `sample`."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from catalog import access, policy, services
from catalog.api.base import WorkspaceView
from catalog.masking import mask_request
from catalog.models import FunctionSample
from catalog.policy import Action
from catalog.serializers import JSONObjectField, MaskedValuesField

ERROR = OpenApiResponse(description="A JSON object with `detail` (and `errors` per field).")


class SampleOutput(serializers.ModelSerializer):
    request = serializers.SerializerMethodField(
        help_text="As kept, in either request form; credential headers are masked for who "
        "may not see them."
    )
    settings = MaskedValuesField("function.draft_settings", "test_values", "test_secrets")

    class Meta:
        model = FunctionSample
        fields = ["id", "name", "request", "settings", "created_at", "updated_at"]

    def get_request(self, sample) -> dict:
        if policy.allows(self.context.get("membership"), Action.SEE_CREDENTIALS):
            return sample.request
        return mask_request(sample.request)


class SampleInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    request = JSONObjectField(
        help_text="{method, url, headers, body | rawBody} or {payload: {body, headers, "
        "queryParameters}}; the body is kept exactly as given."
    )
    settings = JSONObjectField(
        required=False,
        help_text='Its test setting values, over those it has: null or "" clears one, '
        '{"set": true} (how a secret shows) keeps it. Secrets are write-only.',
    )


class SampleListView(WorkspaceView):
    @extend_schema(summary="List a function's samples", responses=SampleOutput(many=True))
    def get(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id)
        samples = function.samples.all()
        for sample in samples:
            sample.function = function
        return self.paginated(samples, SampleOutput)

    @extend_schema(
        summary="Add a sample to the function",
        request=SampleInput,
        responses={201: SampleOutput, 400: ERROR, 403: ERROR},
    )
    def post(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id, write=True)
        data = self.valid(SampleInput)
        sample = services.sample_create(function=function, actor=request.user, **data)
        return self.created(self.output(SampleOutput, sample))


class SampleDetailView(WorkspaceView):
    def sample(self, function_id, sample_id) -> FunctionSample:
        function = access.function_for_user(self.request.user, self.workspace, function_id)
        return access.sample_for_user(self.request.user, function, sample_id)

    @extend_schema(summary="Get a sample", responses=SampleOutput)
    def get(self, request, ws, function_id, sample_id):
        return Response(self.output(SampleOutput, self.sample(function_id, sample_id)))

    @extend_schema(
        summary="Change a sample: its name and request (owners), its test settings (who may Run)",
        request=SampleInput(partial=True),
        responses={200: SampleOutput, 400: ERROR, 403: ERROR},
    )
    def patch(self, request, ws, function_id, sample_id):
        sample = self.sample(function_id, sample_id)
        data = self.valid(SampleInput, partial=True)
        services.sample_update(sample=sample, actor=request.user, **data)
        return Response(self.output(SampleOutput, sample))

    @extend_schema(summary="Delete a sample", responses={204: None, 403: ERROR})
    def delete(self, request, ws, function_id, sample_id):
        sample = self.sample(function_id, sample_id)
        services.sample_delete(sample=sample, actor=request.user)
        return Response(status=204)
