"""Fixtures shared by every app's tests."""

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
