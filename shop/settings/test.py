"""Test run: the database comes from DATABASE_URL (PostgreSQL in CI) or SQLite."""

import os
import uuid

from .base import *  # noqa: F403
from .base import DATABASES, REST_FRAMEWORK, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "shop-test",
    }
}
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Generous rates so ordinary tests never trip a throttle; throttle tests set
# their own with override_settings.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "auth": "10000/min",
    "anon": "100000/min",
    "user": "100000/min",
}
for _database in DATABASES.values():
    _database["CONN_MAX_AGE"] = 0
# Each test process gets its own test database, so parallel runs (several
# checkouts, CI steps, xdist workers) never trample each other.
_run_id = env.str("TEST_DB_SUFFIX", default=str(os.getpid()))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so tests may close and reopen the connection.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("SQLITE_TEST_DB", default=f"/tmp/shop-test-{_run_id}.sqlite3")
    }
else:
    DATABASES["default"]["TEST"] = {
        "NAME": f"test_{DATABASES['default']['NAME']}_{_run_id}"
    }
# The suite runs without a broker, as the embedded default does (tasks in
# process after the commit); the worker tests (shop/outbox/tests/worker/)
# point the Celery app at a real broker and run real worker processes.
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
# Each test process has a queue of its own on the shared broker, so parallel
# runs never take each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = f"shop-test-{_run_id}-{uuid.uuid4().hex[:8]}"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
WHITENOISE_AUTOREFRESH = True
