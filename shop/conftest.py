"""Fixtures shared by every app's tests."""

import logging
import uuid

import boto3
import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from shop.core import throttling
from shop.users.tests.factories import StaffFactory, UserFactory


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"shop tests on database: {engine}"


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters live in the cache; no test inherits another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _throttle_clock(monkeypatch):
    # Throttles count in fixed windows: a slow test crossing a minute boundary
    # would see its count start again. Hold their clock mid-window; tests of
    # windows move it themselves.
    monkeypatch.setattr(throttling, "clock", lambda: 1_800_000_030.0)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def api_client():
    return APIClient()


def auth_client(user) -> APIClient:
    client = APIClient()
    token = RefreshToken.for_user(user).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def customer(db):
    return UserFactory()


@pytest.fixture
def other_customer(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def customer_client(customer):
    return auth_client(customer)


@pytest.fixture
def staff_client(staff):
    return auth_client(staff)


# --- An AWS stand-in (moto in server mode) -------------------------------
# The code under test talks HTTP to a real endpoint on loopback; only
# AWS_ENDPOINT_URL and the credentials in the environment differ from AWS.


@pytest.fixture(scope="session")
def aws_endpoint():
    from moto.server import ThreadedMotoServer

    patch = pytest.MonkeyPatch()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        patch.setenv(name, value)
    patch.delenv("AWS_PROFILE", raising=False)
    # The stand-in logs every request it serves; keep test output readable.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    patch.undo()


@pytest.fixture
def aws(settings, aws_endpoint):
    """Point the project's AWS settings at the stand-in for one test."""
    settings.AWS_ENDPOINT_URL = aws_endpoint
    settings.AWS_REGION = "us-east-1"
    return aws_endpoint


def _client(service, endpoint):
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint)


@pytest.fixture
def sqs(aws):
    return _client("sqs", aws)


@pytest.fixture
def sns(aws):
    return _client("sns", aws)


@pytest.fixture
def s3(aws):
    return _client("s3", aws)


@pytest.fixture
def queue_url(sqs):
    return sqs.create_queue(QueueName=f"orders-{uuid.uuid4().hex[:12]}")["QueueUrl"]
