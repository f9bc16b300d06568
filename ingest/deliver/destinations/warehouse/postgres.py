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
from psycopg.conninfo import conninfo_to_dict

from ingest.deliver.destinations.base import DeliveryError
from ingest.deliver.destinations.warehouse.loader import Loader, Warehouse
from ingest.deliver.destinations.warehouse.values import BOOLEAN, NUMERIC, TEXT, TIMESTAMP

CONNECT_TIMEOUT_S = 10
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

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

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
        try:
            return psycopg.connect(
                self.dsn,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="functions-ide warehouse",
            )
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
    (a URI or key=value string, as libpq takes it)."""

    kind = "postgres"

    def loader(self) -> Loader:
        dsn = (self.credentials or {}).get("dsn") or ""
        if not dsn.strip():
            raise DeliveryError(
                "PostgreSQL refused the connection: the destination has no DSN.", permanent=True
            )
        return Loader(PostgresDialect(dsn))


def redact(text: str, dsn: str) -> str:
    """The text without the DSN's password, wherever libpq may have echoed it."""
    for password in sorted(_passwords(dsn), key=len, reverse=True):
        text = text.replace(password, "***")
    text = re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", text, flags=re.I)


# Where a DSN that libpq cannot read holds its password: the user info of a URI (up to
# the @, spaces included: libpq quotes such a password back when it refuses it), a
# `password=` of its query, a `password=` keyword (quoted or not).
_WRITTEN_PASSWORDS = (
    re.compile(r"://[^:/@\s]*:([^@]*)@"),
    re.compile(r"[?&]password=([^&#]*)", re.I),
    re.compile(r"password\s*=\s*'((?:[^'\\]|\\.)*)'", re.I),
    re.compile(r"password\s*=\s*([^'\s]\S*)", re.I),
)


def _passwords(dsn: str) -> set[str]:
    try:
        password = conninfo_to_dict(dsn).get("password") or ""
    except psycopg.Error:
        return {m for pattern in _WRITTEN_PASSWORDS for m in pattern.findall(dsn) if m}
    return {password} if password else set()


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no reason given"
