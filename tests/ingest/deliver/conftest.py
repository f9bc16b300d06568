import pytest

from tests.ingest.deliver.receiver import Receiver, serve


@pytest.fixture
def receiver(settings):
    """A destination endpoint on loopback, which HTTP destinations may reach here."""
    settings.DESTINATIONS_ALLOW_PRIVATE_NETWORK = True
    yield from serve(Receiver())
