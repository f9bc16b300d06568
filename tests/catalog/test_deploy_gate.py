# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""The deploy gate: Save & Deploy runs every saved test on the draft (in a worker, the
real runner) and refuses when one fails, naming it; an owner may deploy anyway with a
reason that the audit log keeps; the version records which tests it passed."""

import pytest

from catalog.models import AuditEntry, Function
from tests.catalog.helpers import API, create_function

pytestmark = pytest.mark.django_db

REQUEST = {"method": "POST", "url": "https://example.com/hook", "headers": {},
           "body": {"type": "charge.succeeded", "amount": 2000}}  # fmt: skip
GOOD = """async function onRequest(request) {
  const body = request.json();
  Segment.track({ event: 'Order Completed', userId: 'u1', properties: { amount: body.amount / 100 } });
}"""
BROKEN = GOOD.replace("/ 100", "/ 10")
AMOUNT = {"name": "amount in dollars", "request": REQUEST,
          "expect": {"events": [{"event": "Order Completed", "properties": {"amount": 20},
                                 "messageId": "*"}]}}  # fmt: skip
EVENT = {"name": "one event", "request": REQUEST, "expect": {"events": [{"userId": "u1"}]}}


@pytest.fixture
def function(owner_api):
    function = create_function(owner_api, code=GOOD)
    for case in (AMOUNT, EVENT):
        saved = owner_api.post(f"{API}/functions/{function['id']}/tests/", case, format="json")
        assert saved.status_code == 201, saved.json()
    return function


def deploy(api, function, **body):
    return api.post(f"{API}/functions/{function['id']}/deploy/", body, format="json")


def test_passing_tests_deploy_and_the_version_records_them(owner_api, function, celery_worker):
    response = deploy(owner_api, function, message="v1")
    assert response.status_code == 201, response.json()
    assert response.json()["version"]["test_results"] == [
        {"name": "amount in dollars", "passed": True},
        {"name": "one event", "passed": True},
    ]
    assert AuditEntry.objects.filter(action="function.deploy").exists()


def test_a_failing_test_refuses_the_deploy_and_names_it(owner_api, function, celery_worker):
    response = deploy(owner_api, function, code=BROKEN, message="oops")

    assert response.status_code == 409
    body = response.json()
    assert "1 of 2 saved tests fail" in body["detail"] and "amount in dollars" in body["detail"]
    assert body["failed_tests"] == [
        {"name": "amount in dollars",
         "differences": ["events[0].properties.amount: expected 20, got 200"]}
    ]  # fmt: skip
    stored = Function.objects.get(pk=function["id"])
    assert stored.deployed_version is None and not stored.versions.exists()
    assert stored.draft_code == BROKEN  # the draft is saved, only not deployed


def test_an_owner_deploys_anyway_with_a_reason_in_the_audit_log(owner_api, function, celery_worker):
    response = deploy(owner_api, function, code=BROKEN, deploy_anyway="Upstream sends cents now")

    assert response.status_code == 201, response.json()
    assert response.json()["version"]["test_results"] == [
        {"name": "amount in dollars", "passed": False},
        {"name": "one event", "passed": True},
    ]
    entry = AuditEntry.objects.get(action="function.deploy_anyway")
    assert entry.details["deploy_anyway_reason"] == "Upstream sends cents now"
    assert entry.details["failed_tests"] == ["amount in dollars"]


def test_a_blank_reason_is_no_reason(owner_api, function, celery_worker):
    assert deploy(owner_api, function, code=BROKEN, deploy_anyway="  ").status_code == 409


def test_an_unexpected_error_in_the_draft_fails_every_test(owner_api, function, celery_worker):
    response = deploy(owner_api, function, code="async function onRequest() { nope() }")
    assert response.status_code == 409
    failed = response.json()["failed_tests"]
    assert [f["name"] for f in failed] == ["amount in dollars", "one event"]
    assert failed[0]["differences"] == [
        "the function failed: ReferenceError: nope is not defined (line 1)"
    ]


def test_a_function_without_saved_tests_deploys_without_a_worker(owner_api):
    function = create_function(owner_api, code=GOOD)
    response = deploy(owner_api, function)
    assert response.status_code == 201 and response.json()["version"]["test_results"] == []
