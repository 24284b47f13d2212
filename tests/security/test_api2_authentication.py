"""API2:2023 Broken Authentication.

Only a well-signed, unexpired access token of an active user, not revoked,
opens the API; everything else is a 401 in the one error shape.
"""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from shop.users.tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.security.conftest import API, error_code

pytestmark = pytest.mark.django_db

ME = f"{API}/users/me/"


def _b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _split(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = str(token).split(".")
    pad = lambda part: part + "=" * (-len(part) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


def _me_with(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(ME)


def _assert_refused(response):
    assert response.status_code == 401, response.content
    assert error_code(response) in ("authentication_failed", "not_authenticated")
    assert "email" not in response.json()


def test_valid_access_token_opens_the_api(customer):
    response = _me_with(AccessToken.for_user(customer))

    assert response.status_code == 200
    assert response.json()["email"] == customer.email


def test_unsigned_alg_none_token_is_refused(customer, staff):
    _, payload, _ = _split(AccessToken.for_user(customer))
    payload["user_id"] = str(staff.pk)
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}."

    _assert_refused(_me_with(forged))


def test_token_signed_with_another_key_is_refused(customer):
    _, payload, _ = _split(AccessToken.for_user(customer))
    forged = jwt.encode(payload, "not-the-server-key-" * 3, algorithm="HS256")

    _assert_refused(_me_with(forged))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_token_signed_with_another_algorithm_is_refused(customer):
    _, payload, _ = _split(AccessToken.for_user(customer))
    forged = jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS512")

    _assert_refused(_me_with(forged))


def test_edited_payload_breaks_the_signature(customer, staff):
    header, payload, signature = _split(AccessToken.for_user(customer))
    payload["user_id"] = str(staff.pk)
    edited = f"{_b64(header)}.{_b64(payload)}.{signature}"

    _assert_refused(_me_with(edited))


def test_expired_access_token_is_refused(customer):
    token = AccessToken.for_user(customer)
    token.set_exp(lifetime=-timedelta(seconds=1))

    _assert_refused(_me_with(token))


def test_refresh_token_is_not_an_access_token(customer):
    _assert_refused(_me_with(RefreshToken.for_user(customer)))


def test_garbage_and_wrong_scheme_are_refused(customer):
    _assert_refused(_me_with("not.a.jwt"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {AccessToken.for_user(customer)}")
    assert client.get(ME).status_code == 401


def test_token_of_deactivated_user_is_refused(customer):
    token = AccessToken.for_user(customer)
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    _assert_refused(_me_with(token))


def test_token_of_deleted_user_is_refused(db):
    user = UserFactory()
    token = AccessToken.for_user(user)
    user.delete()

    _assert_refused(_me_with(token))


def test_inactive_user_cannot_log_in(api_client):
    user = UserFactory(is_active=False)
    response = api_client.post(
        f"{API}/auth/token/",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        format="json",
    )

    assert response.status_code == 401
    assert "access" not in response.json()


def test_inactive_user_cannot_refresh(api_client, customer):
    refresh = RefreshToken.for_user(customer)
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    response = api_client.post(
        f"{API}/auth/token/refresh/", {"refresh": str(refresh)}, format="json"
    )

    assert response.status_code == 401


def test_login_failure_does_not_reveal_whether_the_email_exists(api_client, customer):
    wrong_password = api_client.post(
        f"{API}/auth/token/",
        {"email": customer.email, "password": "wrong-password-1"},
        format="json",
    )
    unknown_email = api_client.post(
        f"{API}/auth/token/",
        {"email": "nobody-here@example.com", "password": "wrong-password-1"},
        format="json",
    )

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()


def test_logged_out_refresh_token_is_blacklisted(customer_client, customer):
    refresh = str(RefreshToken.for_user(customer))
    assert (
        customer_client.post(
            f"{API}/auth/logout/", {"refresh": refresh}, format="json"
        ).status_code
        == 204
    )

    again = APIClient().post(
        f"{API}/auth/token/refresh/", {"refresh": refresh}, format="json"
    )
    verify = APIClient().post(
        f"{API}/auth/token/verify/", {"token": refresh}, format="json"
    )

    assert again.status_code == 401
    assert verify.status_code == 401


def test_rotated_refresh_token_cannot_be_reused(api_client, customer):
    refresh = str(RefreshToken.for_user(customer))
    first = api_client.post(
        f"{API}/auth/token/refresh/", {"refresh": refresh}, format="json"
    )
    reuse = api_client.post(
        f"{API}/auth/token/refresh/", {"refresh": refresh}, format="json"
    )

    assert first.status_code == 200
    assert reuse.status_code == 401
    assert "access" not in reuse.json()


def test_someone_elses_refresh_token_cannot_be_logged_out(
    customer_client, other_customer
):
    theirs = str(RefreshToken.for_user(other_customer))

    response = customer_client.post(
        f"{API}/auth/logout/", {"refresh": theirs}, format="json"
    )
    still_works = APIClient().post(
        f"{API}/auth/token/refresh/", {"refresh": theirs}, format="json"
    )

    assert response.status_code == 400
    assert still_works.status_code == 200


def test_forged_tokens_fail_verification(customer):
    _, payload, _ = _split(AccessToken.for_user(customer))
    forged = jwt.encode(payload, "not-the-server-key-" * 3, algorithm="HS256")

    response = APIClient().post(
        f"{API}/auth/token/verify/", {"token": forged}, format="json"
    )

    assert response.status_code == 401
