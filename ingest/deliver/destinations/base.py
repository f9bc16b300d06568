"""What every destination kind is: a sender of batches, told apart by its answers.

A kind (Segment-compatible HTTP, signed webhook, PostgreSQL or DuckDB warehouse) is a
class built from its configuration and its credentials, with two methods: `check()`
when an owner saves it or presses Send test, and `send(batch)` for every delivery.
Both answer with an Answer or raise DeliveryError, whose `permanent` tells the
deliver stage whether trying again can help. Nothing here knows Django's models:
the deliver stage turns rows into a Batch and the outcome back into rows."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ObjectSet:
    """One `Segment.set` call: the properties it wrote to an object of a collection."""

    collection: str
    id: str
    properties: dict


@dataclass(frozen=True)
class Batch:
    """What one delivery sends: events (Segment messages as the function emitted
    them, each with its `messageId` and `type`) and objects of one source.

    `source` is the source's slug: a warehouse loads it into a schema of that name."""

    source: str
    events: list[dict] = field(default_factory=list)
    objects: list[ObjectSet] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    """What the destination said to a batch that it took."""

    status: int | None  # the HTTP status, None for a warehouse (or when nothing was sent)
    seconds: float
    detail: str = ""  # a short human summary ("loaded 12 rows into 3 tables")
    # Events the destination can never take, by messageId, with why ("over 32 KB"):
    # a permanent failure of those events only. The deliver stage makes their
    # deliveries dead letters; every other event and object of the batch was taken.
    refused: dict[str, str] = field(default_factory=dict)


class DeliveryError(Exception):
    """The destination did not take the batch.

    `permanent`: trying the same batch again cannot help (a 4xx other than 408/429, a
    refused schema, wrong credentials); the deliveries become dead letters. Otherwise
    they are retried, not before `retry_after` seconds when the destination said so
    (a `Retry-After` header). `detail` is at most the first 1 KB of what the destination
    answered, never a credential."""

    DETAIL_BYTES = 1024

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        retry_after: float | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after
        self.detail = detail.encode()[: self.DETAIL_BYTES].decode(errors="ignore")


class Destination(ABC):
    """A destination kind. Subclasses set `kind` and implement check and send."""

    kind = ""

    def __init__(self, config: dict, credentials: dict) -> None:
        self.config = config
        self.credentials = credentials

    @abstractmethod
    def check(self) -> Answer:
        """Whether the configuration can work: reach the endpoint, connect to the
        database, create the schema. Raises DeliveryError with a message for the owner
        ("PostgreSQL refused the connection: …")."""

    @abstractmethod
    def send(self, batch: Batch) -> Answer:
        """Deliver the batch, at least once: sending the same batch twice must be
        harmless (receivers de-duplicate by message id; a warehouse upserts)."""
