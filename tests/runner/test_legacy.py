# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
from runner import run

from .conftest import sample

LEGACY = """
exports.processEvents = async (event) => {
  const body = event.payload.body;
  return {
    events: [{ type: 'track', event: event.payload.headers['X-GitHub-Event'], userId: body.sender.login,
               properties: { q: event.payload.queryParameters.ref || null } }],
    objects: [{ collection: 'repos', id: body.repository.id, properties: { name: body.repository.name } }],
  };
};
"""


def test_legacy_interface_returns_events_and_objects():
    result = run(LEGACY, sample("github_push"), legacy=True, execution_id="x")
    assert result.error is None
    assert result.events[0]["event"] == "push" and result.events[0]["userId"] == "Codertocat"
    assert result.objects == [
        {"collection": "repos", "id": "186853002", "properties": {"name": "Hello-World"}}
    ]


def test_legacy_query_parameters():
    code = "exports.processEvents = async (e) => ({ events: [{ type: 'identify', userId: e.payload.queryParameters.source }] })"
    result = run(code, sample("typeform_form_response"), legacy=True)
    assert result.events[0]["userId"] == "typeform"


def test_legacy_output_is_validated():
    code = "exports.processEvents = async () => ({ events: [{ type: 'track', userId: 'u' }, { type: 'bogus' }] })"
    result = run(code, {"body": {}}, legacy=True)
    assert result.error["name"] == "ValidationError"
    assert result.error["message"] == 'processEvents() events[0]: "event" is required'
    bad_type = run(
        "exports.processEvents = async () => ({ events: [{ type: 'bogus', userId: 'u' }] })",
        {"body": {}},
        legacy=True,
    )
    assert (
        "events[0]" in bad_type.error["message"]
        and '"type" must be one of' in bad_type.error["message"]
    )


def test_legacy_code_without_the_flag_fails_with_a_migration_hint():
    result = run(LEGACY, sample("github_push"))
    assert result.error["name"] == "ReferenceError"
    assert result.error["message"] == "exports is not defined"
    assert "onRequest" in result.error["hint"] and "request.json()" in result.error["hint"]
    assert (
        "Either run it as it is: choose Legacy as the Interface in Configure "
        "(with the CLI, add --legacy), or migrate"
    ) in result.error["hint"]
    assert result.error["line"] == 2


def test_new_code_with_the_legacy_flag_gets_a_hint():
    result = run("async function onRequest() {}", {"body": {}}, legacy=True)
    assert "processEvents" in result.error["message"]
    assert result.error["hint"] == (
        "This function defines onRequest: to run it with the onRequest(request, settings) "
        "interface, choose onRequest as the Interface in Configure (with the CLI, leave out "
        "--legacy)."
    )


def test_a_single_message_returned_says_why_nothing_was_emitted():
    code = "exports.processEvents = async () => ({ type: 'track', event: 'Single', userId: 'u1' })"
    result = run(code, {"body": {}}, legacy=True)
    assert result.error is None and result.events == []
    assert result.logs == [
        {
            "level": "warn",
            "message": "processEvents() returned one track message, not { events, objects }: "
            "nothing was emitted. Return { events: [message] } to emit it.",
        }
    ]
    for quiet in ("({})", "({ events: [] })", "undefined"):
        assert (
            run(f"exports.processEvents = async () => {quiet}", {"body": {}}, legacy=True).logs
            == []
        )
