"""Tiny typed helpers that read configuration from the environment."""

import json
import math
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def envbool(name: str, default: bool = False) -> bool:
    """A yes/no setting. Anything but the words below is refused: a typo such as
    HTTPS=Yes1 must stop the start, not quietly leave the cookies insecure."""
    value = _raw(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    allowed = "/".join(TRUE_WORDS + FALSE_WORDS)
    raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value: use one of {allowed}.")


def envint(name: str, default: int, *, min: int | None = None, max: int | None = None) -> int:
    """A whole number, within [min, max] when given."""
    return _number(name, default, int, "a whole number", min, max)


def envfloat(
    name: str, default: float, *, min: float | None = None, max: float | None = None
) -> float:
    """A number, within [min, max] when given."""
    return _number(name, default, float, "a number", min, max)


def _raw(name: str) -> str | None:
    """The variable's value; unset and empty both mean "use the default"."""
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value


def _number(name, default, kind, what: str, low, high):
    value = _raw(name)
    if value is None:
        return default
    try:
        number = kind(value.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not {what}{_range_words(low, high)}."
        ) from None
    if kind is float and not math.isfinite(number):
        raise ImproperlyConfigured(f"{name}={value!r} is not a finite number.")
    if (low is not None and number < low) or (high is not None and number > high):
        raise ImproperlyConfigured(
            f"{name}={value!r} is out of range: use {what}{_range_words(low, high)}."
        )
    return number


def _range_words(low, high) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Translate a postgres:// URL into a Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, not {parts.scheme}://")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # Daphne answers each request in a thread of its own, so persistent per-thread
        # connections would pile up; psycopg's pool shares a few instead.
        "CONN_MAX_AGE": 0,
        # After a database restart the pooled connections are dead: the pool tests
        # each one as it is taken rather than fail the request that gets it.
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "pool": {
                "min_size": 1,
                "max_size": envint("DB_POOL_SIZE", 10, min=1, max=1000),
                # While the database is unreachable, a request waits this long for a
                # connection and then answers 503, rather than hang the sender.
                "timeout": envfloat("DB_POOL_TIMEOUT", 3.0, min=0.1, max=300.0),
            }
        },
    }


def local_secrets(path: Path) -> dict[str, str]:
    """Secrets of the embedded mode, generated on first start and kept in a
    git-ignored file so sessions and encrypted settings survive restarts."""
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SETTINGS_ENCRYPTION_KEY": secrets.token_urlsafe(50),
    }
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values
