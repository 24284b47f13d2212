"""API8:2023 Security Misconfiguration.

The production settings module, loaded in a fresh interpreter exactly as
gunicorn loads it, sends the security headers, marks cookies secure, keeps
DEBUG off, redirects plain HTTP, rejects unknown Host headers with 400 (the
health probes excepted: orchestrators call them by address), and answers API
errors in JSON without internals. CORS allows only listed origins.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json
import django
django.setup()
from django.conf import settings
from django.test import Client

client = Client(raise_request_exception=False)
good = {"HTTP_HOST": "shop.example.com", "secure": True}
out = {"settings": {
    name: getattr(settings, name)
    for name in ("DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
                 "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
                 "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS",
                 "SECURE_REFERRER_POLICY")
}}

def record(name, response):
    out[name] = {
        "status": response.status_code,
        "headers": {k.lower(): v for k, v in response.headers.items()},
        "body": response.content.decode("utf-8", "replace")[:2000],
    }

record("live", client.get("/health/live", **good))
record("evil_host", client.get("/admin/login/", HTTP_HOST="evil.example.com"))
record("probe_by_address", client.get("/health/live", HTTP_HOST="10.0.3.7:8000"))
record("evil_host_api", client.get(
    "/api/v1/products/", HTTP_HOST="evil.example.com", secure=True))
record("plain_http", client.get("/api/v1/products/", HTTP_HOST="shop.example.com"))
record("api_404", client.get("/api/v1/no-such-thing/", **good))
record("api_405", client.delete("/api/v1/auth/token/", **good))
# A database-free API path: the probe's database is empty.
record("cors_foreign", client.get(
    "/api/v1/no-such-thing/", HTTP_ORIGIN="https://evil.example.com", **good))
record("cors_listed", client.get(
    "/api/v1/no-such-thing/", HTTP_ORIGIN="https://app.example.com", **good))
print("PROBE" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEBUG", "SECURE_", "ALLOWED_HOSTS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="shop.settings.prod",
        SECRET_KEY="prod-probe-" + "s" * 50,
        ALLOWED_HOSTS="shop.example.com",
        CORS_ALLOWED_ORIGINS="https://app.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('prod')}/probe.sqlite3",
        LOG_LEVEL="CRITICAL",
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("PROBE"))
    return json.loads(line.removeprefix("PROBE"))


def test_prod_keeps_debug_off_and_cookies_secure(prod):
    assert prod["settings"] == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_REFERRER_POLICY": "same-origin",
    }


def test_prod_sends_security_headers(prod):
    # Any response through the middleware stack; this one needs no database.
    headers = prod["api_404"]["headers"]

    assert prod["api_404"]["status"] == 404
    assert "max-age=31536000" in headers["strict-transport-security"]
    assert "includeSubDomains" in headers["strict-transport-security"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


def test_prod_answers_health_probes_for_any_host_over_plain_http(prod):
    assert prod["live"]["status"] == 200
    assert prod["probe_by_address"]["status"] == 200
    assert json.loads(prod["probe_by_address"]["body"]) == {"status": "ok"}


def test_prod_rejects_unknown_host_with_400(prod):
    assert prod["evil_host"]["status"] == 400
    assert prod["evil_host_api"]["status"] == 400
    assert json.loads(prod["evil_host_api"]["body"])["code"] == "bad_request"


def test_prod_redirects_plain_http_to_https(prod):
    assert prod["plain_http"]["status"] == 301
    assert prod["plain_http"]["headers"]["location"].startswith("https://")


@pytest.mark.parametrize("case,status", [("api_404", 404), ("api_405", 405)])
def test_prod_api_errors_are_json_without_internals(prod, case, status):
    response = prod[case]

    assert response["status"] == status
    assert response["headers"]["content-type"].startswith("application/json")
    body = json.loads(response["body"])
    assert set(body) == {"code", "message", "extra"}
    assert "Traceback" not in response["body"]
    assert "shop." not in response["body"]


def test_prod_cors_allows_only_listed_origins(prod):
    foreign = prod["cors_foreign"]["headers"]
    listed = prod["cors_listed"]["headers"]

    assert "access-control-allow-origin" not in foreign
    assert listed["access-control-allow-origin"] == "https://app.example.com"


def test_prod_refuses_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "shop.settings.prod"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@override_settings(ALLOWED_HOSTS=["shop.example.com"])
def test_unknown_host_is_rejected_in_process(db):
    response = Client().get("/api/v1/products/", HTTP_HOST="attacker.example.com")

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_api_never_renders_html_errors(db):
    client = Client(raise_request_exception=False)

    for path in ("/api/v1/nothing-here/", "/api/v1/orders/abc/", "/api/v2/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json"), path
