"""Which source a webhook token belongs to, as the accept path needs it.

A sender posting many webhooks costs the database one query per token and interval,
not one per webhook: each process remembers its answers for SOURCE_LOOKUP_TTL_S. A
change to any source forgets everything this process remembered (see ingest.apps);
other processes see it within the interval. Unknown tokens are remembered too, so a
disabled source answers exactly like a token that never existed, in the same time."""

import random
import re
import threading
import time
from dataclasses import dataclass, replace

from cachetools import TTLCache

from catalog.models import Source

SOURCE_LOOKUP_TTL_S = 2.0
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Target:
    """What the accept path needs of a source: its pinned version's methods and whether
    that version responds to the sender (then, with its time limit)."""

    source_id: int
    version_id: int
    enabled: bool
    workspace_id: int
    methods: frozenset[str] = frozenset({"POST"})
    responds: bool = False
    time_limit_ms: int = 0
    # While a gradual rollout runs: the same source on the new version, and the
    # percentage of webhooks that run on it.
    rollout: "Target | None" = None
    rollout_share: int = 0

    def lane(self) -> "Target":
        """The version one webhook runs on: during a rollout, the new one for its share,
        drawn once here and kept on the webhook's row, so retries and replays keep it."""
        if self.rollout is not None and random.random() * 100 < self.rollout_share:
            return self.rollout
        return self


def is_token_shaped(token: str) -> bool:
    """Tokens are URL-safe base64; anything else (a NUL byte, say) is unknown, not a
    question for the database."""
    return bool(_TOKEN_SHAPE.fullmatch(token))


class SourceLookup:
    def __init__(self, size: int = 10_000) -> None:
        # The timer is looked up at each call, so tests can move the clock.
        self._entries: TTLCache = TTLCache(
            maxsize=size, ttl=SOURCE_LOOKUP_TTL_S, timer=lambda: time.monotonic()
        )
        self._lock = threading.Lock()

    def get(self, token: str) -> Target | None:
        with self._lock:
            if token in self._entries:
                return self._entries[token]
        target = target_for_token(token)
        with self._lock:
            self._entries[token] = target
        return target

    def remembered(self, token: str) -> tuple[bool, Target | None]:
        """(True, what get() would answer) when that is remembered, without asking the
        database; (False, None) otherwise."""
        with self._lock:
            if token in self._entries:
                return True, self._entries[token]
        return False, None

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()


# What target_for_token reads: one query, the source and its versions' fields.
_TARGET_FIELDS = (
    "id", "version_id", "enabled", "workspace_id", "rollout_share",
    "version__methods", "version__responds", "version__time_limit_ms",
    "rollout_version__methods", "rollout_version__responds", "rollout_version__time_limit_ms",
)  # fmt: skip


def target_for_token(token: str) -> Target | None:
    source = (
        Source.objects.filter(webhook_token=token)
        .select_related("version", "rollout_version")
        .only(*_TARGET_FIELDS)
        .first()
    )
    if source is None:
        return None
    target = _on_version(Target(source.pk, 0, source.enabled, source.workspace_id), source.version)
    if source.rollout_version is None:
        return target
    rollout = _on_version(target, source.rollout_version)
    return replace(target, rollout=rollout, rollout_share=source.rollout_share)


def _on_version(target: Target, version) -> Target:
    return replace(
        target,
        version_id=version.pk,
        methods=frozenset(version.methods),
        responds=version.responds,
        time_limit_ms=version.time_limit,
    )


source_lookup = SourceLookup()
