"""Segment-compatible HTTP: events to the Tracking API, objects to the Object API.

Events go to `POST {base_url}/v1/batch` as `{"batch": [...]}`, split into as many
requests as Segment's limits need (500 KB per request, 32 KB per event); an event over
32 KB can never be taken and is refused alone (Answer.refused), its batch goes on.
Objects go to `POST {objects base}/v1/set` as `{"collection", "objects": [{id,
properties}]}`, one collection per request and at most 10 objects each (the Object
API's limit). The write key is the basic-auth user, with an empty password.

Configuration: `preset` (a key of PRESETS, "custom" by default) and `base_url` (the
preset's when blank); credentials: `write_key`. The deliver stage adds what the
product says about itself (transport.Egress): `public_url`, `allow_private_network`,
and optionally `timeout_seconds`."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.deliver.destinations.base import Answer, Batch, DeliveryError, Destination, ObjectSet
from ingest.deliver.destinations.transport import (
    Egress,
    Transport,
    Wording,
    counted,
    encoded_events,
    json_bytes,
    object_json,
)

# "KB" read as 1000 bytes, the stricter reading: an event let through that the service
# then refuses would fail every event of its request with it.
MAX_REQUEST_BYTES = 500_000
MAX_EVENT_BYTES = 32_000
MAX_OBJECTS_PER_REQUEST = 10
EMPTY_BATCH = b'{"batch":[]}'


@dataclass(frozen=True)
class Preset:
    """A service that speaks Segment's HTTP API, as the Destinations page offers it:
    only a base URL and a write key to fill in."""

    name: str
    base_url: str  # filled in for the owner; "" when every account has its own
    base_url_example: str
    write_key_help: str
    # Where /v1/set goes: "" the base URL, None when the service has no Object API
    # (such a destination should be filtered to events).
    objects_base_url: str | None
    # What an answer to check()'s empty batch proves with this service.
    check_note: str
    docs_url: str

    @property
    def takes_objects(self) -> bool:
        return self.objects_base_url is not None


PRESETS: dict[str, Preset] = {
    "segment": Preset(
        name="Segment",
        base_url="https://api.segment.io",
        base_url_example="https://api.segment.io, or https://events.eu1.segmentapis.com "
        "for an EU workspace",
        write_key_help="The write key of an HTTP API source in your Segment workspace.",
        objects_base_url="https://objects.segment.com",
        check_note="Segment answers 200 to any write key: a wrong one shows only as "
        "missing events in the source's debugger.",
        docs_url="https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/",
    ),
    "rudderstack": Preset(
        name="RudderStack",
        base_url="",
        base_url_example="https://<your-data-plane>.dataplane.rudderstack.com",
        write_key_help="The write key of an HTTP source in RudderStack.",
        objects_base_url=None,
        check_note="RudderStack checks the write key before anything else, then refuses "
        "an empty batch with HTTP 400: a 400 here means the key was accepted.",
        docs_url="https://www.rudderstack.com/docs/api/http-api/",
    ),
    "jitsu": Preset(
        name="Jitsu",
        base_url="",
        base_url_example="https://<your-jitsu-domain>",
        write_key_help="A server-to-server write key of the Jitsu site (keyId:keySecret).",
        objects_base_url=None,
        check_note="Jitsu checks the write key (401 when it knows no site with it) and "
        "takes an empty batch.",
        docs_url="https://docs.jitsu.com/sending-data/http",
    ),
    "custom": Preset(
        name="Segment-compatible endpoint",
        base_url="",
        base_url_example="https://collector.example.com",
        write_key_help="The key the endpoint expects as the basic-auth user.",
        objects_base_url="",
        check_note="An endpoint that refuses empty batches answers HTTP 400: the write "
        "key was not refused.",
        docs_url="",
    ),
}


class SegmentCompatible(Destination):
    kind = "segment"

    def __init__(self, config: dict, credentials: dict) -> None:
        super().__init__(config, credentials)
        preset = config.get("preset") or "custom"
        if preset not in PRESETS:
            raise ValueError(f"Unknown Segment-compatible preset {preset!r}.")
        self.preset = PRESETS[preset]
        self.egress = Egress.from_config(config)
        self.base_url = str(config.get("base_url") or self.preset.base_url).rstrip("/")
        self.write_key = str(credentials.get("write_key") or "")

    def check(self) -> Answer:
        """POST an empty batch: it carries no data, and it shows whether the endpoint
        is reachable, speaks the Tracking API and takes the write key (as far as the
        service checks keys at all: see the preset's check_note)."""
        started = time.monotonic()
        with self._transport() as http:
            try:
                status = http.post(self._url("/v1/batch"), EMPTY_BATCH, self._headers()).status
            except DeliveryError as error:
                if error.status != 400:
                    raise
                status = 400
        return Answer(
            status,
            time.monotonic() - started,
            f"{self._service} answered HTTP {status} to an empty batch. {self.preset.check_note}",
        )

    def send(self, batch: Batch) -> Answer:
        """The events in as few requests as the limits allow, then the objects. A
        failure stops the send: the deliver stage tries the whole batch again, which
        receivers de-duplicate by messageId (and setting an object twice is harmless)."""
        if batch.objects and not self.preset.takes_objects:
            raise DeliveryError(
                f"{self.preset.name} has no Object API: filter this destination to events.",
                permanent=True,
            )
        started = time.monotonic()
        encoded, refused = encoded_events(batch.events, max_bytes=MAX_EVENT_BYTES, limit="32 KB")
        statuses: list[int] = []
        with self._transport() as http:
            for body in _bodies(encoded, head=b'{"batch":['):
                statuses.append(http.post(self._url("/v1/batch"), body, self._headers()).status)
            for body in _object_bodies(batch.objects):
                statuses.append(http.post(self._objects_url(), body, self._headers()).status)
        return Answer(
            statuses[-1] if statuses else None,
            time.monotonic() - started,
            _summary(len(encoded), len(batch.objects), len(statuses), len(refused)),
            refused,
        )

    def _transport(self) -> Transport:
        self._require_settings()
        wording = Wording(
            service=self._service,
            key_refused=f"{self._service} refused the write key: check that it is the "
            "write key of the right source",
            not_found="no Segment-compatible API there. The base URL is the part before "
            f"/v1/batch ({self.preset.base_url_example}).",
        )
        return Transport(self.egress, wording, secrets=[self.write_key])

    @property
    def _service(self) -> str:
        return "The endpoint" if self.preset is PRESETS["custom"] else self.preset.name

    def _require_settings(self) -> None:
        if not self.base_url:
            raise DeliveryError(
                f"Set the base URL of {self.preset.name} ({self.preset.base_url_example}).",
                permanent=True,
            )
        if not self.write_key:
            raise DeliveryError(f"Set the write key: {self.preset.write_key_help}", permanent=True)

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _objects_url(self) -> str:
        return (self.preset.objects_base_url or self.base_url).rstrip("/") + "/v1/set"

    def _headers(self) -> dict[str, str]:
        basic = base64.b64encode(f"{self.write_key}:".encode()).decode("ascii")
        return {"Content-Type": "application/json", "Authorization": f"Basic {basic}"}


def _bodies(
    parts: list[bytes], *, head: bytes, tail: bytes = b"]}", max_items: int | None = None
) -> Iterator[bytes]:
    """JSON bodies of `head + part,part,… + tail`, each within MAX_REQUEST_BYTES (a part
    too big for any request goes alone) and max_items."""
    chunk: list[bytes] = []
    size = len(head) + len(tail)
    for part in parts:
        full = max_items is not None and len(chunk) >= max_items
        if chunk and (full or size + 1 + len(part) > MAX_REQUEST_BYTES):
            yield head + b",".join(chunk) + tail
            chunk, size = [], len(head) + len(tail)
        size += len(part) + (1 if chunk else 0)
        chunk.append(part)
    if chunk:
        yield head + b",".join(chunk) + tail


def _object_bodies(objects: list[ObjectSet]) -> Iterator[bytes]:
    """One collection per request. Sets of one object in a batch are merged in order,
    as the Object API merges properties: the last value of each property wins."""
    merged: dict[str, dict[str, dict]] = {}
    for change in objects:
        collection = merged.setdefault(change.collection, {})
        collection[change.id] = {**collection.get(change.id, {}), **change.properties}
    for collection, by_id in merged.items():
        parts = [
            object_json({"id": id_, "properties": props}, collection)
            for id_, props in by_id.items()
        ]
        head = b'{"collection":' + json_bytes(collection) + b',"objects":['
        yield from _bodies(parts, head=head, max_items=MAX_OBJECTS_PER_REQUEST)


def _summary(events: int, objects: int, requests: int, refused: int) -> str:
    summary = (
        f"{counted(events, 'event')} and {counted(objects, 'object')} "
        f"in {counted(requests, 'request')}"
    )
    return summary + (f"; {counted(refused, 'event')} refused" if refused else "")
