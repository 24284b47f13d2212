"""Liveness and readiness probes."""

import socket

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


# A production deployment names only its public host; probes come by address.
PRODUCTION_HOSTS = {
    "ALLOWED_HOSTS": ["shop.example.com"],
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_REDIRECT_EXEMPT": [],
}


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "10.0.3.7:8000", "web"])
@pytest.mark.django_db
def test_probes_answer_any_host_over_plain_http(host):
    with override_settings(**PRODUCTION_HOSTS):
        live = Client().get("/health/live", HTTP_HOST=host)
        ready = Client().get("/health/ready", HTTP_HOST=host)

    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"


@pytest.mark.django_db
def test_ready_is_still_503_for_any_host_when_a_dependency_is_down():
    with override_settings(CACHES=UNREACHABLE_REDIS, **PRODUCTION_HOSTS):
        response = Client().get("/health/ready", HTTP_HOST="10.0.3.7:8000")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "unreachable"


@pytest.mark.django_db
def test_every_other_path_keeps_host_validation_and_the_https_redirect():
    with override_settings(**PRODUCTION_HOSTS):
        client = Client()
        bad_host = client.get("/api/v1/products/", HTTP_HOST="10.0.3.7:8000")
        near_miss = client.get("/health/live/", HTTP_HOST="10.0.3.7:8000")
        plain_http = client.get("/api/v1/products/", HTTP_HOST="shop.example.com")
        https = client.get(
            "/api/v1/products/",
            HTTP_HOST="shop.example.com",
            HTTP_X_FORWARDED_PROTO="https",
        )

    assert bad_host.status_code == 400
    assert near_miss.status_code == 400
    assert plain_http.status_code == 301
    assert plain_http["Location"].startswith("https://shop.example.com/")
    assert https.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "broker, expected",
    [
        ("redis://127.0.0.1:6379/9", "ok"),
        ("redis://127.0.0.1:1/9", "unreachable"),
        ("amqp://guest:guest@127.0.0.1:1//", "unreachable"),
    ],
)
def test_ready_checks_the_broker_when_one_is_configured(settings, broker, expected):
    if expected == "ok" and not _answers("127.0.0.1", 6379):
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CELERY_BROKER_URL = broker
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 1

    response = Client().get("/health/ready")

    assert response.json()["checks"]["broker"] == expected
    assert response.status_code == (200 if expected == "ok" else 503)


def _answers(host, port) -> bool:
    try:
        socket.create_connection((host, port), 1).close()
    except OSError:
        return False
    return True


def test_without_replicas_heavy_reads_stay_on_the_primary():
    from shop.core.replicas import replica_alias, replica_aliases

    assert replica_aliases() == []
    assert replica_alias() == "default"
