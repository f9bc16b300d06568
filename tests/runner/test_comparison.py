"""runner.comparison: two runs of one request compared (the preview on recent traffic):
pairing, exact fields, errors, and the fields the runner fills in."""

from datetime import UTC, datetime, timedelta

from runner.comparison import RunWindow, compare_runs, comparison_lines
from runner.result import message_id

EXECUTION = "1234"
BEFORE_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
AFTER_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def window(at: datetime) -> RunWindow:
    return RunWindow(at - timedelta(seconds=5), at + timedelta(seconds=5))


def track(event: str, index: int, at: datetime, **properties) -> dict:
    """An event as the runner gives it: messageId and timestamp filled in."""
    return {
        "type": "track", "event": event, "userId": "u1", "properties": properties,
        "messageId": message_id(EXECUTION, index), "timestamp": at.isoformat(),
    }  # fmt: skip


def compare(before: list, after: list, **runs):
    return compare_runs(
        {"events": before, "objects": [], "error": None, **runs.get("before_run", {})},
        {"events": after, "objects": [], "error": None, **runs.get("after_run", {})},
        execution_id=EXECUTION, before_window=window(BEFORE_AT), after_window=window(AFTER_AT),
    )  # fmt: skip


def test_the_same_output_at_another_time_is_the_same():
    assert compare([track("A", 0, BEFORE_AT, n=1)], [track("A", 0, AFTER_AT, n=1)]).same


def test_an_event_inserted_first_is_new_and_the_others_unchanged():
    before = [track("A", 0, BEFORE_AT), track("B", 1, BEFORE_AT)]
    after = [track("Start", 0, AFTER_AT), track("A", 1, AFTER_AT), track("B", 2, AFTER_AT)]
    result = compare(before, after)
    assert [item["index"] for item in result.events.new] == [0]
    assert result.events.changed == [] and result.events.missing == []


def test_fields_are_compared_exactly_both_ways():
    result = compare(
        [track("A", 0, BEFORE_AT, amount=20, coupon="X")],
        [track("A", 0, AFTER_AT, amount=0.2, currency="usd")],
    )
    assert result.events.changed[0]["differences"] == [
        "events[0].properties.amount: was 20, now 0.2",
        'events[0].properties.coupon: was "X", now missing',
        'events[0].properties.currency: new, now "usd"',
    ]


def test_a_timestamp_or_message_id_the_function_set_is_compared():
    before = {**track("A", 0, BEFORE_AT), "messageId": "evt_1", "timestamp": "2020-01-01T00:00:00Z"}
    after = {**track("A", 0, AFTER_AT), "messageId": "evt_2"}
    differences = compare([before], [after]).events.changed[0]["differences"]
    assert differences[0] == 'events[0].messageId: was "evt_1", now "evt_2"'
    assert differences[1].startswith('events[0].timestamp: was "2020-01-01T00:00:00Z", now')


def test_errors_new_fixed_and_changed():
    failed = {"error": {"name": "TypeError", "message": "x is undefined", "line": 3}}
    other = {"error": {"name": "ValidationError", "message": "no id"}}
    assert compare([], [], after_run=failed).error["change"] == "new"
    assert compare([], [], before_run=failed).error["change"] == "fixed"
    assert compare([], [], before_run=failed, after_run=other).error["change"] == "changed"
    assert compare([], [], before_run=failed, after_run=failed).same


def test_the_lines_say_what_changed():
    result = compare_runs(
        {"events": [track("A", 0, BEFORE_AT)], "objects": [], "error": None},
        {"events": [], "objects": [{"collection": "c", "id": "1", "properties": {}}],
         "error": {"name": "TypeError", "message": "boom", "line": 2}},
    )  # fmt: skip
    lines = comparison_lines(result.to_dict())
    assert lines[0] == "new error: TypeError: boom (line 2)"
    assert lines[1].startswith('missing (was events[0]): {"event": "A"')
    assert lines[2] == 'new objects[0]: {"collection": "c", "id": "1", "properties": {}}'
