"""The warehouse loader: one algorithm, two dialects (PostgreSQL and DuckDB).

A load is one transaction: create the source's schema and the tables it lacks, add the
columns new properties need, then one multi-row `INSERT … SELECT … ON CONFLICT (id)` per
table: `DO NOTHING` for events (the message id is the key, so a batch sent twice leaves
one row per message), and per-column upserts for users and objects. The rows travel as
one JSON document per statement, which the database's own JSON reader turns into typed
rows (PostgreSQL's json_to_recordset, DuckDB's from_json): one parameter, however many
rows, and far faster in DuckDB than a parameter per value. What differs between the
databases (quoting, types, the JSON reader, connecting, which errors are temporary) is
the Dialect's."""

import json
import time
from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

from ingest.deliver.destinations.base import Answer, Batch, Destination
from ingest.deliver.destinations.warehouse.names import IDENTIFIER, fit
from ingest.deliver.destinations.warehouse.plan import APPEND, LATEST, Plan, Table, plan
from ingest.deliver.destinations.warehouse.values import (
    BOOLEAN,
    NUMERIC,
    TEXT,
    TIMESTAMP,
    Value,
    accepts,
    for_json,
)

OTHER = "other"  # a column type the loader does not make: it takes none of our values
ROWS_PER_STATEMENT = 5000  # bounds the size of one JSON document
CHECK_SCHEMA = "_functions_ide_check"


class Connection(Protocol):
    def execute(self, query: str, params: Sequence[Any] | None = None) -> Any: ...


class Dialect(Protocol):
    types: Mapping[str, str]  # TEXT, NUMERIC, BOOLEAN, TIMESTAMP -> the SQL type
    placeholder: str

    def transaction(self, what: str, *, commit: bool = True) -> AbstractContextManager[Any]:
        """Connect and open a transaction; DeliveryError for every database error, its
        message naming `what` was being done."""
        ...

    def lock_schema(self, db: Connection, schema: str) -> None:
        """Keep other loads out of this schema until the transaction ends."""
        ...

    def quote(self, name: str) -> str: ...

    def json_rows(self, kinds: list[str], document: str) -> tuple[str, list[object]]:
        """A SELECT of columns c0, c1, … of these kinds from a JSON array of objects
        keyed "c0", "c1", …; and its parameters."""
        ...

    def describe(self, db: Connection) -> str:
        """What check() reports it reached ("PostgreSQL 16.2, database x as role y")."""
        ...


class Loader:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    def check(self) -> Answer:
        """Connect, create a schema and a table, and roll back: nothing stays."""
        started = time.monotonic()
        with self.dialect.transaction("to create a schema", commit=False) as db:
            db.execute(f"CREATE SCHEMA IF NOT EXISTS {self._q(CHECK_SCHEMA)}")
            columns = {"id": TEXT, "loaded_at": TIMESTAMP}
            db.execute(self._create_table(CHECK_SCHEMA, "check", columns))
            reached = self.dialect.describe(db)
        return Answer(None, time.monotonic() - started, f"{reached}: can create schemas.")

    def load(self, batch: Batch) -> Answer:
        started = time.monotonic()
        work = plan(batch, datetime.now(UTC))
        if not work.tables:
            return Answer(None, time.monotonic() - started, "Nothing to load.")
        what = f"the load into schema {work.schema}"
        with self.dialect.transaction(what) as db:
            created, added = self._load(db, work)
        return Answer(None, time.monotonic() - started, _summary(work, created, added))

    # --- one load --------------------------------------------------------------------

    def _load(self, db: Connection, work: Plan) -> tuple[int, int]:
        """Returns how many tables were created and how many columns added."""
        self.dialect.lock_schema(db, work.schema)
        self._create_schema(db, work.schema)
        existing = self._columns(db, work.schema)
        created = added = 0
        for table in work.tables.values():
            columns, new, rows = _resolve(table, existing.get(table.name))
            create = table.name not in existing
            self._add_columns(db, work.schema, table.name, new, create=create)
            self._write(db, work.schema, table, columns, rows)
            created, added = (created + 1, added) if create else (created, added + len(new))
        return created, added

    def _create_schema(self, db: Connection, schema: str) -> None:
        # Looked up first: PostgreSQL checks the right to create schemas even for
        # CREATE SCHEMA IF NOT EXISTS, and a role may only have the schema made for it.
        found = db.execute(
            "SELECT 1 FROM information_schema.schemata "
            f"WHERE schema_name = {self.dialect.placeholder}",
            [schema],
        ).fetchall()
        if not found:
            db.execute(f"CREATE SCHEMA IF NOT EXISTS {self._q(schema)}")

    def _columns(self, db: Connection, schema: str) -> dict[str, dict[str, str]]:
        """The tables of the schema and the kind of each of their columns."""
        found = db.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = {self.dialect.placeholder}",
            [schema],
        ).fetchall()
        tables: dict[str, dict[str, str]] = {}
        for table, column, data_type in found:
            tables.setdefault(table, {})[column] = kind_of(data_type)
        return tables

    def _add_columns(
        self, db: Connection, schema: str, table: str, new: dict[str, str], *, create: bool
    ) -> None:
        if create:
            db.execute(self._create_table(schema, table, new))
            return
        target = f"{self._q(schema)}.{self._q(table)}"
        for column, kind in new.items():
            db.execute(
                f"ALTER TABLE {target} ADD COLUMN IF NOT EXISTS "
                f"{self._q(column)} {self.dialect.types[kind]}"
            )

    def _create_table(self, schema: str, table: str, columns: dict[str, str]) -> str:
        definitions = [
            f"{self._q(column)} {self.dialect.types[kind]}"
            + (" PRIMARY KEY" if column == "id" else "")
            for column, kind in columns.items()
        ]
        return (
            f"CREATE TABLE IF NOT EXISTS {self._q(schema)}.{self._q(table)} "
            f"({', '.join(definitions)})"
        )

    def _write(
        self,
        db: Connection,
        schema: str,
        table: Table,
        columns: dict[str, str],
        rows: list[dict[str, Value]],
    ) -> None:
        names = list(dict.fromkeys(column for row in rows for column in row))
        kinds = [columns[name] for name in names]
        keys = [f"c{index}" for index in range(len(names))]
        for chunk in _chunks(rows, ROWS_PER_STATEMENT):
            document = json.dumps(
                [
                    {key: for_json(kind, row[name])
                     for key, kind, name in zip(keys, kinds, names, strict=True) if name in row}
                    for row in chunk
                ],
                ensure_ascii=False,
            )  # fmt: skip
            select, params = self.dialect.json_rows(kinds, document)
            db.execute(self._insert(schema, table, names, select), params)

    def _insert(self, schema: str, table: Table, names: list[str], select: str) -> str:
        q = self._q
        return (
            f"INSERT INTO {q(schema)}.{q(table.name)} AS {q('t')} "
            f"({', '.join(q(name) for name in names)}) {select} "
            f"ON CONFLICT ({q('id')}) {self._on_conflict(table.mode, names)}"
        )

    def _on_conflict(self, mode: str, names: list[str]) -> str:
        """APPEND: a message loaded once stays as it was. MERGE: each column given
        replaces the stored one, columns not given keep theirs (Segment replaces per
        column). LATEST: the same, unless the stored row comes from a newer identify:
        then only the columns it lacks are filled in."""
        if mode == APPEND:
            return "DO NOTHING"
        q = self._q
        updates = []
        for name in names:
            if name == "id":
                continue
            new, old = f"excluded.{q(name)}", f"{q('t')}.{q(name)}"
            value = f"COALESCE({new}, {old})"
            if mode == LATEST and name != "uuid_ts":
                stamp, stored = f"excluded.{q('timestamp')}", f"{q('t')}.{q('timestamp')}"
                newer = f"{stored} IS NULL OR {stamp} >= {stored}"
                value = f"CASE WHEN {newer} THEN {value} ELSE COALESCE({old}, {new}) END"
            updates.append(f"{q(name)} = {value}")
        return "DO UPDATE SET " + ", ".join(updates) if updates else "DO NOTHING"

    def _q(self, name: str) -> str:
        # Every name has been through names.py; refuse anything else outright.
        if not IDENTIFIER.fullmatch(name):
            raise ValueError(f"not a warehouse identifier: {name!r}")
        return self.dialect.quote(name)


class Warehouse(Destination):
    """A warehouse kind: the loader with the dialect its configuration names."""

    @abstractmethod
    def loader(self) -> Loader:
        """The loader with this kind's dialect and connection."""

    def check(self) -> Answer:
        return self.loader().check()

    def send(self, batch: Batch) -> Answer:
        return self.loader().load(batch)


def _summary(work: Plan, created: int, added: int) -> str:
    rows = sum(len(table.rows) for table in work.tables.values())
    detail = f"Loaded {rows} rows into {len(work.tables)} tables of {work.schema}"
    changes = [f"created {created} tables"] if created else []
    changes += [f"added {added} columns"] if added else []
    detail += f" ({', '.join(changes)})." if changes else "."
    if work.skipped:
        detail += f" Skipped {work.skipped} messages that no table takes."
    return detail


def _resolve(
    table: Table, known: dict[str, str] | None
) -> tuple[dict[str, str], dict[str, str], list[dict[str, Value]]]:
    """Which column each value goes to: the columns the table will have, those to add,
    and the rows keyed by column. A value the column's type cannot hold goes to the
    same name with `_` appended (text), as Segment's warehouses do."""
    columns = dict(known or {})
    new = {name: kind for name, kind in table.standard.items() if name not in columns}
    columns.update(new)
    placed_at: dict[tuple[str, str], str | None] = {}  # (name, value kind) -> column
    rows = []
    for row in table.rows.values():
        placed: dict[str, Value] = {}
        for name, value in row.items():
            key = (name, value.kind)
            if key not in placed_at:
                placed_at[key] = _place(columns, new, name, value)
            if (column := placed_at[key]) is not None:
                placed[column] = value
        rows.append(placed)
    return columns, new, rows


def _place(columns: dict[str, str], new: dict[str, str], name: str, value: Value) -> str | None:
    for column in (fit(name), fit(name + "_"), fit(name + "__")):
        kind = columns.get(column)
        if kind is None:
            # A new column takes the type of the first value it meets; a conflict
            # column is text, so that it can hold whatever conflicts next.
            kind = columns[column] = new[column] = value.kind if column == fit(name) else TEXT
        if accepts(kind, value):
            return column
    return None  # three columns of this name, all of other types: nowhere to put it


def kind_of(data_type: str) -> str:
    """The loader's kind of a column from its information_schema data_type, in either
    database (a column someone altered by hand keeps working when the kind matches)."""
    base = data_type.lower().split("(")[0].strip()
    if base in ("text", "varchar", "character varying", "character", "char", "string"):
        return TEXT
    if base.startswith("bool"):
        return BOOLEAN
    if base.startswith("timestamp"):
        return TIMESTAMP
    if base in _NUMERIC_TYPES:
        return NUMERIC
    return OTHER


_NUMERIC_TYPES = frozenset(
    {"numeric", "decimal", "real", "double", "double precision", "float", "float4", "float8"}
    | {"smallint", "integer", "bigint", "int", "int2", "int4", "int8", "hugeint", "tinyint"}
    | {"utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"}
)


def _chunks(rows: list, size: int) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
