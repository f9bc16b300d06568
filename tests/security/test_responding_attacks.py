# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""Attacks on functions that answer their webhook's sender (issue 17), as an outsider
ran them, through the webhook URL, the REST API and the runner's API:

- a logged-in user's browser opening a GET webhook URL handed the function (and the
  stored event, and the catcher) the product's session and CSRF cookies;
- a function's answer, served from the product's origin, could be HTML, a script, a
  style sheet, wasm or a download, with headers given twice to slip past the checks;
- proxy instructions in a function's answer passed unless named exactly (X-Accel-…);
- one workspace's slow responding webhooks or editor Runs made every other
  workspace's responding webhooks answer 503;
- answers that came after their sender stopped waiting stayed in the result backend.
"""

import importlib
import json
import threading
import time
from unittest import mock

import pytest
from celery import signals
from django.test import Client

import runner
from ingest import queue
from ingest.models import Capture, Execution, IngestEvent
from runner.response import ResponseLimitError, checked_response
from tests.factories import WorkspaceFactory, bearer, deployed_function, member
from tests.ingest.helpers import finished, responding_source, source_running, wait_for
from tests.threads import database_thread

pytestmark = pytest.mark.django_db(transaction=True)

ECHO_HEADERS = """
async function onRequest(request) {
  const seen = {};
  for (const [name, value] of request.headers) seen[name] = value;
  return Response.json(seen);
}
"""
SESSION_NAMES = ("cookie", "cookie2", "x-csrftoken", "proxy-authorization")


def logged_in_browser(user) -> Client:
    """A browser with the product's session and CSRF cookies, as after a login."""
    browser = Client()
    browser.force_login(user)
    browser.cookies["csrftoken"] = "c" * 32
    return browser


def leaked(text: str, browser: Client) -> bool:
    return any(browser.cookies[name].value in text for name in ("sessionid", "csrftoken"))


# --- 1. the product's credentials never reach a function ------------------------------


def test_a_get_webhook_url_opened_by_a_logged_in_browser_hands_over_no_cookie(owner, celery_worker):
    # The attacker writes a function in a workspace of their own and sends its URL to a
    # logged-in user of the product (any workspace): their browser opens it with the
    # product's cookies, as a top-level GET sends Lax cookies.
    evil = WorkspaceFactory(slug="evil")
    source = responding_source(ECHO_HEADERS, methods=["GET", "POST"], workspace=evil)
    browser = logged_in_browser(owner)
    answer = browser.get(
        f"/hooks/{source.webhook_token}?hub.challenge=1",
        HTTP_X_CSRFTOKEN="c" * 32,
        HTTP_COOKIE2="$Version=1",
        HTTP_PROXY_AUTHORIZATION="Basic cHJveHk6c2VjcmV0",
        HTTP_USER_AGENT="Mozilla/5.0",
    )
    assert answer.status_code == 200, answer.content
    seen = answer.json()
    assert seen["user-agent"] == "Mozilla/5.0"  # the request's other headers, as they came
    assert not set(SESSION_NAMES) & set(seen) and not leaked(answer.content.decode(), browser)
    event = IngestEvent.objects.get(source=source)
    stored = {name.lower() for name in event.headers}
    assert not set(SESSION_NAMES) & stored and not leaked(json.dumps(event.headers), browser)
    execution = Execution.objects.get(ingest_event=event)
    assert not leaked(json.dumps(execution.response), browser)


def test_an_api_token_sent_to_a_webhook_url_is_not_kept_a_senders_own_credential_is(
    owner, workspace, celery_worker
):
    evil = WorkspaceFactory(slug="evil")
    source = responding_source(ECHO_HEADERS, methods=["GET", "POST"], workspace=evil)
    product_token = bearer(owner, workspace)  # "Bearer sfi_…": the product's own credential
    answer = Client().get(f"/hooks/{source.webhook_token}", HTTP_AUTHORIZATION=product_token)
    assert "authorization" not in answer.json()
    assert product_token.split()[1] not in json.dumps(IngestEvent.objects.get().headers)
    hidden = f"Basic cGlwZWRyaXZlOnM=, {product_token}"  # among a sender's own, in one value
    assert (
        "authorization"
        not in Client().get(f"/hooks/{source.webhook_token}", HTTP_AUTHORIZATION=hidden).json()
    )
    # A sender's credential for the function (Pipedrive's basic auth, a shared bearer)
    # is what the function checks: kept.
    own = "Basic cGlwZWRyaXZlOnM="
    answer = Client().get(f"/hooks/{source.webhook_token}", HTTP_AUTHORIZATION=own)
    assert answer.json()["authorization"] == own


def test_the_catcher_records_no_cookie_of_a_logged_in_browser(owner, workspace):
    function = source_running("async function onRequest() {}", workspace=workspace).function
    browser = logged_in_browser(owner)
    api = f"/api/v1/workspaces/{workspace.slug}/functions/{function.pk}/"
    test_url = browser.get(api + "catcher/").json()["url"]
    path = test_url[test_url.index("/hooks/") :]
    assert browser.get(path + "?validationToken=abc", HTTP_X_CSRFTOKEN="c" * 32).status_code == 200
    capture = Capture.objects.get()
    assert "Cookie" not in capture.headers and "X-Csrftoken" not in capture.headers
    listed = browser.get(api + "captures/").content.decode()
    assert not leaked(listed, browser) and not leaked(json.dumps(capture.headers), browser)


async def test_the_fast_path_keeps_no_cookie_in_any_spelling():
    from channels.db import database_sync_to_async
    from channels.testing import HttpCommunicator

    from functions_ide.asgi import application

    src = await database_sync_to_async(source_running)("async function onRequest() {}")
    headers = [
        (b"host", b"testserver"),
        (b"cookie", b"sessionid=victim-session"),
        (b"Cookie", b"csrftoken=victim-csrf"),
        (b"x-csrftoken", b"victim-csrf"),
        (b"x-github-event", b"push"),
    ]
    communicator = HttpCommunicator(
        application, "POST", f"/hooks/{src.webhook_token}", body=b"{}", headers=headers
    )
    with mock.patch("ingest.queue.execute_soon"):
        response = await communicator.get_response(timeout=10)
    assert response["status"] == 200
    event = await database_sync_to_async(IngestEvent.objects.get)()
    assert event.headers == {"Host": "testserver", "X-Github-Event": "push"}


def test_webhooks_and_captures_stored_before_keep_no_product_credential():
    migration = importlib.import_module("ingest.migrations.0006_forget_stored_product_credentials")
    source = source_running("async function onRequest() {}")
    kept = {"Content-Type": "application/json", "Authorization": "Basic cGlwZWRyaXZlOnM="}
    stored = {**kept, "Cookie": "sessionid=victim", "X-Csrftoken": "victim"}
    old = IngestEvent.objects.create(
        source=source, version=source.version, method="GET", path="/hooks/x", headers=stored,
        raw_body=b"",
    )  # fmt: skip
    bearer_only = IngestEvent.objects.create(
        source=source, version=source.version, method="GET", path="/hooks/x",
        headers={"Authorization": "Bearer sfi_victimtoken"}, raw_body=b"",
    )  # fmt: skip
    capture = Capture.objects.create(
        function=source.function, method="GET", path="/hooks/test/x", headers=stored, raw_body=b""
    )
    from django.apps import apps

    migration.forget_product_credentials(apps, None)
    for row in (old, bearer_only, capture):
        row.refresh_from_db()
    assert old.headers == kept and capture.headers == kept and bearer_only.headers == {}


# --- 2. what a function's answer may be ---------------------------------------------

ANSWER_FROM_QUERY = """
async function onRequest(request) {
  const q = request.url.searchParams;
  return new Response(q.get('body') || 'x', { headers: JSON.parse(q.get('headers')) });
}
"""


def answer_with(source, headers, body: str = "x"):
    from urllib.parse import urlencode

    query = urlencode({"headers": json.dumps(headers), "body": body})
    return Client().get(f"/hooks/{source.webhook_token}?{query}")


def execution_of_last() -> Execution:
    event = IngestEvent.objects.latest("pk")
    wait_for(lambda: Execution.objects.filter(ingest_event=event).exists())
    return Execution.objects.filter(ingest_event=event).latest("pk")


@pytest.fixture
def answering(celery_worker):
    return responding_source(ANSWER_FROM_QUERY, methods=["GET"], time_limit_ms=5000)


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({"Content-Type": "text/html"}, "Content-Type is 'text/html'"),
        ({"Content-Type": "TEXT/HTML; charset=utf-8"}, "Content-Type is 'TEXT/HTML"),
        ({"Content-Type": "image/svg+xml"}, "Content-Type is 'image/svg+xml'"),
        ({"Content-Type": "application/xhtml+xml"}, "Content-Type is 'application/xhtml+xml'"),
        ({"Content-Type": "application/javascript"}, "Content-Type is 'application/javascript'"),
        ({"Content-Type": "text/css"}, "Content-Type is 'text/css'"),
        ({"Content-Type": "application/wasm"}, "Content-Type is 'application/wasm'"),
        (
            {"Content-Type": "application/octet-stream"},
            "Content-Type is 'application/octet-stream'",
        ),
        ({"Content-Type": "text/plain; boundary=x"}, "Content-Type is 'text/plain; boundary=x'"),
        ({"Content-Type": "text/plain;charset=utf-8;x"}, "Content-Type is"),
        (
            {"Content-Type": "text/plain; charset=utf-7"},
            "Content-Type is 'text/plain; charset=utf-7'",
        ),
        (
            {"Content-Type": "text/xml; charset=utf-16"},
            "Content-Type is 'text/xml; charset=utf-16'",
        ),
        ({"Content-Disposition": "attachment; filename=x.exe"}, "'content-disposition'"),
        ({"Content-Encoding": "gzip"}, "'content-encoding'"),
        # Given twice, in two spellings: one header, two types, no type at all.
        (
            [["Content-Type", "text/plain"], ["content-type", "text/html"]],
            "'text/plain, text/html'",
        ),
        ({"Content-Type": "text/plain", "CONTENT-TYPE": "text/html"}, "'text/plain, text/html'"),
    ],
)
def test_an_answer_that_could_run_or_download_in_the_products_origin_is_refused(
    answering, headers, says
):
    answer = answer_with(answering, headers, body="<script>alert(document.domain)</script>")
    assert answer.status_code == 500 and b"<script>" not in answer.content
    assert answer["Content-Type"] == "application/json"
    execution = execution_of_last()
    assert execution.status == "failed" and execution.response is None
    assert execution.error["name"] == "OutputLimitError", execution.error
    assert says in execution.error["message"], execution.error["message"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "text/plain", "text/xml",
     'application/xml; charset="UTF-8"'],
)  # fmt: skip
def test_text_json_and_xml_are_served_in_a_sandbox(answering, content_type):
    answer = answer_with(answering, {"Content-Type": content_type}, body="<Response/>")
    assert answer.status_code == 200 and answer.content == b"<Response/>"
    assert answer["Content-Type"] == content_type
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert (
        answer["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'none'"
    )
    assert answer["Referrer-Policy"] == "no-referrer"


def test_a_header_given_twice_is_one_header_and_no_line_break_passes(answering):
    answer = answer_with(answering, [["X-Note", "a"], ["x-note", "b"], ["X-NOTE", "c"]])
    assert answer.status_code == 200 and answer["X-Note"] == "a, b, c"
    assert execution_of_last().response["headers"]["x-note"] == "a, b, c"
    smuggled = answer_with(answering, {"X-Note": "a\r\nSet-Cookie: sessionid=attacker"})
    assert smuggled.status_code == 500 and "Set-Cookie" not in smuggled
    assert "not a legal HTTP header value" in execution_of_last().error["message"]


def test_a_damaged_result_is_checked_again_before_it_is_served():
    from ingest.receive.respond import function_answer

    # What only a damaged runtime (or result backend) could hand the web process: the
    # same header in two spellings, a type the runner refuses, a cookie.
    for headers in (
        {"Content-Type": "text/plain", "content-type": "text/html"},
        {"content-type": "text/html"},
        {"set-cookie": "sessionid=attacker"},
        {"x-note": "a\r\nLocation: https://evil.example"},
    ):
        answer = function_answer({"status": 200, "headers": headers, "body": "<script>"})
        assert answer.status == 500 and b"<script>" not in answer.body, headers
    with pytest.raises(ResponseLimitError, match="text/plain, text/html"):
        checked_response(
            {
                "status": 200,
                "headers": {"Content-Type": "text/plain", "content-type": "text/html"},
                "body": "",
            }
        )


# --- 5. proxy instructions, refused by prefix ----------------------------------------

RESPONSE_WITH_HEADER = "async function onRequest(request) {{ return new Response('x', {{ headers: {{ {name!r}: '/etc/passwd' }} }}); }}"


@pytest.mark.parametrize(
    "name",
    [
        "X-Accel-Redirect", "X-Accel-Anything-New", "X-Sendfile", "X-Sendfile-Type",
        "X-Sendfile2", "X-Lighttpd-Send-File", "X-LiteSpeed-Location", "X-Forwarded-For",
        "X-Forwarded-Prefix", "X-Real-IP", "X-Original-URL", "X-Rewrite-URL",
        "X-Envoy-Upstream-Service-Time", "X-Middleware-Rewrite", "X-Frame-Options",
        "X-Content-Type-Options", "X-XSS-Protection", "X-Powered-By", "Alt-Svc",
        "Strict-Transport-Security", "Set-Cookie", "Set-Cookie2", "Server-Timing", "Server",
        "Location", "Refresh", "Link", "Content-Security-Policy", "Access-Control-Allow-Origin",
        "Clear-Site-Data", "Content-Disposition", "Www-Authenticate", "Surrogate-Control",
        "Cf-Cache-Status", "Permissions-Policy", "Cross-Origin-Opener-Policy",
    ],
)  # fmt: skip
def test_proxy_and_browser_instructions_are_refused_by_prefix(name):
    result = runner.run(RESPONSE_WITH_HEADER.format(name=name), {"method": "GET"}, {})
    assert result.error is not None and result.error["name"] == "OutputLimitError", result.error
    assert f"'{name.lower()}', which a function may not send" in result.error["message"]
    assert result.response is None


def test_the_functions_own_x_headers_and_body_headers_still_pass():
    code = "async function onRequest() { return new Response('x', { headers: { 'X-Hook-Secret': 's', 'X-Request-Signature-Echo': 'e', 'Cache-Control': 'no-store', 'Retry-After': '30' } }); }"
    result = runner.run(code, {"method": "GET"}, {})
    assert result.error is None, result.error
    assert result.response["headers"] == {
        "x-hook-secret": "s", "x-request-signature-echo": "e", "cache-control": "no-store",
        "retry-after": "30", "content-type": "text/plain;charset=UTF-8",
    }  # fmt: skip


def test_many_or_huge_headers_are_refused():
    many = "Object.fromEntries(Array.from({ length: 33 }, (_, i) => ['X-H' + i, 'v']))"
    result = runner.run(
        f"async function onRequest() {{ return {{ status: 200, headers: {many} }}; }}", {}, {}
    )
    assert result.error["name"] == "OutputLimitError" and "at most 32" in result.error["message"]
    big = "Object.fromEntries(Array.from({ length: 3 }, (_, i) => ['X-H' + i, 'v'.repeat(4000)]))"
    result = runner.run(
        f"async function onRequest() {{ return {{ status: 200, headers: {big} }}; }}", {}, {}
    )
    assert result.error["name"] == "OutputLimitError"
    assert (
        "headers are 12,012 characters together; a function may send at most 8,192"
        in result.error["message"]
    )


# --- 3. one workspace's slow answers do not make another's 503 ------------------------

SLOW_OR_QUICK = """
async function onRequest(request) {
  if (request.url.searchParams.get('slow')) { const end = Date.now() + 1500; while (Date.now() < end) {} }
  return new Response('answered ' + request.url.searchParams.get('n'));
}
"""


def flood(source, count: int) -> tuple[list, list[threading.Thread]]:
    """`count` senders waiting at once for a slow answer of the source's function."""
    answers: list = []

    def send(n: int) -> None:
        answers.append(Client().get(f"/hooks/{source.webhook_token}?slow=1&n={n}"))

    threads = [database_thread(send, n) for n in range(count)]
    for thread in threads:
        thread.start()
    return answers, threads


def warm(*sources) -> None:
    """Answers at once from each source's function, at the same time: the worker's
    sandboxes started (the first start of one takes seconds on a busy machine)."""

    def answered_quickly() -> bool:
        answers: list = []
        threads = [database_thread(lambda s=s: answers.append(quiet_answer(s)[0])) for s in sources]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return all(a.status_code == 200 for a in answers)

    wait_for(answered_quickly, timeout=60)


def quiet_answer(source):
    started = time.monotonic()
    answer = Client().get(f"/hooks/{source.webhook_token}?n=quiet")
    return answer, time.monotonic() - started


def test_a_flood_of_slow_responding_webhooks_leaves_another_workspace_its_answer(
    celery_worker, settings
):
    settings.WEBHOOK_RESPONSE_THREADS = 4  # a quarter, one seat, kept for other workspaces
    noisy = responding_source(SLOW_OR_QUICK, methods=["GET"], time_limit_ms=3000)
    quiet = responding_source(SLOW_OR_QUICK, methods=["GET"], time_limit_ms=3000)
    assert noisy.workspace_id != quiet.workspace_id
    warm(noisy, quiet)
    answers, threads = flood(noisy, 8)
    wait_for(lambda: IngestEvent.objects.filter(source=noisy, status="running").exists())
    answer, waited = quiet_answer(quiet)
    for thread in threads:
        thread.join()
    # Answered within its wait (its time limit and a second), where the flood's eight
    # runs of 1.5 s on the worker's two threads would have held it past that.
    assert answer.status_code == 200 and answer.content == b"answered quiet", (answer, waited)
    # The flood got its answers within its share and a 503 past it, with Retry-After.
    statuses = sorted(a.status_code for a in answers)
    assert 200 in statuses and 503 in statuses, statuses
    assert all(a["Retry-After"] == "5" for a in answers if a.status_code == 503)


def test_a_sender_past_its_workspaces_seats_is_refused_before_its_webhook_is_stored(settings):
    settings.WEBHOOK_RESPONSE_THREADS = 2  # one seat for anyone, one kept for others
    noisy = responding_source(SLOW_OR_QUICK, methods=["GET"])
    quiet = responding_source(SLOW_OR_QUICK, methods=["GET"])
    release, waiting = threading.Event(), threading.Event()

    def ask(task, event_id, *, queue, wait_s, workspace_id):  # a worker's slow answer
        if workspace_id == noisy.workspace_id:
            waiting.set()
            release.wait(10)
        return {"status": None, "response": None}

    with (
        mock.patch.object(queue.broker, "ask", side_effect=ask),
        mock.patch.object(queue, "execute_soon"),
    ):
        held, threads = flood(noisy, 1)
        assert waiting.wait(10)
        refused = Client().get(f"/hooks/{noisy.webhook_token}?n=2")
        seated = Client().get(f"/hooks/{quiet.webhook_token}?n=3")
        release.set()
        threads[0].join()
    assert refused.status_code == 503 and refused["Retry-After"] == "5"
    assert refused.json() == {"error": "Temporarily unavailable; please retry."}
    assert IngestEvent.objects.filter(source=noisy).count() == 1  # the refused one: no row
    # The other workspace's sender took the seat kept for it (the fake worker answered
    # "not run here", so a 503 too, but after its run was asked for: it has a row).
    assert seated.status_code == 503 and IngestEvent.objects.filter(source=quiet).count() == 1
    # Every seat is given back once its sender has its answer.
    from ingest.receive.seats import seats

    assert seats.held() == {}


def test_a_workspaces_slow_editor_runs_leave_another_workspace_its_answer(celery_worker):
    function = deployed_function(draft_code="async function onRequest() {}", time_limit_ms=4000)
    owner = member(function.workspace, "owner")
    url = f"/api/v1/workspaces/{function.workspace.slug}/functions/{function.pk}/test/"
    spin = (
        "async function onRequest() { const end = Date.now() + 2000; while (Date.now() < end) {} }"
    )
    runs: list = []

    def run() -> None:
        body = {"request": {"body": {}}, "code": spin}
        api = Client(HTTP_AUTHORIZATION=bearer(owner, function.workspace))
        runs.append(api.post(url, body, content_type="application/json"))

    quiet = responding_source(SLOW_OR_QUICK, methods=["GET"], time_limit_ms=2000)
    warm(quiet, responding_source(SLOW_OR_QUICK, methods=["GET"]))
    threads = [database_thread(run) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the Runs reached the worker: one runs, the others wait their turn
    answer, waited = quiet_answer(quiet)
    # Within its wait (3 s), where four Runs of 2 s on two threads would hold it past.
    assert answer.status_code == 200 and answer.content == b"answered quiet", (answer, waited)
    for thread in threads:
        thread.join()
    # Within its share, each Run got its turn while its caller waited.
    assert [r.status_code for r in runs] == [200] * 4, [r.content for r in runs]


# --- 4. an answer that came late leaves no result behind --------------------------------


@pytest.fixture
def task_ends():
    """Ids of the tasks this process's worker finished (signals.task_postrun)."""
    ended: list[str] = []

    def record(task_id=None, **kwargs):
        ended.append(task_id)

    signals.task_postrun.connect(record, weak=False)
    yield ended
    signals.task_postrun.disconnect(record)


def stored_result(task_id: str):
    from functions_ide.celery import app

    return app.backend.get(app.backend.get_key_for_task(task_id))


def asked_task_ids(monkeypatch, *, delay_s: float = 0.0) -> list[str]:
    """Records the ids of the tasks ingest.queue asks for (a responding webhook's run),
    delivering each `delay_s` late: the worker gets to it after its sender's wait."""
    from celery import current_app

    ids: list[str] = []
    real = current_app.send_task

    def send_task(name, args=None, kwargs=None, **options):
        if name == queue.RESPOND and delay_s:
            options["countdown"] = delay_s
        sent = real(name, args, kwargs, **options)
        if name == queue.RESPOND:
            ids.append(sent.id)
        return sent

    monkeypatch.setattr(current_app, "send_task", send_task)
    return ids


def test_a_run_that_reaches_the_worker_after_its_sender_gave_up_stores_no_result(
    celery_worker, monkeypatch, task_ends
):
    source = responding_source(SLOW_OR_QUICK, methods=["GET"], time_limit_ms=500)
    ids = asked_task_ids(monkeypatch, delay_s=2.0)  # the sender waits 1.5 s
    answer = Client().get(f"/hooks/{source.webhook_token}?n=1")
    assert answer.status_code == 503 and answer["Retry-After"] == "5"
    event = IngestEvent.objects.get()
    wait_for(lambda: finished(event.pk))  # from a turn, once the sender stopped waiting
    [task_id] = ids
    wait_for(lambda: task_id in task_ends)
    assert stored_result(task_id) is None
    assert Execution.objects.filter(ingest_event=event).count() == 1  # run once, by the turn


def test_a_run_that_ends_after_its_sender_gave_up_stores_no_result(
    celery_worker, monkeypatch, task_ends
):
    from ingest import services

    source = responding_source(SLOW_OR_QUICK, methods=["GET"], time_limit_ms=500)
    real = services.ingest_event_respond

    def slow_record(**kwargs):
        outcome = real(**kwargs)
        time.sleep(1.6)  # the record took longer than the sender waits (1.5 s)
        return outcome

    monkeypatch.setattr(services, "ingest_event_respond", slow_record)
    ids = asked_task_ids(monkeypatch)
    answer = Client().get(f"/hooks/{source.webhook_token}?n=1")
    assert answer.status_code == 503
    [task_id] = ids
    wait_for(lambda: task_id in task_ends)
    assert stored_result(task_id) is None
    assert IngestEvent.objects.get().status == "succeeded"  # it ran; only the answer was late


def test_an_editor_run_that_ends_after_its_caller_gave_up_stores_no_result(
    owner, workspace, celery_worker, monkeypatch, settings, task_ends
):
    from catalog import tasks

    settings.TEST_RUN_MARGIN_S = 0.2
    function = deployed_function(
        draft_code="async function onRequest() {}", workspace=workspace, time_limit_ms=500
    )
    sent: list[str] = []
    real_send = tasks.run_function_test.apply_async

    def apply_async(*args, **kwargs):
        pending = real_send(*args, **kwargs)
        sent.append(pending.id)
        return pending

    real_run = runner.run

    def slow_run(*args, **kwargs):
        result = real_run(*args, **kwargs)
        time.sleep(1.0)
        return result

    monkeypatch.setattr(tasks.run_function_test, "apply_async", apply_async)
    monkeypatch.setattr(runner, "run", slow_run)
    api = Client(HTTP_AUTHORIZATION=bearer(owner, workspace))
    url = f"/api/v1/workspaces/{workspace.slug}/functions/{function.pk}/test/"
    answer = api.post(url, {"request": {"body": {}}}, content_type="application/json")
    assert answer.status_code == 504
    [task_id] = sent
    wait_for(lambda: task_id in task_ends)
    assert stored_result(task_id) is None
