"""Filters of the server's log (settings.LOGGING; docs/security.md)."""

import logging

from catalog.masking import shorten_tokens

# Refusals are the product working as meant: who may not, does not.
REFUSED = frozenset({401, 403, 404, 405})


class ShortenTokens(logging.Filter):
    """Webhook, test-URL and invite tokens in a log line are cut to their first
    characters (`Not Found: /hooks/test/abcd…`): a log is read by more people than the
    tokens are meant for (issue 18.6)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        shortened = shorten_tokens(message)
        if shortened != message:
            record.msg, record.args = shortened, ()
        return True


class RefusalsAtInfo(logging.Filter):
    """django.request logs a refused request at WARNING, with the traceback of the
    PermissionDenied or Http404 behind it: anyone could fill the log with them. A
    refusal is one line at INFO (issue 18.14); errors are left as they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) not in REFUSED:
            return True
        return _one_line_at(record, logging.INFO)


class BadHostAtWarning(logging.Filter):
    """Django logs a request whose Host is not in ALLOWED_HOSTS (DisallowedHost, a 400)
    at ERROR with its traceback: anyone can send one. It is one line at WARNING, still
    seen by an operator whose proxy passes on the wrong Host."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _one_line_at(record, logging.WARNING)


def _one_line_at(record: logging.LogRecord, level: int) -> bool:
    """The record at `level`, without traceback; False when the logger is quieter."""
    record.levelno, record.levelname = level, logging.getLevelName(level)
    record.exc_info, record.exc_text, record.stack_info = None, None, None
    return logging.getLogger(record.name).isEnabledFor(level)
