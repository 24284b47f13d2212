"""Settings shared by every environment, read from the process environment.

A `.env` file at the project root is read when present; real environment
variables win over it. See `.env.example` for every variable.
"""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from shop.core.sentry import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)

# Development fallback only: prod.py requires SECRET_KEY from the environment.
SECRET_KEY = env(
    "SECRET_KEY", default="django-insecure-dev-only-key-change-me-0123456789abcdef"
)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "shop.reports.apps.ShopAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "shop.core",
    "shop.outbox",
    "shop.users",
    "shop.catalog",
    "shop.orders",
    "shop.reports",
    "shop.demo",
]

MIDDLEWARE = [
    "shop.core.middleware.RequestIdMiddleware",
    # Before SecurityMiddleware and CommonMiddleware: probes answer any Host.
    "shop.core.middleware.HealthProbeMiddleware",
    # Times everything below it (probes are not timed).
    "shop.core.metrics.MetricsMiddleware",
    "shop.core.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "shop.core.middleware.BodySizeLimitMiddleware",
    # Django's session, auth and messages middleware, skipped for /api/.
    "shop.core.middleware.SiteSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "shop.core.middleware.SiteAuthenticationMiddleware",
    "shop.core.middleware.SiteMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# A checkout (and the Docker image) has templates/ beside manage.py; an
# installed wheel carries the same files as shop/site_templates (setup.py).
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "site_templates"
if not TEMPLATES_DIR.is_dir():
    TEMPLATES_DIR = BASE_DIR / "templates"

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [TEMPLATES_DIR],
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

# --- Database -------------------------------------------------------------
# Embedded default: SQLite next to manage.py. Production: DATABASE_URL.
# DATABASE_POOLER=pgbouncer: DATABASE_URL (and the replicas) point at PgBouncer
# in transaction pooling mode, where a connection is only ours for one
# transaction, so nothing may rely on session state (docs/scaling.md).
DATABASE_POOLER = env.str("DATABASE_POOLER", default="").lower()
if DATABASE_POOLER not in ("", "pgbouncer"):
    raise ImproperlyConfigured("DATABASE_POOLER must be empty or 'pgbouncer'.")
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=30000)


def database_config(url: str, **extra: Any) -> dict[str, Any]:
    """One DATABASES entry from a URL, with the shop's connection policy."""
    config: dict[str, Any] = env.db_url_config(url)
    config.update(
        CONN_MAX_AGE=env.int("CONN_MAX_AGE", default=60),
        # A SELECT 1 on a reused connection before its first query of a
        # request: one cheap round trip that turns a connection dropped while
        # idle (database restart, PgBouncer or firewall timeouts) into a
        # reconnect instead of one failed request. DB_CONN_HEALTH_CHECKS=false
        # saves it where nothing drops idle connections.
        CONN_HEALTH_CHECKS=env.bool("DB_CONN_HEALTH_CHECKS", default=True),
        ATOMIC_REQUESTS=False,
        **extra,
    )
    if config["ENGINE"] != "django.db.backends.postgresql":
        return config
    options = config.setdefault("OPTIONS", {})
    if DATABASE_POOLER == "pgbouncer":
        # PgBouncer refuses unknown startup parameters such as `options`, and a
        # session-level SET would leak to whichever client gets the server
        # connection next: the timeout is set on the role or by the pooler's
        # connect_query instead (deploy/pgbouncer.ini). Server-side cursors
        # outside a transaction are WITH HOLD and outlive the transaction the
        # pooler lends us: Django's documented switch turns them off.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        # A runaway query is cancelled by the server instead of pinning a worker.
        options["options"] = f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
    return config


DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
# Read replicas for the heavy staff reads (reports, exports, dashboard), as
# replica_0, replica_1, ...; only code that asks for one by name
# (shop.core.replicas.replica_alias) reads there. Tests run them as mirrors of
# the test database, so the suite is unaffected by the variable.
DATABASE_REPLICA_URLS = env.list("DATABASE_REPLICA_URLS", default=[])
# A replica that does not connect within this many seconds counts as down...
DATABASE_REPLICA_CONNECT_TIMEOUT = env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", 2)
# ...and is not tried again by this process for this many seconds.
DATABASE_REPLICA_RETRY_SECONDS = env.int("DATABASE_REPLICA_RETRY_SECONDS", 10)
for _index, _url in enumerate(DATABASE_REPLICA_URLS):
    _replica = database_config(_url, TEST={"MIRROR": "default"})
    if _replica["ENGINE"] == "django.db.backends.postgresql":
        _replica["OPTIONS"]["connect_timeout"] = DATABASE_REPLICA_CONNECT_TIMEOUT
    DATABASES[f"replica_{_index}"] = _replica
DATABASE_ROUTERS = ["shop.core.replicas.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve the reports on PostgreSQL; SQLite builds
# them as plain indexes, which is all it needs at its scale.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Cache ----------------------------------------------------------------
# Throttle counters live here, so every worker shares them when Redis is set.
_cache_url = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
if _cache_url:
    CACHES = {"default": env.cache_url_config(_cache_url)}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # The same backend, reusing its redis-py client (shop/core/cache.py).
        CACHES["default"]["BACKEND"] = "shop.core.cache.RedisCache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "shop-default",
        }
    }

# --- Users and passwords --------------------------------------------------
AUTH_USER_MODEL = "users.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Account e-mails (docs/accounts.md) ------------------------------------
# Base of the links in customer mails: {FRONTEND_URL}/reset-password?uid=&token=,
# /verify-email and /confirm-email are pages of the shop's own front end. Also
# the admin's "View site" link (hidden when set empty).
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
# Seconds a password reset, verification or e-mail change link stays valid
# (Django's token generator reads this one setting for all of them).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=24 * 3600)
# Account mails (password reset, verification, e-mail change) one address
# receives per hour, whoever asks; 0 lifts the cap. The request throttles
# count per client, which someone mailing a victim from many addresses evades.
ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR = env.int(
    "ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR", default=5
)
# On: accounts whose address is not verified cannot place orders (403).
REQUIRE_VERIFIED_EMAIL = env.bool("REQUIRE_VERIFIED_EMAIL", default=False)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Seconds an SMTP connect or reply may take before the send fails (and the
# outbox retries it); unset, a silent server would hold a worker forever.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="shop@localhost")

# --- Request limits -------------------------------------------------------
# Bodies above this are refused with 413 before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BYTES", default=1024 * 1024)
# Deeper JSON than this is refused with 400 instead of exhausting the stack.
API_MAX_JSON_DEPTH = 32

# --- REST framework -------------------------------------------------------
DEFAULT_THROTTLE_RATES = {
    "auth": "10/min",
    "anon": "120/min",
    "user": "1200/min",
}
_RATE = re.compile(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)")


def parse_throttle_rates(value: str) -> dict[str, str]:
    """`auth=10/min, anon=120/min` -> {"auth": "10/min", "anon": "120/min"}.

    Spaces are allowed and a typo stops start-up: DRF would only fail at the
    first throttled request, or silently ignore a scope named " anon".
    """
    rates = {}
    for pair in filter(None, (part.strip() for part in value.split(","))):
        scope, sep, rate = (part.strip() for part in pair.partition("="))
        if not (sep and scope and _RATE.fullmatch(rate)):
            raise ImproperlyConfigured(
                f"THROTTLE_RATES: {pair!r} is not scope=N/period, e.g. auth=10/min"
            )
        rates[scope] = rate
    return rates


THROTTLE_RATES = {
    **DEFAULT_THROTTLE_RATES,
    **parse_throttle_rates(env.str("THROTTLE_RATES", default="")),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: form encodings cannot carry the JSON types the schema
    # promises (the image upload view takes multipart itself).
    "DEFAULT_PARSER_CLASSES": ["shop.core.parsers.LimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "shop.core.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["shop.core.filters.QueryFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "shop.core.throttling.AnonRateThrottle",
        "shop.core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    # Trust exactly this many proxies in X-Forwarded-For; 0 means use the
    # socket address, so a client cannot reset its throttle with a fake header.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "shop.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "shop.core.schema.ShopAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env.int("JWT_ACCESS_MINUTES", default=30)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a hash of the password hash: changing the password
    # revokes every access token at once (refresh tokens are blacklisted by
    # shop.users.services.user_change_password).
    "CHECK_REVOKE_TOKEN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "TOKEN_OBTAIN_SERIALIZER": "shop.users.serializers.TokenObtainSerializer",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "shop API",
    "DESCRIPTION": (
        "JSON REST API of the shop. Authenticate with `Authorization: Bearer "
        "<access>` from `POST /api/v1/auth/token/`. Every error has the body "
        '`{"code": str, "message": str, "extra": object}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {},
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]

# --- Logging --------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "shop.core.logging.RequestIdFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s "
            "%(client_ip)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s "
            "%(client_ip)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level"},
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Observability --------------------------------------------------------
# /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`; unset,
# metrics are off (404). PROMETHEUS_MULTIPROC_DIR (read by prometheus_client
# itself) makes every gunicorn worker count: shop/core/metrics.py.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
# A Celery worker's failure counters (task and delivery failures), served by
# its main process on this port when set (shop/celery.py); unset: off. The
# port has no token: bind it where only Prometheus reaches it.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
WORKER_METRICS_ADDR = env.str("WORKER_METRICS_ADDR", default="127.0.0.1")
# Unhandled errors go to Sentry when a DSN is set (shop/core/sentry.py), with
# no personal data; environment and release label the events.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=SENTRY_RELEASE)

# --- Integrations (docs/integrations.md) ----------------------------------
# AWS credentials come from boto3's standard chain (AWS_ACCESS_KEY_ID /
# AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance/task role).
AWS_REGION = env.str("AWS_REGION", default="") or env.str(
    "AWS_DEFAULT_REGION", default="us-east-1"
)
# Any S3/SNS/SQS-compatible endpoint (MinIO, LocalStack, moto); blank for AWS.
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="") or None
ORDER_EVENTS_TOPIC_ARN = env.str("ORDER_EVENTS_TOPIC_ARN", default="")
ORDER_EVENTS_QUEUE_URL = env.str("ORDER_EVENTS_QUEUE_URL", default="")
ORDER_EVENTS_WEBHOOK_URL = env.str("ORDER_EVENTS_WEBHOOK_URL", default="")
# Standard Webhooks signing secrets (whsec_ + base64), comma-separated: each
# delivery carries one signature per secret, so a consumer's secret rotates
# without downtime. The older single ORDER_EVENTS_WEBHOOK_SECRET still counts.
ORDER_EVENTS_WEBHOOK_SECRETS = env.list("ORDER_EVENTS_WEBHOOK_SECRETS", default=[])
ORDER_EVENTS_WEBHOOK_SECRET = env.str("ORDER_EVENTS_WEBHOOK_SECRET", default="")
# Dotted path to a zero-argument publisher factory replacing the targets above.
ORDER_EVENTS_PUBLISHER = ""

# --- Background work (docs/background.md) ---------------------------------
# Every side effect (mail, publication) is an outbox delivery run by a Celery
# worker. Broker: CELERY_BROKER_URL, else the Redis of REDIS_URL; redis:// and
# amqp:// both work. With neither (the embedded default) tasks run in the
# web process right after the commit and nothing is scheduled.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or env.str(
    "REDIS_URL", default=""
)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
# Seconds to reach the broker: a request nudging workers after its commit
# gives up this soon and leaves the work to the sweep.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float(
    "CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # One connection attempt per publish: a request does not wait out
    # kombu's reconnect loop (the worker's consumer keeps its own retries).
    "max_retries": 0,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": CELERY_BROKER_CONNECTION_TIMEOUT * 2.5,
    # Redis: an unacknowledged task goes back to the queue after this long
    # (its worker vanished); longer than any task and any retry countdown.
    "visibility_timeout": 2 * 3600,
}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="shop")
# A task is acknowledged when it has finished, so a worker killed mid-task
# leaves it for another; deliveries are idempotent (shop/outbox/services.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True

# Outbox deliveries: attempts before one is marked failed (then staff retry
# it from the admin), and the back-off between attempts: doubling from the
# base up to the cap, with jitter.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=15)
OUTBOX_BACKOFF_BASE_SECONDS = env.float("OUTBOX_BACKOFF_BASE_SECONDS", default=5)
OUTBOX_MAX_BACKOFF_SECONDS = env.float("OUTBOX_MAX_BACKOFF_SECONDS", default=3600)
# Finished events and their delivery records (sent mails) are kept this long.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=30)
# celery beat's schedule (periods in seconds; check_stock at a UTC time).
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=30)
ORDERS_EXPIRE_SECONDS = env.float("ORDERS_EXPIRE_SECONDS", default=15 * 60)
# Pending orders older than this are cancelled by the schedule.
ORDERS_PENDING_MAX_AGE = env.str("ORDERS_PENDING_MAX_AGE", default="48h")
IDEMPOTENCY_PRUNE_SECONDS = env.float("IDEMPOTENCY_PRUNE_SECONDS", default=3600)
OUTBOX_PRUNE_SECONDS = env.float("OUTBOX_PRUNE_SECONDS", default=24 * 3600)
_check_stock_at = env.str("CHECK_STOCK_AT", default="03:30")
_check_stock_hour, _, _check_stock_minute = _check_stock_at.partition(":")
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "outbox.sweep", "schedule": OUTBOX_SWEEP_SECONDS},
    "orders-expire-pending": {
        "task": "orders.expire_pending",
        "schedule": ORDERS_EXPIRE_SECONDS,
    },
    "orders-prune-idempotency-keys": {
        "task": "orders.prune_idempotency_keys",
        "schedule": IDEMPOTENCY_PRUNE_SECONDS,
    },
    "outbox-prune": {"task": "outbox.prune", "schedule": OUTBOX_PRUNE_SECONDS},
    "catalog-check-stock": {
        "task": "catalog.check_stock",
        "schedule": crontab(hour=_check_stock_hour, minute=_check_stock_minute or "0"),
    },
}

# Product images: MEDIA_ROOT on the local filesystem by default; any
# S3-compatible bucket through django-storages once a bucket is named.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or AWS_REGION,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="")
            or AWS_ENDPOINT_URL,
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            # On: private bucket, signed URLs that expire. Off: public bucket/CDN.
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=True),
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
# Multipart API bodies (image uploads) may be this large; JSON stays capped
# by DATA_UPLOAD_MAX_MEMORY_SIZE.
API_MULTIPART_MAX_BYTES = env.int("MAX_UPLOAD_REQUEST_BYTES", default=6 * 1024 * 1024)

# --- Shop rules -----------------------------------------------------------
# Admin CSV import (docs/catalog.md): largest file, rows above which the
# preview and the import run as a background task, and how long an upload
# waits in the cache between preview and import.
ADMIN_IMPORT_MAX_BYTES = env.int("ADMIN_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
ADMIN_IMPORT_BACKGROUND_ROWS = env.int("ADMIN_IMPORT_BACKGROUND_ROWS", default=2000)
ADMIN_IMPORT_KEEP_SECONDS = env.int("ADMIN_IMPORT_KEEP_SECONDS", default=3600)
SHOP_LOW_STOCK_THRESHOLD = env.int("LOW_STOCK_THRESHOLD", default=5)
# The public product list caches its total this many seconds (0: exact count
# on every request); writes through the API, admin and import clear it.
SHOP_PRODUCT_COUNT_CACHE_SECONDS = env.int("PRODUCT_COUNT_CACHE_SECONDS", default=10)
