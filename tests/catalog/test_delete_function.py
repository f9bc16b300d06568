"""Deleting a function that sources run needs force, and says which sources go."""

import pytest

from catalog.models import AuditEntry, Function, Source
from tests.catalog.helpers import API, connect, create_function, deploy

pytestmark = pytest.mark.django_db


def test_delete_without_force_lists_the_sources_and_keeps_everything(owner_api):
    function = create_function(owner_api)
    deploy(owner_api, function["id"])
    connect(owner_api, function["id"], name="Beta", slug="beta")
    connect(owner_api, function["id"], name="Alpha", slug="alpha")

    response = owner_api.delete(f"{API}/functions/{function['id']}/")

    assert response.status_code == 409
    assert response.json()["sources"] == ["alpha", "beta"]
    assert "alpha, beta" in response.json()["detail"]
    assert "force=true" in response.json()["detail"]
    assert Function.objects.filter(pk=function["id"]).exists()


def test_delete_with_force_takes_the_sources_along(owner_api):
    function = create_function(owner_api)
    deploy(owner_api, function["id"])
    deploy(owner_api, function["id"])
    connect(owner_api, function["id"], slug="alpha")

    response = owner_api.delete(f"{API}/functions/{function['id']}/?force=true")

    assert response.status_code == 204
    assert not Function.objects.exists() and not Source.objects.exists()
    entry = AuditEntry.objects.get(action="function.delete")
    assert entry.details["deleted_sources"] == ["alpha"]


def test_a_function_without_sources_is_deleted_at_once(owner_api):
    function = create_function(owner_api)
    assert owner_api.delete(f"{API}/functions/{function['id']}/").status_code == 204
