"""Settings read from the environment; production refuses unsafe starts.

Each settings module is imported in a fresh interpreter, as a server would.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from shop.settings.base import parse_throttle_rates

BASE_DIR = Path(__file__).resolve().parents[3]
PROD_KEY = "k7#Qm2v9Lp4xZ8rT1wB6nY3cF0hJ5sD2gA9eU4iO7pR1tM6yV3bN8"
PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
jwt = settings.SIMPLE_JWT
print(json.dumps({
    "access_seconds": jwt["ACCESS_TOKEN_LIFETIME"].total_seconds(),
    "refresh_seconds": jwt["REFRESH_TOKEN_LIFETIME"].total_seconds(),
    "signing_key_is_secret_key": jwt["SIGNING_KEY"] == settings.SECRET_KEY,
    "rates": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "num_proxies": settings.REST_FRAMEWORK["NUM_PROXIES"],
    "cors": settings.CORS_ALLOWED_ORIGINS,
    "debug": settings.DEBUG,
    "hasher": settings.PASSWORD_HASHERS[0],
    "cache": settings.CACHES["default"]["BACKEND"],
    "auth": settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"],
}))
"""


def _run(args, settings_module, **env_overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "JWT_ACCESS_MINUTES",
            "JWT_REFRESH_DAYS",
            "THROTTLE_RATES",
            "NUM_PROXIES",
            "CORS_ALLOWED_ORIGINS",
            "DEBUG",
            "CACHE_URL",
            "REDIS_URL",
            "ALLOWED_HOSTS",
        }
    }
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings(settings_module="shop.settings.dev", **env):
    result = _run(["-c", PRINT_SETTINGS], settings_module, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _dot_env_defines(name):
    dot_env = BASE_DIR / ".env"
    return dot_env.is_file() and any(
        line.strip().startswith(f"{name}=") for line in dot_env.read_text().splitlines()
    )


def test_prod_refuses_to_start_without_secret_key():
    if _dot_env_defines("SECRET_KEY"):
        pytest.skip(".env defines SECRET_KEY")
    result = _run(["-c", "import django; django.setup()"], "shop.settings.prod")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_prod_refuses_an_empty_secret_key():
    result = _run(
        ["manage.py", "check"], "shop.settings.prod", SECRET_KEY="", ALLOWED_HOSTS="x"
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_prod_passes_the_deploy_check():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        "shop.settings.prod",
        SECRET_KEY=PROD_KEY,
        ALLOWED_HOSTS="shop.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_prod_settings_are_hardened():
    values = _settings("shop.settings.prod", SECRET_KEY=PROD_KEY, ALLOWED_HOSTS="x")

    assert values["debug"] is False
    assert values["signing_key_is_secret_key"] is True
    assert values["hasher"].endswith("Argon2PasswordHasher")
    # JWT only: no session or basic authentication on the API.
    assert values["auth"] == [
        "rest_framework_simplejwt.authentication.JWTAuthentication"
    ]


def test_jwt_lifetimes_default_to_30_minutes_and_7_days():
    values = _settings()

    assert values["access_seconds"] == 30 * 60
    assert values["refresh_seconds"] == 7 * 24 * 3600


def test_jwt_lifetimes_come_from_the_environment():
    values = _settings(JWT_ACCESS_MINUTES="5", JWT_REFRESH_DAYS="2")

    assert values["access_seconds"] == 5 * 60
    assert values["refresh_seconds"] == 2 * 24 * 3600


def test_throttle_rates_num_proxies_and_cors_come_from_the_environment():
    values = _settings(
        THROTTLE_RATES="auth=3/min, anon=50/hour",
        NUM_PROXIES="1",
        CORS_ALLOWED_ORIGINS="https://a.example.com,https://b.example.com",
    )

    assert values["rates"] == {"auth": "3/min", "anon": "50/hour", "user": "1200/min"}
    assert values["num_proxies"] == 1
    assert values["cors"] == ["https://a.example.com", "https://b.example.com"]


def test_redis_url_switches_the_cache_to_djangos_redis_backend():
    from django.core.cache.backends.redis import RedisCache

    from shop.core.cache import RedisCache as SharedClientRedisCache

    values = _settings(REDIS_URL="redis://127.0.0.1:6379/3")

    # Django's backend, subclassed only to reuse its redis-py client.
    assert values["cache"] == "shop.core.cache.RedisCache"
    assert issubclass(SharedClientRedisCache, RedisCache)


def test_a_malformed_throttle_rate_stops_start_up():
    result = _run(
        ["-c", "import django; django.setup()"],
        "shop.settings.dev",
        THROTTLE_RATES="auth=ten per minute",
    )

    assert result.returncode != 0
    assert "THROTTLE_RATES" in result.stderr


def test_parse_throttle_rates():
    assert parse_throttle_rates("auth=10/min,anon=120/min") == {
        "auth": "10/min",
        "anon": "120/min",
    }
    assert parse_throttle_rates(" auth = 5/s , user=1000/day, ") == {
        "auth": "5/s",
        "user": "1000/day",
    }
    assert parse_throttle_rates("") == {}


@pytest.mark.parametrize("value", ["auth", "auth=", "=10/min", "auth=10", "auth=x/min"])
def test_parse_throttle_rates_refuses_malformed_pairs(value):
    with pytest.raises(ImproperlyConfigured):
        parse_throttle_rates(value)


def test_parse_throttle_rates_reads_the_environment_format(monkeypatch):
    import environ

    monkeypatch.setenv("THROTTLE_RATES", "auth=10/min,anon=120/min")

    raw = environ.Env().str("THROTTLE_RATES")
    assert parse_throttle_rates(raw) == {"auth": "10/min", "anon": "120/min"}
