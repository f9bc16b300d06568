import pytest


@pytest.fixture
def no_queue():
    """Nothing reaches the broker: tests call the services themselves. Yields the mock of
    execute.apply_async, through which retries are scheduled."""
    from unittest import mock

    with (
        mock.patch("ingest.dispatch.queue_soon"),
        mock.patch("ingest.tasks.execute_batch.delay"),
        mock.patch("ingest.tasks.execute.apply_async") as retries,
        mock.patch("ingest.tasks.forward.delay"),
    ):
        yield retries
