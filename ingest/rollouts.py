"""The watch over gradual rollouts (catalog/services/rollouts.py): a new version that
fails clearly more often than the old one is rolled back.

Each version's error rate is read over its last ROLLOUT_WINDOW executions on the source,
replays left out: the new version's since the rollout began, the old one's whenever they
ran (so a 100 % rollout still has something to be compared with). "Clearly" means three
things at once: at least ROLLOUT_MIN_EXECUTIONS of the new version, a rate more than
ROLLOUT_ERROR_MARGIN above the old one's, and a difference that chance alone would give
less than once in a thousand (a two-proportion z-test, z ≥ 3), so a few unlucky failures
of a version that is as good as the old one do not roll it back."""

import math
from dataclasses import dataclass

from django.conf import settings

from catalog.models import Source
from catalog.services.rollouts import source_rollout_end
from ingest.models import Execution

Z_BEYOND_CHANCE = 3.0


@dataclass(frozen=True)
class ErrorRate:
    """A version's executions on a source, replays left out, and how many of them failed
    (a failure that will be retried counts: the attempt failed)."""

    executions: int
    errors: int

    @property
    def rate(self) -> float:
        return self.errors / self.executions if self.executions else 0.0


@dataclass(frozen=True)
class RolloutRates:
    old: ErrorRate
    new: ErrorRate


def rollout_rates(source: Source) -> RolloutRates:
    """The error rates the watch compares, for the source page too; the source must have
    a rollout running."""
    # Replays are not counted: they re-run dead letters, webhooks that failed before and
    # were chosen for it, not a share of the traffic (replaying them on the new version
    # would roll back a version as good as the old; on the old, mask a worse one).
    executions = Execution.objects.filter(source=source, is_replay=False)
    new = executions.filter(
        version_id=source.rollout_version_id, started_at__gte=source.rollout_started_at
    )
    old = executions.filter(version_id=source.version_id)
    return RolloutRates(old=_error_rate(old), new=_error_rate(new))


def _error_rate(executions) -> ErrorRate:
    statuses = list(
        executions.order_by("-started_at").values_list("status", flat=True)[
            : settings.ROLLOUT_WINDOW
        ]
    )
    failed = sum(status != Execution.Status.SUCCEEDED for status in statuses)
    return ErrorRate(executions=len(statuses), errors=failed)


def clearly_worse(new: ErrorRate, old: ErrorRate) -> bool:
    if new.executions < settings.ROLLOUT_MIN_EXECUTIONS:
        return False
    difference = new.rate - old.rate
    if difference <= settings.ROLLOUT_ERROR_MARGIN:
        return False
    pooled = (new.errors + old.errors) / (new.executions + old.executions)
    spread = 1 / new.executions + (1 / old.executions if old.executions else 0)
    deviation = math.sqrt(pooled * (1 - pooled) * spread)
    return deviation == 0 or difference / deviation >= Z_BEYOND_CHANCE


def rollouts_watch() -> list[int]:
    """Roll back each rollout whose new version is clearly worse; the ids rolled back."""
    rolled_back = []
    running = Source.objects.filter(rollout_version__isnull=False).select_related(
        "workspace", "version", "rollout_version"
    )
    for source in running:
        rates = rollout_rates(source)
        if not clearly_worse(rates.new, rates.old):
            continue
        # A note is written only when the rollout judged was still running (a rollout
        # that runs has none): one promoted or ended meanwhile stays as it is.
        if source_rollout_end(source=source, actor=None, reason=_why(source, rates)).rollback_note:
            rolled_back.append(source.pk)
    return rolled_back


def _why(source: Source, rates: RolloutRates) -> str:
    new, old = rates.new, rates.old
    return (
        f"Version {source.rollout_version.number} failed {new.errors} of its last "
        f"{new.executions} executions ({new.rate:.0%}); version {source.version.number} "
        f"failed {old.errors} of {old.executions} ({old.rate:.0%}). Every webhook runs on "
        f"version {source.version.number} again."
    )
