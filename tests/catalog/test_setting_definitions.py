"""Setting definitions and values are validated, and each error names its field."""

import pytest
from django.core.exceptions import ValidationError

from catalog.setting_schema import clean_definitions, clean_values
from tests.catalog.helpers import API, create_function

pytestmark = pytest.mark.django_db


def errors_of(definitions) -> dict:
    with pytest.raises(ValidationError) as caught:
        clean_definitions(definitions)
    return caught.value.message_dict


def test_definitions_are_normalised():
    assert clean_definitions([{"name": "apiKey", "encrypted": True}]) == [
        {
            "name": "apiKey",
            "label": "apiKey",
            "description": "",
            "type": "string",
            "required": False,
            "encrypted": True,
        }
    ]


@pytest.mark.parametrize(
    ("definitions", "field"),
    [
        ([{"name": "api-key"}], "settings[0].name"),
        ([{"name": "1st"}], "settings[0].name"),
        ([{"name": "class"}], "settings[0].name"),
        ([{"name": "ok"}, {"name": "x", "type": "number"}], "settings[1].type"),
        ([{"name": "ok"}, {"name": "ok"}], "settings[1].name"),
        ([{"name": "ok", "required": "yes"}], "settings[0].required"),
        ([{"name": "ok", "secret": True}], "settings[0].secret"),
        (["apiKey"], "settings[0]"),
    ],
)
def test_definition_errors_name_the_field(definitions, field):
    assert field in errors_of(definitions)


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("string", "x", 1),
        ("boolean", False, "true"),
        ("array", ["a", "b"], ["a", 1]),
        ("text_map", {"a": "b"}, {"a": 1}),
    ],
)
def test_values_are_checked_against_their_type(kind, good, bad):
    definitions = clean_definitions([{"name": "value", "type": kind}])
    assert clean_values(definitions, {"value": good}) == ({"value": good}, {})
    with pytest.raises(ValidationError) as caught:
        clean_values(definitions, {"value": bad})
    assert list(caught.value.message_dict) == ["settings.value"]


def test_unknown_and_missing_values_name_the_setting():
    definitions = clean_definitions([{"name": "token", "required": True, "label": "Token"}])
    with pytest.raises(ValidationError) as caught:
        clean_values(definitions, {"other": "x"})
    assert caught.value.message_dict == {
        "settings.other": ["Not a setting of this version."],
        "settings.token": ["Token is required by this version; set a value."],
    }


def test_the_api_answers_with_field_errors(owner_api):
    function = create_function(owner_api)
    response = owner_api.patch(
        f"{API}/functions/{function['id']}/",
        {"settings": [{"name": "ok"}, {"name": "bad name"}]},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["settings[1].name"]
    assert body["detail"].startswith("Name of setting 2: Must be a JavaScript identifier")
