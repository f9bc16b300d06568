"""Real warehouses for the warehouse destination tests: a PostgreSQL database of the
test session's own (dropped at the end; each test's schemas dropped after it) and a
DuckDB file in each test's tmp_path. `warehouse` runs a test against both."""

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest

from ingest.deliver.destinations.warehouse import DuckDBWarehouse, PostgresWarehouse
from tests.faults.stack import PG, reachable
from tests.ingest.deliver.receiver import Receiver, serve

ADMIN_DSN = f"postgresql://postgres@{PG[0]}:{PG[1]}"
# The test PostgreSQL is on loopback, which a warehouse reaches only where the
# deployment allows private networks (DESTINATIONS_ALLOW_PRIVATE_NETWORK).
LOOPBACK = {"allow_private_network": True}
# The machine's PostgreSQL is shared: names of this session's own.
TEST_DATABASE = f"fi_wh_test_{os.getpid()}"


def require_postgres() -> None:
    """Skip without PostgreSQL; CI (REQUIRE_SERVICES=1) fails instead."""
    if reachable(PG):
        return
    message = f"needs PostgreSQL on {PG[0]}:{PG[1]}"
    if os.environ.get("REQUIRE_SERVICES"):
        pytest.fail(message)
    pytest.skip(message)


def admin(database: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(f"{ADMIN_DSN}/{database}", autocommit=True)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """The DSN of a fresh database, as the superuser."""
    require_postgres()
    with admin() as db:
        db.execute(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
    yield f"{ADMIN_DSN}/{TEST_DATABASE}"
    with admin() as db:
        db.execute(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)')


@pytest.fixture
def pg_dsn(pg_database: str) -> Iterator[str]:
    yield pg_database
    with admin(TEST_DATABASE) as db:
        schemas = db.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname NOT IN ('information_schema', 'public')"
        ).fetchall()
        for (schema,) in schemas:
            db.execute(
                psycopg.sql.SQL("DROP SCHEMA {} CASCADE").format(psycopg.sql.Identifier(schema))
            )


class Warehouse(ABC):
    """A destination and a way to look into what it loaded, the same for both kinds."""

    kind = ""
    types: dict[str, str] = {}  # the loader's kinds -> information_schema data_type

    def __init__(self, destination) -> None:
        self.destination = destination

    def send(self, batch):
        return self.destination.send(batch)

    @abstractmethod
    def query(self, query: str, params: list | None = None) -> list[tuple]:
        """Rows of a read-only query against the warehouse."""

    def tables(self, schema: str) -> set[str]:
        found = self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            + self.placeholder,
            [schema],
        )
        return {name for (name,) in found}

    def schemas(self) -> set[str]:
        return {
            name for (name,) in self.query("SELECT schema_name FROM information_schema.schemata")
        }

    def columns(self, schema: str, table: str) -> dict[str, str]:
        """column -> the loader's kind, read back from information_schema."""
        found = self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = {self.placeholder} AND table_name = {self.placeholder} "
            "ORDER BY ordinal_position",
            [schema, table],
        )
        kinds = {data_type: kind for kind, data_type in self.types.items()}
        return {column: kinds.get(data_type, data_type) for column, data_type in found}

    def rows(self, schema: str, table: str) -> list[dict]:
        """Every row, ordered by id: timestamps as UTC text, numbers as floats."""
        columns = self.columns(schema, table)
        selected = ", ".join(
            f'"{name}"::{self.text_type}' if kind == "timestamp" else f'"{name}"'
            for name, kind in columns.items()
        )
        found = self.query(f'SELECT {selected} FROM "{schema}"."{table}" ORDER BY "id"')
        return [
            {
                name: float(value) if kind == "numeric" and value is not None else value
                for (name, kind), value in zip(columns.items(), row, strict=True)
            }
            for row in found
        ]


class PostgresLook(Warehouse):
    kind = "postgres"
    types = {
        "text": "text",
        "numeric": "numeric",
        "boolean": "boolean",
        "timestamp": "timestamp with time zone",
    }
    placeholder = "%s"
    text_type = "text"

    def __init__(self, dsn: str) -> None:
        super().__init__(PostgresWarehouse(LOOPBACK, {"dsn": dsn}))
        self.dsn = dsn

    def query(self, query, params=None):
        with psycopg.connect(self.dsn, autocommit=True) as db:
            db.execute("SET TIME ZONE 'UTC'")
            return db.execute(query, params).fetchall()


class DuckDBLook(Warehouse):
    kind = "duckdb"
    types = {
        "text": "VARCHAR",
        "numeric": "DOUBLE",
        "boolean": "BOOLEAN",
        "timestamp": "TIMESTAMP WITH TIME ZONE",
    }
    placeholder = "?"
    text_type = "VARCHAR"

    def __init__(self, path: Path) -> None:
        super().__init__(DuckDBWarehouse({"path": str(path)}, {}))
        self.path = path

    def query(self, query, params=None):
        # Short and read-only, as the docs tell a person to query the file.
        with duckdb.connect(str(self.path), read_only=True) as db:
            db.execute("SET TimeZone = 'UTC'")
            return db.execute(query, params).fetchall()


@pytest.fixture(
    params=["duckdb", pytest.param("postgres", marks=pytest.mark.integration)],
)
def warehouse(request, tmp_path) -> Warehouse:
    if request.param == "duckdb":
        return DuckDBLook(tmp_path / "warehouse.duckdb")
    return PostgresLook(request.getfixturevalue("pg_dsn"))


@pytest.fixture
def receiver(settings):
    """A destination endpoint on loopback, which HTTP destinations may reach here."""
    settings.DESTINATIONS_ALLOW_PRIVATE_NETWORK = True
    yield from serve(Receiver())
