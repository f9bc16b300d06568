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
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)
