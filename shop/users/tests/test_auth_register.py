import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from rest_framework.test import APIClient

from shop.core.testing import assert_error
from shop.users.models import User
from shop.users.tests.factories import UserFactory

REGISTER = "/api/v1/auth/register/"
GOOD_PASSWORD = "a-long-enough-pass-42"

pytestmark = pytest.mark.django_db


def test_register_creates_a_customer_and_never_returns_the_password(api_client):
    response = api_client.post(
        REGISTER,
        {
            "email": "  Ann.Lee@Example.COM ",
            "password": GOOD_PASSWORD,
            "first_name": "Ann",
            "last_name": "Lee",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "ann.lee@example.com"
    assert body["role"] == "customer"
    assert body["username"] == "ann.lee@example.com"
    assert not {"password", "password_hash"} & set(body)
    assert GOOD_PASSWORD not in response.content.decode()
    user = User.objects.get(email="ann.lee@example.com")
    assert user.check_password(GOOD_PASSWORD)
    assert user.password not in response.content.decode()


def test_register_ignores_privilege_fields(api_client):
    staff_group = Group.objects.get(name="Shop staff")
    response = api_client.post(
        REGISTER,
        {
            "email": "mallory@example.com",
            "password": GOOD_PASSWORD,
            "is_staff": True,
            "is_superuser": True,
            "role": "admin",
            "groups": [staff_group.pk],
            "user_permissions": [1],
            "is_active": False,
        },
    )

    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "customer"
    user = User.objects.get(email="mallory@example.com")
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert not user.groups.exists()
    assert not user.user_permissions.exists()


def test_register_refuses_an_email_taken_in_another_case(api_client):
    UserFactory(email="ann@example.com")

    response = api_client.post(
        REGISTER, {"email": "ANN@Example.com", "password": GOOD_PASSWORD}
    )

    body = assert_error(response, 400, "validation_error")
    assert "email" in body["extra"]["fields"]
    assert User.objects.filter(email__iexact="ann@example.com").count() == 1


def test_register_refuses_a_username_taken_in_another_case(api_client):
    UserFactory(username="AnnLee")

    response = api_client.post(
        REGISTER,
        {"email": "new@example.com", "username": "annlee", "password": GOOD_PASSWORD},
    )

    body = assert_error(response, 400, "validation_error")
    assert "username" in body["extra"]["fields"]


def test_register_refuses_when_the_email_is_already_someones_username(api_client):
    # Without a username the email becomes one; it must be free as well.
    UserFactory(username="Ann@Example.com", email="other@example.com")

    response = api_client.post(
        REGISTER, {"email": "ann@example.com", "password": GOOD_PASSWORD}
    )

    assert_error(response, 400)
    assert not User.objects.filter(email="ann@example.com").exists()


def test_register_refuses_an_invalid_username(api_client):
    response = api_client.post(
        REGISTER,
        {
            "email": "ok@example.com",
            "username": "<b>ann</b>",
            "password": GOOD_PASSWORD,
        },
    )

    body = assert_error(response, 400, "validation_error")
    assert "username" in body["extra"]["fields"]


def test_register_with_an_email_too_long_to_be_a_username_asks_for_one(api_client):
    email = "a" * 140 + "@example.com"  # valid email, longer than 150 chars

    response = api_client.post(REGISTER, {"email": email, "password": GOOD_PASSWORD})

    body = assert_error(response, 400, "validation_error")
    assert "username" in body["extra"]["fields"]

    response = api_client.post(
        REGISTER, {"email": email, "username": "longmail", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("password123", id="common"),
        pytest.param("8731094652718", id="numeric"),
        pytest.param("x7#Lq2", id="too-short"),
        pytest.param("johnsmith77", id="similar-to-email"),
    ],
)
def test_register_refuses_a_weak_password(api_client, password):
    response = api_client.post(
        REGISTER, {"email": "johnsmith@example.com", "password": password}
    )

    body = assert_error(response, 400, "validation_error")
    assert body["extra"]["fields"]["password"]
    assert not User.objects.filter(email="johnsmith@example.com").exists()


@pytest.mark.parametrize(
    "email", ["not-an-email", "ann@", "@example.com", "ann@example", ""]
)
def test_register_refuses_a_bad_email(api_client, email):
    response = api_client.post(REGISTER, {"email": email, "password": GOOD_PASSWORD})

    body = assert_error(response, 400, "validation_error")
    assert "email" in body["extra"]["fields"]
    assert not User.objects.exists()


def test_register_requires_email_and_password(api_client):
    response = api_client.post(REGISTER, {})

    body = assert_error(response, 400, "validation_error")
    assert {"email", "password"} <= set(body["extra"]["fields"])


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_email_never_give_500(is_postgres):
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL")
    barrier = threading.Barrier(4)
    statuses = []

    def register(n):
        try:
            barrier.wait()
            response = APIClient().post(
                REGISTER,
                {"email": f"Race@Example.com{' ' * n}", "password": GOOD_PASSWORD},
            )
            statuses.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for status, _ in statuses) == [201, 400, 400, 400]
    assert {code for status, code in statuses if status == 400} <= {
        "validation_error",
        "integrity_error",
    }
    assert User.objects.filter(email="race@example.com").count() == 1
