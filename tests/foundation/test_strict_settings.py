"""A setting the environment spells wrong stops the start with a sentence naming the
variable and what it accepts, instead of quietly falling back to a default."""

import runpy

import pytest
from django.core.exceptions import ImproperlyConfigured

from functions_ide.env import envbool, envfloat, envint
from tests.foundation.test_settings_modes import CLEARED, ROOT, settings_under

SETTINGS_FILE = ROOT / "functions_ide" / "settings.py"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True), ("true", True), ("Yes", True), (" ON ", True), ("TRUE", True),
        ("0", False), ("false", False), ("No", False), (" off", False), ("FALSE", False),
    ],
)  # fmt: skip
def test_yes_no_words_in_any_case(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_SWITCH", raw)
    assert envbool("SOME_SWITCH", not expected) is expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_unset_or_empty_takes_the_default(monkeypatch, raw):
    if raw is None:
        monkeypatch.delenv("SOME_SWITCH", raising=False)
    else:
        monkeypatch.setenv("SOME_SWITCH", raw)
    assert envbool("SOME_SWITCH", True) is True
    assert envint("SOME_SWITCH", 7, min=1, max=9) == 7
    assert envfloat("SOME_SWITCH", 0.5, min=0.0) == 0.5


@pytest.mark.parametrize("raw", ["Yes1", "enabled", "y", "2", "tru"])
def test_other_words_are_refused_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("HTTPS", raw)
    with pytest.raises(ImproperlyConfigured) as refused:
        envbool("HTTPS", False)
    message = str(refused.value)
    assert "HTTPS" in message and repr(raw) in message
    assert "1/true/yes/on/0/false/no/off" in message


def test_numbers_within_their_range(monkeypatch):
    monkeypatch.setenv("POOL", " 12 ")
    assert envint("POOL", 10, min=1, max=100) == 12
    monkeypatch.setenv("POOL", "1")
    assert envint("POOL", 10, min=1, max=100) == 1
    monkeypatch.setenv("WAIT", "2.5")
    assert envfloat("WAIT", 3.0, min=0.1, max=300.0) == 2.5


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("ten", "is not a whole number from 1 to 100"),
        ("1.5", "is not a whole number from 1 to 100"),
        ("0", "is out of range: use a whole number from 1 to 100"),
        ("101", "is out of range: use a whole number from 1 to 100"),
        ("-3", "is out of range: use a whole number from 1 to 100"),
    ],
)
def test_bad_whole_numbers_name_the_variable_and_range(monkeypatch, raw, words):
    monkeypatch.setenv("DB_POOL_SIZE", raw)
    with pytest.raises(ImproperlyConfigured) as refused:
        envint("DB_POOL_SIZE", 10, min=1, max=100)
    assert str(refused.value) == f"DB_POOL_SIZE={raw!r} {words}."


@pytest.mark.parametrize("raw", ["soon", "nan", "inf", "-1", "301"])
def test_bad_numbers_are_refused(monkeypatch, raw):
    monkeypatch.setenv("DB_POOL_TIMEOUT", raw)
    with pytest.raises(ImproperlyConfigured) as refused:
        envfloat("DB_POOL_TIMEOUT", 3.0, min=0.1, max=300.0)
    assert str(refused.value).startswith(f"DB_POOL_TIMEOUT={raw!r} ")


def test_one_sided_ranges_say_so(monkeypatch):
    monkeypatch.setenv("LIMIT", "-1")
    with pytest.raises(ImproperlyConfigured, match="of at least 0"):
        envint("LIMIT", 5, min=0)
    monkeypatch.setenv("LIMIT", "9")
    with pytest.raises(ImproperlyConfigured, match="of at most 8"):
        envint("LIMIT", 5, max=8)


# Through the real settings module, in a fresh process as a deployment starts it.


def test_https_typo_stops_the_start(tmp_path):
    done = settings_under({"HTTPS": "Yes1"}, tmp_path)
    assert done.returncode != 0
    assert "ImproperlyConfigured: HTTPS='Yes1' is not a yes/no value" in done.stderr


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    """load_settings(**env) -> the names functions_ide/settings.py defines under that
    environment, executed afresh in this process (no Django set-up: just the reading)."""

    given: set[str] = set()

    def load(**env: str) -> dict:
        for name in {*CLEARED, *given}:  # each call starts from a clean environment
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("DATA_DIR", str(tmp_path))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        given.update(env)
        return runpy.run_path(str(SETTINGS_FILE))

    return load


def test_https_yes_makes_cookies_secure(load_settings):
    conf = load_settings(HTTPS=" Yes ", DEBUG="off")
    assert conf["DEBUG"] is False
    assert conf["SESSION_COOKIE_SECURE"] is True and conf["CSRF_COOKIE_SECURE"] is True
    assert "SESSION_COOKIE_SECURE" not in load_settings(HTTPS="no")


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("WEBHOOK_RATE_LIMIT_PER_SECOND", "-1"),
        ("INGEST_BATCH_MAX", "many"),
        ("INGEST_DISPATCH_LINGER_MS", "5000"),
        ("SWEEP_INTERVAL_S", "0"),
        ("RETENTION_DAYS", "-1"),
        ("CELERY_EMBEDDED_CONCURRENCY", "0"),
        ("INVITE_EXPIRY_HOURS", "1.5"),
        ("DEBUG", "maybe"),
    ],
)
def test_project_settings_have_ranges(load_settings, name, raw):
    with pytest.raises(ImproperlyConfigured, match=f"^{name}={raw!r} "):
        load_settings(**{name: raw})


def test_database_pool_settings_have_ranges(load_settings):
    production = {
        "DATABASE_URL": "postgres://app@db.internal/ide",
        "SECRET_KEY": "k" * 60,
        "SETTINGS_ENCRYPTION_KEY": "e" * 40,
    }
    assert load_settings(**production)["DATABASES"]["default"]["OPTIONS"]["pool"]["max_size"] == 10
    with pytest.raises(ImproperlyConfigured, match="^DB_POOL_SIZE='0' is out of range"):
        load_settings(**production, DB_POOL_SIZE="0")
    with pytest.raises(ImproperlyConfigured, match="^DB_POOL_TIMEOUT='never' is not a number"):
        load_settings(**production, DB_POOL_TIMEOUT="never")
