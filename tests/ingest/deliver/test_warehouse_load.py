"""What a warehouse holds after loads: the same behaviour in PostgreSQL and DuckDB
(the `warehouse` fixture runs each test against both real databases)."""

from ingest.deliver.destinations.base import Batch, ObjectSet

T1, T2, T3 = "2024-05-01T10:00:00.000Z", "2024-05-02T10:00:00.000Z", "2024-05-03T10:00:00.000Z"
UTC1, UTC2, UTC3 = "2024-05-01 10:00:00+00", "2024-05-02 10:00:00+00", "2024-05-03 10:00:00+00"


def track(message_id, event, properties=None, **fields):
    return {
        "type": "track",
        "messageId": message_id,
        "event": event,
        "userId": "u1",
        "timestamp": T1,
        "properties": properties or {},
        **fields,
    }


def identify(message_id, timestamp, traits, user_id="u1"):
    return {
        "type": "identify",
        "messageId": message_id,
        "userId": user_id,
        "timestamp": timestamp,
        "traits": traits,
    }


def test_standard_tables_and_typed_columns(warehouse):
    context = {"library": {"name": "functions", "version": "1.0"}, "ip": "127.0.0.1"}
    properties = {
        "amount": 20.5,
        "currency": "USD",
        "paid": True,
        "paidAt": "2024-05-01T09:30:00Z",
        "items": ["sku-1", "sku-2"],
        "shipping": {"address": {"city": "Paris"}},
    }
    batch = Batch(
        "stripe-demo",
        events=[
            track("m1", "Order Completed", properties, context=context, sentAt=T1),
            identify("m2", T1, {"email": "ann@example.com"}),
            {"type": "page", "messageId": "m3", "name": "Home", "properties": {"path": "/"}},
            {"type": "screen", "messageId": "m4", "name": "Main", "anonymousId": "a1"},
            {"type": "group", "messageId": "m5", "groupId": "g1", "traits": {"seats": 5}},
            {"type": "alias", "messageId": "m6", "previousId": "a1", "userId": "u1"},
        ],
        objects=[ObjectSet("customers", "cus_1", {"name": "Ann"})],
    )

    answer = warehouse.send(batch)

    assert answer.status is None and "Loaded 9 rows into 9 tables of stripe_demo" in answer.detail
    assert warehouse.tables("stripe_demo") == {
        "tracks", "order_completed", "identifies", "users", "pages", "screens", "groups",
        "aliases", "customers",
    }  # fmt: skip
    standard = {
        "id": "text", "received_at": "timestamp", "sent_at": "timestamp",
        "timestamp": "timestamp", "user_id": "text", "anonymous_id": "text",
        "uuid_ts": "timestamp",
    }  # fmt: skip
    event_columns = warehouse.columns("stripe_demo", "order_completed")
    assert event_columns == standard | {
        "event": "text",
        "event_text": "text",
        "context_library_name": "text",
        "context_library_version": "text",
        "context_ip": "text",
        "amount": "numeric",
        "currency": "text",
        "paid": "boolean",
        "paid_at": "timestamp",
        "items": "text",
        "shipping_address_city": "text",
    }
    # The tracks table has the standard and context columns, not the properties.
    assert set(warehouse.columns("stripe_demo", "tracks")) == set(event_columns) - {
        "amount", "currency", "paid", "paid_at", "items", "shipping_address_city",
    }  # fmt: skip
    [row] = warehouse.rows("stripe_demo", "order_completed")
    assert row["id"] == "m1" and row["event"] == "order_completed"
    assert row["event_text"] == "Order Completed" and row["timestamp"] == UTC1
    assert row["sent_at"] == UTC1 and row["received_at"] is not None
    assert (
        row["amount"] == 20.5 and row["paid"] is True and row["paid_at"] == "2024-05-01 09:30:00+00"
    )
    assert row["items"] == '["sku-1", "sku-2"]' and row["shipping_address_city"] == "Paris"
    assert warehouse.columns("stripe_demo", "users") == {
        "id": "text", "received_at": "timestamp", "timestamp": "timestamp",
        "uuid_ts": "timestamp", "email": "text",
    }  # fmt: skip
    assert warehouse.rows("stripe_demo", "pages")[0]["name"] == "Home"
    assert warehouse.rows("stripe_demo", "groups")[0]["group_id"] == "g1"
    assert warehouse.rows("stripe_demo", "aliases")[0]["previous_id"] == "a1"
    assert warehouse.rows("stripe_demo", "customers")[0]["name"] == "Ann"


def test_new_properties_add_columns(warehouse):
    warehouse.send(Batch("shop", events=[track("m1", "Signed Up", {"plan": "free"})]))

    answer = warehouse.send(
        Batch("shop", events=[track("m2", "Signed Up", {"plan": "pro", "seats": 3})])
    )

    assert "added 1 columns" in answer.detail
    assert warehouse.columns("shop", "signed_up")["seats"] == "numeric"
    rows = warehouse.rows("shop", "signed_up")
    assert [(row["plan"], row["seats"]) for row in rows] == [("free", None), ("pro", 3.0)]


def test_a_value_of_another_type_goes_to_an_underscore_column(warehouse):
    warehouse.send(Batch("shop", events=[track("m1", "Paid", {"amount": 20, "at": T1})]))

    warehouse.send(
        Batch(
            "shop",
            events=[
                track("m2", "Paid", {"amount": "twenty", "at": "yesterday"}),
                track("m3", "Paid", {"amount": True}),
                track("m4", "Paid", {"amount": 30}),
            ],
        )
    )

    columns = warehouse.columns("shop", "paid")
    assert columns["amount"] == "numeric" and columns["amount_"] == "text"
    assert columns["at"] == "timestamp" and columns["at_"] == "text"
    rows = {row["id"]: row for row in warehouse.rows("shop", "paid")}
    assert (rows["m1"]["amount"], rows["m1"]["amount_"]) == (20.0, None)
    assert (rows["m2"]["amount"], rows["m2"]["amount_"]) == (None, "twenty")
    assert rows["m2"]["at_"] == "yesterday" and rows["m1"]["at"] == UTC1
    assert (rows["m3"]["amount"], rows["m3"]["amount_"]) == (None, "true")
    assert (rows["m4"]["amount"], rows["m4"]["amount_"]) == (30.0, None)


def test_within_one_batch_the_first_value_sets_the_type(warehouse):
    warehouse.send(
        Batch(
            "shop", events=[track("m1", "Paid", {"code": "A1"}), track("m2", "Paid", {"code": 7})]
        )
    )

    assert warehouse.columns("shop", "paid")["code"] == "text"
    assert "code_" not in warehouse.columns("shop", "paid")  # a text column holds 7 as text
    assert [row["code"] for row in warehouse.rows("shop", "paid")] == ["A1", "7"]


def test_users_hold_the_latest_traits_of_each_user(warehouse):
    warehouse.send(Batch("app", events=[identify("i2", T2, {"plan": "pro"})]))
    # An older identify arriving later only fills in what the newer one did not set.
    warehouse.send(
        Batch("app", events=[identify("i1", T1, {"plan": "free", "email": "old@example.com"})])
    )
    [user] = warehouse.rows("app", "users")
    assert (user["plan"], user["email"], user["timestamp"]) == ("pro", "old@example.com", UTC2)

    warehouse.send(
        Batch(
            "app",
            events=[
                identify("i3", T3, {"email": "new@example.com"}),
                identify("i4", T1, {"email": "older@example.com"}, user_id="u2"),
            ],
        )
    )

    users = {row["id"]: row for row in warehouse.rows("app", "users")}
    assert (users["u1"]["plan"], users["u1"]["email"]) == ("pro", "new@example.com")
    assert users["u1"]["timestamp"] == UTC3 and users["u2"]["email"] == "older@example.com"
    assert len(warehouse.rows("app", "identifies")) == 4  # every identify call stays


def test_one_batch_merges_a_users_identifies_in_time_order(warehouse):
    warehouse.send(
        Batch(
            "app",
            events=[
                identify("i3", T3, {"plan": "enterprise"}),
                identify("i1", T1, {"plan": "free", "email": "ann@example.com"}),
                identify("i2", T2, {"plan": "pro"}),
            ],
        )
    )

    [user] = warehouse.rows("app", "users")
    assert (user["plan"], user["email"], user["timestamp"]) == (
        "enterprise",
        "ann@example.com",
        UTC3,
    )


def test_each_track_event_has_its_own_table(warehouse):
    warehouse.send(
        Batch(
            "app",
            events=[
                track("m1", "Order Completed", {"total": 10}),
                track("m2", "Signed Up", {"plan": "free"}),
                track("m3", "Pages", {"count": 1}),  # not the pages table
                {"type": "track", "messageId": "m4", "userId": "u1"},  # no event name
            ],
        )
    )

    assert {"order_completed", "signed_up", "_pages", "tracks"} <= warehouse.tables("app")
    assert "pages" not in warehouse.tables("app")
    assert "total" in warehouse.columns("app", "order_completed")
    assert "total" not in warehouse.columns("app", "signed_up")
    tracks = warehouse.rows("app", "tracks")
    assert [(row["id"], row["event"]) for row in tracks] == [
        ("m1", "order_completed"), ("m2", "signed_up"), ("m3", "_pages"), ("m4", None),
    ]  # fmt: skip


def test_objects_are_upserted_by_id_per_column(warehouse):
    warehouse.send(
        Batch("billing", objects=[ObjectSet("customers", "c1", {"name": "Ann", "balance": 3})])
    )

    warehouse.send(
        Batch(
            "billing",
            objects=[
                ObjectSet("customers", "c1", {"balance": 4, "vip": True}),
                ObjectSet("customers", "c2", {"name": "Bob"}),
                ObjectSet("customers", "c1", {"balance": 5}),  # the last set wins
                ObjectSet("users", "x1", {"name": "Not the users table"}),
            ],
        )
    )

    customers = {row["id"]: row for row in warehouse.rows("billing", "customers")}
    assert len(customers) == 2
    # Columns a set gives are replaced, the others keep their values.
    assert (customers["c1"]["name"], customers["c1"]["balance"]) == ("Ann", 5.0)
    assert customers["c1"]["vip"] is True and customers["c2"]["name"] == "Bob"
    assert warehouse.rows("billing", "_users")[0]["name"] == "Not the users table"


def test_sending_a_batch_again_leaves_one_row_per_message(warehouse):
    batch = Batch(
        "app",
        events=[
            track("m1", "Clicked", {"n": 1}),
            track("m1", "Clicked", {"n": 1}),  # the same message twice in one batch
            track("m2", "Clicked", {"n": 2}),
            identify("i1", T1, {"plan": "free"}),
            {"type": "page", "messageId": "p1", "name": "Home"},
        ],
        objects=[ObjectSet("customers", "c1", {"name": "Ann"})],
    )

    warehouse.send(batch)
    warehouse.send(batch)

    counts = {
        table: len(warehouse.rows("app", table))
        for table in ("tracks", "clicked", "identifies", "users", "pages", "customers")
    }
    assert counts == {
        "tracks": 2, "clicked": 2, "identifies": 1, "users": 1, "pages": 1, "customers": 1,
    }  # fmt: skip


def test_a_message_without_a_message_id_still_loads_once(warehouse):
    message = {"type": "track", "event": "Clicked", "userId": "u1", "timestamp": T1}
    warehouse.send(Batch("app", events=[message]))
    warehouse.send(Batch("app", events=[dict(message)]))

    [row] = warehouse.rows("app", "clicked")
    assert row["id"].startswith("sha256-")


def test_hostile_names_are_identifiers_not_sql(warehouse):
    hostile_event = 'Robert"); DROP TABLE tracks; --'
    properties = {
        'a"b': 1,
        "semi;colon": "x",
        "select": "reserved",
        "order": 2,
        "user": "u",
        "prix €": 9.5,
        "名前": "Ann",
        "🙂": "smile",
        "2fa": True,
        "back\\slash'quote": "y",
    }
    source = 'evil"; DROP SCHEMA public CASCADE; --'

    answer = warehouse.send(Batch(source, events=[track("m1", hostile_event, properties)]))

    schema = "evil_drop_schema_public_cascade"
    assert schema in answer.detail
    assert {"robert_drop_table_tracks", "tracks"} <= warehouse.tables(schema)
    columns = warehouse.columns(schema, "robert_drop_table_tracks")
    for column in (
        "a_b",
        "semi_colon",
        "select",
        "order",
        "user",
        "prix",
        "_2fa",
        "back_slash_quote",
    ):
        assert column in columns, column
    # Names with no ASCII letter or digit get a stable name of their own each.
    unnamed = [column for column in columns if column.startswith("_") and len(column) == 9]
    assert len(unnamed) == 2
    [row] = warehouse.rows(schema, "robert_drop_table_tracks")
    assert (row["select"], row["order"], row["prix"], row["_2fa"]) == ("reserved", 2.0, 9.5, True)
    assert sorted(row[column] for column in unnamed) == ["Ann", "smile"]
    assert warehouse.rows(schema, "tracks")[0]["event_text"] == hostile_event


def test_long_names_are_cut_with_a_hash_and_stay_distinct(warehouse):
    prefix = "a_property_name_that_goes_on_and_on_well_past_the_limit_of_"
    first, second = prefix + "postgresql_one", prefix + "postgresql_two"
    event = "An Event Name That Is Far Too Long For An Identifier In PostgreSQL At All"

    warehouse.send(Batch("app", events=[track("m1", event, {first: 1, second: "two"})]))
    warehouse.send(Batch("app", events=[track("m2", event, {first: "one", second: "again"})]))

    [table] = warehouse.tables("app") - {"tracks"}
    assert len(table) == 63 and table.startswith("an_event_name_that_is_far_too_long")
    columns = warehouse.columns("app", table)
    long_columns = {
        column: kind for column, kind in columns.items() if column.startswith(prefix[:40])
    }
    assert all(len(column) <= 63 for column in long_columns)
    # Two long names, and the conflict column of the first: three distinct columns.
    assert sorted(long_columns.values()) == ["numeric", "text", "text"]
    values = [
        str(value)
        for row in warehouse.rows("app", table)
        for column, value in row.items()
        if column in long_columns and value is not None
    ]
    assert sorted(values) == ["1.0", "again", "one", "two"]


def test_check_creates_nothing(warehouse):
    answer = warehouse.destination.check()

    assert "can create schemas" in answer.detail
    warehouse.send(Batch("app", events=[track("m1", "Clicked")]))  # makes the DuckDB file
    assert "_functions_ide_check" not in warehouse.schemas()
