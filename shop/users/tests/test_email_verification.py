"""E-mail verification: the mail on registration, the link, resending, and
REQUIRE_VERIFIED_EMAIL keeping unverified accounts from placing orders."""

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from shop.catalog.tests.factories import ProductFactory
from shop.conftest import auth_client
from shop.core.testing import assert_error
from shop.users.models import User
from shop.users.tests.factories import DEFAULT_PASSWORD, UserFactory
from shop.users.tests.links import link_params
from shop.users.tokens import password_reset_token, uid_encode

REGISTER = "/api/v1/auth/register/"
VERIFY = "/api/v1/auth/verify-email/"
RESEND = "/api/v1/auth/verify-email/resend/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/users/me/"
ORDERS = "/api/v1/orders/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def unverified(db):
    return UserFactory(email_verified_at=None)


@pytest.fixture
def register(api_client, django_capture_on_commit_callbacks):
    def register(email="new.customer@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(
                REGISTER, {"email": email, "password": DEFAULT_PASSWORD}
            )
        assert response.status_code == 201, response.content
        return User.objects.get(email=email)

    return register


def test_a_new_account_is_unverified_and_gets_a_verification_mail(register, api_client):
    user = register()

    assert not user.is_email_verified
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert "welcome" in message.body.lower()
    params = link_params(message, "verify-email")
    assert "verify-email?uid=" in message.alternatives[0][0]

    assert api_client.post(VERIFY, params).status_code == 204
    user.refresh_from_db()
    assert user.is_email_verified
    assert auth_client(user).get(ME).json()["email_verified"] is True


def test_a_verification_link_works_once(register, api_client):
    register()
    params = link_params(mail.outbox[0], "verify-email")
    api_client.post(VERIFY, params)

    assert_error(
        api_client.post(VERIFY, params), 400, "email_verification_link_invalid"
    )


def test_a_reset_token_is_no_verification_token(api_client, unverified):
    forged = {
        "uid": uid_encode(unverified),
        "token": password_reset_token.make_token(unverified),
    }

    assert_error(
        api_client.post(VERIFY, forged), 400, "email_verification_link_invalid"
    )


def test_verify_needs_uid_and_token(api_client):
    body = assert_error(api_client.post(VERIFY, {}), 400, "validation_error")
    assert set(body["extra"]["fields"]) == {"uid", "token"}


def test_resend_mails_a_new_link(unverified, django_capture_on_commit_callbacks):
    client = auth_client(unverified)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND)

    assert response.status_code == 204
    (message,) = mail.outbox
    assert message.to == [unverified.email]
    assert "welcome" not in message.body.lower()
    params = link_params(message, "verify-email")
    assert APIClient().post(VERIFY, params).status_code == 204


def test_resend_for_a_verified_address_is_409(customer_client):
    assert_error(customer_client.post(RESEND), 409, "email_already_verified")


def test_resend_needs_authentication(api_client):
    assert_error(api_client.post(RESEND), 401, "not_authenticated")


def test_resend_is_throttled(unverified):
    client = auth_client(unverified)
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "2/min"}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        for _ in range(2):
            assert client.post(RESEND).status_code == 204
        assert_error(client.post(RESEND), 429, "throttled")


def test_accounts_made_by_createsuperuser_are_verified():
    admin = User.objects.create_superuser(email="root@example.com", password="x")
    assert admin.is_email_verified


# --- REQUIRE_VERIFIED_EMAIL ------------------------------------------------


def _order(client):
    product = ProductFactory(stock=5)
    return client.post(ORDERS, {"items": [{"product": product.pk, "quantity": 1}]})


@override_settings(REQUIRE_VERIFIED_EMAIL=True)
def test_unverified_accounts_cannot_order_while_required(unverified):
    response = _order(auth_client(unverified))

    assert_error(response, 403, "email_unverified")


@override_settings(REQUIRE_VERIFIED_EMAIL=True)
def test_unverified_accounts_still_log_in_and_read_their_profile(unverified):
    login = APIClient().post(
        TOKEN, {"email": unverified.email, "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 200
    assert auth_client(unverified).get(ME).json()["email_verified"] is False


@override_settings(REQUIRE_VERIFIED_EMAIL=True)
def test_verified_accounts_order_while_required(customer_client):
    assert _order(customer_client).status_code == 201


def test_unverified_accounts_order_by_default(unverified):
    assert settings.REQUIRE_VERIFIED_EMAIL is False
    assert _order(auth_client(unverified)).status_code == 201


def test_the_check_adds_no_query_to_checkout(customer, settings):
    client = auth_client(customer)
    products = ProductFactory.create_batch(2, stock=5)
    counts = []
    for required, product in zip((False, True), products, strict=True):
        settings.REQUIRE_VERIFIED_EMAIL = required
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                ORDERS, {"items": [{"product": product.pk, "quantity": 1}]}
            )
        assert response.status_code == 201
        counts.append(len(queries))
    assert counts[0] == counts[1]
