"""The PostgreSQL dialect of the warehouse loader (psycopg 3), and the destination.

Each load connects, loads in one transaction and disconnects: a load is a batch, so a
connection per batch costs little, and nothing is held open against the user's
database between batches. Loads into one schema take turns (an advisory lock), so two
workers never add the same column with different types."""

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from ingest.deliver.destinations.base import DeliveryError
from ingest.deliver.destinations.warehouse.dsn import Dsn, ProductDatabase, redact
from ingest.deliver.destinations.warehouse.loader import Loader, Warehouse
from ingest.deliver.destinations.warehouse.values import BOOLEAN, NUMERIC, TEXT, TIMESTAMP

STATEMENT_TIMEOUT = "60s"
LOCK_TIMEOUT = "10s"  # waiting this long for a table (a long query of the user's) is temporary

# SQLSTATE classes after which the same load can succeed later: connection exceptions,
# transaction rollbacks (serialization, deadlock), insufficient resources, operator
# intervention (timeouts, shutdown), system errors; and a lock not available.
_TEMPORARY_CLASSES = ("08", "40", "53", "57", "58")
_TEMPORARY_STATES = ("55P03", "55006")
# What libpq says when the server refused who we are or where we go: trying again with
# the same DSN cannot help.
_REFUSED = re.compile(
    r"password authentication failed|no pg_hba\.conf entry|does not exist|"
    r"not permitted to log in|permission denied|authentication|invalid|unsupported",
    re.IGNORECASE,
)


class PostgresDialect:
    types = {
        TEXT: "text",
        NUMERIC: "numeric",
        BOOLEAN: "boolean",
        TIMESTAMP: "timestamp with time zone",
    }
    placeholder = "%s"

    def __init__(self, dsn: str, *, allow_private: bool, product: ProductDatabase | None) -> None:
        self.dsn = dsn
        self.target = Dsn.parse(dsn)  # refuses what a DSN may not say, before any connect
        self.allow_private = allow_private
        self.product = product

    @contextmanager
    def transaction(self, what: str, *, commit: bool = True) -> Iterator[psycopg.Connection]:
        connection = self._connect()
        try:
            with connection:  # closes it; commits unless an error or commit=False
                connection.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'")
                connection.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                yield connection
                if not commit:
                    connection.rollback()
        except psycopg.Error as exc:
            raise self._refused(what, exc) from None

    def _connect(self) -> psycopg.Connection:
        # Vetted at every connect: the name may resolve elsewhere by the next load.
        conninfo = self.target.parameters(allow_private=self.allow_private, product=self.product)
        try:
            return psycopg.connect(conninfo)
        except psycopg.Error as exc:
            reason = redact(str(exc), self.dsn)
            permanent = isinstance(exc, psycopg.ProgrammingError) or bool(_REFUSED.search(reason))
            raise DeliveryError(
                f"PostgreSQL refused the connection: {_first_line(reason)}",
                permanent=permanent,
                detail=reason,
            ) from None

    def _refused(self, what: str, exc: psycopg.Error) -> DeliveryError:
        reason = redact(str(exc), self.dsn)
        state = exc.sqlstate
        if state is None:
            # No answer from the server (the connection was lost): temporary; a
            # client-side refusal (a statement psycopg cannot send) is not.
            temporary = isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
        else:
            temporary = state[:2] in _TEMPORARY_CLASSES or state in _TEMPORARY_STATES
        verb = "could not finish" if temporary else "refused"
        return DeliveryError(
            f"PostgreSQL {verb} {what}: {_first_line(reason)}",
            permanent=not temporary,
            detail=reason,
        )

    def lock_schema(self, db: psycopg.Connection, schema: str) -> None:
        key = int.from_bytes(hashlib.sha256(f"warehouse:{schema}".encode()).digest()[:8], "big")
        db.execute("SELECT pg_advisory_xact_lock(%s)", [key - (1 << 63)])

    def quote(self, name: str) -> str:
        return sql.Identifier(name).as_string(None)

    def json_rows(self, kinds: list[str], document: str) -> tuple[str, list[object]]:
        # json_to_recordset reads each value with its column type's own input: numbers
        # stay exact in numeric columns, timestamps keep the offset they were sent with.
        columns = [f"c{index}" for index in range(len(kinds))]
        definitions = ", ".join(
            f"{column} {self.types[kind]}" for column, kind in zip(columns, kinds, strict=True)
        )
        select = f"SELECT {', '.join(columns)} FROM json_to_recordset(%s::json) AS r({definitions})"
        return select, [document]

    def describe(self, db: psycopg.Connection) -> str:
        version, database, role = db.execute(
            "SELECT current_setting('server_version'), current_database(), current_user"
        ).fetchone()
        return f"PostgreSQL {version}, database {database} as role {role}"


class PostgresWarehouse(Warehouse):
    """A PostgreSQL database the owner points at. credentials: {"dsn": "postgresql://…"}
    (a URI or key=value string, saying only what dsn.py allows). config, from the
    deliver stage: allow_private_network, and product_database (the product's own, which
    is never a warehouse)."""

    kind = "postgres"

    def loader(self) -> Loader:
        dsn = (self.credentials or {}).get("dsn") or ""
        if not dsn.strip():
            raise DeliveryError(
                "PostgreSQL refused the connection: the destination has no DSN.", permanent=True
            )
        dialect = PostgresDialect(
            dsn,
            allow_private=bool(self.config.get("allow_private_network", False)),
            product=ProductDatabase.from_config(self.config),
        )
        return Loader(dialect)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no reason given"
