# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
import uuid

import pytest

from runner import run
from runner.result import MESSAGE_ID_NAMESPACE, message_id

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


@pytest.mark.parametrize(
    "text, count, over",
    [
        ("x", 0, 0),
        ("x", 0, 1),
        ("€", 10_000, 0),
        ("€", 10_000, 1),
        ("😀", 8_000, 0),
        ("😀", 8_000, 1),
    ],
)
def test_message_size_counts_utf8_bytes(text, count, over):
    # {"collection":"c","id":"1","properties":{"s":""}} is 49 bytes; "€" is 3 bytes of
    # UTF-8, "😀" 4 (two UTF-16 units): a message of exactly 32 KB passes, one more byte fails.
    filler = 32 * 1024 + over - 49 - len(text.encode()) * count
    result = emit(
        f"Segment.set({{ collection: 'c', id: '1', properties: {{ s: 'x'.repeat({filler}) + '{text}'.repeat({count}) }} }})"
    )
    if over:
        assert "the message is 32769 bytes; the limit is 32 KB" in result.error["message"]
    else:
        assert result.error is None and len(result.objects) == 1


def test_a_message_is_what_it_was_when_emitted():
    result = emit(
        "const properties = { n: 1 }; const traits = { t: 1 };"
        "Segment.track({ userId: 'u', event: 'e', properties }); properties.n = 2; properties.added = true;"
        "Segment.set({ collection: 'c', id: 1, properties: traits }); traits.t = 2;"
    )
    assert result.events[0]["properties"] == {"n": 1}
    assert result.objects == [{"collection": "c", "id": "1", "properties": {"t": 1}}]


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


def test_message_ids_are_pinned():
    # Stored events and their replays rely on these ids never changing.
    code = "async function onRequest() { Segment.track({ userId: 'u', event: 'a' }); Segment.track({ userId: 'u', event: 'b' }) }"
    events = run(code, REQ, execution_id="exec-1").events
    assert [e["messageId"] for e in events] == [
        "2ef5e124-57cd-53d1-9fc0-afd006c2e2ff",
        "ac327ac4-4fe5-5e7e-8909-1240e7ec5802",
    ]
    assert message_id("evt_123", 0) == "3f30a10f-866f-5c26-8215-2700bada998b"


@pytest.mark.parametrize("execution_id", ["exec-1", "", "évènement-€-😀", "x" * 300, "a:b:7"])
def test_message_id_is_uuid5_of_execution_and_index(execution_id):
    for index in (0, 1, 12, 1000):
        expected = uuid.uuid5(MESSAGE_ID_NAMESPACE, f"{execution_id}:{index}")
        assert message_id(execution_id, index) == str(expected)


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


@pytest.mark.parametrize(("depth", "refused"), [(99, False), (100, False), (101, True)])
def test_a_message_nested_past_100_levels_is_rejected(depth, refused):
    # properties is one level inside the message: depth counts from the message itself.
    result = emit(
        f"let p = {{ leaf: '{{[\"x\"]}}' }}; for (let i = 0; i < {depth - 2}; i++) p = {{ a: p }};"
        " Segment.track({ userId: 'u', event: 'e', properties: p })"
    )
    if refused:
        assert result.error["name"] == "ValidationError"
        assert result.error["message"] == (
            f"Segment.track(): the message is nested {depth} levels deep; the limit is 100"
        )
    else:
        assert result.error is None, result.error
        assert len(result.events) == 1
