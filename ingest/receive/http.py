"""An HTTP answer, as both fronts of the door send it (ingest.receive.asgi, ingest.views)."""

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, body bytes and headers (Content-Type among them; the
    fronts add Content-Length)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, body: dict, headers: dict | None = None) -> "Answer":
        payload = json.dumps(body).encode()
        return cls(status, payload, {"Content-Type": "application/json", **(headers or {})})
