"""The retry policy: which failures get another attempt (when: ingest.queue.backoff_seconds)."""

MAX_ATTEMPTS = 5
# Errors that would fail the same way again: the function's own verdict on the
# payload, code that cannot load, or output past a limit. Everything else is worth
# another attempt.
NOT_RETRIED = frozenset(
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


def is_retried(error: dict | None) -> bool:
    return error is not None and error.get("name") not in NOT_RETRIED
