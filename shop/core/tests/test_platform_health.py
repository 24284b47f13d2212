"""Liveness and readiness probes."""

import pytest
from django.db import connections
from django.test import Client, override_settings

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def test_live_answers_without_touching_the_database():
    # No django_db mark: any query would fail the test.
    response = Client().get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_reports_database_and_cache():
    response = Client().get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok"},
    }


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_when_the_database_is_unreachable(tmp_path):
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=1)
    connection.close()
    try:
        response = Client().get("/health/ready")
    finally:
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        connection.close()

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unreachable", "cache": "ok"},
    }
    # And it recovers once the database is back.
    assert Client().get("/health/ready").status_code == 200


@pytest.mark.django_db
def test_ready_is_503_when_the_cache_is_unreachable():
    with override_settings(CACHES=UNREACHABLE_REDIS):
        response = Client().get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "unreachable"}
    assert Client().get("/health/ready").status_code == 200
