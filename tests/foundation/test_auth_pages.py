import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_login_page_and_redirect_for_anonymous(client):
    assert client.get("/login/").status_code == 200
    response = client.get("/workspaces/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_log_in_and_out(client):
    get_user_model().objects.create_user("ada", "ada@example.com", "correct horse 42")
    bad = client.post("/login/", {"username": "ada", "password": "wrong"})
    assert b"didn't match" in bad.content
    ok = client.post("/login/", {"username": "ada", "password": "correct horse 42"})
    assert ok.status_code == 302 and ok["Location"] == "/workspaces/"
    assert client.get("/workspaces/").status_code == 200
    client.post("/logout/")
    assert client.get("/workspaces/").status_code == 302


def test_openapi_schema_is_served(client):
    get_user_model().objects.create_user("ada", "ada@example.com", "correct horse 42")
    client.login(username="ada", password="correct horse 42")
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi: 3" in response.content
