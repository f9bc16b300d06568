"""Settings of the Source Functions IDE.

One file, driven by the environment. The defaults give the embedded mode (SQLite,
in-memory channel layer, a Celery worker inside the server process); DATABASE_URL and
REDIS_URL switch to the production services. Nothing secret is committed.
"""

import os
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from functions_ide import served
from functions_ide.env import (
    database_from_url,
    envbool,
    envfloat,
    envint,
    envlist,
    envstr,
    local_secrets,
)
from runner.limits import DEFAULT_LIMITS, LimitError, Limits

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("DATA_DIR", str(BASE_DIR / ".local")))

DATABASE_URL = envstr("DATABASE_URL")
REDIS_URL = envstr("REDIS_URL")
EMBEDDED = not DATABASE_URL and not REDIS_URL

DEBUG = envbool("DEBUG", False)

# --- secrets ---------------------------------------------------------------
# Production takes them from the environment; the embedded mode keeps generated
# ones in DATA_DIR so encrypted settings stay readable after a restart.
if envstr("SECRET_KEY"):
    SECRET_KEY = envstr("SECRET_KEY")
    CRYPTOGRAPHY_KEY = envstr("SETTINGS_ENCRYPTION_KEY")
    if not CRYPTOGRAPHY_KEY:
        raise ImproperlyConfigured("SETTINGS_ENCRYPTION_KEY must be set when SECRET_KEY is.")
elif DATABASE_URL:
    raise ImproperlyConfigured(
        "SECRET_KEY and SETTINGS_ENCRYPTION_KEY must be set in the environment "
        "when DATABASE_URL is (production mode)."
    )
else:
    _local = local_secrets(DATA_DIR / "secrets.json")
    SECRET_KEY = _local["SECRET_KEY"]
    CRYPTOGRAPHY_KEY = _local["SETTINGS_ENCRYPTION_KEY"]
CRYPTOGRAPHY_SALT = "source-functions-ide.settings"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
# Whether `manage.py serve` takes the client address (and scheme) from X-Forwarded-For
# (and -Proto, -Port): only behind a proxy that overwrites them. Otherwise any client
# could name its own address to the login throttle and the access log.
TRUST_PROXY_HEADERS = envbool("TRUST_PROXY_HEADERS", False)
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
# The address webhook, test and invite URLs name: PUBLIC_URL, else the one `manage.py
# serve` last served on with this DATA_DIR (functions_ide/served.py), else the default.
PUBLIC_URL_IS_SET = bool(envstr("PUBLIC_URL"))
_served_at = served.recorded(DATA_DIR)
PUBLIC_URL = (envstr("PUBLIC_URL") or _served_at or "http://127.0.0.1:8000").rstrip("/")

# --- applications ------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "functions_ide",
    "catalog",
    "ingest",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "functions_ide.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "functions_ide.urls"
ASGI_APPLICATION = "functions_ide.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": envstr("SQLITE_PATH", str(DATA_DIR / "db.sqlite3")),
            # WAL and a busy timeout let the embedded worker thread write while
            # the server answers webhooks.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not shared-cache memory: the embedded worker thread then waits
            # for locks (WAL, busy timeout) in tests as it does when serving. One per
            # process, so test runs side by side do not share it.
            "TEST": {
                "NAME": str(Path(tempfile.gettempdir()) / f"functions-ide-test-{os.getpid()}.db")
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspaces"
LOGOUT_REDIRECT_URL = "login"
# The first checks every password (and refuses while throttled); ModelBackend stays
# listed so that sessions made before the throttle existed keep working.
AUTHENTICATION_BACKENDS = [
    "catalog.auth.ThrottledModelBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins counted in the cache below (docs/security.md): past either limit within
# the window, logins of that account or from that client are refused until it ends.
LOGIN_FAILURES_PER_ACCOUNT = envint("LOGIN_FAILURES_PER_ACCOUNT", 10)
LOGIN_FAILURES_PER_CLIENT = envint("LOGIN_FAILURES_PER_CLIENT", 50)
LOGIN_FAILURE_WINDOW_MINUTES = envint("LOGIN_FAILURE_WINDOW_MINUTES", 15)
RATELIMIT_USE_CACHE = "default"

# --- cache (rate limits, login throttle) --------------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "functions_ide.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- channels -------------------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": envstr("CHANNELS_PREFIX", "asgi")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- celery ---------------------------------------------------------------------
# Embedded mode: an in-process broker served by a worker thread that `manage.py serve`
# starts next to Daphne; webhooks stay durable because they are rows first.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# The in-process broker is polled; a short interval keeps webhook-to-event latency low.
CELERY_BROKER_TRANSPORT_OPTIONS = {} if REDIS_URL else {"polling_interval": 0.02}
CELERY_EMBEDDED_WORKER = envbool("CELERY_EMBEDDED_WORKER", EMBEDDED)
CELERY_EMBEDDED_CONCURRENCY = envint("CELERY_EMBEDDED_CONCURRENCY", 2, min=1, max=64)

# --- static files -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and envbool("STATIC_MANIFEST", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "catalog.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "catalog.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # One error shape for every endpoint: {"detail": sentence, "errors": {field: [...]}}.
    "EXCEPTION_HANDLER": "catalog.api.base.exception_handler",
    # Every list: `limit` 1..API_MAX_PAGE_SIZE (default PAGE_SIZE), `offset`; a value out
    # of range is a 400 (docs/security.md).
    "DEFAULT_PAGINATION_CLASS": "catalog.api.base.ApiPagination",
    "PAGE_SIZE": 50,
}
API_MAX_PAGE_SIZE = envint("API_MAX_PAGE_SIZE", 100)
if not 1 <= API_MAX_PAGE_SIZE <= 1000:
    raise ImproperlyConfigured("API_MAX_PAGE_SIZE must be from 1 to 1000.")
SPECTACULAR_SETTINGS = {
    "TITLE": "Source Functions IDE API",
    "DESCRIPTION": "Functions, versions, sources, executions and events of a workspace.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: the product works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # An execution lists its deliveries: two `status` enums meet in one component.
    "ENUM_NAME_OVERRIDES": {
        "ExecutionStatusEnum": "ingest.models.Execution.Status",
        "DeliveryStatusEnum": "ingest.models.Delivery.Status",
    },
}

# --- runner limits ------------------------------------------------------------------
# What one execution may use and emit: one runner.Limits, RUNNER_LIMITS, from these
# variables (defaults and allowed ranges in runner/limits.py and docs/runner.md). A value
# out of range leaves RUNNER_LIMITS None, and the system check functions_ide.checks
# refuses to start, naming the variable and its range.
RUNNER_TIMEOUT_MS = envint("RUNNER_TIMEOUT_MS", DEFAULT_LIMITS.timeout_ms)
RUNNER_HEAP_MB = envint("RUNNER_HEAP_MB", DEFAULT_LIMITS.heap_mb)
# The one request limit: the webhook receiver refuses a bigger body, the runner too.
WEBHOOK_MAX_BYTES = envint("WEBHOOK_MAX_BYTES", DEFAULT_LIMITS.request_bytes)
RUNNER_MAX_EVENTS = envint("RUNNER_MAX_EVENTS", DEFAULT_LIMITS.events)
RUNNER_MAX_OBJECTS = envint("RUNNER_MAX_OBJECTS", DEFAULT_LIMITS.objects)
RUNNER_MAX_CONSOLE_LINES = envint("RUNNER_MAX_CONSOLE_LINES", DEFAULT_LIMITS.console_lines)
RUNNER_MAX_CONSOLE_BYTES = envint("RUNNER_MAX_CONSOLE_BYTES", DEFAULT_LIMITS.console_bytes)
RUNNER_MAX_FETCH_CALLS = envint("RUNNER_MAX_FETCH_CALLS", DEFAULT_LIMITS.fetch_calls)
# Which variable sets which field of runner.Limits.
RUNNER_LIMIT_VARIABLES = {
    "timeout_ms": "RUNNER_TIMEOUT_MS",
    "heap_mb": "RUNNER_HEAP_MB",
    "request_bytes": "WEBHOOK_MAX_BYTES",
    "events": "RUNNER_MAX_EVENTS",
    "objects": "RUNNER_MAX_OBJECTS",
    "console_lines": "RUNNER_MAX_CONSOLE_LINES",
    "console_bytes": "RUNNER_MAX_CONSOLE_BYTES",
    "fetch_calls": "RUNNER_MAX_FETCH_CALLS",
}
try:
    RUNNER_LIMITS: Limits | None = Limits(
        **{field: globals()[variable] for field, variable in RUNNER_LIMIT_VARIABLES.items()}
    )
except LimitError:
    RUNNER_LIMITS = None  # functions_ide.checks says which variable is out of range

# --- runner and ingest -------------------------------------------------------------
RUNNER_POOL_MAX_ISOLATES = envint("RUNNER_POOL_MAX_ISOLATES", 64)
# Lets functions fetch loopback and private addresses: for tests and trusted networks only.
RUNNER_ALLOW_PRIVATE_NETWORK = envbool("RUNNER_ALLOW_PRIVATE_NETWORK", False)
# A sender has this long to send a webhook's body (then 408); at most this many bodies
# are read at once per process (then 503): slow senders hold bounded memory.
WEBHOOK_BODY_TIMEOUT_S = envfloat("WEBHOOK_BODY_TIMEOUT_S", 10.0, min=0.1, max=600.0)
WEBHOOK_MAX_PENDING_BODIES = envint("WEBHOOK_MAX_PENDING_BODIES", 256, min=1, max=100_000)
WEBHOOK_RATE_LIMIT_PER_SECOND = envint("WEBHOOK_RATE_LIMIT_PER_SECOND", 1000, min=0, max=10_000_000)
# Threads per server process on which senders of functions that respond to them wait for
# the answer (each at most the time limit plus 1 s): a slow function holds these, never
# the threads that store webhooks (ingest/receive/asgi.py).
WEBHOOK_RESPONSE_THREADS = envint("WEBHOOK_RESPONSE_THREADS", 32, min=1, max=1024)
# The waits between a failed execution's attempts for functions that chose none
# (catalog/run_policy.py): the first, doubling up to the cap, each 80–100 % of its step;
# five attempts then span about 45–55 minutes.
RETRY_BACKOFF_BASE_S = envfloat("RETRY_BACKOFF_BASE_S", 300.0, min=0.001, max=3600.0)
RETRY_BACKOFF_CAP_S = envfloat("RETRY_BACKOFF_CAP_S", 1200.0, min=0.001, max=86400.0)
# A source's `cache` (runner/cache.py): a value at most this many bytes of JSON (a bigger
# one is returned but not cached), a source at most FUNCTION_CACHE_SOURCE_BYTES (its
# oldest values go first); in the worker's memory embedded, in Redis in production.
FUNCTION_CACHE_VALUE_BYTES = envint(
    "FUNCTION_CACHE_VALUE_BYTES", 64 * 1024, min=1, max=16 * 1024 * 1024
)
FUNCTION_CACHE_SOURCE_BYTES = envint(
    "FUNCTION_CACHE_SOURCE_BYTES", 1024 * 1024, min=1, max=256 * 1024 * 1024
)
SWEEP_INTERVAL_S = envfloat("SWEEP_INTERVAL_S", 30.0, min=0.1, max=86400.0)
SWEEP_GRACE_S = envfloat("SWEEP_GRACE_S", 60.0, min=0.0, max=86400.0)
SWEEP_BATCH = envint("SWEEP_BATCH", 1000, min=1, max=100_000)
# A claimed event whose worker is silent for its time limit plus this margin is lost.
CLAIM_MARGIN_S = envfloat("CLAIM_MARGIN_S", 30.0, min=0.0, max=3600.0)
# While the workers are busy, webhooks accepted within this many milliseconds of each
# other share a turn and run as one batch (at most INGEST_BATCH_MAX events of a
# version); while they keep up, a webhook is queued at once.
INGEST_DISPATCH_LINGER_MS = envfloat("INGEST_DISPATCH_LINGER_MS", 15.0, min=0.0, max=1000.0)
INGEST_BATCH_MAX = envint("INGEST_BATCH_MAX", 100, min=1, max=1000)
# The most webhooks one write of the accept path stores (ingest.receive.group_commit).
WEBHOOK_COMMIT_GROUP_MAX = envint("WEBHOOK_COMMIT_GROUP_MAX", 100, min=1, max=1000)
# Threads of each worker process kept for workspaces that run nothing there, so one
# workspace's flood cannot hold them all (docs/ingest.md, "Fair sharing"); 0 for none.
INGEST_RESERVED_THREADS = envint("INGEST_RESERVED_THREADS", 1, min=0, max=64)
# How long a worker thread computes before another may take the GIL (Python's default
# is 5 ms): short, so a small webhook is not held up behind a flood's big records.
WORKER_SWITCH_INTERVAL_MS = envfloat("WORKER_SWITCH_INTERVAL_MS", 0.5, min=0.05, max=100.0)
# How much lower than the web servers' a worker process's CPU priority is (nice, 0-19):
# under overload, accepting webhooks comes before running them.
WORKER_NICENESS = envint("WORKER_NICENESS", 5, min=0, max=19)
RETENTION_DAYS = envint("RETENTION_DAYS", 30, min=1, max=3650)
# Gradual rollouts (ingest/rollouts.py): every ROLLOUT_WATCH_S the new version's error
# rate over its last ROLLOUT_WINDOW executions is compared with the old one's; once it has
# ROLLOUT_MIN_EXECUTIONS, more than ROLLOUT_ERROR_MARGIN above and beyond chance, the
# source returns to the old version.
ROLLOUT_WATCH_S = envfloat("ROLLOUT_WATCH_S", 10.0, min=0.1, max=3600.0)
ROLLOUT_WINDOW = envint("ROLLOUT_WINDOW", 200, min=10, max=100_000)
ROLLOUT_MIN_EXECUTIONS = envint("ROLLOUT_MIN_EXECUTIONS", 30, min=1, max=100_000)
ROLLOUT_ERROR_MARGIN = envfloat("ROLLOUT_ERROR_MARGIN", 0.05, min=0.0, max=1.0)

# --- destinations (docs/destinations.md) ---------------------------------------------
# Deliveries recorded within this many milliseconds go to a destination in one batch
# (at most DELIVERY_BATCH_MAX ingest events' output per batch).
DELIVERY_LINGER_MS = envfloat("DELIVERY_LINGER_MS", 200.0, min=0.0, max=60_000.0)
DELIVERY_BATCH_MAX = envint("DELIVERY_BATCH_MAX", 200, min=1, max=10_000)
# Temporary failures are retried with backoff (base·2^n, capped, with jitter) for this
# long; then the delivery is a dead letter.
DELIVERY_RETRY_HOURS = envfloat("DELIVERY_RETRY_HOURS", 24.0, min=0.0, max=24.0 * 30)
DELIVERY_BACKOFF_BASE_S = envfloat("DELIVERY_BACKOFF_BASE_S", 5.0, min=0.001, max=3600.0)
DELIVERY_BACKOFF_CAP_S = envfloat("DELIVERY_BACKOFF_CAP_S", 1800.0, min=0.001, max=86400.0)
# A batch being sent for longer than this (its worker died) is sent again.
DELIVERY_CLAIM_S = envfloat("DELIVERY_CLAIM_S", 300.0, min=10.0, max=86400.0)
# Lets HTTP destinations and PostgreSQL warehouses reach loopback and private addresses
# (never the product's own database): trusted networks only.
DESTINATIONS_ALLOW_PRIVATE_NETWORK = envbool("DESTINATIONS_ALLOW_PRIVATE_NETWORK", False)
# The embedded warehouses (the DuckDB destination): one file per workspace in this
# folder, <workspace slug>.duckdb, so workspaces never share a schema.
WAREHOUSE_DIR = Path(envstr("WAREHOUSE_DIR", str(DATA_DIR / "warehouses")))

# --- catalog --------------------------------------------------------------------
# How long an invite link to set a password stays usable.
INVITE_EXPIRY_HOURS = envint("INVITE_EXPIRY_HOURS", 72, min=1, max=24 * 90)
# A test run waits for its worker up to RUNNER_TIMEOUT_MS plus this margin.
TEST_RUN_MARGIN_S = envfloat("TEST_RUN_MARGIN_S", 10.0, min=0.0, max=600.0)
# A run of a function's saved tests ("Run all tests", the deploy gate) starts no test past
# this many seconds in all: 50 tests at a 10 s time limit would otherwise hold the request
# and an `interactive` worker for minutes. The tests left say they were not run.
SAVED_TESTS_BUDGET_S = envfloat("SAVED_TESTS_BUDGET_S", 30.0, min=0.1, max=600.0)
DATA_UPLOAD_MAX_MEMORY_SIZE = WEBHOOK_MAX_BYTES + 64 * 1024

CELERY_BEAT_SCHEDULE = {
    "sweep-lost-ingest-events": {"task": "ingest.sweep", "schedule": SWEEP_INTERVAL_S},
    "retention-cleanup": {"task": "ingest.cleanup", "schedule": 3600.0},
    "watch-rollouts": {"task": "ingest.watch_rollouts", "schedule": ROLLOUT_WATCH_S},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- security -------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, min=0, max=2 * 365 * 86400)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Load balancers probe health over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- operations -----------------------------------------------------------------
# /metrics needs "Authorization: Bearer <METRICS_TOKEN>" when this is set.
METRICS_TOKEN = envstr("METRICS_TOKEN")
# Empty: functions_ide.middleware.DEFAULT_POLICY (our origin only, what Monaco needs).
CONTENT_SECURITY_POLICY = envstr("CONTENT_SECURITY_POLICY")

# --- logging --------------------------------------------------------------------
# Tokens in paths are shortened in every line; refused requests (401, 403, 404, 405)
# are one INFO line, without a traceback (functions_ide/log_filters.py). Daphne's access
# log shortens them too when served by `manage.py serve` (functions_ide/access_log.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "shorten_tokens": {"()": "functions_ide.log_filters.ShortenTokens"},
        "refusals_at_info": {"()": "functions_ide.log_filters.RefusalsAtInfo"},
        "bad_host_at_warning": {"()": "functions_ide.log_filters.BadHostAtWarning"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["shorten_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "celery": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # httpx logs every request's URL at INFO, query string and all: functions'
        # fetch and the HTTP destinations put keys there.
        "httpx": {"level": "WARNING"},
        "django.request": {"filters": ["refusals_at_info"]},
        "django.security.DisallowedHost": {"filters": ["bad_host_at_warning"]},
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
