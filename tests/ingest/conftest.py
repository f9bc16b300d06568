import pytest


@pytest.fixture
def no_queue():
    """Nothing reaches the broker: tests call the services themselves. Yields the mock of
    ingest.queue.retry, through which retries are scheduled."""
    from unittest import mock

    with (
        mock.patch("ingest.queue.broker"),
        mock.patch("ingest.queue.execute_soon"),
        mock.patch("ingest.queue.retry") as retries,
    ):
        yield retries
