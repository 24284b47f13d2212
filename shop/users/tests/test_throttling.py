"""Throttles: 429 in the error shape with Retry-After, counted per client."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings
from rest_framework.test import APIClient

from shop.conftest import auth_client
from shop.core import throttling
from shop.core.cache import counters_incr, counters_incr_and_get
from shop.core.testing import assert_error
from shop.users.tests.factories import DEFAULT_PASSWORD

TOKEN = "/api/v1/auth/token/"
REGISTER = "/api/v1/auth/register/"
REFRESH = "/api/v1/auth/token/refresh/"
VERIFY = "/api/v1/auth/token/verify/"
ME = "/api/v1/users/me/"

pytestmark = pytest.mark.django_db


def _rates(**overrides):
    rates = {"auth": "3/min", "anon": "1000/min", "user": "1000/min", **overrides}
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    )


def _login(client, email, **extra):
    return client.post(TOKEN, {"email": email, "password": DEFAULT_PASSWORD}, **extra)


@_rates()
def test_fourth_login_in_a_minute_is_429_with_retry_after(customer):
    client = APIClient()
    for _ in range(3):
        assert _login(client, customer.email).status_code == 200

    response = _login(client, customer.email)

    body = assert_error(response, 429, "throttled")
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 61
    assert body["extra"]["retry_after"] == retry_after


@_rates()
def test_failed_logins_count_too(customer):
    client = APIClient()
    for _ in range(3):
        response = client.post(TOKEN, {"email": customer.email, "password": "nope"})
        assert response.status_code == 401
    assert_error(_login(client, customer.email), 429, "throttled")


@_rates()
def test_rotating_x_forwarded_for_does_not_reset_the_throttle(customer):
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    for n in range(3):
        response = _login(client, customer.email, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        assert response.status_code == 200

    response = _login(client, customer.email, HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert_error(response, 429, "throttled")


@_rates()
def test_another_address_has_its_own_count(customer):
    first = APIClient(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        _login(first, customer.email)
    assert _login(first, customer.email).status_code == 429

    assert (
        _login(APIClient(REMOTE_ADDR="203.0.113.10"), customer.email).status_code == 200
    )


@_rates()
def test_with_one_trusted_proxy_the_address_it_appends_counts(customer):
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    ):
        client = APIClient(REMOTE_ADDR="10.0.0.1")  # the proxy
        for n in range(3):
            forwarded = f"1.2.3.{n}, 198.51.100.7"  # spoofed part, then the real one
            assert (
                _login(
                    client, customer.email, HTTP_X_FORWARDED_FOR=forwarded
                ).status_code
                == 200
            )
        spoofed = _login(
            client, customer.email, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.7"
        )
        assert_error(spoofed, 429, "throttled")
        other = _login(client, customer.email, HTTP_X_FORWARDED_FOR="198.51.100.8")
        assert other.status_code == 200


@_rates()
def test_login_register_and_refresh_share_the_auth_budget(customer):
    client = APIClient()
    pair = _login(client, customer.email).json()
    assert client.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 200
    assert client.post(REGISTER, {}).status_code == 400

    assert_error(client.post(REGISTER, {}), 429, "throttled")
    assert_error(_login(client, customer.email), 429, "throttled")


@_rates(anon="2/min")
def test_anonymous_rate_applies_to_other_public_endpoints():
    client = APIClient()
    for _ in range(2):
        assert client.post(VERIFY, {"token": "x"}).status_code == 401
    response = client.post(VERIFY, {"token": "x"})
    assert_error(response, 429, "throttled")
    assert "Retry-After" in response


@_rates(user="2/min")
def test_user_rate_applies_per_account(customer, other_customer):
    client = auth_client(customer)
    for _ in range(2):
        assert client.get(ME).status_code == 200
    assert_error(client.get(ME), 429, "throttled")

    assert auth_client(other_customer).get(ME).status_code == 200


# --- fixed-window counters -------------------------------------------------

PRODUCTS = "/api/v1/products/"


@_rates(anon="5/min", user="50/min")
def test_a_counter_is_one_integer_per_scope_client_and_window(monkeypatch):
    monkeypatch.setattr(throttling, "clock", lambda: 600.5)  # window 10
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        assert client.get(PRODUCTS).status_code == 200

    assert cache.get("throttle:anon:203.0.113.9:10") == 3
    assert cache.get("throttle:user:203.0.113.9:10") == 3


@_rates(anon="1000/min", user="1000/min")
def test_every_scope_of_a_request_is_counted_in_one_cache_call(monkeypatch):
    calls = []

    def counters_incr_and_get(cache, ttls, reads):
        calls.append(sorted(key.split(":")[1] for key in ttls))
        return real(cache, ttls, reads)

    real = throttling.counters_incr_and_get
    monkeypatch.setattr(throttling, "counters_incr_and_get", counters_incr_and_get)

    assert APIClient().get(PRODUCTS).status_code == 200

    assert calls == [["anon", "user"]]


@_rates(anon="2/min")
def test_the_next_window_starts_a_new_count(monkeypatch):
    now = [1200.0 + 45]  # 15 s left in window 20
    monkeypatch.setattr(throttling, "clock", lambda: now[0])
    client = APIClient()
    for _ in range(2):
        assert client.get(PRODUCTS).status_code == 200

    refused = client.get(PRODUCTS)

    assert_error(refused, 429, "throttled")
    assert refused["Retry-After"] == "16"
    now[0] = 1260.0
    assert client.get(PRODUCTS).status_code == 200


@_rates(user="2/min")
def test_a_customer_is_counted_by_account_not_address(customer):
    for address in ("203.0.113.1", "203.0.113.2"):
        client = auth_client(customer)
        client.defaults["REMOTE_ADDR"] = address
        assert client.get(ME).status_code == 200

    assert_error(auth_client(customer).get(ME), 429, "throttled")


def test_rates_parse_like_drf():
    assert throttling.parse_rate("120/min") == (120, 60)
    assert throttling.parse_rate("10/s") == (10, 1)
    assert throttling.parse_rate("5/hour") == (5, 3600)
    assert throttling.parse_rate("1000/day") == (1000, 86400)


def test_counters_incr_works_on_any_django_cache():
    local = LocMemCache("throttle-test", {})
    assert counters_incr(local, {"a": 60}) == {"a": 1}
    assert counters_incr(local, {"a": 60, "b": 60}) == {"a": 2, "b": 1}
    local.set("total", (3, 120))
    assert counters_incr_and_get(local, {"a": 60}, ["total", "gone"]) == (
        {"a": 3},
        {"total": (3, 120)},
    )
