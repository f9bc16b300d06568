"""Threads of a test that use the database end as a server's or a worker's thread does: with
their connection closed. One that ended holding it would keep it out of the production
configuration's pool (ten connections) for the rest of the run."""

import threading

from django.db import connections


def database_thread(target, *args, **kwargs) -> threading.Thread:
    """A thread (not started) running target(*args, **kwargs), its connections closed after."""

    def run() -> None:
        try:
            target(*args, **kwargs)
        finally:
            connections.close_all()

    return threading.Thread(target=run, name=getattr(target, "__name__", None))
