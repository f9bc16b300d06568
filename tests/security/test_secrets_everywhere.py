"""A secret setting's plaintext (a source's value and a function's test value), an API
token and an invite link appear nowhere: not in any table (raw SQL on every one), any
API GET answer of the workspace (catalog and ingest, generated from the URL conf), any
rendered page, the audit log, the broker message of a test run, or any log line (DEBUG,
SQL with its parameters included), through a whole flow: configure, receive a webhook,
execute it, replay it. The runner still gets the plaintext.

tests/catalog/test_secrets_never_leak.py covers the catalog's writes in detail; this
is the product-wide sweep."""

import json
import logging
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from catalog import tasks
from catalog.models import AuditEntry, Role
from catalog.services import invite_create
from ingest.execute import runtime
from ingest.models import Destination, IngestEvent
from ingest.services import ingest_event_execute
from tests.catalog.helpers import API, API_KEY, REGION, connect, create_function, deploy
from tests.factories import member
from tests.security import test_authorization_matrix as matrix

pytestmark = pytest.mark.django_db

SOURCE_SECRET = "sk_live_SOURCE_9f3a7c_never_shown"
TEST_SECRET = "sk_test_EDITOR_5b1e2d_never_shown"
WRITE_KEY = "wk_FORWARDING_77aa01_never_shown"


def every_row() -> str:
    """Every value of every table, as text (bytes decoded both ways)."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from Django)
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        dump.append(bytes(value).decode("latin-1"))
                    else:
                        dump.append(str(value))
    return "\n".join(dump)


class Failing(Exception):
    """The second attempt fails, so the event becomes a dead letter with two executions."""


@pytest.fixture
def flow(owner, owner_api, workspace, caplog):
    """Everything a workspace does with a secret, with DEBUG and SQL logging on."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True
    ran_with, sent_to_broker = [], []
    try:
        function = create_function(owner_api, settings=[REGION, API_KEY])
        deploy(owner_api, function["id"])
        source = connect(owner_api, function["id"], settings={"apiKey": SOURCE_SECRET})
        owner_api.patch(
            f"{API}/functions/{function['id']}/test-settings/",
            {"settings": {"apiKey": TEST_SECRET}},
            format="json",
        )
        with mock.patch.object(tasks.run_function_test, "apply_async") as queued:
            queued.return_value.get.return_value = {"events": [], "logs": [], "error": None}
            owner_api.post(
                f"{API}/functions/{function['id']}/test/",
                {"request": {"body": {}}, "settings": {"region": "eu"}},
                format="json",
            )
        sent_to_broker.append(json.dumps(queued.call_args.kwargs, default=str))
        Destination.objects.create(
            workspace=workspace, name="Collector", kind="segment",
            config={"preset": "custom", "base_url": "https://collector.example"},
            credentials={"write_key": WRITE_KEY},
        )  # fmt: skip
        event_id = _receive_and_execute(source, ran_with)
        owner_api.post(
            f"{API}/sources/{source['slug']}/dead-letters/replay/", {"ids": [event_id]},
            format="json",
        )  # fmt: skip
        raw_token = owner_api._credentials["HTTP_AUTHORIZATION"].split()[1]
        invitee = member(workspace, Role.MEMBER, "invitee@acme.example")
        invite = invite_create(workspace=workspace, user=invitee, actor=owner)
    finally:
        connection.force_debug_cursor = False
    return {
        "function": function,
        "source": source,
        "ran_with": ran_with,
        "broker": sent_to_broker,
        "credentials": [raw_token, invite.rstrip("/").rsplit("/", 1)[1]],
    }


def _receive_and_execute(source: dict, ran_with: list) -> int:
    """A webhook in; its first execution retries, the second fails: a dead letter."""
    token = source["webhook_url"].rsplit("/", 1)[1]
    with mock.patch("ingest.queue.execute_soon"):
        response = Client().post(f"/hooks/{token}", '{"id": 1}', content_type="application/json")
    event_id = response.json()["id"]

    def run(*, version, invocations):
        ran_with.extend(invocation.settings for invocation in invocations)
        if len(ran_with) == 1:
            return [
                runtime.Outcome(
                    error={"name": "RetryError", "message": "later", "stack": ""},
                    logs=[{"level": "log", "message": "calling the API"}],
                    fetches=[{"method": "GET", "url": "https://api.example/x", "status": 503}],
                )
            ]
        raise Failing("the runner broke")

    with (
        mock.patch.object(runtime, "execute", side_effect=run),
        mock.patch("ingest.queue.retry"),
    ):
        ingest_event_execute(ingest_event_id=event_id)
        # the last attempt, and it is due
        IngestEvent.objects.filter(pk=event_id).update(attempts=5, next_attempt_at=timezone.now())
        ingest_event_execute(ingest_event_id=event_id)
    assert IngestEvent.objects.get(pk=event_id).status == IngestEvent.Status.FAILED
    return event_id


SECRETS = (SOURCE_SECRET, TEST_SECRET, WRITE_KEY)
_SCRATCH: dict[int, int] = {}  # user id -> the scratch test URL the routes use


def leaks(text: str, extra=()) -> list[str]:
    return [secret for secret in (*SECRETS, *extra) if secret in text]


def test_the_runner_gets_the_plaintext(flow):
    assert flow["ran_with"][0] == {"apiKey": SOURCE_SECRET}


def test_no_table_holds_a_secret_or_a_credential_in_plaintext(flow):
    assert not leaks(every_row(), flow["credentials"])
    assert Destination.objects.get().credentials == {"write_key": WRITE_KEY}  # encrypted, readable


def test_the_broker_message_of_a_test_run_is_sealed(flow):
    assert not leaks(flow["broker"][0])


def test_no_api_answer_of_the_workspace_shows_a_secret(flow, owner, workspace, api_client_for):
    """Every GET of the API, found in the URL conf (via the authorization matrix)."""
    client = Client()
    client.force_login(owner)
    # An object's history needs an object of the flow's source (its list is read); a
    # scratch test URL's capture, one sent to it: the list of its captures is read.
    unreadable = {"object-changes", "scratch-capture"}
    urls = [
        _url(flow, owner, name)
        for name, method in matrix.cases(matrix.Api)
        if method == "get" and name not in unreadable
    ]
    assert any("/logs/" in url for url in urls) and any("dead-letters" in url for url in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:200])
        assert not leaks(response.content.decode()), url


def test_no_page_shows_a_secret(flow, owner):
    client = Client()
    client.force_login(owner)
    for name, _ in matrix.cases(matrix.Page):
        url = _url(flow, owner, name)
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert not leaks(response.content.decode()), url


def test_the_audit_log_names_settings_but_never_their_values(flow, owner_api):
    entries = json.dumps(list(AuditEntry.objects.values("action", "details")), default=str)
    assert not leaks(entries, flow["credentials"])
    assert "apiKey" in entries
    assert not leaks(owner_api.get(f"{API}/audit/?limit=200").content.decode())


def test_no_log_line_holds_a_secret_or_a_credential(flow, caplog):
    lines = [record.getMessage() for record in caplog.get_records("setup")]
    text = "\n".join(lines)
    assert "INSERT" in text and "UPDATE" in text  # SQL was logged with its parameters
    assert "could not be executed" in text  # the runner failure was logged
    assert not leaks(text, flow["credentials"])
    tracebacks = "\n".join(
        logging.Formatter().formatException(r.exc_info)
        for r in caplog.get_records("setup")
        if r.exc_info
    )
    assert not leaks(tracebacks)


def _url(flow: dict, user, name: str) -> str:
    from django.urls import reverse

    from catalog.models import AccessToken, FunctionSample, Membership, SavedTest, Source, Workspace
    from ingest.models import Capture, Destination, Execution

    function_id = flow["function"]["id"]
    values = {
        "ws": "acme",
        "function_id": function_id,
        "slug": "default" if name == "catalog:template-detail" else flow["source"]["slug"],
        "number": 1,
        "capture_id": Capture.objects.get_or_create(
            function_id=function_id, defaults={"method": "POST", "path": "/hooks/test/x"}
        )[0].pk,
        "member_id": Membership.objects.filter(user=user).first().pk,
        "token_id": AccessToken.objects.filter(user=user).first().pk,
        # the first execution: the one with console output and a fetch call
        "execution_id": Execution.objects.filter(source__slug=flow["source"]["slug"])
        .order_by("pk")
        .first()
        .pk,
        # the destination with the write key
        "destination_id": Destination.objects.get().pk,
        "test_id": SavedTest.objects.get_or_create(
            function_id=function_id,
            name="a saved test",
            defaults={"request": {"body": {}}, "expect": {"events": []}},
        )[0].pk,
    }
    # Made only for the routes that name them (a user has at most 5 scratch test URLs).
    made = {
        "sample_id": lambda: (
            FunctionSample.objects.get_or_create(
                function_id=function_id, name="a sample", defaults={"request": {"body": {}}}
            )[0].pk
        ),
        "preview_id": lambda: (
            matrix._preview(
                Source.objects.get(workspace__slug="acme", slug=flow["source"]["slug"])
            ).pk
        ),
        "catcher_id": lambda: _SCRATCH.setdefault(
            user.pk, matrix._scratch(Workspace.objects.get(slug="acme"), user).pk
        ),
    }
    kwargs = matrix.ROUTES[name].kwargs
    values.update({k: make() for k, make in made.items() if k in kwargs})
    return reverse(name, kwargs={k: values[k] for k in kwargs})
