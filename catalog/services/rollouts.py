"""Gradual rollout: a source runs a share of its webhooks on another version of its
function, then moves to it (promote) or stays where it was (roll back).

Which webhook runs which version is decided when it is accepted and kept on its row, so
its retries and replays run the same version (ingest/receive/sources.py); the watch that
rolls back a failing version is ingest/rollouts.py (docs/catalog.md "Gradual rollout")."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import FunctionVersion, Source
from catalog.services.audit import audit_record
from catalog.services.functions import fitting_values
from catalog.services.sources import ensure_source_manager, source_upgrade

_ROLLOUT_FIELDS = [
    "rollout_version", "rollout_share", "rollout_started_at", "rollback_note",
    "rolled_back_version", "rolled_back_at",
]  # fmt: skip


@transaction.atomic
def source_rollout_start(*, source: Source, actor, version: FunctionVersion, share: int) -> Source:
    """Run `share` percent of the source's new webhooks on `version`, the rest on the
    version it is pinned to. Following the deployed version pauses while it runs."""
    ensure_source_manager(actor, source)
    _check_share(share)
    _lock(source)
    if version.function_id != source.function_id:
        raise ValidationError({"version": "That version belongs to another function."})
    if version.pk == source.version_id:
        raise ValidationError(
            {"version": f"The source already runs version {version.number}: pick another."}
        )
    if source.rollout_version_id:
        raise ValidationError(
            {
                "version": f"A rollout of version {source.rollout_version.number} is running: "
                "promote it or roll it back first."
            }
        )
    if fitting_values(source, version) is None:
        raise ValidationError(
            {
                "version": f"The source's setting values do not fit version {version.number}"
                " (a required setting it lacks, a value of the wrong kind, or a secret it "
                "declares plain): move the source with an upgrade instead, which can change "
                "them."
            }
        )
    source.rollout_version, source.rollout_share = version, share
    source.rollout_started_at, source.rollback_note = timezone.now(), ""
    source.rolled_back_version, source.rolled_back_at = None, None
    _save(source)
    _audit(source, actor, "source.rollout_start", {"version": version.number, "share": share})
    return source


@transaction.atomic
def source_rollout_share(*, source: Source, actor, share: int) -> Source:
    """Change the running rollout's share; webhooks accepted before keep their version."""
    ensure_source_manager(actor, source)
    _check_share(share)
    _lock(source)
    _require_rollout(source)
    previous, source.rollout_share = source.rollout_share, share
    _save(source)
    _audit(source, actor, "source.rollout_share", {"from_share": previous, "share": share})
    return source


@transaction.atomic
def source_rollout_promote(*, source: Source, actor) -> Source:
    """Finish the rollout: the source moves to the new version for every webhook."""
    ensure_source_manager(actor, source)
    _lock(source)
    version = _require_rollout(source)
    _audit(source, actor, "source.rollout_promote", {"version": version.number})
    return source_upgrade(source=source, actor=actor, version=version)


@transaction.atomic
def source_rollout_end(*, source: Source, actor, reason: str = "") -> Source:
    """Roll back: every new webhook runs on the pinned version again. Without an actor,
    the watch rolled it back; `reason` then says why and the source page shows it, and
    only the rollout it judged is rolled back (not one promoted or started since).
    With no rollout running, it only dismisses the last rollback's note."""
    if actor is not None:
        ensure_source_manager(actor, source)
    judged = (source.rollout_version_id, source.rollout_started_at)
    _lock(source)
    if actor is None and judged != (source.rollout_version_id, source.rollout_started_at):
        return source
    version = source.rollout_version
    source.rollout_version, source.rollout_share, source.rollout_started_at = None, 0, None
    source.rollback_note = reason[:500] if actor is None else ""
    if version is not None:
        source.rolled_back_version, source.rolled_back_at = version, timezone.now()
    _save(source)
    if version is not None:
        details = {"version": version.number, "automatic": actor is None, "reason": reason}
        _audit(source, actor, "source.rollout_rollback", details)
    return source


def _lock(source: Source) -> None:
    """Read the source's version and rollout again, its row locked until the transaction
    ends: the request (or the watch) read them a moment ago, and acting on what they were
    would undo what another did meanwhile (restart a rolled-back rollout, promote it)."""
    source.refresh_from_db(
        fields=["version", "setting_values", "secret_values", *_ROLLOUT_FIELDS],
        from_queryset=Source.objects.select_for_update(),
    )


def _check_share(share) -> None:
    if isinstance(share, bool) or not isinstance(share, int) or not 1 <= share <= 100:
        raise ValidationError(
            {"share": "The share is the percentage of webhooks, a whole number from 1 to 100."}
        )


def _require_rollout(source: Source) -> FunctionVersion:
    if source.rollout_version is None:
        raise ValidationError({"rollout": "No rollout is running on this source."})
    return source.rollout_version


def _save(source: Source) -> None:
    source.updated_at = timezone.now()
    source.save(update_fields=[*_ROLLOUT_FIELDS, "updated_at"])


def _audit(source: Source, actor, action: str, details: dict) -> None:
    audit_record(
        workspace=source.workspace, actor=actor, action=action, target=source, details=details
    )
