"""API6:2023 Unrestricted Access to Sensitive Business Flows.

Credential stuffing, mass registration and token farming are slowed by the
`auth` throttle (per client address, not resettable with a forged
X-Forwarded-For); the rest of the API has anonymous and per-user rates.
"""

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from tests.security.conftest import API, error_code

pytestmark = pytest.mark.django_db


def _rates(**rates):
    merged = {**api_settings.DEFAULT_THROTTLE_RATES, **rates}
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": merged,
        }
    )


def _assert_throttled(response):
    assert response.status_code == 429, response.content
    assert error_code(response) == "throttled"
    assert int(response["Retry-After"]) >= 1


def test_login_is_throttled_per_address(api_client, customer):
    with _rates(auth="3/min"):
        for _ in range(3):
            response = api_client.post(
                f"{API}/auth/token/",
                {"email": customer.email, "password": "wrong-guess-1"},
                format="json",
            )
            assert response.status_code == 401
        _assert_throttled(
            api_client.post(
                f"{API}/auth/token/",
                {"email": customer.email, "password": "wrong-guess-2"},
                format="json",
            )
        )


def test_forged_forwarded_for_does_not_reset_the_login_throttle(api_client, customer):
    with _rates(auth="2/min"):
        statuses = [
            api_client.post(
                f"{API}/auth/token/",
                {"email": customer.email, "password": "wrong-guess-1"},
                format="json",
                HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
            ).status_code
            for i in range(4)
        ]

    assert statuses[:2] == [401, 401]
    assert statuses[2:] == [429, 429]


def test_registration_is_throttled(api_client):
    with _rates(auth="2/min"):
        statuses = [
            api_client.post(
                f"{API}/auth/register/",
                {
                    "email": f"bot{i}@example.com",
                    "password": "a-long-enough-passphrase-42",
                },
                format="json",
            ).status_code
            for i in range(3)
        ]

    assert statuses == [201, 201, 429]


def test_token_refresh_is_throttled(api_client, customer):
    with _rates(auth="2/min"):
        responses = []
        for _ in range(3):
            refresh = str(RefreshToken.for_user(customer))
            responses.append(
                api_client.post(
                    f"{API}/auth/token/refresh/", {"refresh": refresh}, format="json"
                )
            )

    assert [r.status_code for r in responses[:2]] == [200, 200]
    _assert_throttled(responses[2])


def test_anonymous_browsing_is_rate_limited(api_client):
    with _rates(anon="2/min"):
        statuses = [api_client.get(f"{API}/products/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_authenticated_calls_are_rate_limited_per_user(customer_client):
    with _rates(user="2/min"):
        statuses = [
            customer_client.get(f"{API}/users/me/").status_code for _ in range(3)
        ]

    assert statuses == [200, 200, 429]
