# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""Attacks on deploying with confidence (issue 16): saved tests, the deploy gate and the
gradual rollout. Each test is a hole found by attacking them, now closed."""

import json
import random
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog.models import AuditEntry, Function, SavedTest, Source
from catalog.services import rollouts
from ingest import services
from ingest.models import Catcher, Execution, IngestEvent
from ingest.receive import IncomingWebhook
from tests.catalog.helpers import API, create_function
from tests.ingest.helpers import TRACK_AND_SET, deploy_new_version, source_running

pytestmark = pytest.mark.django_db

REQUEST = {"method": "POST", "url": "https://example.com/hook", "headers": {},
           "body": {"amount": 2000}}  # fmt: skip
GOOD = """async function onRequest(request) {
  Segment.track({ event: 'Order Completed', userId: 'u1', properties: { amount: request.json().amount / 100 } });
}"""
AMOUNT = {"name": "amount in dollars", "request": REQUEST,
          "expect": {"events": [{"event": "Order Completed", "properties": {"amount": 20}}]}}  # fmt: skip


@pytest.fixture
def no_queue():
    """Nothing reaches the broker: the tests call the services themselves."""
    with (
        mock.patch("ingest.queue.broker"),
        mock.patch("ingest.queue.execute_soon"),
        mock.patch("ingest.queue.retry"),
    ):
        yield


def saved_tests_url(function, suffix=""):
    return f"{API}/functions/{function['id']}/tests/{suffix}"


def save_test(api, function, case):
    response = api.post(saved_tests_url(function), case, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# --- Saved tests fetched the product's own webhook URLs under its other names -----------
# The editor's Run and every source refuse the product's webhook URLs under every name of
# ALLOWED_HOSTS (run_policy.own_webhook_urls); the saved tests' task knew only
# PUBLIC_URL's. A saved test (run by "Run all tests" and by every deploy) reached a
# source's webhook through another name of the product and fed it.

FETCH = """async function onRequest(request) {
  try {
    await fetch(request.json().url);
    console.log('reached');
  } catch (err) {
    console.log(err.name, err.code);
  }
}"""


def test_saved_tests_refuse_the_product_s_webhooks_under_every_name(
    owner_api, celery_worker, settings
):
    settings.PUBLIC_URL = "https://hooks.example.test"
    settings.ALLOWED_HOSTS = ["hooks.example.test", "ide.example.test", "testserver"]
    function = create_function(owner_api, code=FETCH)
    body = {"url": "https://ide.example.test/hooks/some-source-token"}
    save_test(owner_api, function, {"name": "loop", "request": {**REQUEST, "body": body},
                                    "expect": {"events": []}})  # fmt: skip
    ran = owner_api.post(saved_tests_url(function, "run/"), {}, format="json").json()
    logs = ran["tests"][0]["result"]["logs"]
    assert logs == [{"level": "log", "message": "FetchError EWEBHOOKLOOP"}], logs


# --- A test saved from a capture showed the test URL to every member ------------------
# "Save as test" from a capture keeps its URL, /hooks/test/<token> (a function may check
# it: a signature can cover the URL). The API masked a saved request's credential headers
# for who may not see them, but gave its URL whole: every member (and `functions-cli pull
# --tests`) read the function's test URL, which only owners and source admins see, and a
# source's webhook URL (a write credential) the same way. Their tokens are shortened now,
# as in the captures.


def test_a_saved_request_s_url_tokens_are_shortened_for_who_may_not_see_them(
    owner_api, workspace, member_user, api_client_for
):
    from ingest.catcher import catcher_for_function, catcher_url

    function = create_function(owner_api, code=GOOD)
    token = catcher_for_function(function=Function.objects.get(pk=function["id"])).token
    request = {**REQUEST, "url": catcher_url(Catcher.objects.get(token=token)) + "?x=1"}
    saved = save_test(owner_api, function, {**AMOUNT, "request": request})
    member = api_client_for(member_user, workspace)
    for shown in (
        member.get(saved_tests_url(function)).json()["results"][0],
        member.get(saved_tests_url(function, f"{saved['id']}/")).json(),
    ):
        assert token not in json.dumps(shown)
        assert shown["request"]["url"].endswith(f"/hooks/test/{token[:4]}…?x=1")
    assert owner_api.get(saved_tests_url(function)).json()["results"][0]["request"] == request


# --- Rollout services acted on a source read before someone else changed it -----------
# The API hands the services the source it read when the request began, and the watch
# judges a rollout it read seconds before rolling it back. A share change read before an
# automatic rollback started the rolled-back rollout again (it wrote the stale rollout
# back); a promote read before it moved the source onto the version just rolled back;
# the watch's rollback after a promote wrote "every webhook runs on version 1 again" on
# a source promoted to version 2; two starts at once both went through.

BROKEN = "async function onRequest() { throw new ValidationError('mapping broke'); }"


def rolling(workspace, code_new=TRACK_AND_SET, share=50) -> Source:
    source = source_running(TRACK_AND_SET, workspace=workspace)
    new = deploy_new_version(source, code_new)
    source.rollout_version, source.rollout_share = new, share
    source.rollout_started_at = timezone.now()
    source.save()
    return Source.objects.get(pk=source.pk)


def rolled_back_by_the_watch(source: Source) -> None:
    rollouts.source_rollout_end(
        source=Source.objects.get(pk=source.pk), actor=None, reason="Version 2 failed."
    )


def test_a_share_change_read_before_an_automatic_rollback_does_not_restart_it(workspace, owner):
    stale = rolling(workspace)
    rolled_back_by_the_watch(stale)
    with pytest.raises(ValidationError, match="No rollout is running"):
        rollouts.source_rollout_share(source=stale, actor=owner, share=80)
    assert Source.objects.get(pk=stale.pk).rollout_version_id is None


def test_a_promote_read_before_an_automatic_rollback_is_refused(workspace, owner):
    stale = rolling(workspace)
    rolled_back_by_the_watch(stale)
    with pytest.raises(ValidationError, match="No rollout is running"):
        rollouts.source_rollout_promote(source=stale, actor=owner)
    assert Source.objects.get(pk=stale.pk).version.number == 1


@pytest.mark.usefixtures("no_queue")
def test_the_watch_does_not_roll_back_a_rollout_promoted_while_it_judged(
    workspace, owner_api, monkeypatch
):
    from ingest import rollouts as watch

    source = rolling(workspace, code_new=BROKEN)
    ids = [
        services.webhook_accept(
            token=source.webhook_token,
            webhook=IncomingWebhook("POST", "/hooks/x", "", {}, b'{"type": "x"}'),
        ).event.pk
        for _ in range(60)
    ]
    IngestEvent.objects.filter(pk__in=ids).update(version_id=source.rollout_version_id)
    services.ingest_events_execute(ingest_event_ids=ids)
    judged = watch.rollout_rates

    def promoted_meanwhile(running):
        rates = judged(running)
        promote = f"{API}/sources/{running.slug}/rollout/promote/"
        assert owner_api.post(promote).status_code == 200
        return rates

    monkeypatch.setattr(watch, "rollout_rates", promoted_meanwhile)
    assert services.rollouts_watch() == []
    source.refresh_from_db()
    assert source.version.number == 2 and source.rollback_note == ""
    assert not AuditEntry.objects.filter(action="source.rollout_rollback").exists()


def test_two_rollouts_started_at_once_start_one(workspace, owner):
    source = source_running(TRACK_AND_SET, workspace=workspace)
    two, three = (deploy_new_version(source, TRACK_AND_SET) for _ in range(2))
    first, second = (Source.objects.get(pk=source.pk) for _ in range(2))
    rollouts.source_rollout_start(source=first, actor=owner, version=two, share=10)
    with pytest.raises(ValidationError, match="A rollout of version 2 is running"):
        rollouts.source_rollout_start(source=second, actor=owner, version=three, share=10)
    assert Source.objects.get(pk=source.pk).rollout_version_id == two.pk


# A deploy read the sources following the deployed version, then moved each: a rollout
# started on one in between (v1 → v2) was kept, and the deploy moved the source under it
# to v3: new webhooks were split between v3 and the older v2, and "promote" went down.


def test_a_deploy_holds_a_following_source_whose_rollout_began_as_it_ran(workspace, owner):
    from catalog.services import functions

    source = source_running(TRACK_AND_SET, workspace=workspace, follow_deployed=True)
    two = deploy_new_version(source, TRACK_AND_SET)
    move = functions._move_source

    def rollout_started_meanwhile(read, version):
        fresh = Source.objects.get(pk=read.pk)
        rollouts.source_rollout_start(source=fresh, actor=owner, version=two, share=10)
        return move(read, version)

    with mock.patch.object(functions, "_move_source", rollout_started_meanwhile):
        deployment = functions.function_deploy(function=source.function, actor=owner)
    assert [s.pk for s in deployment.held] == [source.pk]
    source.refresh_from_db()
    assert (source.version.number, source.rollout_version.number) == (1, 2)


# --- Replays counted in the watch's error rates -----------------------------------------
# A replay re-runs dead letters: webhooks that failed before, not a share of the traffic.
# Replaying a source's dead letters on the deployed version (the one rolling out) gave it
# a run of failures the old version never had to answer for, and the watch rolled back a
# version exactly as good as the old one.

NOISY = """async function onRequest(request) {
  const n = request.json().n;
  if (n % 20 === 0) throw new ValidationError(`webhook ${n} is malformed`);
  Segment.track({ event: 'Seen', userId: String(n) });
}"""


@pytest.mark.usefixtures("no_queue")
def test_replayed_dead_letters_do_not_roll_back_a_version_as_good_as_the_old(
    workspace, owner, owner_api, monkeypatch, settings
):
    monkeypatch.setattr("ingest.receive.sources.random", random.Random(20261202))
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 0
    source = source_running(NOISY, workspace=workspace)
    new = deploy_new_version(source, NOISY.replace("'Seen'", "'Seen again'"))
    rollouts.source_rollout_start(source=source, actor=owner, version=new, share=50)
    ids = [
        services.webhook_accept(
            token=source.webhook_token,
            webhook=IncomingWebhook("POST", "/hooks/x", "", {}, f'{{"n": {n}}}'.encode()),
        ).event.pk
        for n in range(600)
    ]
    services.ingest_events_execute(ingest_event_ids=ids)
    assert services.rollouts_watch() == []  # 5 % on both: noise
    replay = f"{API}/sources/{source.slug}/dead-letters/replay/"
    replayed = owner_api.post(replay, {"all": True, "version": "deployed"}, format="json")
    assert len(replayed.json()["replayed"]) == 30
    services.ingest_events_execute(ingest_event_ids=replayed.json()["replayed"])
    assert Execution.objects.filter(is_replay=True, version=new, status="failed").count() == 30

    assert services.rollouts_watch() == []
    assert Source.objects.get(pk=source.pk).rollout_version_id == new.pk


# --- A run of saved tests held a web request and a worker for minutes ---------------------
# 50 saved tests of a function whose draft loops for its time limit (10 s at most) kept
# the request that ran them (and the deploy gate's) waiting 510 s, and the shared
# `interactive` queue's worker busy as long: every "Run all tests" of a source admin,
# every Run of every workspace behind it. A run of saved tests has a budget in all now;
# the tests it leaves say they were not run.

LOOPS = "async function onRequest() { while (true) {} }"


def test_a_run_of_saved_tests_stops_at_its_time_budget(owner_api, celery_worker, settings):
    settings.SAVED_TESTS_BUDGET_S = 0.5
    function = create_function(owner_api, code=LOOPS, time_limit_ms=200)
    for n in range(12):
        save_test(owner_api, function, {"name": f"loop {n:02}", "request": REQUEST,
                                        "expect": {"events": []}})  # fmt: skip
    started = time.monotonic()
    ran = owner_api.post(saved_tests_url(function, "run/"), {}, format="json")
    assert ran.status_code == 200, ran.json()
    assert time.monotonic() - started < 6  # all twelve took 10 s (isolates, timeouts)
    tests = ran.json()["tests"]
    not_run = [t for t in tests if t["result"] is None]
    assert tests[0]["result"]["error"]["name"] == "TimeoutError"
    assert 1 <= len(not_run) <= 11 and not_run[-1]["name"] == "loop 11"
    assert not_run[0]["differences"] == [
        "not run: the saved tests took more than their 0.5 s in all "
        "(SAVED_TESTS_BUDGET_S); make the slow ones faster, or fewer"
    ]
    assert ran.json()["failed"] == 12


# --- A saved test's differences had no end -------------------------------------------
# Every missing event was a line of its own: 2 MB of `{}` expected 700,000 events, and a
# run that emitted none answered 17 MB of differences for that one test (50 tests: most of
# a gigabyte in the web process, in the 409 of the gate too). A test lists at most 50
# differences, then how many more there are.


def test_a_test_s_differences_are_at_most_fifty_lines(owner_api, empty_test_runs):
    function = create_function(owner_api, code=GOOD)
    save_test(owner_api, function, {"name": "many", "request": REQUEST,
                                    "expect": {"events": [{}] * 20_000}})  # fmt: skip
    ran = owner_api.post(saved_tests_url(function, "run/"), {}, format="json").json()
    differences = ran["tests"][0]["differences"]
    assert len(differences) == 50
    assert differences[0] == "events: expected 20000, got 0"
    assert differences[-1] == "… and 19,952 more differences"


# --- Deeply nested expectations and requests were 500s ------------------------------------
# A saved test nested some 900 levels deep could not be stored (RecursionError while
# writing its JSON: a 500), a body nested past Python's limit was a 500 on every endpoint,
# and a case file nested past it crashed `functions-cli test` with a traceback (exit 1).
# An expectation nests at most 100 levels (the CLI's case files too: one format).


def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def deep_case(*, request: str = json.dumps(REQUEST), events: str = "") -> str:
    """A saved test's JSON with these texts as its request and its expected events."""
    return '{"name": "deep", "request": ' + request + ', "expect": {"events": [' + events + "]}}"


@pytest.mark.parametrize("field", ["expect", "request"])
def test_a_saved_test_nested_too_deep_is_a_400_that_says_so(owner_api, field):
    function = create_function(owner_api, code=GOOD)
    # 300: past the rule's 100, and parsed wherever the test runs (under pytest-xdist
    # the parser's stack starts deeper, and 900 levels already fail to parse there).
    if field == "expect":
        body = deep_case(events=nested(300))
    else:
        body = deep_case(request='{"url": "https://example.com/hook", "body": ' + nested(300) + "}")
    response = owner_api.post(saved_tests_url(function), body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nests deeper than 100 levels" in " ".join(response.json()["errors"][field])
    assert not SavedTest.objects.exists()


def test_a_body_nested_past_python_s_limit_is_a_400(owner_api):
    function = create_function(owner_api, code=GOOD)
    body = deep_case(events=nested(5000))
    response = owner_api.post(saved_tests_url(function), body, content_type="application/json")
    assert response.status_code == 400
    assert "nests too deeply" in response.json()["detail"]


CLI = [sys.executable, "-c", "import sys; from functions_cli.main import main; sys.exit(main())"]
REPO = Path(__file__).resolve().parents[2]


def run_cli(tmp_path, cases: dict[str, str]) -> subprocess.CompletedProcess:
    (tmp_path / "function.js").write_text(GOOD)
    directory = tmp_path / "cases"
    directory.mkdir()
    for name, text in cases.items():
        (directory / name).write_text(text)
    command = [*CLI, "test", str(tmp_path / "function.js"), "--tests", str(directory)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)


@pytest.mark.django_db(False)
@pytest.mark.parametrize(
    ("depth", "words"), [(200, "nests deeper than 100 levels"), (5000, "nests too deeply")]
)
def test_a_case_file_nested_too_deep_is_a_usage_error_of_the_cli(tmp_path, depth, words):
    case = deep_case(events=nested(depth))
    done = run_cli(tmp_path, {"deep.json": case})
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr


# --- A saved test's name forged the lines of `functions-cli test` -----------------------
# A name is printed after PASS / FAIL, and a difference after four spaces: a name with a
# line break ("x\n12 passed, 0 failed") added lines of its own to a CI's log, escape
# sequences drove the terminal. Names are one line of printable text now, and the CLI
# shows any control character of a case or a difference as an escape.


@pytest.mark.parametrize("name", ["ok\n1 passed, 0 failed", "red \x1b[31mtext", "line\u2028break"])
def test_a_saved_test_s_name_is_one_line_of_printable_text(owner_api, name):
    function = create_function(owner_api, code=GOOD)
    response = owner_api.post(saved_tests_url(function), {**AMOUNT, "name": name}, format="json")
    assert response.status_code == 400
    assert "one line" in " ".join(response.json()["errors"]["name"])


@pytest.mark.django_db(False)
def test_the_cli_prints_a_case_s_control_characters_as_escapes(tmp_path):
    forged = {**AMOUNT, "name": "x\n1 passed, 0 failed",
              "expect": {"events": [{"event": "Order\u001b[2J Completed"}]}}  # fmt: skip
    done = run_cli(tmp_path, {"forged.json": json.dumps(forged)})
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "FAIL x\\n1 passed, 0 failed",
        '    events[0].event: expected "Order\\u001b[2J Completed", got "Order Completed"',
        "0 passed, 1 failed",
    ]


# --- "Deploy anyway" took a reason that says nothing ------------------------------------
# A blank reason is refused, but one of invisible characters only (a zero-width space, a
# byte-order mark) deployed past failing tests with an empty-looking reason in the audit.


@pytest.mark.parametrize("reason", ["\u200b", "\ufeff\u200d", " \u2060 "])
def test_deploy_anyway_needs_a_reason_one_can_read(owner_api, celery_worker, reason):
    function = create_function(owner_api, code=GOOD.replace("/ 100", "/ 10"))
    save_test(owner_api, function, AMOUNT)
    response = owner_api.post(
        f"{API}/functions/{function['id']}/deploy/", {"deploy_anyway": reason}, format="json"
    )
    assert response.status_code == 409, response.json()
    assert not Function.objects.get(pk=function["id"]).versions.exists()
    assert not AuditEntry.objects.filter(action="function.deploy_anyway").exists()


# --- Tests changed while the gate ran them -----------------------------------------------
# The version is made only of the code its tests ran on, but a saved test changed while
# the gate ran (its expectation made stricter, say) still went into the version's
# test_results as passed, though the test as it stands had never run.


def test_a_test_changed_while_the_gate_runs_is_a_409(owner_api, owner, celery_worker, monkeypatch):
    from catalog.services import saved_tests

    function = create_function(owner_api, code=GOOD)
    saved = save_test(owner_api, function, AMOUNT)
    ran = saved_tests.run_saved_tests

    def changed_meanwhile(function, code):
        outcomes = ran(function, code)
        stricter = {"events": [{"event": "Order Completed", "properties": {"amount": 21}}]}
        test = SavedTest.objects.get(pk=saved["id"])
        saved_tests.saved_test_update(saved_test=test, actor=owner, expect=stricter)
        return outcomes

    monkeypatch.setattr("catalog.services.functions.run_saved_tests", changed_meanwhile)
    response = owner_api.post(f"{API}/functions/{function['id']}/deploy/", {}, format="json")
    assert response.status_code == 409, response.json()
    assert "saved tests changed while they ran" in response.json()["detail"]
    assert not Function.objects.get(pk=function["id"]).versions.exists()
