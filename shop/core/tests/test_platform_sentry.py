"""SENTRY_DSN sends unhandled errors to Sentry, without personal data.

A thread on loopback stands in for Sentry's ingest endpoint; the SDK talks
real HTTP to it.
"""

import gzip
import importlib.util
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.test import override_settings

from shop.core.sentry import sentry_init

TEST_URLS = "shop.core.tests.platform_urls"
CLIENT_ADDRESS = "203.0.113.9"


class _Ingest(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.server.received.append((self.path, body.decode("utf-8", "replace")))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_ingest():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    dsn = f"http://publickey@127.0.0.1:{server.server_port}/1"
    assert sentry_init(dsn=dsn, environment="ci-test", release="shop@1.2.3")
    yield server
    sentry_sdk.get_client().close(timeout=2)
    # Back to the inert client every other test runs with.
    sentry_sdk.get_global_scope().set_client(None)
    server.shutdown()
    server.server_close()


def _events(server) -> list[dict]:
    """The event items of every envelope received."""
    events = []
    for _path, body in server.received:
        lines = body.splitlines()
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_no_dsn_means_no_sentry():
    assert sentry_init(dsn="") is False


def test_django_and_when_installed_celery_integrations_are_on(sentry_ingest):
    integrations = set(sentry_sdk.get_client().integrations)

    assert "django" in integrations
    assert ("celery" in integrations) == bool(importlib.util.find_spec("celery"))


@pytest.mark.django_db
def test_a_500_reaches_sentry_without_the_users_email_or_address(
    sentry_ingest, customer, customer_client
):
    customer_client.raise_request_exception = False
    with override_settings(ROOT_URLCONF=TEST_URLS):
        response = customer_client.get(
            "/api/test/signed-in-error/", REMOTE_ADDR=CLIENT_ADDRESS
        )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)

    events = _events(sentry_ingest)
    assert len(events) == 1, sentry_ingest.received
    (event,) = events
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "boom for a signed-in user"
    assert event["environment"] == "ci-test"
    assert event["release"] == "shop@1.2.3"
    assert sentry_ingest.received[0][0] == "/api/1/envelope/"
    raw = sentry_ingest.received[0][1]
    assert customer.email not in raw
    assert CLIENT_ADDRESS not in raw
    token = customer_client._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert token not in raw
    assert "email" not in event.get("user", {})
    assert "ip_address" not in event.get("user", {})
