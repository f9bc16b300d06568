"""The OpenAPI schema is generated without warnings and served."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    assert "/api/v1/workspaces/{ws}/functions/{function_id}/deploy/" in schema
    assert (
        "/api/v1/workspaces/{ws}/functions/{function_id}/previews/{preview_id}/webhooks/" in schema
    )
    assert "bearerAuth" in schema


def test_schema_and_docs_are_served(owner_api):
    assert owner_api.get("/api/schema/").status_code == 200
    assert owner_api.get("/api/docs/").status_code == 200
