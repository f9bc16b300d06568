"""How names from messages become warehouse identifiers (docs/destinations.md,
"Naming rules"): Segment's snake_case, then the rules for what it leaves unusable."""

import pytest

from ingest.deliver.destinations.warehouse.names import (
    IDENTIFIER,
    identifier,
    schema_name,
    snake_case,
    table_name,
)


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        # The examples Segment's go-snakecase is tested with.
        ("sample text", "sample_text"),
        ("sample-text", "sample_text"),
        ("sample_text", "sample_text"),
        ("sample___text", "sample_text"),
        ("sampleText", "sample_text"),
        ("inviteYourCustomersAddInvites", "invite_your_customers_add_invites"),
        ("sample 2 Text", "sample_2_text"),
        ("   sample   2    Text   ", "sample_2_text"),
        ("   $#$sample   2    Text   ", "sample_2_text"),
        ("SAMPLE 2 TEXT", "sample_2_text"),
        ("___$$Base64Encode", "base64_encode"),
        ("FOO:BAR$BAZ", "foo_bar_baz"),
        ("FOO#BAR#BAZ", "foo_bar_baz"),
        ("something.com", "something_com"),
        ("$something%", "something"),
        ("•¶§ƒ˚foo˙∆˚¬", "foo"),
        ("CStringRef", "cstring_ref"),
        # And the names functions emit.
        ("Order Completed", "order_completed"),
        ("userId", "user_id"),
        ("userID", "user_id"),
        ("_id", "id"),
        ("foo_1Bar", "foo_1bar"),
        ("charge.succeeded", "charge_succeeded"),
        ("prix €", "prix"),
    ],
)
def test_snake_case_as_segment_does(name, snake):
    assert snake_case(name) == snake


def test_a_leading_digit_gets_an_underscore():
    assert identifier("2fa") == "_2fa"
    assert identifier("3 Day Trial") == "_3_day_trial"


def test_a_name_with_nothing_left_gets_a_stable_name_of_its_own():
    first, second = identifier("名前"), identifier("🙂")
    assert first.startswith("_") and len(first) == 9
    assert first != second and identifier("名前") == first


def test_long_names_are_cut_to_63_bytes_with_a_hash():
    shared = "x" * 70
    one, two = identifier(shared + "_one"), identifier(shared + "_two")
    assert len(one) == len(two) == 63
    assert one[:54] == two[:54] == "x" * 54 and one != two
    assert identifier("y" * 63) == "y" * 63  # at the limit: kept as it is


def test_standard_table_names_are_kept_for_the_standard_tables():
    assert table_name("Pages") == "_pages"
    assert table_name("users") == "_users"
    assert table_name("Order Completed") == "order_completed"


def test_schema_names_the_databases_keep_for_themselves_are_prefixed():
    assert schema_name("stripe-demo") == "stripe_demo"
    assert schema_name("pg-stats") == "_pg_stats"
    assert schema_name("information_schema") == "_information_schema"
    assert schema_name("temp") == "_temp"


@pytest.mark.parametrize(
    "name",
    ['a"b', "x'; DROP TABLE t; --", "", " ", "\x00", "é" * 100, "ä\u0301", "\ud800", "%s", "?"],
)
def test_every_identifier_is_plain_lowercase_ascii(name):
    for made in (identifier(name), table_name(name), schema_name(name)):
        assert IDENTIFIER.fullmatch(made) and len(made.encode()) <= 63
