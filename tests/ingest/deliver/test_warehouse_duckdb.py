"""The embedded DuckDB warehouse and the one-writer rule of DuckDB files: the loader
holds the file only during a load, waits a little for a file someone else holds, and
then gives up with a temporary error (the deliver stage retries later)."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ingest.deliver.destinations.base import Batch, DeliveryError
from ingest.deliver.destinations.warehouse import DuckDBWarehouse

BATCH = Batch(
    "shop",
    events=[{"type": "track", "messageId": "m1", "event": "Paid", "properties": {"amount": 1}}],
)
HOLD = """
import duckdb, sys
connection = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read-only")
print("held", flush=True)
sys.stdin.readline()  # until the test lets go
"""


class Holder:
    """Another process with the file open, as a person's query session would have it."""

    def __init__(self, path: Path, mode: str = "read-write") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(path), mode],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout.readline().strip() == "held"

    def release(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


def warehouse(path: Path, **config) -> DuckDBWarehouse:
    return DuckDBWarehouse({"path": str(path), **config}, {})


def test_the_file_is_free_between_loads(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    warehouse(path).send(BATCH)

    # Another process may write to it right away (here: as the loader does).
    other = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).execute("
         "'insert into shop.tracks (id) values (?)', ['m2']).close()", str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert other.returncode == 0, other.stderr


def test_the_duckdb_command_of_the_docs_reads_the_file(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    warehouse(path).send(BATCH)
    command = Path(sys.executable).parent / "duckdb"  # the duckdb-cli dependency

    done = subprocess.run(
        [str(command), "-readonly", "-csv", str(path), "select id, amount from shop.paid"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["id,amount", "m1,1.0"]


@pytest.mark.parametrize("mode", ["read-write", "read-only"])
def test_a_file_held_by_another_process_is_a_temporary_failure(tmp_path, mode):
    path = tmp_path / "warehouse.duckdb"
    warehouse(path).send(BATCH)
    holder = Holder(path, mode)
    try:
        started = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            warehouse(path, lock_wait_s=0.5).send(BATCH)
        waited = time.monotonic() - started
    finally:
        holder.release()

    error = caught.value
    assert not error.permanent and 0.5 <= waited < 5
    assert str(error) == (
        f"DuckDB could not open {path}: the file is held by process {holder.process.pid} "
        "(a query session left open?). Close it; the load is tried again."
    )
    assert "Could not set lock" in error.detail
    warehouse(path).send(BATCH)  # and once it is let go, loads go on


def test_a_load_waits_for_a_short_session_to_end(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    holder = Holder(path)
    threading.Timer(0.5, holder.release).start()

    answer = warehouse(path, lock_wait_s=20).send(BATCH)

    assert "Loaded 2 rows" in answer.detail
    assert holder.process.wait(10) == 0


def test_check_on_a_held_file_is_a_temporary_failure(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    holder = Holder(path)
    try:
        with pytest.raises(DeliveryError) as caught:
            warehouse(path, lock_wait_s=0.2).check()
    finally:
        holder.release()
    assert "the file is held" in str(caught.value) and not caught.value.permanent


def test_threads_of_one_process_take_turns(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    errors: list = []

    def load(n: int) -> None:
        events = [
            {"type": "track", "messageId": f"t{n}-{k}", "event": "Paid", "properties": {f"p{n}": k}}
            for k in range(20)
        ]
        try:
            warehouse(path).send(Batch("shop", events=events))
        except DeliveryError as error:
            errors.append(error)

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    import duckdb

    with duckdb.connect(str(path), read_only=True) as db:
        assert db.execute("select count(*) from shop.paid").fetchone() == (80,)
        columns = {row[0] for row in db.execute("describe shop.paid").fetchall()}
    assert {"p0", "p1", "p2", "p3"} <= columns


def test_a_folder_that_cannot_be_made_is_permanent(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")

    with pytest.raises(DeliveryError) as caught:
        warehouse(tmp_path / "taken" / "warehouse.duckdb").check()

    assert str(caught.value).startswith(f"DuckDB cannot create the folder {tmp_path / 'taken'}")
    assert caught.value.permanent


def test_a_file_that_is_not_a_duckdb_database_is_permanent(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(b"not a database" * 1000)

    with pytest.raises(DeliveryError) as caught:
        warehouse(path).send(BATCH)

    assert str(caught.value).startswith(f"DuckDB refused to open {path}: ")
    assert caught.value.permanent


def test_no_path_is_permanent():
    with pytest.raises(DeliveryError) as caught:
        DuckDBWarehouse({}, {}).check()
    assert "has no path" in str(caught.value) and caught.value.permanent
