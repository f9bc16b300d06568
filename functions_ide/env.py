"""Tiny typed helpers that read configuration from the environment."""

import json
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


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
                "max_size": envint("DB_POOL_SIZE", 10),
                # While the database is unreachable, a request waits this long for a
                # connection and then answers 503, rather than hang the sender.
                "timeout": envfloat("DB_POOL_TIMEOUT", 3.0),
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
