# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
import pytest

from runner import run

REQ = {"body": {}}


def emit(call: str) -> dict:
    return run(f"async function onRequest() {{ {call} }}", REQ)


@pytest.mark.parametrize(
    "call, message",
    [
        ("Segment.track({ event: 'x' })", 'Segment.track(): "userId" or "anonymousId" is required'),
        ("Segment.track({ userId: 'u' })", 'Segment.track(): "event" is required'),
        ("Segment.group({ userId: 'u' })", 'Segment.group(): "groupId" is required'),
        ("Segment.alias({ userId: 'u' })", 'Segment.alias(): "previousId" is required'),
        ("Segment.alias({ previousId: 'p' })", 'Segment.alias(): "userId" is required'),
        (
            "Segment.identify({ userId: 'u', traits: [] })",
            'Segment.identify(): "traits" must be an object',
        ),
        (
            "Segment.track({ userId: 'u', event: 'e', properties: 'x' })",
            'Segment.track(): "properties" must be an object',
        ),
        (
            "Segment.page({ anonymousId: 'a', context: 1 })",
            'Segment.page(): "context" must be an object',
        ),
        (
            "Segment.set({ id: '1', properties: {} })",
            'Segment.set(): "collection" is required and must be a string',
        ),
        ("Segment.set({ collection: 'c', properties: {} })", 'Segment.set(): "id" is required'),
        (
            "Segment.set({ collection: 'c', id: 1 })",
            'Segment.set(): "properties" is required and must be an object',
        ),
        ("Segment.screen('x')", "Segment.screen(): expects an object argument"),
    ],
)
def test_validation_names_call_and_field(call, message):
    result = emit(call)
    assert result.error["name"] == "ValidationError"
    assert result.error["message"] == message
    assert result.error["line"] == 1


def test_message_over_32_kb_is_rejected():
    result = emit(
        "Segment.track({ userId: 'u', event: 'e', properties: { s: 'x'.repeat(33000) } })"
    )
    assert result.error["name"] == "ValidationError"
    assert "limit is 32 KB" in result.error["message"]


def test_copied_fields_and_defaults():
    result = emit("""
      Segment.identify({ userId: 'u', traits: { a: 1 }, junk: 1, integrations: { All: false } });
      Segment.page({ anonymousId: 'a', name: 'Home', category: 'Docs', properties: { p: 1 }, messageId: 'm1', timestamp: '2020-01-01T00:00:00Z' });
      Segment.screen({ userId: 'u', name: 'S' });
      Segment.group({ userId: 'u', groupId: 'g', traits: { t: 1 } });
      Segment.alias({ previousId: 'p', userId: 'u' });
      Segment.track({ userId: 'u', event: 'E', properties: {}, context: { ip: '1.2.3.4' } });""")
    assert result.error is None
    identify, page, screen, group, alias, track = result.events
    assert "junk" not in identify and identify["integrations"] == {"All": False}
    assert page == {
        "type": "page",
        "anonymousId": "a",
        "messageId": "m1",
        "timestamp": "2020-01-01T00:00:00Z",
        "name": "Home",
        "category": "Docs",
        "properties": {"p": 1},
    }
    assert screen["type"] == "screen" and group["groupId"] == "g" and alias["previousId"] == "p"
    assert track["context"] == {"ip": "1.2.3.4"}


def test_message_ids_are_deterministic_per_execution():
    code = "async function onRequest() { Segment.track({ userId: 'u', event: 'a' }); Segment.track({ userId: 'u', event: 'b' }) }"
    first = run(code, REQ, execution_id="exec-1").events
    again = run(code, REQ, execution_id="exec-1").events
    other = run(code, REQ, execution_id="exec-2").events
    assert [e["messageId"] for e in first] == [e["messageId"] for e in again]
    assert first[0]["messageId"] != first[1]["messageId"] != other[1]["messageId"]
    assert run(code, REQ).events[0]["messageId"] != run(code, REQ).events[0]["messageId"]


def test_nothing_is_sent_when_the_function_fails():
    result = emit(
        "Segment.track({ userId: 'u', event: 'e' }); Segment.set({ collection: 'c', id: 1, properties: {} }); throw new RetryError('later')"
    )
    assert result.events == [] and result.objects == []
    assert result.error["name"] == "RetryError" and result.error["message"] == "later"


@pytest.mark.parametrize(
    "cls", ["ValidationError", "EventNotSupported", "InvalidEventPayload", "RetryError"]
)
def test_error_classes_are_errors_with_names(cls):
    result = run(
        f"""async function onRequest() {{
      const e = new {cls}('m');
      Segment.track({{ userId: 'u', event: 'e', properties: {{ isError: e instanceof Error, name: e.name, s: String(e) }} }}) }}""",
        REQ,
    )
    assert result.events[0]["properties"] == {"isError": True, "name": cls, "s": f"{cls}: m"}
