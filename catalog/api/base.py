"""What every API view shares: the workspace of the URL, pagination and errors.

Errors are JSON with a `detail` sentence; validation errors add `errors`, a map from
the field a user would fix (`name`, `settings.apiKey`, `settings[2].type`) to messages,
and their `detail` says the first fields' problems in words ("Name of setting 3: …").
"""

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from catalog import access, policy
from catalog.errors import CatalogError


def exception_handler(exc, context):
    """DRF's handler, plus service errors, and one error shape for every status."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, CatalogError):
        return Response({"detail": exc.message, **exc.extra}, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        # Django's own answer was an HTML page with a 400: the CLI and the editor got no
        # JSON to say why.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"detail": f"The request body is larger than {limit:,} bytes, the most the API takes."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(response.data)
    return response


# How many fields `detail` names; `errors` has them all.
FIELDS_IN_DETAIL = 3


def _validation_body(data) -> dict:
    if isinstance(data, list):
        return {"detail": " ".join(str(m) for m in data), "errors": {}}
    errors = {field: _flat(messages) for field, messages in data.items()}
    said = [_said(field, messages) for field, messages in list(errors.items())[:FIELDS_IN_DETAIL]]
    more = len(errors) - len(said)
    if more:
        said.append(f"And {more} more field{'s' if more > 1 else ''}: see 'errors'.")
    return {"detail": " ".join(said), "errors": errors}


def _said(field: str, messages: list[str]) -> str:
    """One field's problem as a sentence: "Name of setting 2: Must be …"."""
    words = field_in_words(field)
    text = " ".join(messages)
    return f"{words[:1].upper()}{words[1:]}: {text}" if words else text


_INDEXED = re.compile(r"^(?P<name>[^\[]+)\[(?P<index>\d+)\]$")


def field_in_words(field: str) -> str:
    """An error key as a user reads it: `settings[1].name` is "name of setting 2",
    `settings.apiKey` "setting apiKey", `retry_policy.attempts` "attempts of retry
    policy"; a key that is no field (non_field_errors, detail) says nothing."""
    if field in ("non_field_errors", "detail"):
        return ""
    parts = field.split(".")
    if len(parts) == 2 and parts[0] == "settings":
        return f"setting {parts[1]}"
    words = []
    for part in parts:
        indexed = _INDEXED.match(part)
        if indexed:
            singular = indexed["name"].removesuffix("s").replace("_", " ")
            words.append(f"{singular} {int(indexed['index']) + 1}")
        else:
            words.append(part.replace("_", " "))
    return " of ".join(reversed(words))


def _flat(messages) -> list[str]:
    if isinstance(messages, dict):
        return [f"{k}: {m}" for k, v in messages.items() for m in _flat(v)]
    if isinstance(messages, list):
        return [m for item in messages for m in _flat(item)]
    return [str(messages)]


# Past this offset a list is not paged through but probed: the database would still
# walk every row before it (and past 2**63 it cannot even take the number).
MAX_OFFSET = 1_000_000_000


class ApiPagination(LimitOffsetPagination):
    """The one pagination of the API: `limit` (1 to API_MAX_PAGE_SIZE, default
    PAGE_SIZE) and `offset`, with `count`, `next` and `previous` links. A limit or
    offset that is not a whole number in range is a 400 that says the range, never a
    silent default nor an unbounded page."""

    def __init__(self) -> None:
        self.max_limit = settings.API_MAX_PAGE_SIZE
        self.default_limit = min(settings.REST_FRAMEWORK["PAGE_SIZE"], self.max_limit)

    def get_limit(self, request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw in (None, ""):
            return self.default_limit
        return _whole_number(raw, self.limit_query_param, 1, self.max_limit)

    def get_offset(self, request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw in (None, ""):
            return 0
        return _whole_number(raw, self.offset_query_param, 0, MAX_OFFSET)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        limit, offset = super().get_schema_operation_parameters(view)
        limit["schema"].update(minimum=1, maximum=self.max_limit, default=self.default_limit)
        limit["description"] = (
            f"How many results (1 to {self.max_limit}, default {self.default_limit})."
        )
        offset["schema"].update(minimum=0, maximum=MAX_OFFSET, default=0)
        return [limit, offset]


def _refuse_nul_parameters(query) -> None:
    """No query parameter may hold a NUL character (`?search=%00`): PostgreSQL cannot
    compare text with one, and the filter was a 500 (SQLite answered)."""
    for name, values in query.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            shown = name.replace("\x00", "\\u0000")
            raise exceptions.ValidationError(
                {shown: "Holds a NUL character (%00): no query parameter may."}
            )


def _whole_number(raw: str, name: str, low: int, high: int) -> int:
    message = f"Must be a whole number from {low} to {high}."
    # Digits only (int() would also take " 7", "+7" and "7_0"), and few of them: past
    # 4,300 digits int() refuses to parse at all.
    digits = raw.isascii() and raw.isdigit() and len(raw) <= 20
    if not digits or not low <= int(raw) <= high:
        raise exceptions.ValidationError({name: message})
    return int(raw)


class CatalogView(APIView):
    pagination_class = ApiPagination

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        _refuse_nul_parameters(request.query_params)

    def get_exception_handler(self):
        return exception_handler

    def serializer_context(self) -> dict:
        return {"request": self.request}

    def output(self, serializer_class, instance) -> dict:
        """instance in an output serializer, which may show the viewer more or less."""
        return serializer_class(instance, context=self.serializer_context()).data

    def paginated(self, rows, serializer_class) -> Response:
        """One page of rows (a queryset or a list) in serializer_class, with links."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, self.request, view=self)
        data = serializer_class(page, many=True, context=self.serializer_context()).data
        return paginator.get_paginated_response(data)


class WorkspaceView(CatalogView):
    """Base of every view under /api/v1/workspaces/<ws>/: sets self.workspace."""

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.workspace = access.workspace_for_request(request, kwargs["ws"])

    def serializer_context(self) -> dict:
        """With the viewer's membership: serializers ask catalog.policy what it may see."""
        membership = policy.membership_of(self.request.user, self.workspace)
        return {**super().serializer_context(), "membership": membership}

    def valid(self, serializer_class, *, partial: bool = False) -> dict:
        """The request body validated by an input serializer."""
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @staticmethod
    def created(data) -> Response:
        return Response(data, status=status.HTTP_201_CREATED)
