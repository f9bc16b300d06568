"""Save & Deploy compiles the draft first: code with a syntax error is refused with the
error at its line and column (before the saved tests run, whatever deploy_anyway
says), no version is made, no source moves, and the broken draft stays saved."""

from unittest import mock

import pytest

from catalog.models import AuditEntry, Function
from tests.catalog.helpers import API, connect, create_function, deploy

pytestmark = pytest.mark.django_db

GOOD = """async function onRequest(request) {
  Segment.track({ event: 'Order Completed', userId: 'u1' });
}"""
STRAY_BRACE = """function amount(body) {
  return body.amount / 100;
}
}
async function onRequest(request) {
  Segment.track({ event: 'Order Completed', userId: 'u1' });
}"""
WORDS = "SyntaxError: Unexpected token '}' at line 4, column 1"


def refused(api, function_id, **body):
    response = api.post(f"{API}/functions/{function_id}/deploy/", body, format="json")
    assert response.status_code == 400, response.json()
    return response.json()


def test_a_syntax_error_is_refused_at_its_line_and_the_draft_is_kept(owner_api):
    function = create_function(owner_api, code=GOOD)
    deploy(owner_api, function["id"], message="v1")
    source = connect(owner_api, function["id"])

    body = refused(owner_api, function["id"], code=STRAY_BRACE, message="oops")

    assert body["detail"] == (
        f"Not deployed: the draft does not compile ({WORDS}). The draft is saved; fix the "
        "code and deploy again."
    )
    assert body["errors"] == {"code": [WORDS]}
    error = body["compile_error"]
    assert (error["name"], error["message"], error["line"], error["column"]) == (
        "SyntaxError", "Unexpected token '}'", 4, 1,
    )  # fmt: skip
    stored = Function.objects.get(pk=function["id"])
    assert stored.draft_code == STRAY_BRACE  # Save keeps the broken draft
    assert stored.deployed_version.number == 1 and stored.versions.count() == 1
    following = owner_api.get(f"{API}/sources/{source['slug']}/").json()
    assert following["version"] == 1
    assert not AuditEntry.objects.filter(action="function.deploy", details__version=2).exists()


def test_the_compile_check_comes_before_the_saved_tests_and_deploy_anyway(owner_api):
    function = create_function(owner_api, code=STRAY_BRACE)
    with mock.patch("catalog.services.functions.run_saved_tests") as saved_tests:
        body = refused(owner_api, function["id"], deploy_anyway="ship it")
    saved_tests.assert_not_called()
    assert body["compile_error"]["line"] == 4
    assert not Function.objects.get(pk=function["id"]).versions.exists()


def test_a_legacy_function_is_compiled_as_legacy(owner_api):
    legacy = "exports.processEvents = async (event) => {\n  return { events: [] };\n}}\n"
    function = create_function(owner_api, code=legacy, interface="legacy")
    body = refused(owner_api, function["id"])
    assert (body["compile_error"]["line"], body["compile_error"]["column"]) == (3, 2)
    fixed = legacy.replace("}}", "}")
    assert deploy(owner_api, function["id"], code=fixed)["version"]["number"] == 1


def test_code_that_compiles_deploys_without_a_worker(owner_api):
    function = create_function(owner_api, code=GOOD)
    assert deploy(owner_api, function["id"])["version"]["number"] == 1


def test_save_keeps_a_draft_that_does_not_compile(owner_api):
    function = create_function(owner_api, code=GOOD)
    saved = owner_api.patch(
        f"{API}/functions/{function['id']}/", {"code": STRAY_BRACE}, format="json"
    )
    assert saved.status_code == 200 and saved.json()["code"] == STRAY_BRACE
