"""Saved tests of a function: list, create, change, delete, and run them all."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from catalog import access, policy, services
from catalog.api.base import WorkspaceView
from catalog.masking import mask_request
from catalog.models import SavedTest
from catalog.policy import Action
from catalog.serializers import JSONObjectField, RunResultOutput, UserField

ERROR = OpenApiResponse(description="A JSON object with `detail` (and `errors` per field).")


class SavedTestOutput(serializers.ModelSerializer):
    request = serializers.SerializerMethodField(
        help_text="As saved, in either request form; for who may not see credentials, "
        "credential headers are masked and the tokens of test and webhook URLs shortened."
    )
    created_by = UserField()

    class Meta:
        model = SavedTest
        fields = [
            "id", "name", "request", "settings", "secret_settings", "expect",
            "created_by", "created_at", "updated_at",
        ]  # fmt: skip

    def get_request(self, test) -> dict:
        membership = self.context.get("membership")
        if policy.allows(membership, Action.SEE_CREDENTIALS):
            return test.request
        return mask_request(test.request)


class SavedTestInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    request = JSONObjectField(
        help_text="{method, url, headers, body | rawBody} or {payload: {body, headers, "
        "queryParameters}}; the body is kept exactly as given."
    )
    settings = JSONObjectField(
        required=False, help_text="Plain setting values for this test (no secrets)."
    )
    secret_settings = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Encrypted settings whose value is the function's test secret (a "
        "reference: the value is never copied into the test).",
    )
    expect = JSONObjectField(
        help_text='{"events": [...], "objects": [...]} (a subset per message, "*" for any '
        'value) or {"error": {"name", "message"}}: docs/catalog.md, Saved tests.'
    )


class TestOutcomeOutput(serializers.Serializer):
    id = serializers.IntegerField(source="test.id")
    name = serializers.CharField(source="test.name")
    passed = serializers.BooleanField()
    differences = serializers.ListField(child=serializers.CharField())
    result = RunResultOutput(allow_null=True, help_text="What the run produced.")


class TestRunOutput(serializers.Serializer):
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    tests = TestOutcomeOutput(many=True)


class SavedTestListView(WorkspaceView):
    @extend_schema(summary="List a function's saved tests", responses=SavedTestOutput(many=True))
    def get(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id)
        return self.paginated(function.saved_tests.select_related("created_by"), SavedTestOutput)

    @extend_schema(
        summary="Save a test of the function",
        request=SavedTestInput,
        responses={201: SavedTestOutput, 400: ERROR, 403: ERROR},
    )
    def post(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id, write=True)
        data = self.valid(SavedTestInput)
        test = services.saved_test_create(function=function, actor=request.user, **data)
        return self.created(self.output(SavedTestOutput, test))


class SavedTestDetailView(WorkspaceView):
    @extend_schema(summary="Get a saved test", responses=SavedTestOutput)
    def get(self, request, ws, function_id, test_id):
        function = access.function_for_user(request.user, self.workspace, function_id)
        test = access.saved_test_for_user(request.user, function, test_id)
        return Response(self.output(SavedTestOutput, test))

    @extend_schema(
        summary="Change a saved test",
        request=SavedTestInput(partial=True),
        responses={200: SavedTestOutput, 400: ERROR, 403: ERROR},
    )
    def patch(self, request, ws, function_id, test_id):
        function = access.function_for_user(request.user, self.workspace, function_id)
        test = access.saved_test_for_user(request.user, function, test_id, write=True)
        data = self.valid(SavedTestInput, partial=True)
        services.saved_test_update(saved_test=test, actor=request.user, **data)
        return Response(self.output(SavedTestOutput, test))

    @extend_schema(summary="Delete a saved test", responses={204: None, 403: ERROR})
    def delete(self, request, ws, function_id, test_id):
        function = access.function_for_user(request.user, self.workspace, function_id)
        test = access.saved_test_for_user(request.user, function, test_id, write=True)
        services.saved_test_delete(saved_test=test, actor=request.user)
        return Response(status=204)


class SavedTestRunView(WorkspaceView):
    class RunInput(serializers.Serializer):
        code = serializers.CharField(
            required=False, trim_whitespace=False, help_text="Unsaved code to run instead."
        )

    @extend_schema(
        summary="Run every saved test on the draft (or on unsaved code) in a worker",
        request=RunInput,
        responses={200: TestRunOutput, 403: ERROR, 504: ERROR},
    )
    def post(self, request, ws, function_id):
        function = access.function_for_user(request.user, self.workspace, function_id)
        data = self.valid(self.RunInput)
        outcomes = services.saved_tests_run(function=function, actor=request.user, **data)
        failed = sum(not outcome.passed for outcome in outcomes)
        body = {"passed": len(outcomes) - failed, "failed": failed, "tests": outcomes}
        return Response(TestRunOutput(body).data)
