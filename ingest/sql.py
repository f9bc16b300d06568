"""Plain SQL for the statements every webhook and every turn runs: its row, its claim,
its record.

Compiling the ORM's queries was most of a turn's CPU, and on PostgreSQL the ORM spells
each value of a bulk insert into the statement's text, its JSON through a regular
expression per character (docs/performance.md). These helpers
keep the hand-written statements portable between PostgreSQL and SQLite: parameters
prepared as the ORM prepares them, row locks where the database has them."""

import contextlib
import functools
from collections.abc import Iterable, Sequence

import psycopg
from django.db import connection, connections, transaction
from django.db.models.constants import OnConflict
from django.db.models.expressions import Col

# PostgreSQL's limit of parameters in one statement.
MAX_PARAMETERS = 65_535
# Insert statements of up to this many rows are built once per process.
CACHED_ROWS = 128


def rows(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: Sequence) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def placeholders(values: Sequence) -> str:
    """The parameters of `IN (...)` for these values, at least one (`IN ()` is no SQL on
    PostgreSQL; callers with no values have nothing to ask)."""
    if not values:
        raise ValueError("IN () needs at least one value")
    return ", ".join(["%s"] * len(values))


def value(model, field: str, python_value):
    """A parameter as the ORM writes this field (a UUID is text on SQLite, a datetime
    naive UTC)."""
    return model._meta.get_field(field).get_db_prep_value(python_value, connection)


def for_update(*, skip_locked: bool = False, of: str = "") -> str:
    """The row-lock clause for a SELECT ("" on SQLite: it runs one write at a time)."""
    if skip_locked and connection.features.has_select_for_update_skip_locked:
        return f" FOR UPDATE{f' OF {of}' if of else ''} SKIP LOCKED"
    if not skip_locked and connection.features.has_select_for_update:
        return " FOR UPDATE"
    return ""


def columns(model) -> str:
    """The model's columns in the order instances() reads them."""
    quote = connection.ops.quote_name
    return ", ".join(quote(f.column) for f in model._meta.concrete_fields)


def instances(model, statement: str, params: Sequence, *, extra: Sequence[str] = ()) -> list:
    """The rows of a statement that returns columns(model), in that order, as model
    instances, values converted as the ORM converts them (JSON parsed, secrets
    decrypted). Columns after the model's are set as attributes named by `extra`.

    Not a raw queryset: it matched the model's columns to the cursor's by name for
    every statement, which cost more than a turn's claim itself."""
    db = connections[connection.alias]
    converters = [
        (index, column, convert)
        for index, column, field_converters in _converters(model, db.vendor)
        if (convert := [*db.ops.get_db_converters(column), *field_converters])
    ]
    width = len(model._meta.concrete_fields)
    objs = []
    for row in rows(statement, params):
        values = list(row[:width])
        for index, column, convert in converters:
            for converter in convert:
                values[index] = converter(values[index], column, db)
        obj = model.from_db(db.alias, None, values)
        for name, value in zip(extra, row[width:], strict=True):
            setattr(obj, name, value)
        objs.append(obj)
    return objs


@functools.cache
def _converters(model, vendor: str) -> list[tuple[int, Col, list]]:
    """Each of the model's columns with the converters its field has on this kind of
    database (those of the connection's own operations are looked up on it)."""
    db = connections[connection.alias]
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        found.append((index, column, column.get_db_converters(db)))
    return found


def by_pk(model, ids: Iterable[int]) -> dict:
    """The rows of these ids as model instances, by id, in one statement."""
    ids = list(ids)
    if not ids:
        return {}
    statement = (
        f"SELECT {columns(model)} FROM {model._meta.db_table} WHERE id IN ({placeholders(ids)})"
    )
    return {obj.pk: obj for obj in instances(model, statement, ids)}


def insert(model, objs: list, *, ignore_conflicts: bool = False) -> None:
    """Insert these new rows, all or none, in as few statements as the database takes
    (one, unless there are more values than a statement may hold: then they share a
    transaction), and give each its id (not with ignore_conflicts: a row skipped has
    none). No transaction of its own for one statement: in autocommit it is committed
    alone, in one round trip. On PostgreSQL the values go apart from the statement, in
    binary (psycopg's server-side binding): a body as its bytes, JSON as it is."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    size = max(1, min(connection.ops.bulk_batch_size(fields, objs), MAX_PARAMETERS // len(fields)))
    chunks = [objs[start : start + size] for start in range(0, len(objs), size)]
    write = _insert_bound if connection.vendor == "postgresql" else _insert_orm
    with transaction.atomic() if len(chunks) > 1 else contextlib.nullcontext():
        for chunk in chunks:
            ids = write(model, fields, chunk, ignore_conflicts)
            for obj, pk in zip(chunk, ids, strict=False):
                obj.pk = pk
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def _insert_bound(model, fields, rows: list, ignore_conflicts: bool) -> list[int]:
    # The connection itself, not django.db.connection: each of the proxy's attributes is
    # looked up in a context-local, and this reads one for every value.
    db = connections[connection.alias]
    params = [f.get_db_prep_save(f.pre_save(obj, True), db) for obj in rows for f in fields]
    db.ensure_connection()
    # A raw cursor: the statement has PostgreSQL's own placeholders, so psycopg need not
    # parse it (a long one, not cached, took a third of a turn's CPU).
    with db.wrap_database_errors, psycopg.RawCursor(db.connection) as cursor:
        cursor.execute(_insert_statement(model, len(rows), ignore_conflicts), params, binary=True)
        return [] if ignore_conflicts else [pk for (pk,) in cursor.fetchall()]


def _insert_statement(model, rows: int, ignore_conflicts: bool) -> str:
    # Kept for the sizes most writes have; a large one is as quick to build as to look up.
    if rows <= CACHED_ROWS:
        return _cached_statement(model, rows, ignore_conflicts)
    return _statement(model, rows, ignore_conflicts)


def _statement(model, rows: int, ignore_conflicts: bool) -> str:
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in model._meta.concrete_fields if not f.primary_key]
    numbers = iter(range(1, rows * len(columns) + 1))
    values = ", ".join(
        "(" + ", ".join(f"${next(numbers)}" for _ in columns) + ")" for _ in range(rows)
    )
    ending = "ON CONFLICT DO NOTHING" if ignore_conflicts else f"RETURNING {quote('id')}"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) VALUES {values} {ending}"
    )


_cached_statement = functools.lru_cache(maxsize=256)(_statement)


def _insert_orm(model, fields, rows: list, ignore_conflicts: bool) -> list[int]:
    # The queryset's _insert is bulk_create's statement without the transaction
    # bulk_create would wrap it in (two round trips more).
    if ignore_conflicts:
        model.objects._insert(rows, fields=fields, on_conflict=OnConflict.IGNORE)
        return []
    returned = model.objects._insert(rows, fields=fields, returning_fields=[model._meta.pk])
    return [row[0] for row in returned]
