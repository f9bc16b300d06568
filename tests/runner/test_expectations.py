"""Expectation matching of saved tests (runner.expectations): the contract's rules."""

import pytest

from runner.expectations import CaseFormatError, match_result, parse_case

ORDER = {
    "type": "track",
    "event": "Order Completed",
    "userId": "u1",
    "properties": {"amount": 20, "currency": "usd", "items": [{"sku": "a", "qty": 1}]},
    "messageId": "3f0c1f4e-1111-4a3e-9a51-3c3b7b8f2d10",
    "timestamp": "2024-05-01T10:00:00.000Z",
}
USER = {"collection": "users", "id": "u1", "properties": {"plan": "pro", "seats": 3}}


def result(events=(), objects=(), error=None):
    return {"events": list(events), "objects": list(objects), "logs": [], "error": error}


def failure(name, message, line=None):
    return result(error={"name": name, "message": message, "stack": "", "line": line})


def test_an_exact_expectation_passes():
    assert match_result({"events": [ORDER], "objects": [USER]}, result([ORDER], [USER])) == []


def test_a_subset_passes_and_extra_actual_fields_are_allowed():
    expect = {"events": [{"event": "Order Completed", "properties": {"amount": 20}}]}
    assert match_result(expect, result([ORDER])) == []


def test_a_changed_field_is_named_with_its_path_and_both_values():
    expect = {"events": [{"event": "Order Completed", "properties": {"amount": 25}}]}
    assert match_result(expect, result([ORDER])) == [
        "events[0].properties.amount: expected 25, got 20"
    ]


def test_a_missing_field_is_reported():
    expect = {"objects": [{"collection": "users", "properties": {"country": "NL"}}]}
    assert match_result(expect, result(objects=[USER])) == [
        'objects[0].properties.country: expected "NL", missing'
    ]


def test_wildcards_match_any_value_but_not_an_absent_field():
    expect = {"events": [{"messageId": "*", "timestamp": "*", "properties": "*"}]}
    assert match_result(expect, result([ORDER])) == []
    bare = {key: value for key, value in ORDER.items() if key != "timestamp"}
    assert match_result(expect, result([bare])) == ['events[0].timestamp: expected "*", missing']


def test_lists_inside_messages_keep_length_and_order():
    same = {"events": [{"properties": {"items": [{"sku": "a"}]}}]}
    assert match_result(same, result([ORDER])) == []
    longer = {"events": [{"properties": {"items": [{"sku": "a"}, {"sku": "b"}]}}]}
    (line,) = match_result(longer, result([ORDER]))
    assert line.startswith("events[0].properties.items: expected") and "(2 vs 1 items)" in line


def test_numbers_compare_as_json_but_booleans_are_not_numbers():
    assert match_result({"events": [{"properties": {"amount": 20.0}}]}, result([ORDER])) == []
    flagged = {**ORDER, "properties": {"paid": 1}}
    assert match_result({"events": [{"properties": {"paid": True}}]}, result([flagged])) == [
        "events[0].properties.paid: expected true, got 1"
    ]


def test_events_match_in_order():
    second = {**ORDER, "event": "Order Refunded"}
    expect = {"events": [{"event": "Order Refunded"}, {"event": "Order Completed"}]}
    assert match_result(expect, result([ORDER, second])) == [
        'events[0].event: expected "Order Refunded", got "Order Completed"',
        'events[1].event: expected "Order Completed", got "Order Refunded"',
    ]


def test_too_few_events_names_the_missing_one():
    expect = {"events": [{"event": "Order Completed"}, {"event": "Order Shipped"}]}
    assert match_result(expect, result([ORDER])) == [
        "events: expected 2, got 1",
        '  missing events[1]: {"event": "Order Shipped"}',
    ]


def test_too_many_objects_shows_the_unexpected_one():
    differences = match_result({"objects": []}, result(objects=[USER]))
    assert differences[0] == "objects: expected 0, got 1"
    assert differences[1].startswith('  unexpected objects[0]: {"collection": "users"')


def test_a_list_left_out_is_not_checked():
    assert match_result({"events": [{"event": "Order Completed"}]}, result([ORDER], [USER])) == []


def test_an_error_expectation_matches_class_and_message_fragment():
    expect = {"error": {"name": "ValidationError", "message": "missing email"}}
    assert match_result(expect, failure("ValidationError", "The payload is missing email.")) == []
    assert match_result({"error": {"name": "TypeError"}}, failure("TypeError", "x")) == []


def test_an_error_of_another_class_or_message_fails():
    expect = {"error": {"name": "ValidationError", "message": "missing email"}}
    assert match_result(expect, failure("TypeError", "body.x is undefined", line=4)) == [
        "expected ValidationError with a message containing 'missing email'; "
        "got TypeError: body.x is undefined (line 4)"
    ]
    assert match_result(expect, failure("ValidationError", "bad amount")) != []


def test_an_expected_error_that_does_not_happen_fails():
    assert match_result({"error": {"name": "EventNotSupported"}}, result([ORDER])) == [
        "expected the function to fail with EventNotSupported; it returned (1 event, 0 objects)"
    ]


def test_an_unexpected_failure_is_reported_instead_of_a_diff():
    assert match_result({"events": []}, failure("ReferenceError", "foo is not defined", 2)) == [
        "the function failed: ReferenceError: foo is not defined (line 2)"
    ]


def test_a_long_value_is_cut_in_the_diff():
    big = {**ORDER, "properties": {"blob": "x" * 1000}}
    (line,) = match_result({"events": [{"properties": {"blob": "y"}}]}, result([big]))
    assert len(line) < 250 and line.endswith("…")


CASE = {
    "name": "charge",
    "request": {"method": "POST", "url": "https://example.com/hook", "headers": {}, "body": {}},
    "expect": {"events": [], "objects": []},
}


def test_a_case_in_either_request_form_parses():
    assert parse_case(CASE).settings == {}
    sample = {**CASE, "request": {"payload": {"body": {"a": 1}, "headers": {}}}}
    assert parse_case(sample).request == {"payload": {"body": {"a": 1}, "headers": {}}}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"name": ""}, 'needs a "name"'),
        ({"request": {"url": "ftp://x"}}, '"request": "url" must be an absolute http(s) URL'),
        ({"settings": []}, '"settings" must be an object'),
        ({"expect": {}}, 'must give "events", "objects" or "error"'),
        ({"expect": {"event": []}}, 'unknown field "event"'),
        ({"expect": {"events": {}}}, '"events" must be a list of objects'),
        ({"expect": {"error": {"name": "E"}, "events": []}}, "a failed run emits nothing"),
        ({"expect": {"error": "TypeError"}}, '"error" must be an object'),
    ],
)
def test_a_malformed_case_says_what_to_fix(change, says):
    with pytest.raises(CaseFormatError, match="charge.json") as caught:
        parse_case({**CASE, **change}, where="charge.json")
    assert says in str(caught.value)
