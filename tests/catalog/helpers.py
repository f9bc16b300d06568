"""Small helpers of the catalog tests."""

API = "/api/v1/workspaces/acme"

API_KEY = {
    "name": "apiKey",
    "label": "API key",
    "description": "",
    "type": "string",
    "required": True,
    "encrypted": True,
}
REGION = {
    "name": "region",
    "label": "Region",
    "description": "",
    "type": "string",
    "required": False,
    "encrypted": False,
}


def create_function(api, **body) -> dict:
    body.setdefault("name", "Orders")
    response = api.post(f"{API}/functions/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def deploy(api, function_id: int, **body) -> dict:
    response = api.post(f"{API}/functions/{function_id}/deploy/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def connect(api, function_id: int, **body) -> dict:
    body.setdefault("name", "Orders in")
    response = api.post(f"{API}/sources/", {"function": function_id, **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()
