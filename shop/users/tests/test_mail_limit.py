"""At most ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR account mails to one address.

The request throttles count per client; these count per recipient, so
nobody can flood a mailbox by asking from many clients.
"""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from shop.conftest import auth_client
from shop.core import throttling
from shop.core.testing import assert_error
from shop.outbox.models import OutboxEvent
from shop.users.tests.factories import UserFactory

RESET = "/api/v1/auth/password-reset/"
RESEND = "/api/v1/auth/verify-email/resend/"
ME = "/api/v1/users/me/"
ADMIN_RESET = "/admin/password_reset/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cap(settings, monkeypatch):
    settings.ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR = 2
    now = [3600.0 * 500 + 600]  # ten minutes into an hour
    monkeypatch.setattr(throttling, "clock", lambda: now[0])
    return now


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def post(client, url, data=None, method="post"):
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(client, method)(url, data or {})

    return post


def _reset(post, email, address="203.0.113.1"):
    # A new client address each time: the per-client throttle never trips.
    return post(APIClient(REMOTE_ADDR=address), RESET, {"email": email})


def test_resets_past_the_cap_answer_the_same_and_mail_nothing(customer, post):
    answers = [_reset(post, customer.email, f"203.0.113.{n}") for n in range(1, 5)]

    assert [a.status_code for a in answers] == [202] * 4
    assert len({a.content for a in answers}) == 1
    assert len(mail.outbox) == 2
    assert OutboxEvent.objects.filter(type="user.password_reset_requested").count() == 2


def test_unknown_addresses_are_capped_alike(post):
    # Known or not, the third request records nothing: no difference to see.
    for _ in range(3):
        assert _reset(post, "nobody@example.com").status_code == 202

    assert OutboxEvent.objects.filter(type="user.password_reset_requested").count() == 2


def test_the_cap_is_per_address_and_ignores_case(customer, other_customer, post):
    for email in (customer.email, customer.email.upper()):
        _reset(post, email)
    _reset(post, customer.email)
    _reset(post, other_customer.email)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [customer.email, customer.email, other_customer.email]
    )


def test_the_next_hour_has_a_new_budget(customer, post, cap):
    for _ in range(3):
        _reset(post, customer.email)
    cap[0] += 3000  # into the next hour

    _reset(post, customer.email)

    assert len(mail.outbox) == 3


def test_verification_resends_past_the_cap_are_429_with_retry_after(post):
    unverified = UserFactory(email_verified_at=None)
    client = auth_client(unverified)
    for _ in range(2):
        assert post(client, RESEND).status_code == 204

    refused = post(client, RESEND)

    assert_error(refused, 429, "mail_limit")
    assert refused["Retry-After"] == "3001"
    assert refused.json()["extra"]["retry_after"] == 3001
    assert len(mail.outbox) == 2


def test_an_email_change_past_the_cap_is_429_and_changes_nothing(customer, post):
    target = "target@example.com"
    # Two other accounts already had the target mailed this hour.
    for user in UserFactory.create_batch(2):
        response = post(auth_client(user), ME, {"email": target}, method="patch")
        assert response.status_code == 200
    mail.outbox.clear()
    first_name = customer.first_name

    refused = post(
        auth_client(customer),
        ME,
        {"email": target, "first_name": "Changed"},
        method="patch",
    )

    assert_error(refused, 429, "mail_limit")
    customer.refresh_from_db()
    assert (customer.pending_email, customer.first_name) == ("", first_name)
    assert mail.outbox == []


def test_the_admin_reset_form_shares_the_cap(staff, post, client):
    for _ in range(2):
        _reset(post, staff.email)

    response = post(client, ADMIN_RESET, {"email": staff.email})

    assert response.status_code == 302  # the same "check your mail" page
    assert len(mail.outbox) == 2


def test_a_cap_of_zero_lifts_it(customer, post, settings):
    settings.ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR = 0
    for _ in range(4):
        _reset(post, customer.email)

    assert len(mail.outbox) == 4
