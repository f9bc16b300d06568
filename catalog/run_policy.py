"""How a function's executions are run and retried: its time limit and its retry policy.

Both are set per function (the draft, in Configure and the API) and copied into every
version it deploys, so a source runs with its version's (catalog.models.RunPolicyFields).
A value left unset (null) is the deployment's default: RUNNER_TIMEOUT_MS for the time
limit, RETRY_BACKOFF_BASE_S and RETRY_BACKOFF_CAP_S for the waits.

This module is the one statement of the retry rule: which errors get another attempt
(`RetryPolicy.retries`), how long each wait is (`RetryPolicy.wait_s`), and how both read
in words (`RetryPolicy.summary`, `RetryPolicy.dead_letter_reason`). The record stage
asks it; the editor and the dead letters show it.
"""

import math
import random
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

import runner

MIN_TIME_LIMIT_MS = 100
MAX_TIME_LIMIT_MS = runner.MAX_TIMEOUT_MS
DEFAULT_ATTEMPTS = 5
MOST_ATTEMPTS = 10
MIN_DELAY_S = 1.0
# A wait longer than an hour would outlive the broker's redelivery window for a task
# that waits (Celery over Redis: one hour), and be run early by a second copy.
MAX_DELAY_S = 3600.0
# Each wait is its step scaled by a random 80–100 %, so the retries of a burst of
# failures (an API down for a minute) do not all arrive at once.
JITTER = (0.8, 1.0)


class RetryOn(models.TextChoices):
    ANY_FAILURE = "any_failure", "Any failure"
    RETRY_ERROR_AND_TIMEOUTS = "retry_error_and_timeouts", "RetryError and timeouts only"


# The function's own verdict on the payload, code that cannot load, or output past a
# limit: they would fail the same way again, whatever the policy.
NEVER_RETRIED = frozenset(
    {
        "ValidationError",
        "InvalidEventPayload",
        "EventNotSupported",
        "SyntaxError",
        "ReferenceError",
        "OutputNotStored",
        "OutputLimitError",
        "RequestFormatError",
    }
)
# What "RetryError and timeouts only" retries: the function asked for it, or ran out of time.
FUNCTION_RETRIES = frozenset({"RetryError", "TimeoutError"})
# Failures of the platform, not of the function: retried under every policy.
PLATFORM_FAILURES = frozenset({"InfrastructureError", "WorkerLostError", "SandboxCrashError"})


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures get another attempt, how many attempts in all, and the waits."""

    first_delay_s: float
    max_delay_s: float
    retry_on: str = RetryOn.ANY_FAILURE
    attempts: int = DEFAULT_ATTEMPTS

    def retries(self, error: dict | None) -> bool:
        """Whether a failure with this error is worth another attempt (attempts left aside)."""
        if error is None:
            return False
        name = error.get("name")
        if name in PLATFORM_FAILURES:
            return True
        if self.retry_on == RetryOn.RETRY_ERROR_AND_TIMEOUTS:
            return name in FUNCTION_RETRIES
        return name not in NEVER_RETRIED

    def step_s(self, attempt: int) -> float:
        """The wait after the attempt-th failure before jitter: the first delay, doubled
        after each failure, capped."""
        return min(self.max_delay_s, self.first_delay_s * 2 ** min(attempt - 1, 64))

    def wait_s(self, attempt: int) -> float:
        """The wait after the attempt-th failure, jittered."""
        return self.step_s(attempt) * random.uniform(*JITTER)  # noqa: S311 - jitter, not security

    def waits_s(self) -> list[float]:
        """The steps between the attempts, before jitter: one fewer than the attempts."""
        return [self.step_s(n) for n in range(1, self.attempts)]

    def summary(self) -> str:
        """The policy in one sentence, for the editor and the dead letters."""
        label = RetryOn(self.retry_on).label
        if self.attempts == 1:
            return f"{label}: 1 attempt, no retry."
        waits = self.waits_s()
        low, high = duration(sum(waits) * JITTER[0]), duration(sum(waits) * JITTER[1])
        less = round((JITTER[1] - JITTER[0]) * 100)
        return (
            f"{label}: {self.attempts} attempts, waiting {_list(waits)} between them, "
            f"each less by up to {less} %: {low} to {high} from the first attempt to the last."
        )

    def dead_letter_reason(self, error: dict | None, attempts: int) -> str:
        """Why an event that failed with this error after `attempts` is a dead letter."""
        name = (error or {}).get("name", "An error")
        if self.retries(error):
            return f"All {attempts} attempts failed; the last with {name}."
        if name in NEVER_RETRIED or self.retry_on == RetryOn.ANY_FAILURE:
            return f"{name} is never retried: it would fail the same way again."
        return f"{name} is not retried: this function retries only on RetryError and timeouts."

    def to_dict(self) -> dict:
        return {
            "retry_on": self.retry_on,
            "attempts": self.attempts,
            "first_delay_s": self.first_delay_s,
            "max_delay_s": self.max_delay_s,
            "waits_s": self.waits_s(),
            "summary": self.summary(),
        }


def default_retry_policy() -> RetryPolicy:
    """The policy of a function that chose nothing: the deployment's waits."""
    return RetryPolicy(
        first_delay_s=settings.RETRY_BACKOFF_BASE_S,
        max_delay_s=max(settings.RETRY_BACKOFF_BASE_S, settings.RETRY_BACKOFF_CAP_S),
    )


def retry_policy(
    retry_on: str, attempts: int, first_delay_s: float | None, max_delay_s: float | None
) -> RetryPolicy:
    """The policy of stored fields, a null delay being the deployment's default."""
    default = default_retry_policy()
    first = default.first_delay_s if first_delay_s is None else first_delay_s
    cap = default.max_delay_s if max_delay_s is None else max_delay_s
    return RetryPolicy(
        first_delay_s=first, max_delay_s=max(first, cap), retry_on=retry_on, attempts=attempts
    )


def time_limit(time_limit_ms: int | None) -> int:
    """The time limit of a stored value, null being the deployment's default."""
    if time_limit_ms is not None:
        return time_limit_ms
    limits = settings.RUNNER_LIMITS
    return limits.timeout_ms if limits is not None else settings.RUNNER_TIMEOUT_MS


def clean_time_limit(value) -> int | None:
    """A time limit as the API gives it (ms, or null for the default); ValidationError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"time_limit_ms": _time_limit_problem(value)})
    if not MIN_TIME_LIMIT_MS <= value <= MAX_TIME_LIMIT_MS:
        raise ValidationError({"time_limit_ms": _time_limit_problem(value)})
    return value


def _time_limit_problem(value) -> str:
    return (
        f"The time limit must be a whole number of milliseconds from {MIN_TIME_LIMIT_MS:,} to "
        f"{MAX_TIME_LIMIT_MS:,} (10 s), or null for the default, not {value!r}."
    )


RETRY_FIELDS = ("retry_on", "attempts", "first_delay_s", "max_delay_s")


def clean_retry_policy(changes, current: dict) -> dict:
    """The retry fields after `changes` (any of RETRY_FIELDS; a null delay is the
    default) are laid over `current`; ValidationError naming each bad field."""
    if not isinstance(changes, dict):
        raise ValidationError({"retry_policy": "The retry policy must be an object."})
    unknown = sorted(set(changes) - set(RETRY_FIELDS))
    if unknown:
        raise ValidationError(
            {"retry_policy": f"Unknown fields {unknown}: use {', '.join(RETRY_FIELDS)}."}
        )
    merged = {**current, **changes}
    errors = {}
    if merged["retry_on"] not in RetryOn.values:
        errors["retry_policy.retry_on"] = f"Must be one of {', '.join(RetryOn.values)}."
    attempts = merged["attempts"]
    if (
        isinstance(attempts, bool)
        or not isinstance(attempts, int)
        or not 1 <= attempts <= MOST_ATTEMPTS
    ):
        errors["retry_policy.attempts"] = (
            f"Attempts must be a whole number from 1 (no retry) to {MOST_ATTEMPTS}, "
            f"not {attempts!r}."
        )
    for name in ("first_delay_s", "max_delay_s"):
        problem = _delay_problem(merged[name])
        if problem:
            errors[f"retry_policy.{name}"] = problem
    first, cap = merged["first_delay_s"], merged["max_delay_s"]
    if not errors and first is not None and cap is not None and cap < first:
        errors["retry_policy.max_delay_s"] = (
            f"The longest wait ({cap:g} s) cannot be shorter than the first ({first:g} s)."
        )
    if errors:
        raise ValidationError(errors)
    return merged


def _delay_problem(value) -> str | None:
    if value is None:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or not MIN_DELAY_S <= value <= MAX_DELAY_S:
        return (
            f"A wait must be a number of seconds from {MIN_DELAY_S:g} to {MAX_DELAY_S:g} "
            f"(an hour), or null for the default, not {value!r}."
        )
    return None


def duration(seconds: float) -> str:
    """A wait in words: 45 s, 1.5 min, 20 min, 1 h 30 min."""
    if seconds < 60:
        return f"{seconds:.3g} s"
    if seconds < 600:
        return f"{round(seconds / 60, 1):g} min"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _list(waits: list[float]) -> str:
    words = [duration(w) for w in waits]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
