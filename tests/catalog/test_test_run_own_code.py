"""A source admin runs the saved draft, never code of their own: their own code could
print the test secrets that only owners may know."""

import pytest

from tests.catalog.helpers import API, API_KEY, create_function

pytestmark = pytest.mark.django_db
REQUEST = {"method": "POST", "url": "https://example.com/hook", "headers": {}, "body": {}}
LEAK = "async function onRequest(r, s) { console.log(s.apiKey); }"


def test_a_source_admin_cannot_run_unsaved_code(owner_api, source_admin, workspace, api_client_for):
    function = create_function(owner_api, settings=[API_KEY])
    owner_api.put(
        f"{API}/functions/{function['id']}/test-settings/",
        {"apiKey": "sk_owner_only"},
        format="json",
    )
    admin_api = api_client_for(source_admin, workspace)
    response = admin_api.post(
        f"{API}/functions/{function['id']}/test/", {"request": REQUEST, "code": LEAK}, format="json"
    )
    assert response.status_code == 403
    assert "saved draft" in response.json()["detail"]
    assert "sk_owner_only" not in response.content.decode()
