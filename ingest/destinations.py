"""Destinations as owners configure them: create, change, delete, Send test, and
which destinations each source sends to (docs/destinations.md).

A destination is checked before it is saved (`check()` of its kind reaches the
endpoint or the database), so one that cannot work is never stored; its credentials
are write-only: a change that leaves one out keeps the stored value."""

import time
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog import policy
from catalog.policy import Action
from ingest.deliver.destinations import (
    Batch,
    DeliveryError,
    build,
    segment,
    warehouse_file,
    webhook,
)
from ingest.models import Destination, Routing

Kind = Destination.Kind
PRESETS = segment.PRESETS  # the Segment-compatible services the page offers
__all__ = ["FIELDS", "PRESETS", "warehouse_file"]  # and the services below

# What each kind is configured with: the fields an owner may read back, and the
# credentials they may only replace. Required ones are marked with a "*".
FIELDS = {
    Kind.SEGMENT: ({"preset*", "base_url"}, {"write_key*"}),
    Kind.WEBHOOK: ({"url*"}, {"secret"}),
    Kind.POSTGRES: (set(), {"dsn*"}),
    Kind.DUCKDB: (set(), set()),
}


# Where a failed check points the owner.
CHECKED_FIELD = {
    Kind.SEGMENT: "config.base_url",
    Kind.WEBHOOK: "config.url",
    Kind.POSTGRES: "credentials.dsn",
    Kind.DUCKDB: "config",
}


def destination_create(
    *, actor, workspace, name: str, kind: str, config: dict, credentials: dict,
    messages: str = Destination.Messages.ALL, enabled: bool = True,
) -> tuple[Destination, dict]:  # fmt: skip
    """Check and save a new destination. Returns it and the credentials generated for
    it, shown this once (a signed webhook's secret, when none was given)."""
    policy.require(policy.membership_of(actor, workspace), Action.MANAGE_DESTINATIONS)
    generated = {}
    if kind == Kind.WEBHOOK and not credentials.get("secret"):
        generated["secret"] = webhook.new_secret()
    destination = Destination(
        workspace=workspace, name=name, kind=kind, messages=messages, enabled=enabled,
        config=config, credentials={**credentials, **generated},
    )  # fmt: skip
    _validate(destination)
    _save(destination)
    return destination, generated


def destination_update(*, actor, destination: Destination, **changes) -> Destination:
    """Change name, config, credentials (the ones given replace the stored ones),
    messages or enabled; the result is checked again before it is saved."""
    policy.require(policy.membership_of(actor, destination.workspace), Action.MANAGE_DESTINATIONS)
    # Reaching the endpoint again only when it may now fail: a destination whose
    # endpoint is down can still be renamed or disabled.
    reach = "config" in changes or "credentials" in changes
    reach = reach or (changes.get("enabled") and not destination.enabled)
    for field in ("name", "messages", "enabled", "config"):
        if field in changes:
            setattr(destination, field, changes[field])
    if "credentials" in changes:
        given = {k: v for k, v in changes["credentials"].items() if v not in (None, "")}
        destination.credentials = {**destination.credentials, **given}
    _validate(destination, reach=reach)
    destination.updated_at = timezone.now()
    _save(destination)
    return destination


def destination_delete(*, actor, destination: Destination) -> None:
    """Delete a destination and its deliveries (what it took stays where it went)."""
    policy.require(policy.membership_of(actor, destination.workspace), Action.MANAGE_DESTINATIONS)
    destination.delete()


def destination_send_test(*, actor, destination: Destination) -> dict:
    """Deliver one synthetic event and report the answer; nothing is stored here."""
    policy.require(policy.membership_of(actor, destination.workspace), Action.MANAGE_DESTINATIONS)
    message_id = f"send-test-{uuid.uuid4()}"
    event = {
        "type": "track", "event": "Send Test", "messageId": message_id,
        "userId": "functions-ide-send-test", "properties": {"test": True},
        "timestamp": timezone.now().isoformat(),
    }  # fmt: skip
    started = time.monotonic()
    try:
        answer = build(destination).send(Batch(source="send_test", events=[event]))
    except DeliveryError as exc:
        return {"ok": False, "status": exc.status, "seconds": _since(started),
                "error": str(exc), "detail": exc.detail}  # fmt: skip
    return {"ok": True, "status": answer.status, "seconds": _since(started),
            "error": "", "detail": answer.detail, "message_id": message_id}  # fmt: skip


def source_routing_set(*, actor, source, destination_ids: list[int] | None) -> None:
    """Choose the destinations a source sends to; None for every enabled one of its
    workspace (the default)."""
    policy.require(policy.membership_of(actor, source.workspace), Action.MANAGE_SOURCE, source)
    with transaction.atomic():
        if destination_ids is None:
            Routing.objects.filter(source=source).delete()
            return
        chosen = list(
            Destination.objects.filter(workspace=source.workspace, pk__in=destination_ids)
        )
        missing = set(destination_ids) - {d.pk for d in chosen}
        if missing:
            raise ValidationError(
                {"destinations": f"No such destination in this workspace: {sorted(missing)}."}
            )
        routing, _ = Routing.objects.get_or_create(source=source)
        routing.destinations.set(chosen)


def _validate(destination: Destination, *, reach: bool = True) -> None:
    """The shape of the configuration, then (reach) whether it works: the kind's check.
    A refusal names the field to fix."""
    if destination.kind not in FIELDS:
        raise ValidationError({"kind": f"Choose one of: {', '.join(FIELDS)}."})
    if destination.messages not in Destination.Messages.values:
        raise ValidationError({"messages": "Choose all, events or objects."})
    fields, credentials = FIELDS[destination.kind]
    _fields("config", destination.config, fields)
    _fields("credentials", destination.credentials, credentials)
    if destination.kind == Kind.SEGMENT:
        _objects_taken(destination)
    try:
        sender = build(destination)
    except ValueError as exc:  # a kind's own refusal of its configuration
        raise ValidationError({"config": str(exc)}) from exc
    if not reach:
        return
    try:
        sender.check()
    except DeliveryError as exc:
        raise ValidationError({CHECKED_FIELD[destination.kind]: str(exc)}) from exc


def _objects_taken(destination: Destination) -> None:
    """A service without an Object API takes events only."""
    preset = segment.PRESETS.get(destination.config.get("preset", ""))
    if preset is None or preset.takes_objects:
        return
    if destination.messages == Destination.Messages.OBJECTS:
        raise ValidationError({"messages": f"{preset.name} has no Object API: choose events."})
    destination.messages = Destination.Messages.EVENTS


def _fields(part: str, given: dict, allowed: set[str]) -> None:
    if not isinstance(given, dict):
        raise ValidationError({part: "Give an object of fields."})
    names = {name.rstrip("*") for name in allowed}
    unknown = sorted(set(given) - names)
    if unknown:
        raise ValidationError({part: f"Unknown fields: {', '.join(unknown)}."})
    missing = sorted(n.rstrip("*") for n in allowed if n.endswith("*") and not given.get(n[:-1]))
    if missing:
        raise ValidationError({part: f"Required: {', '.join(missing)}."})
    if any(not isinstance(value, str) for value in given.values()):
        raise ValidationError({part: "Every field is a text."})


def _save(destination: Destination) -> None:
    taken = Destination.objects.filter(workspace=destination.workspace, name=destination.name)
    if taken.exclude(pk=destination.pk).exists():
        raise ValidationError({"name": "This workspace has a destination of this name."})
    destination.save()


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
