"""The admin login page's "Forgotten your password?" flow (Django's views).

URLs: /admin/password_reset/ (form) -> /admin/password_reset/done/ ->
mailed /reset/<uidb64>/<token>/ -> /reset/<uidb64>/set-password/ ->
/reset/done/.
"""

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from shop.core.testing import assert_error
from shop.users.tests.links import mail_link

NEW_PASSWORD = "admin-reset-secret-9183"

pytestmark = pytest.mark.django_db


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    def ask(email):
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post("/admin/password_reset/", {"email": email})

    return ask


def test_the_admin_login_page_links_to_the_reset_form():
    page = Client().get("/admin/login/")

    assert page.status_code == 200
    assert b'href="/admin/password_reset/"' in page.content
    form = Client().get("/admin/password_reset/")
    assert form.status_code == 200
    assert b'name="email"' in form.content


def test_staff_reset_their_password_from_the_mailed_link(staff, ask):
    refresh = RefreshToken.for_user(staff)

    response = ask(staff.email)

    assert response.status_code == 302
    assert response["Location"] == "/admin/password_reset/done/"
    (message,) = mail.outbox
    assert message.to == [staff.email]
    link = mail_link(message)
    assert re.fullmatch(r"http://testserver/reset/[\w-]+/[\w-]+/", link), link

    browser = Client()
    page = browser.get(link, follow=True)
    assert page.status_code == 200
    assert page.context["validlink"] is True
    set_password_url = page.redirect_chain[-1][0]
    assert set_password_url.endswith("/set-password/")
    done = browser.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done["Location"] == "/reset/done/"
    assert browser.get("/reset/done/").status_code == 200

    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD)
    # The same revoking path as the API: earlier refresh tokens are dead.
    assert_error(
        APIClient().post("/api/v1/auth/token/refresh/", {"refresh": str(refresh)}),
        401,
    )
    assert Client().login(email=staff.email, password=NEW_PASSWORD)
    # Used once: the link now shows Django's "invalid link" page.
    again = Client().get(link, follow=True)
    assert again.context["validlink"] is False


def test_customers_and_unknown_addresses_get_the_same_page_and_no_mail(customer, ask):
    for email in (customer.email, "nobody@example.com"):
        response = ask(email)
        assert response.status_code == 302
        assert response["Location"] == "/admin/password_reset/done/"
    assert mail.outbox == []
