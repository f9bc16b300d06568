"""CSRF on every state-changing page action and session-authenticated API write (never
on webhook URLs or Bearer-token calls), the session cookie's flags, and the security
headers (with a Content-Security-Policy the pages actually comply with). Websockets
from another origin: tests/security/test_websocket_origin.py.

The API writes and the pages are taken from the authorization matrix, which is
generated from the URL conf, so a new endpoint is covered here too."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client

from functions_ide.middleware import ContentSecurityPolicyMiddleware
from tests.factories import bearer as bearer_header
from tests.security import test_authorization_matrix as matrix
from tests.security.test_authorization_matrix import OWNER, WRITES, Api, Page

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
world, world_rows = matrix.world, matrix.world_rows  # the fixtures: rows made once


def session_client(world, principal=OWNER) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"][principal])
    return client


def csrf_token(client: Client) -> str:
    """The token a page hands the browser (cookie + the X-CSRFToken header)."""
    client.get("/login/")
    return client.cookies["csrftoken"].value


def write(client: Client, world, name: str, method: str, **headers):
    matrix.prepare(world, name, method)
    url = matrix.url_of(world, name, OWNER) + matrix.QUERIES.get((name, method), "")
    body = matrix.body_of(world, name, method, OWNER)
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(url, data, content_type="application/json", **headers)


API_WRITES = [(n, m) for n, m in matrix.cases(Api) if m in WRITES]


def test_there_are_api_writes_to_check():
    assert len(API_WRITES) > 20


@pytest.mark.parametrize(("name", "method"), API_WRITES)
def test_a_session_api_write_without_the_csrf_token_is_refused(world, name, method):
    response = write(session_client(world), world, name, method)
    assert response.status_code == 403, response.content[:200]
    assert "CSRF" in response.json()["detail"]


@pytest.mark.parametrize(("name", "method"), API_WRITES)
def test_a_session_api_write_with_the_csrf_token_passes(world, name, method):
    client = session_client(world)
    response = write(client, world, name, method, HTTP_X_CSRFTOKEN=csrf_token(client))
    assert response.status_code in {200, 201, 204}, response.content[:200]


@pytest.mark.parametrize(("name", "method"), API_WRITES)
def test_a_bearer_api_write_needs_no_csrf_token(world, name, method):
    client = Client(enforce_csrf_checks=True)
    bearer = bearer_header(world["users"][OWNER], world["function"].workspace)
    response = write(client, world, name, method, HTTP_AUTHORIZATION=bearer)
    if "ws" in matrix.ROUTES[name].kwargs:
        assert response.status_code in {200, 201, 204}, response.content[:200]
    else:  # one's own invitations: a token, limited to its workspace, sees none
        assert response.status_code == 404, response.content[:200]


def test_a_bearer_token_does_not_lend_a_session_its_csrf_exemption(world):
    """A cookie-authenticated request with a bogus Authorization header is not a token
    call: it fails authentication, it does not skip CSRF."""
    client = session_client(world)
    response = write(
        client, world, "catalog:function-list", "post", HTTP_AUTHORIZATION="Bearer sfi_nope"
    )
    assert response.status_code == 401


# --- page forms (login, logout, invite) -------------------------------------------------


def test_login_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    form = {"username": "owner@acme.example", "password": "correct horse 42"}
    assert client.post("/login/", form).status_code == 403
    token = csrf_token(client)
    response = client.post("/login/", {**form, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_logout_needs_the_csrf_token(world):
    client = session_client(world)
    assert client.post("/logout/").status_code == 403
    assert "_auth_user_id" in client.session
    token = csrf_token(client)
    assert client.post("/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert "_auth_user_id" not in client.session


def test_setting_a_password_through_an_invite_needs_the_csrf_token(world):
    from catalog.services import invite_create

    target = world["target"].user  # has no usable password yet
    url = invite_create(workspace=world["function"].workspace, user=target, actor=None)
    path = "/" + url.split("/", 3)[3]
    client = Client(enforce_csrf_checks=True)
    form = {"new_password1": "a fresh passphrase 7", "new_password2": "a fresh passphrase 7"}
    assert client.post(path, form).status_code == 403
    token = csrf_token(client)
    assert client.post(path, {**form, "csrfmiddlewaretoken": token}).status_code == 302


def test_every_page_is_read_only(world):
    """Pages change nothing themselves: every write is an API call (checked above)."""
    for name, method in matrix.cases(Page):
        assert method == "get", name


# --- webhooks are never CSRF-checked ----------------------------------------------------


@pytest.mark.parametrize("logged_in", [False, True])
def test_webhooks_are_never_csrf_checked(world, logged_in):
    from unittest import mock

    client = session_client(world) if logged_in else Client(enforce_csrf_checks=True)
    source = world["source"]
    with mock.patch("ingest.queue.execute_soon"):
        hook = client.post(f"/hooks/{source.webhook_token}", "{}", content_type="application/json")
    assert hook.status_code == 200
    from ingest import catcher

    token = catcher.catcher_for_function(function=world["function"]).token
    capture = client.post(f"/hooks/test/{token}", "{}", content_type="application/json")
    assert capture.status_code == 200


# --- cookies ----------------------------------------------------------------------------


def test_the_session_cookie_is_httponly_and_samesite_lax(world):
    client = Client()
    client.post("/login/", {"username": "owner@acme.example", "password": "correct horse 42"})
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # plain HTTP in development; see the HTTPS test


def test_the_csrf_cookie_is_samesite_lax(world):
    client = Client()
    client.get("/login/")
    assert client.cookies["csrftoken"]["samesite"] == "Lax"


COOKIE_PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "session_samesite": settings.SESSION_COOKIE_SAMESITE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "csrf_samesite": settings.CSRF_COOKIE_SAMESITE,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "redirect_exempt": settings.SECURE_REDIRECT_EXEMPT,
}))
"""


def cookie_settings(env: dict, tmp_path) -> dict:
    cleared = {"HTTPS", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SETTINGS_ENCRYPTION_KEY"}
    base = {k: v for k, v in os.environ.items() if k not in cleared}
    base.update({"DJANGO_SETTINGS_MODULE": "functions_ide.settings", "DATA_DIR": str(tmp_path)})
    done = subprocess.run(
        [sys.executable, "-c", COOKIE_PROBE],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cookies_are_secure_behind_https(tmp_path):
    conf = cookie_settings({"HTTPS": "1"}, tmp_path)
    assert conf["session_secure"] is True and conf["csrf_secure"] is True
    assert conf["session_httponly"] is True
    assert conf["session_samesite"] == conf["csrf_samesite"] == "Lax"
    assert conf["hsts"] >= 31536000 and conf["ssl_redirect"] is True
    assert any(re.match(p, "healthz") for p in conf["redirect_exempt"])


def test_cookies_are_not_secure_on_plain_http(tmp_path):
    conf = cookie_settings({}, tmp_path)
    assert conf["session_secure"] is False and conf["hsts"] == 0
    assert conf["session_httponly"] is True and conf["session_samesite"] == "Lax"


# --- security headers -------------------------------------------------------------------


def page_urls(world) -> list[str]:
    return [matrix.url_of(world, name, OWNER) for name, _ in matrix.cases(Page)] + [
        "/login/",
        "/api/docs/",
    ]


def csp_directives(response) -> dict[str, set[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: set(part.split()[1:]) for part in policy.split(";") if part.strip()}


def test_every_page_has_the_security_headers(world):
    client = Client()
    client.force_login(world["users"][OWNER])
    for url in page_urls(world):
        response = client.get(url)
        assert response.status_code in {200, 302}, url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url
        csp = csp_directives(response)
        assert csp["default-src"] == {"'self'"}, url
        assert csp["script-src"] == {"'self'"}, url  # no inline script, no eval
        assert csp["frame-ancestors"] == {"'none'"} and csp["object-src"] == {"'none'"}, url
        assert csp["worker-src"] <= {"'self'", "blob:"}, url


def test_api_and_webhook_answers_have_the_headers_too(world):
    client = Client()
    for response in (
        client.get("/api/v1/workspaces/"),
        client.post("/hooks/nope", "{}", content_type="application/json"),
        client.get("/healthz"),
    ):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" in response


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_pages_comply_with_the_policy(world):
    """What the CSP would block in a browser: inline scripts and event-handler attributes
    (JSON data blocks are not executed and are fine)."""
    client = Client()
    client.force_login(world["users"][OWNER])
    for url in page_urls(world):
        response = client.get(url, follow=True)
        html = response.content.decode()
        assert not INLINE_SCRIPT.findall(html), (url, INLINE_SCRIPT.findall(html))
        assert not INLINE_HANDLER.findall(html), (url, INLINE_HANDLER.findall(html)[:3])
        assert "javascript:" not in html, url


def test_the_policy_can_be_replaced_by_the_operator(settings):
    settings.CONTENT_SECURITY_POLICY = "default-src 'none'"
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    assert middleware(None)["Content-Security-Policy"] == "default-src 'none'"


def test_a_view_that_sets_its_own_policy_keeps_it():
    own = HttpResponse()
    own["Content-Security-Policy"] = "sandbox"
    assert ContentSecurityPolicyMiddleware(lambda r: own)(None)["Content-Security-Policy"] == (
        "sandbox"
    )
