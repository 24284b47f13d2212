"""Password reset through the API: mail, single use, expiry, revocation."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from shop.core.testing import assert_error
from shop.outbox.models import Delivery, OutboxEvent
from shop.users.tests.factories import DEFAULT_PASSWORD, UserFactory
from shop.users.tests.links import link_params
from shop.users.tokens import password_reset_token, uid_encode

RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
ME = "/api/v1/users/me/"
NEW_PASSWORD = "fresh-reset-secret-482"

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_reset(api_client, django_capture_on_commit_callbacks):
    def request_reset(email):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(RESET, {"email": email})

    return request_reset


@pytest.fixture
def reset_link(customer, request_reset):
    """{uid, token} of a reset link mailed to the customer."""
    assert request_reset(customer.email).status_code == 202
    (message,) = mail.outbox
    mail.outbox.clear()
    return link_params(message, "reset-password")


def test_reset_mails_a_single_use_link_to_the_front_end(customer, request_reset):
    response = request_reset(customer.email.upper())

    assert response.status_code == 202
    (message,) = mail.outbox
    assert message.to == [customer.email]
    assert "reset" in message.subject.lower()
    params = link_params(message, "reset-password")
    assert set(params) == {"uid", "token"}
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "reset-password?uid=" in html
    assert DEFAULT_PASSWORD not in message.body and DEFAULT_PASSWORD not in html


def test_the_outbox_keeps_no_token(customer, reset_link):
    event = OutboxEvent.objects.get(type="user.password_reset_requested")
    assert event.payload == {"schema_version": 1, "user_id": customer.pk}
    assert reset_link["token"] not in str(event.payload)


def test_confirm_sets_the_password_and_the_link_works_once(
    api_client, customer, reset_link
):
    response = api_client.post(CONFIRM, {**reset_link, "new_password": NEW_PASSWORD})

    assert response.status_code == 204, response.content
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    again = api_client.post(
        CONFIRM, {**reset_link, "new_password": "another-secret-1234"}
    )
    assert_error(again, 400, "password_reset_link_invalid")
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_a_reset_revokes_every_earlier_access_and_refresh_token(
    api_client, customer, request_reset
):
    # Logged in first: a login after the request would void the link, as
    # Django's token covers last_login.
    login = APIClient().post(
        TOKEN, {"email": customer.email, "password": DEFAULT_PASSWORD}
    )
    tokens = login.json()
    request_reset(customer.email)
    link = link_params(mail.outbox[0], "reset-password")

    response = api_client.post(CONFIRM, {**link, "new_password": NEW_PASSWORD})

    assert response.status_code == 204
    old_access = APIClient()
    old_access.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert_error(old_access.get(ME), 401)
    assert_error(APIClient().post(REFRESH, {"refresh": tokens["refresh"]}), 401)
    fresh = APIClient().post(TOKEN, {"email": customer.email, "password": NEW_PASSWORD})
    assert fresh.status_code == 200


def test_a_login_after_the_request_voids_the_link(api_client, customer, reset_link):
    APIClient().post(TOKEN, {"email": customer.email, "password": DEFAULT_PASSWORD})

    response = api_client.post(CONFIRM, {**reset_link, "new_password": NEW_PASSWORD})

    assert_error(response, 400, "password_reset_link_invalid")


def test_a_weak_password_is_400_and_leaves_the_link_usable(
    api_client, customer, reset_link
):
    weak = api_client.post(CONFIRM, {**reset_link, "new_password": "123"})

    body = assert_error(weak, 400, "validation_error")
    assert "new_password" in body["extra"]["fields"]
    ok = api_client.post(CONFIRM, {**reset_link, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204


def test_an_expired_link_is_refused(api_client, customer, request_reset, monkeypatch):
    # The link is made at send time: send it from a clock past its lifetime.
    past = PasswordResetTokenGenerator()._now() - timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 60
    )
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: past)
    request_reset(customer.email)
    monkeypatch.undo()
    params = link_params(mail.outbox[0], "reset-password")

    response = api_client.post(CONFIRM, {**params, "new_password": NEW_PASSWORD})

    assert_error(response, 400, "password_reset_link_invalid")
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


@override_settings(PASSWORD_RESET_TIMEOUT=60)
def test_the_lifetime_comes_from_password_reset_timeout(
    api_client, customer, request_reset, monkeypatch
):
    past = PasswordResetTokenGenerator()._now() - timedelta(seconds=61)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: past)
    request_reset(customer.email)
    monkeypatch.undo()
    params = link_params(mail.outbox[0], "reset-password")
    assert "1 hour" in mail.outbox[0].body

    response = api_client.post(CONFIRM, {**params, "new_password": NEW_PASSWORD})

    assert_error(response, 400, "password_reset_link_invalid")


WELL_FORMED_TOKEN = "cx5n1b-" + "0123456789abcdef" * 2


@pytest.mark.parametrize(
    "link",
    [
        {"uid": "OTk5OTk5", "token": WELL_FORMED_TOKEN},  # user 999999
        {"uid": "OTk5OTk5OTk5OTk5OTk5OTk5OQ", "token": WELL_FORMED_TOKEN},  # > bigint
        {"uid": "MA", "token": WELL_FORMED_TOKEN},  # user 0
    ],
)
def test_a_well_formed_link_naming_no_account_is_refused(api_client, link):
    response = api_client.post(CONFIRM, {**link, "new_password": NEW_PASSWORD})
    assert_error(response, 400, "password_reset_link_invalid")


@pytest.mark.parametrize(
    ("link", "field"),
    [
        ({"uid": "not-base64!", "token": WELL_FORMED_TOKEN}, "uid"),
        ({"uid": "AAAA", "token": WELL_FORMED_TOKEN}, "uid"),  # not digits
        ({"uid": "MQ ", "token": WELL_FORMED_TOKEN}, "uid"),
        ({"uid": "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ", "token": WELL_FORMED_TOKEN}, "uid"),
        ({"uid": "MQ", "token": "a-b"}, "token"),
        ({"uid": "MQ", "token": WELL_FORMED_TOKEN[:-1]}, "token"),  # cut short
        ({"uid": "MQ", "token": WELL_FORMED_TOKEN.upper()}, "token"),
    ],
)
def test_a_malformed_link_is_a_validation_error(api_client, link, field):
    response = api_client.post(CONFIRM, {**link, "new_password": NEW_PASSWORD})
    body = assert_error(response, 400, "validation_error")
    assert set(body["extra"]["fields"]) == {field}


def test_a_link_for_another_account_is_refused(api_client, reset_link):
    other = UserFactory()

    response = api_client.post(
        CONFIRM,
        {
            "uid": uid_encode(other),
            "token": reset_link["token"],
            "new_password": NEW_PASSWORD,
        },
    )
    assert_error(response, 400, "password_reset_link_invalid")


def test_unknown_addresses_get_the_same_answer_and_the_same_work(
    api_client, customer, django_capture_on_commit_callbacks
):
    def request(email):
        # The request alone: its queries and the nudges it leaves for after
        # the commit (the mail is the worker's business).
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks() as nudges,
        ):
            response = api_client.post(RESET, {"email": email})
        return response, [q["sql"] for q in queries], len(nudges)

    known, known_sql, known_nudges = request(customer.email)
    unknown, unknown_sql, unknown_nudges = request("nobody-here@example.com")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(known_sql) == len(unknown_sql)
    assert known_nudges == unknown_nudges == 1
    assert Delivery.objects.filter(handler="users.mail_password_reset").count() == 2
    unknown_event = OutboxEvent.objects.get(aggregate_id="")
    assert unknown_event.payload["user_id"] is None
    assert "nobody-here" not in str(unknown_event.payload)


def test_only_the_known_address_gets_a_mail(customer, request_reset):
    request_reset(customer.email)
    request_reset("nobody-here@example.com")

    assert [m.to for m in mail.outbox] == [[customer.email]]


def test_inactive_accounts_get_the_same_answer_and_no_mail(request_reset):
    inactive = UserFactory(is_active=False)

    response = request_reset(inactive.email)

    assert response.status_code == 202
    assert mail.outbox == []


def test_an_invalid_email_is_400(api_client):
    assert_error(api_client.post(RESET, {"email": "nope"}), 400, "validation_error")


def test_a_reset_verifies_the_address_it_was_mailed_to(api_client, request_reset):
    user = UserFactory(email_verified_at=None)
    request_reset(user.email)
    params = link_params(mail.outbox[0], "reset-password")

    api_client.post(CONFIRM, {**params, "new_password": NEW_PASSWORD})

    user.refresh_from_db()
    assert user.is_email_verified


def _rates(auth):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": auth}
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    )


@_rates("3/min")
def test_reset_requests_are_throttled(customer):
    client = APIClient()
    for _ in range(3):
        assert client.post(RESET, {"email": customer.email}).status_code == 202

    response = client.post(RESET, {"email": "someone-else@example.com"})

    assert_error(response, 429, "throttled")
    assert "Retry-After" in response


@_rates("3/min")
def test_reset_confirmations_are_throttled():
    client = APIClient()
    link = {"uid": "MQ", "token": WELL_FORMED_TOKEN, "new_password": NEW_PASSWORD}
    for _ in range(3):
        assert_error(client.post(CONFIRM, link), 400, "password_reset_link_invalid")
    assert_error(client.post(CONFIRM, link), 429, "throttled")


@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_of_one_link_set_one_password(is_postgres):
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL")
    user = UserFactory()
    link = {"uid": uid_encode(user), "token": password_reset_token.make_token(user)}
    barrier = threading.Barrier(4)
    statuses = []

    def confirm(n):
        try:
            barrier.wait()
            response = APIClient().post(
                CONFIRM, {**link, "new_password": f"{NEW_PASSWORD}-{n}"}
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [204, 400, 400, 400]
