"""The environment switches between the embedded and the production configuration."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Read before django.setup(): django-cryptography replaces CRYPTOGRAPHY_KEY with the
# key it derives when its app loads.
PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "db_name": settings.DATABASES["default"]["NAME"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL,
    "embedded_worker": settings.CELERY_EMBEDDED_WORKER,
    "debug": settings.DEBUG,
    "secret": settings.SECRET_KEY,
    "crypto": settings.CRYPTOGRAPHY_KEY,
}))
"""

CLEARED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SETTINGS_ENCRYPTION_KEY", "DEBUG")


def settings_under(
    env: dict[str, str], tmp_path: Path, probe: str = PROBE
) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    base.update({"DJANGO_SETTINGS_MODULE": "functions_ide.settings", "DATA_DIR": str(tmp_path)})
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=base, capture_output=True, text=True
    )


def read(env: dict[str, str], tmp_path: Path) -> dict:
    done = settings_under(env, tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_embedded_defaults(tmp_path):
    conf = read({}, tmp_path)
    assert conf["db"] == "django.db.backends.sqlite3"
    assert conf["db_name"] == str(tmp_path / "db.sqlite3")
    assert conf["layer"] == "channels.layers.InMemoryChannelLayer"
    assert conf["broker"] == "memory://"
    assert conf["embedded_worker"] is True
    assert conf["debug"] is False


def test_embedded_secrets_are_generated_once_and_kept(tmp_path):
    first = read({}, tmp_path)
    second = read({}, tmp_path)
    assert first["secret"] == second["secret"] and len(first["secret"]) >= 50
    assert first["crypto"] == second["crypto"] != first["secret"]
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0


def test_production_services_from_env(tmp_path):
    conf = read(
        {
            "DATABASE_URL": "postgres://app:p%40ss@db.internal:5433/ide",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "SECRET_KEY": "k" * 60,
            "SETTINGS_ENCRYPTION_KEY": "e" * 40,
        },
        tmp_path,
    )
    assert conf["db"] == "django.db.backends.postgresql"
    assert conf["db_name"] == "ide"
    assert conf["layer"] == "channels_redis.core.RedisChannelLayer"
    assert conf["broker"] == "redis://cache.internal:6379/0"
    assert conf["embedded_worker"] is False
    assert conf["secret"] == "k" * 60 and conf["crypto"] == "e" * 40
    assert not (tmp_path / "secrets.json").exists()


def test_production_refuses_to_start_without_secrets(tmp_path):
    done = settings_under({"DATABASE_URL": "postgres://app@db/ide"}, tmp_path)
    assert done.returncode != 0
    assert "SECRET_KEY and SETTINGS_ENCRYPTION_KEY must be set" in done.stderr


def test_debug_only_when_asked(tmp_path):
    assert read({"DEBUG": "1"}, tmp_path)["debug"] is True


@pytest.mark.slow
def test_check_deploy_is_clean_in_production(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        {
            "DATABASE_URL": "postgres://app@127.0.0.1:5432/ide",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "SECRET_KEY": "a-long-production-secret-key-" + "x" * 40,
            "SETTINGS_ENCRYPTION_KEY": "settings-key-" + "y" * 30,
            "HTTPS": "1",
            "ALLOWED_HOSTS": "functions.example.com",
            "DATA_DIR": str(tmp_path),
        }
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
