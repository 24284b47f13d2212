"""Liveness and readiness probes."""

import pytest
from django.test import Client, override_settings

from shop.core.testing import database_unreachable

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
    with database_unreachable(tmp_path):
        response = Client().get("/health/ready")

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


def test_without_replicas_heavy_reads_stay_on_the_primary():
    from shop.core.replicas import replica_alias, replica_aliases

    assert replica_aliases() == []
    assert replica_alias() == "default"
