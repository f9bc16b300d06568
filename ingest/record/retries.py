"""The retry rule as the record stage applies it: each event's version's retry policy
(catalog.run_policy, the one statement of which failures get another attempt, how many
and when)."""

from catalog.run_policy import DEFAULT_ATTEMPTS, NEVER_RETRIED, RetryPolicy, default_retry_policy

# The attempts of a function that chose none.
MAX_ATTEMPTS = DEFAULT_ATTEMPTS

__all__ = ["MAX_ATTEMPTS", "NEVER_RETRIED", "backoff_seconds", "is_retried", "retry_after"]


def is_retried(error: dict | None, policy: RetryPolicy | None = None) -> bool:
    """Whether a failure is worth another attempt under the policy (the default one
    when None), attempts left aside."""
    return (policy or default_retry_policy()).retries(error)


def backoff_seconds(attempt: int, policy: RetryPolicy | None = None) -> float:
    """How long a retry waits after its attempt-th failure (jittered)."""
    return (policy or default_retry_policy()).wait_s(attempt)


def retry_after(error: dict | None, attempts: int, policy: RetryPolicy) -> bool:
    """Whether an event that failed its attempts-th attempt with this error runs again."""
    return policy.retries(error) and attempts < policy.attempts
