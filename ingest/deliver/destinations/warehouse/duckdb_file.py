"""The DuckDB dialect of the warehouse loader, and the embedded destination.

A DuckDB file takes one writing process at a time, and a process that has it open
(even read-only) keeps every other process out. So each load opens the file, loads in
one transaction and closes it: between loads anyone may query the file. A load that
finds the file held by another process (someone's query session) tries again for a few
seconds, then gives up with a temporary error, and the deliver stage retries it later.
Threads of one process take turns through a lock of their own, so that two loads never
fight over the same schema in one process."""

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ingest.deliver.destinations.base import DeliveryError
from ingest.deliver.destinations.warehouse.loader import Loader, Warehouse
from ingest.deliver.destinations.warehouse.values import BOOLEAN, NUMERIC, TEXT, TIMESTAMP

LOCK_WAIT_S = 5.0  # how long a load waits for a file another process holds
_FIRST_RETRY_S, _LONGEST_RETRY_S = 0.05, 0.5
_TEMPORARY = (duckdb.TransactionException, duckdb.OutOfMemoryException, duckdb.InterruptException)
# No extension is ever fetched from the network during a load.
_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

_guard = threading.Lock()
_file_locks: dict[Path, threading.Lock] = {}


class DuckDBDialect:
    types = {TEXT: "VARCHAR", NUMERIC: "DOUBLE", BOOLEAN: "BOOLEAN", TIMESTAMP: "TIMESTAMPTZ"}
    placeholder = "?"

    def __init__(self, path: Path, lock_wait_s: float = LOCK_WAIT_S) -> None:
        self.path = path
        self.lock_wait_s = lock_wait_s

    @contextmanager
    def transaction(self, what: str, *, commit: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        deadline = time.monotonic() + self.lock_wait_s
        turn = _file_lock(self.path)
        if not turn.acquire(timeout=self.lock_wait_s):
            raise DeliveryError(
                f"DuckDB is busy with another load of {self.path}; the load is tried again.",
                permanent=False,
            )
        try:
            connection = self._open(deadline)
            try:
                connection.begin()
                yield connection
                connection.commit() if commit else connection.rollback()
            except duckdb.Error as exc:
                raise self._refused(what, exc) from None
            finally:
                connection.close()  # releases the file for anyone's query
        finally:
            turn.release()

    def _open(self, deadline: float) -> duckdb.DuckDBPyConnection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeliveryError(
                f"DuckDB cannot create the folder {self.path.parent}: {exc.strerror}",
                permanent=True,
            ) from None
        wait = _FIRST_RETRY_S
        while True:
            try:
                return duckdb.connect(str(self.path), config=_CONFIG)
            except duckdb.IOException as exc:
                remaining = deadline - time.monotonic()
                if not _held(exc) or remaining <= 0:
                    raise self._refused(f"to open {self.path}", exc) from None
                time.sleep(min(wait, remaining))
                wait = min(wait * 2, _LONGEST_RETRY_S)
            except duckdb.Error as exc:
                raise self._refused(f"to open {self.path}", exc) from None

    def _refused(self, what: str, exc: duckdb.Error) -> DeliveryError:
        reason = str(exc).strip()
        if _held(exc):
            holder = re.search(r"PID (\d+)", reason)
            by = f" by process {holder.group(1)}" if holder else ""
            return DeliveryError(
                f"DuckDB could not open {self.path}: the file is held{by} (a query session "
                f"left open?). Close it; the load is tried again.",
                permanent=False,
                detail=reason,
            )
        temporary = isinstance(exc, _TEMPORARY) or "No space left" in reason
        verb = "could not finish" if temporary else "refused"
        first = reason.splitlines()[0] if reason else type(exc).__name__
        return DeliveryError(
            f"DuckDB {verb} {what}: {first}", permanent=not temporary, detail=reason
        )

    def lock_schema(self, db: duckdb.DuckDBPyConnection, schema: str) -> None:
        """Nothing to do: the file lock and the process lock already give one writer."""

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def json_rows(self, kinds: list[str], document: str) -> tuple[str, list[object]]:
        columns = [f"c{index}" for index in range(len(kinds))]
        structure = {column: self.types[kind] for column, kind in zip(columns, kinds, strict=True)}
        select = ", ".join(f"r.{column}" for column in columns)
        return f"SELECT {select} FROM (SELECT unnest(from_json(?, ?)) AS r)", [
            document,
            json.dumps([structure]),
        ]

    def describe(self, db: duckdb.DuckDBPyConnection) -> str:
        return f"DuckDB {duckdb.__version__}, file {self.path}"


class DuckDBWarehouse(Warehouse):
    """The embedded warehouse: a DuckDB file. config: {"path": …} (the deliver stage
    passes the workspace's file, WAREHOUSE_DIR/<slug>.duckdb), optionally {"lock_wait_s": …}."""

    kind = "duckdb"

    def loader(self) -> Loader:
        path = (self.config or {}).get("path")
        if not path:
            raise DeliveryError(
                "DuckDB has no file to write: the destination has no path.", permanent=True
            )
        wait = float((self.config or {}).get("lock_wait_s", LOCK_WAIT_S))
        return Loader(DuckDBDialect(Path(path).expanduser(), wait))


def _held(exc: duckdb.Error) -> bool:
    return isinstance(exc, duckdb.IOException) and "Could not set lock" in str(exc)


def _file_lock(path: Path) -> threading.Lock:
    key = path.resolve()
    with _guard:
        return _file_locks.setdefault(key, threading.Lock())
