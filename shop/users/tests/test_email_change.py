"""E-mail change: PATCH users/me/ {email} holds the address until the new
one confirms; the old one is told; a taken address is refused twice."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from rest_framework.test import APIClient

from shop.conftest import auth_client
from shop.core.testing import assert_error
from shop.outbox.models import OutboxEvent
from shop.users.models import User
from shop.users.tests.factories import DEFAULT_PASSWORD, UserFactory
from shop.users.tests.links import link_params

ME = "/api/v1/users/me/"
CONFIRM = "/api/v1/auth/email-change/confirm/"
TOKEN = "/api/v1/auth/token/"
NEW = "new.address@example.com"

pytestmark = pytest.mark.django_db


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    def ask(user, email=NEW, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return auth_client(user).patch(ME, {"email": email, **fields})

    return ask


@pytest.fixture
def change_link(customer, ask):
    assert ask(customer).status_code == 200
    (message,) = mail.outbox
    mail.outbox.clear()
    return link_params(message, "confirm-email")


def _login(email):
    return APIClient().post(TOKEN, {"email": email, "password": DEFAULT_PASSWORD})


def test_asking_keeps_the_login_address_and_mails_the_new_one(customer, ask):
    old = customer.email

    response = ask(customer, NEW.upper(), first_name="Ann")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["email"], body["pending_email"]) == (old, NEW)
    assert body["first_name"] == "Ann"
    customer.refresh_from_db()
    assert (customer.email, customer.pending_email) == (old, NEW)
    (message,) = mail.outbox
    assert message.to == [NEW]
    link_params(message, "confirm-email")
    assert _login(old).status_code == 200
    assert _login(NEW).status_code == 401


def test_confirming_switches_the_login_and_tells_the_old_address(
    customer, change_link, django_capture_on_commit_callbacks
):
    old = customer.email
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(CONFIRM, change_link)

    assert response.status_code == 204, response.content
    customer.refresh_from_db()
    assert (customer.email, customer.pending_email) == (NEW, "")
    assert customer.is_email_verified
    (notice,) = mail.outbox
    assert notice.to == [old]
    assert "n***@example.com" in notice.body
    assert "n***@example.com" in notice.alternatives[0][0]
    assert _login(NEW).status_code == 200
    assert _login(old).status_code == 401


def test_the_link_works_once(change_link):
    assert APIClient().post(CONFIRM, change_link).status_code == 204
    assert_error(
        APIClient().post(CONFIRM, change_link), 400, "email_change_link_invalid"
    )


def test_a_newer_request_voids_the_older_link(customer, change_link, ask):
    ask(customer, "newer@example.com")

    response = APIClient().post(CONFIRM, change_link)

    assert_error(response, 400, "email_change_link_invalid")
    customer.refresh_from_db()
    assert customer.pending_email == "newer@example.com"


def test_asking_for_the_current_address_withdraws_the_change(
    customer, change_link, ask
):
    response = ask(customer, customer.email)

    assert response.json()["pending_email"] == ""
    assert_error(
        APIClient().post(CONFIRM, change_link), 400, "email_change_link_invalid"
    )


def test_a_taken_address_is_refused_when_asked(customer, ask):
    UserFactory(email="taken@example.com")

    response = ask(customer, "Taken@Example.com", first_name="Changed")

    body = assert_error(response, 400, "validation_error")
    assert "email" in body["extra"]["fields"]
    customer.refresh_from_db()
    assert customer.pending_email == ""
    assert customer.first_name != "Changed"
    assert mail.outbox == []


def test_an_address_taken_since_is_refused_at_confirmation(customer, change_link):
    UserFactory(email=NEW)

    response = APIClient().post(CONFIRM, change_link)

    assert_error(response, 400, "email_taken")
    customer.refresh_from_db()
    assert customer.email != NEW


def test_a_username_that_was_the_address_follows_it(ask):
    user = UserFactory(email="ann@example.com", username="ann@example.com")
    ask(user)
    params = link_params(mail.outbox[0], "confirm-email")

    APIClient().post(CONFIRM, params)

    user.refresh_from_db()
    assert (user.email, user.username) == (NEW, NEW)


def test_a_password_change_voids_a_pending_link(customer, change_link):
    auth_client(customer).post(
        f"{ME}password/",
        {"old_password": DEFAULT_PASSWORD, "new_password": "other-secret-5521"},
    )

    assert_error(
        APIClient().post(CONFIRM, change_link), 400, "email_change_link_invalid"
    )


def test_the_outbox_keeps_no_token(customer, change_link):
    event = OutboxEvent.objects.get(type="user.email_change_requested")
    assert event.payload == {"schema_version": 1, "user_id": customer.pk}


def test_an_invalid_address_is_400(customer_client):
    body = assert_error(
        customer_client.patch(ME, {"email": "not-an-address"}), 400, "validation_error"
    )
    assert "email" in body["extra"]["fields"]


def test_change_requests_are_throttled(customer):
    client = auth_client(customer)
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "2/min"}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        for n in range(2):
            assert client.patch(ME, {"email": f"n{n}@example.com"}).status_code == 200
        assert_error(client.patch(ME, {"email": "n9@example.com"}), 429, "throttled")
        # Profile edits without an address are not counted.
        assert client.patch(ME, {"first_name": "Still"}).status_code == 200
    assert User.objects.get(pk=customer.pk).pending_email == "n1@example.com"
