"""A secret setting's plaintext is in no database column, no API response, no audit
entry and no log line; the runner still gets it."""

import json
import logging

import pytest
from django.db import connection

from catalog.models import AuditEntry, Function, Source
from catalog.services import source_runtime_settings
from tests.catalog.helpers import API, API_KEY, REGION, connect, create_function, deploy

pytestmark = pytest.mark.django_db(transaction=False)

PLAINTEXT = "sk_live_PLAINTEXT_4242_do_not_leak"
TEST_PLAINTEXT = "sk_test_PLAINTEXT_1717_do_not_leak"


def every_row_as_bytes() -> bytes:
    dump = bytearray()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from Django)
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        dump += bytes(value)
                    else:
                        dump += str(value).encode()
    return bytes(dump)


@pytest.fixture
def configured(owner_api, caplog):
    """Every way a secret comes in: a source's value, a rotation, an upgrade, test values."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # log every SQL statement with its parameters
    responses = []
    try:
        function = create_function(owner_api, settings=[REGION, API_KEY])
        responses.append(deploy(owner_api, function["id"]))
        source = connect(owner_api, function["id"], settings={"apiKey": PLAINTEXT})
        responses.append(source)
        url = f"{API}/sources/{source['slug']}/"
        responses.append(owner_api.patch(url, {"settings": {"region": "eu"}}, format="json").json())
        responses.append(owner_api.post(f"{url}upgrade/", {"version": 1}, format="json").json())
        responses.append(
            owner_api.patch(
                f"{API}/functions/{function['id']}/test-settings/",
                {"settings": {"apiKey": TEST_PLAINTEXT}},
                format="json",
            ).json()
        )
        for path in (
            "sources/",
            f"sources/{source['slug']}/",
            f"functions/{function['id']}/",
            "functions/",
            "audit/",
        ):
            responses.append(owner_api.get(f"{API}/{path}").json())
    finally:
        connection.force_debug_cursor = False
    return source, responses


def test_secret_is_stored_encrypted_and_runs_in_plaintext(configured):
    source, _ = configured
    raw = every_row_as_bytes()
    assert PLAINTEXT.encode() not in raw and TEST_PLAINTEXT.encode() not in raw
    row = Source.objects.get(pk=source["id"])
    assert source_runtime_settings(row) == {"apiKey": PLAINTEXT, "region": "eu"}
    assert Function.objects.get(pk=source["function"]["id"]).test_secrets == {
        "apiKey": TEST_PLAINTEXT
    }


def test_secret_is_in_no_response(configured):
    _, responses = configured
    dumped = json.dumps(responses)
    assert PLAINTEXT not in dumped and TEST_PLAINTEXT not in dumped
    assert responses[1]["settings"] == {"apiKey": {"set": True}}
    assert responses[4]["test_settings"] == {"apiKey": {"set": True}}


def test_secret_is_in_no_audit_entry_but_its_name_is(configured):
    details = json.dumps(list(AuditEntry.objects.values_list("details", flat=True)))
    assert PLAINTEXT not in details and TEST_PLAINTEXT not in details
    created = AuditEntry.objects.get(action="source.create")
    assert created.details["settings"] == ["apiKey"]


def test_secret_is_in_no_log_line(configured, caplog):
    lines = [r.getMessage() for r in caplog.get_records("setup")]  # the fixture's phase
    assert any("INSERT" in line for line in lines)  # SQL was logged with its parameters
    assert not [line for line in lines if PLAINTEXT in line or TEST_PLAINTEXT in line]


def test_sending_back_the_masked_value_keeps_the_secret(owner_api, configured):
    source, _ = configured
    response = owner_api.patch(
        f"{API}/sources/{source['slug']}/",
        {"settings": {"apiKey": {"set": True}, "region": "us"}},
        format="json",
    )
    assert response.status_code == 200
    assert source_runtime_settings(Source.objects.get(pk=source["id"]))["apiKey"] == PLAINTEXT
