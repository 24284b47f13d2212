"""Login, refresh rotation, verify, logout, and tokens the API must refuse."""

import threading
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from shop.conftest import auth_client
from shop.core.testing import assert_error
from shop.users.serializers import LOGIN_FAILED
from shop.users.tests.factories import DEFAULT_PASSWORD, UserFactory

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
VERIFY = "/api/v1/auth/token/verify/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/users/me/"

pytestmark = pytest.mark.django_db


def _login(client, email, password=DEFAULT_PASSWORD):
    return client.post(TOKEN, {"email": email, "password": password})


def _pair(client, user):
    response = _login(client, user.email)
    assert response.status_code == 200, response.json()
    return response.json()


# --- Login ----------------------------------------------------------------


def test_login_returns_tokens_that_authenticate(api_client, customer):
    pair = _pair(api_client, customer)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    response = api_client.get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == customer.email
    customer.refresh_from_db()
    assert customer.last_login is not None


def test_login_email_is_case_insensitive(api_client):
    UserFactory(email="ann@example.com")

    response = _login(api_client, "  ANN@Example.Com ")

    assert response.status_code == 200, response.json()


def test_login_gives_one_answer_for_unknown_email_and_wrong_password(
    api_client, customer
):
    unknown = _login(api_client, "nobody@example.com")
    wrong = _login(api_client, customer.email, "not-the-password-1")

    assert_error(unknown, 401, "authentication_failed")
    assert_error(wrong, 401, "authentication_failed")
    assert unknown.json() == wrong.json()
    assert unknown.json()["message"] == LOGIN_FAILED
    assert "WWW-Authenticate" in unknown


def test_inactive_user_cannot_log_in(api_client):
    inactive = UserFactory(is_active=False)

    response = _login(api_client, inactive.email)

    body = assert_error(response, 401, "authentication_failed")
    assert body["message"] == LOGIN_FAILED


def test_login_requires_both_fields(api_client):
    body = assert_error(api_client.post(TOKEN, {}), 400, "validation_error")
    assert {"email", "password"} <= set(body["extra"]["fields"])


# --- Refresh --------------------------------------------------------------


def test_refresh_rotates_and_the_used_token_is_refused(api_client, customer):
    pair = _pair(api_client, customer)

    first = api_client.post(REFRESH, {"refresh": pair["refresh"]})
    assert first.status_code == 200, first.json()
    rotated = first.json()
    assert set(rotated) == {"access", "refresh"}
    assert rotated["refresh"] != pair["refresh"]

    reuse = api_client.post(REFRESH, {"refresh": pair["refresh"]})
    assert_error(reuse, 401, "authentication_failed")

    again = api_client.post(REFRESH, {"refresh": rotated["refresh"]})
    assert again.status_code == 200, again.json()


def test_refresh_refuses_an_access_token_and_garbage(api_client, customer):
    pair = _pair(api_client, customer)

    assert_error(api_client.post(REFRESH, {"refresh": pair["access"]}), 401)
    assert_error(api_client.post(REFRESH, {"refresh": "not.a.token"}), 401)
    assert_error(api_client.post(REFRESH, {}), 400, "validation_error")


def test_refresh_of_an_inactive_user_is_refused(api_client, customer):
    pair = _pair(api_client, customer)
    customer.is_active = False
    customer.save()

    assert_error(api_client.post(REFRESH, {"refresh": pair["refresh"]}), 401)


def test_refresh_of_a_deleted_user_is_refused(api_client, customer):
    pair = _pair(api_client, customer)
    customer.delete()

    assert_error(api_client.post(REFRESH, {"refresh": pair["refresh"]}), 401)


@pytest.mark.django_db(transaction=True)
def test_concurrent_reuse_of_one_refresh_token_yields_one_new_pair(is_postgres):
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL")
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    barrier = threading.Barrier(4)
    statuses = []

    def refresh_once():
        try:
            barrier.wait()
            statuses.append(APIClient().post(REFRESH, {"refresh": refresh}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401, 401, 401]


# --- Verify ---------------------------------------------------------------


def test_verify_accepts_valid_tokens(api_client, customer):
    pair = _pair(api_client, customer)

    assert api_client.post(VERIFY, {"token": pair["access"]}).status_code == 200
    assert api_client.post(VERIFY, {"token": pair["refresh"]}).status_code == 200


def test_verify_refuses_garbage_expired_and_blacklisted_tokens(api_client, customer):
    pair = _pair(api_client, customer)
    expired = AccessToken.for_user(customer)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 200

    for token in ("garbage", str(expired), pair["refresh"]):
        response = api_client.post(VERIFY, {"token": token})
        assert_error(response, 401, "authentication_failed")


# --- Logout ---------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(api_client, customer):
    pair = _pair(api_client, customer)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")

    response = api_client.post(LOGOUT, {"refresh": pair["refresh"]})

    assert response.status_code == 204
    assert response.content == b""
    api_client.credentials()
    assert_error(api_client.post(REFRESH, {"refresh": pair["refresh"]}), 401)
    assert_error(api_client.post(VERIFY, {"token": pair["refresh"]}), 401)


def test_logout_refuses_someone_elses_token_and_garbage(customer, other_customer):
    client = auth_client(customer)
    others = str(RefreshToken.for_user(other_customer))

    body = assert_error(client.post(LOGOUT, {"refresh": others}), 400)
    assert "refresh" in body["extra"]["fields"]
    # A token that is no token is refused as simplejwt's views do: 401.
    assert_error(client.post(LOGOUT, {"refresh": "garbage"}), 401)
    assert_error(client.post(LOGOUT, {}), 400, "validation_error")
    # The other user's token still works: nothing was revoked.
    assert APIClient().post(REFRESH, {"refresh": others}).status_code == 200


def test_logout_twice_is_refused(customer):
    client = auth_client(customer)
    refresh = str(RefreshToken.for_user(customer))

    assert client.post(LOGOUT, {"refresh": refresh}).status_code == 204
    assert_error(client.post(LOGOUT, {"refresh": refresh}), 401)


def test_logout_needs_authentication(api_client, customer):
    refresh = str(RefreshToken.for_user(customer))

    assert_error(api_client.post(LOGOUT, {"refresh": refresh}), 401)


# --- Tokens an authenticated endpoint must refuse -------------------------


def _claims(user, **overrides):
    claims = dict(AccessToken.for_user(user).payload)
    claims.update(overrides)
    return claims


def _forged_tokens(user):
    key = settings.SIMPLE_JWT["SIGNING_KEY"]
    genuine = str(AccessToken.for_user(user))
    header, payload, signature = genuine.split(".")
    other = UserFactory()
    edited_payload = jwt.encode(_claims(user, user_id=other.pk), key, "HS256").split(
        "."
    )[1]
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    inactive = UserFactory(is_active=False)
    deleted = UserFactory()
    deleted_token = str(AccessToken.for_user(deleted))
    deleted.delete()
    return {
        "alg-none": jwt.encode(_claims(user), None, algorithm="none"),
        "wrong-key": jwt.encode(_claims(user), "another-secret-" * 4, "HS256"),
        "hs512": jwt.encode(_claims(user), key, "HS512"),
        "edited-payload": f"{header}.{edited_payload}.{signature}",
        "no-signature": f"{header}.{payload}.",
        "expired": str(expired),
        "refresh-as-access": str(RefreshToken.for_user(user)),
        "inactive-user": str(AccessToken.for_user(inactive)),
        "deleted-user": deleted_token,
        "garbage": "garbage",
    }


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_forged_and_unusable_tokens_are_refused_with_the_error_shape(customer):
    for name, token in _forged_tokens(customer).items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

        response = client.get(ME)

        assert response.status_code == 401, name
        assert_error(response, 401, "authentication_failed")
        assert response["WWW-Authenticate"].startswith("Bearer"), name


def test_genuine_token_still_works_next_to_the_forgeries(customer):
    assert auth_client(customer).get(ME).status_code == 200


def test_basic_and_missing_credentials_are_refused(api_client, customer):
    assert_error(api_client.get(ME), 401, "not_authenticated")
    api_client.credentials(HTTP_AUTHORIZATION="Basic Y3VzdG9tZXI6cGFzc3dvcmQ=")
    assert_error(api_client.get(ME), 401)
    api_client.login(email=customer.email, password=DEFAULT_PASSWORD)
    api_client.credentials()
    # A Django session is not an API credential.
    assert_error(api_client.get(ME), 401, "not_authenticated")
