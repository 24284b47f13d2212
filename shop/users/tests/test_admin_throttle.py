"""The admin's sign-in and password reset forms are throttled like the API's
(`auth` scope, per client address): a staff password is worth guessing."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings

from shop.core import throttling
from shop.users.tests.factories import DEFAULT_PASSWORD

LOGIN = "/admin/login/"
RESET = "/admin/password_reset/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_a_minute(monkeypatch):
    monkeypatch.setattr(throttling, "clock", lambda: 60.0 * 1000 + 15)
    rates = {"auth": "3/min", "anon": "1000/min", "user": "1000/min"}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        yield


def _sign_in(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password})


def test_the_fourth_sign_in_in_a_minute_is_429_even_with_the_right_password(staff):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert _sign_in(client, staff.email, "wrong-guess").status_code == 200

    refused = _sign_in(client, staff.email, DEFAULT_PASSWORD)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "46"
    assert b"Too many attempts" in refused.content
    assert b"Shop administration" in refused.content  # the admin's own page
    assert "_auth_user_id" not in client.session
    # The form itself still shows; another address signs in.
    assert client.get(LOGIN).status_code == 200
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert _sign_in(other, staff.email, DEFAULT_PASSWORD).status_code == 302


def test_the_next_window_signs_in_again(staff, monkeypatch):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(4):
        _sign_in(client, staff.email, "wrong-guess")
    monkeypatch.setattr(throttling, "clock", lambda: 60.0 * 1001 + 1)

    assert _sign_in(client, staff.email, DEFAULT_PASSWORD).status_code == 302


def test_the_admin_reset_form_is_throttled(staff, django_capture_on_commit_callbacks):
    client = Client(REMOTE_ADDR="203.0.113.7")
    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.post(RESET, {"email": staff.email}) for _ in range(4)]

    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert answers[-1]["Retry-After"] == "46"
    assert len(mail.outbox) == 3
