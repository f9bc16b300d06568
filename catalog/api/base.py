"""What every catalog API view shares: the workspace of the URL, pagination and errors.

Errors are JSON with a `detail` sentence; validation errors add `errors`, a map from
the field a user would fix (`name`, `settings.apiKey`, `settings[2].type`) to messages.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from catalog import access
from catalog.errors import CatalogError


def exception_handler(exc, context):
    """DRF's handler, plus service errors, and one error shape for every status."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, CatalogError):
        return Response({"detail": exc.message, **exc.extra}, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(response.data)
    return response


def _validation_body(data) -> dict:
    if isinstance(data, list):
        return {"detail": " ".join(str(m) for m in data), "errors": {}}
    errors = {field: _flat(messages) for field, messages in data.items()}
    first = ", ".join(list(errors)[:3])
    return {"detail": f"Please correct: {first}. See 'errors' for each field.", "errors": errors}


def _flat(messages) -> list[str]:
    if isinstance(messages, dict):
        return [f"{k}: {m}" for k, v in messages.items() for m in _flat(v)]
    if isinstance(messages, list):
        return [m for item in messages for m in _flat(item)]
    return [str(messages)]


class CatalogView(APIView):
    def get_exception_handler(self):
        return exception_handler


class WorkspaceView(CatalogView):
    """Base of every view under /api/v1/workspaces/<ws>/: sets self.workspace."""

    pagination_class = LimitOffsetPagination

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.workspace = access.workspace_for_request(request, kwargs["ws"])

    def paginated(self, queryset, serializer_class) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context={"request": self.request}).data
        return paginator.get_paginated_response(data)

    def valid(self, serializer_class, *, partial: bool = False) -> dict:
        """The request body validated by an input serializer."""
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @staticmethod
    def created(data) -> Response:
        return Response(data, status=status.HTTP_201_CREATED)
