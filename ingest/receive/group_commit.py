"""Group commit: the webhooks accepted while a write is under way share the next one.

One INSERT of many rows and one commit cost the database, and the process, about what
one row does, so under load each webhook costs less, while a lone webhook is written at
once (nothing waits for company: there is no timer). Each sender is answered only once
its own row is committed, as before: the rows of a group are committed together or not
at all. A failed write answers each of its senders 503, unless the failure is one row's
own (a source deleted a moment ago): then each row is written alone, so that no sender
is refused for another's webhook.

An event loop (the ASGI server's) keeps one writer: the rows that arrive while its
write is out wait for the next, at most WEBHOOK_COMMIT_GROUP_MAX rows and
GROUP_BODY_BYTES of bodies in one. The write
itself runs in a thread of its own: the database driver and the ORM are synchronous."""

import asyncio
import logging
import math
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import DataError, IntegrityError, close_old_connections, connection

from ingest import queue, sql
from ingest.models import IngestEvent

logger = logging.getLogger(__name__)
# A statement of big bodies is written in several: 100 bodies of 2 MB in one would hold
# 200 MB in this process and in the database at once.
GROUP_BODY_BYTES = 4 * 1024 * 1024
_writers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Writer]" = (
    weakref.WeakKeyDictionary()
)
# The write thread keeps its connection from one write to the next: under load, taking
# one from the pool for each write (with its health check, a round trip) cost about as
# much as the write. One unused for longer than this goes back and a checked one is
# taken: the database may have restarted meanwhile.
KEEP_CONNECTION_S = 1.0
_last_write = -math.inf  # read and written by the write thread only
_thread: ThreadPoolExecutor | None = None
_thread_lock = threading.Lock()


async def store(fields: dict, workspace_id: int) -> int:
    """Write one webhook's row (IngestEvent fields) with those arriving beside it and
    queue its turn; its id once committed. Database errors propagate."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = _Writer(loop)
    return await writer.store(fields, workspace_id)


class _Writer:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: list[tuple[dict, int, asyncio.Future]] = []
        self.writing = False

    async def store(self, fields: dict, workspace_id: int) -> int:
        future = self.loop.create_future()
        self.waiting.append((fields, workspace_id, future))
        if not self.writing:
            self.writing = True
            self.loop.create_task(self._write())
        return await future

    async def _write(self) -> None:
        try:
            while self.waiting:
                group = self._next_group()
                try:
                    await self._write_group(group)
                except (IntegrityError, DataError):
                    # One row's own fault (its source deleted a moment ago, say) must not
                    # refuse the others: each is written alone, and fails alone.
                    for row in group:
                        await self._write_group([row])
        finally:
            self.writing = False

    def _next_group(self) -> list[tuple[dict, int, asyncio.Future]]:
        """The oldest waiting rows, at most WEBHOOK_COMMIT_GROUP_MAX of them and
        GROUP_BODY_BYTES of bodies (always one)."""
        taken, body_bytes = 0, 0
        for fields, _, _ in self.waiting:
            body_bytes += len(fields["raw_body"])
            if taken and (
                taken == settings.WEBHOOK_COMMIT_GROUP_MAX or body_bytes > GROUP_BODY_BYTES
            ):
                break
            taken += 1
        group, self.waiting = self.waiting[:taken], self.waiting[taken:]
        return group

    async def _write_group(self, group: list[tuple[dict, int, asyncio.Future]]) -> None:
        """Write the group's rows in one statement and answer each of their senders.
        A row's own fault is raised for the caller to write them alone (a group of one:
        answered); any other failure answers each sender with it."""
        try:
            ids = await self.loop.run_in_executor(
                _write_thread(), _insert, [(f, w) for f, w, _ in group]
            )
        except Exception as failed:
            if len(group) > 1 and isinstance(failed, IntegrityError | DataError):
                raise
            for *_, future in group:
                if not future.done():
                    future.set_exception(failed)
            return
        for (*_, future), event_id in zip(group, ids, strict=True):
            if not future.done():  # a sender gone meanwhile: its row stays
                future.set_result(event_id)


def _insert(rows: list[tuple[dict, int]]) -> list[int]:
    """One INSERT of every row in autocommit (one statement: all committed or none),
    then the rows' turns (robust: they are durable; the sweep queues them otherwise)."""
    global _last_write
    if time.monotonic() - _last_write > KEEP_CONNECTION_S:
        close_old_connections()  # the next is taken from the pool, and checked
    try:
        ids = _write([IngestEvent(**fields) for fields, _ in rows])
    except BaseException:
        connection.close()  # whatever failed, the next write starts on a good one
        raise
    finally:
        _last_write = time.monotonic()
    for _, workspace_id in rows:
        try:
            queue.execute_soon(workspace_id)
        except Exception:
            logger.exception("a stored webhook's turn was not queued; the sweep will")
    return ids


def _write(events: list[IngestEvent]) -> list[int]:
    """The rows' ids, once they are committed."""
    sql.insert(IngestEvent, events)
    return [event.pk for event in events]


def _write_thread() -> ThreadPoolExecutor:
    global _thread
    with _thread_lock:
        if _thread is None:
            _thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-commit")
        return _thread
