"""Failed logins, counted per account and per client in the cache (django-ratelimit:
local memory when embedded, Redis in production). Past either limit, logins of that
account, or from that client, are refused, the right password too, until the counting
window ends; other accounts and clients are not affected (issue 18.2).

The authentication backend (catalog.auth.ThrottledModelBackend) checks and counts, so
every password check made with a request is covered: the login page and the invite
page. They show `too_many_attempts` when it refused (docs/security.md).
"""

import logging
from dataclasses import dataclass
from math import ceil

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

ACCOUNT_GROUP = "login-failures-per-account"
CLIENT_GROUP = "login-failures-per-client"


@dataclass(frozen=True)
class Lockout:
    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, ceil(self.seconds / 60))


def _rate(limit: int) -> str:
    return f"{limit}/{settings.LOGIN_FAILURE_WINDOW_MINUTES * 60}s"


def _usages(request, username: str | None, *, increment: bool) -> list[dict]:
    account = (username or "").strip().lower()
    counters = [(CLIENT_GROUP, "ip", settings.LOGIN_FAILURES_PER_CLIENT)]
    if account:
        by_account = lambda group, request: account  # noqa: E731
        counters.append((ACCOUNT_GROUP, by_account, settings.LOGIN_FAILURES_PER_ACCOUNT))
    usages = []
    for group, key, limit in counters:
        usage = get_usage(request, group=group, key=key, rate=_rate(limit), increment=increment)
        if usage is not None and usage["time_left"] >= 0:  # -1: the cache did not answer
            usages.append(usage)
    return usages


def check(request, username: str | None) -> Lockout | None:
    """The lockout in force for this account or this client, or None.

    Should the cache fail, logins are let through (with a warning): an outage of Redis
    must not lock everyone out, and the password check itself still holds."""
    try:
        usages = _usages(request, username, increment=False)
    except Exception:
        logger.warning("login throttle unavailable: the cache did not answer", exc_info=True)
        return None
    locked = [usage for usage in usages if usage["count"] >= usage["limit"]]
    if not locked:
        return None
    return Lockout(seconds=max(usage["time_left"] for usage in locked))


def record_failure(request, username: str | None) -> None:
    try:
        _usages(request, username, increment=True)
    except Exception:
        logger.warning("login throttle unavailable: a failure was not counted", exc_info=True)


def lockout_of(request) -> Lockout | None:
    """The lockout that refused this request's login, set by the backend."""
    return getattr(request, "login_lockout", None)


def too_many_attempts(request, lockout: Lockout):
    """The page (HTTP 429) saying when to try again."""
    response = render(
        request, "registration/too_many_attempts.html", {"lockout": lockout}, status=429
    )
    response["Retry-After"] = str(lockout.seconds)
    return response
