"""Issue 18.2, login brute force: 200 wrong passwords from one client in 46 s were all
answered, and the right one then worked.

Failed logins are counted per account and per client (catalog.login_throttle, over the
cache). Past LOGIN_FAILURES_PER_ACCOUNT for an account, or LOGIN_FAILURES_PER_CLIENT
from a client, within LOGIN_FAILURE_WINDOW_MINUTES, every password check of it is
refused with a "too many attempts, try again in N minutes" page (HTTP 429), the right
password too, until the window ends. Other accounts and clients are not affected, and
sessions and API tokens keep working. There is no password login on the API: it takes
Bearer tokens only (tested below), so the pages are the only paths to throttle."""

import re
import time as real_time

import django_ratelimit.core
import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import PASSWORD, WorkspaceFactory, bearer, member

pytestmark = pytest.mark.django_db

WRONG = "not the password 0"
ACCOUNT_LIMIT, CLIENT_LIMIT, WINDOW_MINUTES = 10, 50, 15


class Clock:
    """The throttle's clock, held still so a counting window cannot end mid-test."""

    def __init__(self) -> None:
        self.now = real_time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    cache.clear()
    clock = Clock()
    monkeypatch.setattr(django_ratelimit.core, "time", clock)
    yield clock
    cache.clear()  # the counts live in the process's cache: leave none to other tests


@pytest.fixture
def acme(db):
    workspace = WorkspaceFactory(slug="acme")
    return {
        "workspace": workspace,
        "ada": member(workspace, "owner", "ada@acme.example"),
        "bob": member(workspace, "member", "bob@acme.example"),
    }


def from_client(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def log_in(client: Client, email: str, password: str):
    return client.post("/login/", {"username": email, "password": password})


def minutes_in(response) -> int:
    found = re.search(r"Try again in (\d+) minutes?\.", response.content.decode())
    assert found, response.content[:500]
    return int(found[1])


def assert_locked(response) -> None:
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    minutes = minutes_in(response)
    assert 1 <= minutes <= WINDOW_MINUTES
    assert -(-int(response["Retry-After"]) // 60) == minutes  # the page and header agree


def test_wrong_passwords_lock_the_account_and_the_right_one_is_refused(acme):
    attacker = from_client("203.0.113.7")
    answers = [log_in(attacker, "ada@acme.example", WRONG) for _ in range(200)]

    assert all(a.status_code == 200 for a in answers[: ACCOUNT_LIMIT - 1])  # the form again
    for answer in answers[ACCOUNT_LIMIT - 1 :]:
        assert_locked(answer)
    right = log_in(attacker, "ada@acme.example", PASSWORD)
    assert_locked(right)
    assert "_auth_user_id" not in attacker.session
    # From anywhere: the account is locked, not only the client.
    elsewhere = from_client("198.51.100.20")
    assert_locked(log_in(elsewhere, "Ada@Acme.example ", PASSWORD))
    assert "_auth_user_id" not in elsewhere.session


def test_other_accounts_and_clients_are_not_affected(acme):
    attacker = from_client("203.0.113.7")
    for _ in range(ACCOUNT_LIMIT):
        log_in(attacker, "ada@acme.example", WRONG)

    bob_elsewhere = from_client("198.51.100.20")
    assert log_in(bob_elsewhere, "bob@acme.example", PASSWORD).status_code == 302
    # The attacker's client is not locked yet (its own limit is higher): bob there too.
    bob_same_network = from_client("203.0.113.7")
    assert log_in(bob_same_network, "bob@acme.example", PASSWORD).status_code == 302


def test_one_client_trying_many_accounts_is_locked(acme):
    attacker = from_client("203.0.113.7")
    for n in range(CLIENT_LIMIT):
        answer = log_in(attacker, f"guess{n}@acme.example", WRONG)
    assert_locked(answer)
    assert_locked(log_in(attacker, "bob@acme.example", PASSWORD))
    assert log_in(from_client("198.51.100.20"), "bob@acme.example", PASSWORD).status_code == 302


def test_sessions_and_tokens_keep_working_while_the_account_is_locked(acme):
    ada, workspace = acme["ada"], acme["workspace"]
    session = Client()
    session.force_login(ada)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=bearer(ada, workspace))
    attacker = from_client("203.0.113.7")
    for _ in range(ACCOUNT_LIMIT):
        log_in(attacker, ada.email, WRONG)
    assert_locked(log_in(attacker, ada.email, PASSWORD))

    assert session.get("/api/v1/workspaces/acme/").status_code == 200
    assert session.get("/workspaces/acme/functions/").status_code == 200
    assert api.get("/api/v1/workspaces/acme/").status_code == 200


def test_the_lock_ends_when_the_page_says(acme, clock):
    attacker = from_client("203.0.113.7")
    for _ in range(ACCOUNT_LIMIT):
        locked = log_in(attacker, "ada@acme.example", WRONG)
    wait = int(locked["Retry-After"])

    clock.now += wait - 1
    assert_locked(log_in(attacker, "ada@acme.example", PASSWORD))
    clock.now += 2
    assert log_in(attacker, "ada@acme.example", PASSWORD).status_code == 302


def test_the_invite_page_password_is_throttled_too(acme):
    from catalog.services import member_invite

    other = WorkspaceFactory(slug="other")
    owner = member(other, "owner", "owner@other.example")
    link = member_invite(workspace=other, actor=owner, email="ada@acme.example", role="owner")
    path = "/" + link.invite_url.split("/", 3)[3]
    guesser = from_client("203.0.113.7")
    answers = [guesser.post(path, {"password": WRONG}) for _ in range(ACCOUNT_LIMIT)]
    assert all(a.status_code == 200 for a in answers[:-1])
    assert_locked(answers[-1])
    assert_locked(guesser.post(path, {"password": PASSWORD}))
    assert not acme["ada"].memberships.filter(workspace=other).exists()


def test_the_api_takes_no_password(acme):
    """No password login on the API to throttle: Basic credentials are not accepted."""
    import base64

    api = APIClient()
    basic = base64.b64encode(f"ada@acme.example:{PASSWORD}".encode()).decode()
    api.credentials(HTTP_AUTHORIZATION=f"Basic {basic}")
    assert api.get("/api/v1/workspaces/").status_code == 401
