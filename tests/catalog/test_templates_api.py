"""The templates endpoint serves the template library; a function can start from one."""

import pytest

from catalog import function_templates
from catalog.models import Function
from tests.catalog.helpers import API

pytestmark = pytest.mark.django_db


def test_templates_are_listed_with_their_settings(owner_api):
    body = owner_api.get(f"{API}/templates/?limit=100").json()
    slugs = [t["slug"] for t in body["results"]]
    assert slugs == [t.slug for t in function_templates.all_templates()]
    assert body["count"] >= 12 and slugs[0] == "default"
    detail = owner_api.get(f"{API}/templates/stripe/").json()
    assert detail["code"] == function_templates.get_template("stripe").code
    assert detail["samples"]
    assert owner_api.get(f"{API}/templates/nope/").status_code == 404


def test_a_function_created_from_a_template_copies_its_draft(owner_api):
    template = function_templates.get_template("stripe")

    response = owner_api.post(f"{API}/functions/", {"template": "stripe"}, format="json")

    created = response.json()

    assert created["name"] == template.name and created["code"] == template.code
    assert [s["name"] for s in created["settings"]] == [s["name"] for s in template.settings]
    assert Function.objects.get().deployed_version is None


def test_an_unknown_template_is_a_field_error(owner_api):
    response = owner_api.post(f"{API}/functions/", {"template": "nope"}, format="json")
    assert response.json()["errors"] == {"template": ["There is no template 'nope'."]}
