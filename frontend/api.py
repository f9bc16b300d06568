"""The one JSON endpoint of the pages: Run for a function that is not created yet.

The editor of a new function runs its code before Configure creates the function, so
there is no `functions/<id>/test/` to call. This runs catalog.services.code_test_run on
the code, setting definitions and interface of the editor (nothing is written), with the
same permission and error shape.
"""

from rest_framework import serializers
from rest_framework.response import Response

from catalog import services
from catalog.api.base import WorkspaceView
from catalog.models import Interface
from catalog.serializers import JSONObjectField


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
        result = services.code_test_run(
            workspace=self.workspace,
            actor=request.user,
            code=data["code"],
            request=data["request"],
            definitions=data.get("definitions", []),
            interface=data.get("interface", Interface.ON_REQUEST),
            settings=data.get("settings") or {},
        )
        return Response(result)
