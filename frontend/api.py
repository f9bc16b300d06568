"""The one JSON endpoint of the pages: Run for a function that is not created yet.

The editor of a new function runs its code before Configure creates the function, so
there is no `functions/<id>/test/` to call. This runs the same service on an unsaved
Function (nothing is written) with the same permission check and error shape.
"""

from rest_framework import serializers
from rest_framework.response import Response

from catalog import access, policy, services
from catalog.api.base import WorkspaceView
from catalog.models import Function, Interface
from catalog.serializers import JSONObjectField
from catalog.setting_schema import clean_definitions


class ScratchTestView(WorkspaceView):
    class ScratchTestInput(serializers.Serializer):
        request = JSONObjectField()
        code = serializers.CharField(trim_whitespace=False, allow_blank=True)
        settings = JSONObjectField(required=False)
        definitions = serializers.ListField(child=serializers.DictField(), required=False)
        interface = serializers.ChoiceField(choices=Interface.choices, required=False)

    schema = None  # not part of the public API

    def post(self, request, ws):
        data = self.valid(self.ScratchTestInput)
        function = Function(
            workspace=self.workspace,
            name="(new function)",
            draft_code=data["code"],
            draft_settings=clean_definitions(data.get("definitions", [])),
            interface=data.get("interface", Interface.ON_REQUEST),
            test_values={},
            test_secrets={},
        )
        access.ensure_member_role(
            request.user,
            self.workspace,
            policy.can_test_functions,
            "Only workspace owners and source admins may run functions.",
        )
        result = services.function_test_run(
            function=function,
            actor=request.user,
            request=data["request"],
            settings=data.get("settings") or {},
            code=data["code"],
        )
        return Response(result)
