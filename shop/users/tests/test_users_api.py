"""users/me, password change, and the staff-only user list."""

import pytest
from django.contrib.auth.models import Group

from shop.conftest import auth_client
from shop.core.testing import assert_error
from shop.users.models import User
from shop.users.tests.factories import (
    DEFAULT_PASSWORD,
    AdminFactory,
    StaffFactory,
    UserFactory,
)

ME = "/api/v1/users/me/"
PASSWORD = "/api/v1/users/me/password/"
USERS = "/api/v1/users/"
TOKEN = "/api/v1/auth/token/"
NEW_PASSWORD = "brand-new-secret-771"

pytestmark = pytest.mark.django_db


# --- users/me -------------------------------------------------------------


def test_me_returns_the_callers_profile_without_secrets(customer_client, customer):
    response = customer_client.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == customer.pk
    assert body["email"] == customer.email
    assert body["role"] == "customer"
    assert "password" not in body


def test_me_patch_updates_profile_fields(customer_client, customer):
    response = customer_client.patch(
        ME, {"first_name": "Ann", "last_name": "Lee", "username": "annlee"}
    )

    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.username) == (
        "Ann",
        "Lee",
        "annlee",
    )
    assert response.json()["username"] == "annlee"


def test_me_patch_cannot_escalate_or_change_credentials(customer_client, customer):
    group = Group.objects.get(name="Shop staff")
    old_email, old_hash = customer.email, customer.password

    response = customer_client.patch(
        ME,
        {
            "email": "new@example.com",
            "role": "admin",
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "groups": [group.pk],
            "user_permissions": [1],
            "password": "an-attempt-to-set-it-9",
            "date_joined": "2000-01-01T00:00:00Z",
            "id": 999999,
        },
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    # An email only starts a change (test_email_change.py): the login address
    # stays until the new one confirms.
    assert customer.email == old_email
    assert customer.pending_email == "new@example.com"
    assert customer.password == old_hash
    assert (customer.is_staff, customer.is_superuser, customer.is_active) == (
        False,
        False,
        True,
    )
    assert customer.role == "customer"
    assert not customer.groups.exists()
    assert not customer.user_permissions.exists()
    assert User.objects.filter(pk=customer.pk).exists()
    assert customer_client.get(ME).json()["role"] == "customer"


def test_me_patch_refuses_a_username_taken_in_another_case(customer_client):
    UserFactory(username="TakenName")

    body = assert_error(
        customer_client.patch(ME, {"username": "takenname"}), 400, "validation_error"
    )
    assert "username" in body["extra"]["fields"]


def test_me_put_and_delete_are_not_allowed(customer_client):
    assert_error(
        customer_client.put(ME, {"first_name": "x"}), 405, "method_not_allowed"
    )
    assert_error(customer_client.delete(ME), 405, "method_not_allowed")


def test_me_needs_authentication(api_client):
    assert_error(api_client.get(ME), 401, "not_authenticated")
    assert_error(api_client.patch(ME, {"first_name": "x"}), 401, "not_authenticated")


# --- password change ------------------------------------------------------


def test_password_change_with_the_wrong_old_password_is_refused(
    customer_client, customer
):
    response = customer_client.post(
        PASSWORD, {"old_password": "wrong-one-123", "new_password": NEW_PASSWORD}
    )

    body = assert_error(response, 400, "validation_error")
    assert "old_password" in body["extra"]["fields"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("weak", ["password", "12345678901", "short1"])
def test_password_change_to_a_weak_password_is_refused(customer_client, customer, weak):
    response = customer_client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": weak}
    )

    body = assert_error(response, 400, "validation_error")
    assert body["extra"]["fields"]["new_password"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


def test_password_change_succeeds_and_only_the_new_password_logs_in(
    customer_client, customer, api_client
):
    response = customer_client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204
    new = api_client.post(TOKEN, {"email": customer.email, "password": NEW_PASSWORD})
    assert new.status_code == 200
    old = api_client.post(
        TOKEN, {"email": customer.email, "password": DEFAULT_PASSWORD}
    )
    assert_error(old, 401, "authentication_failed")


def test_password_change_needs_authentication_and_both_fields(
    api_client, customer_client
):
    assert_error(api_client.post(PASSWORD, {}), 401)
    body = assert_error(customer_client.post(PASSWORD, {}), 400, "validation_error")
    assert {"old_password", "new_password"} <= set(body["extra"]["fields"])


# --- staff user list ------------------------------------------------------


def test_user_list_is_refused_to_anonymous_and_customers(api_client, customer_client):
    assert_error(api_client.get(USERS), 401, "not_authenticated")
    assert_error(customer_client.get(USERS), 403, "permission_denied")


def test_user_detail_is_staff_only(customer_client, customer, staff_client):
    assert_error(
        customer_client.get(f"{USERS}{customer.pk}/"), 403, "permission_denied"
    )
    response = staff_client.get(f"{USERS}{customer.pk}/")
    assert response.status_code == 200
    assert response.json()["email"] == customer.email
    assert_error(staff_client.get(f"{USERS}999999/"), 404, "not_found")
    assert_error(staff_client.get(f"{USERS}abc/"), 404, "not_found")


def test_staff_without_the_view_permission_is_refused():
    # is_staff alone opens nothing: rights come from the "Shop staff" group.
    bare_staff = UserFactory(is_staff=True)

    assert_error(auth_client(bare_staff).get(USERS), 403, "permission_denied")


def test_admin_sees_the_list_without_any_group():
    assert auth_client(AdminFactory()).get(USERS).status_code == 200


def test_staff_searches_users_by_email_and_name(staff_client):
    ann = UserFactory(email="ann.lee@example.com", first_name="Ann", last_name="Lee")
    bob = UserFactory(email="bob@shop.io", first_name="Robert", last_name="Kowalski")

    def found(term):
        response = staff_client.get(USERS, {"search": term})
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert found("ANN.LEE@") == {ann.pk}
    assert found("kowal") == {bob.pk}
    assert found("robert") == {bob.pk}
    assert found("nobody-matches") == set()


def test_staff_filters_users_by_role(staff_client, staff):
    customer = UserFactory()
    admin = AdminFactory()

    def roles(role):
        response = staff_client.get(USERS, {"role": role})
        assert response.status_code == 200
        return {row["id"]: row["role"] for row in response.json()["results"]}

    assert roles("customer") == {customer.pk: "customer"}
    assert roles("staff") == {staff.pk: "staff"}
    assert roles("admin") == {admin.pk: "admin"}
    body = assert_error(
        staff_client.get(USERS, {"role": "owner"}), 400, "validation_error"
    )
    assert "role" in body["extra"]["fields"]


def test_user_list_pagination_is_capped(staff_client, django_assert_max_num_queries):
    UserFactory.create_batch(110)

    with django_assert_max_num_queries(6):
        default = staff_client.get(USERS)
    assert default.status_code == 200
    body = default.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 111  # the staff account too
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert "limit=20" in body["next"] and "offset=20" in body["next"]

    capped = staff_client.get(USERS, {"limit": 1000}).json()
    assert len(capped["results"]) == 100

    last = staff_client.get(USERS, {"limit": 50, "offset": 100}).json()
    assert len(last["results"]) == 11
    assert last["next"] is None
    assert last["previous"] is not None

    # The schema says limit is a whole number from 1: anything else is a 400.
    for bad in ({"limit": "abc"}, {"limit": 0}, {"limit": -5}, {"limit": ""}):
        response = staff_client.get(USERS, bad)
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"


def test_staff_factory_grants_the_view_permission():
    staff = StaffFactory()
    assert staff.has_perm("users.view_user")
    assert not UserFactory(is_staff=True).has_perm("users.view_user")


def test_password_change_signs_the_account_out_everywhere(api_client, customer):
    login = {"email": customer.email, "password": DEFAULT_PASSWORD}
    phone = api_client.post(TOKEN, login).json()
    laptop = api_client.post(TOKEN, login).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {laptop['access']}")

    response = api_client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204

    # Every access token issued before the change is refused at once...
    for session in (phone, laptop):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {session['access']}")
        assert_error(api_client.get(ME), 401, "authentication_failed")
    # ...and no refresh token can mint a new one.
    api_client.credentials()
    for session in (phone, laptop):
        refreshed = api_client.post(
            "/api/v1/auth/token/refresh/", {"refresh": session["refresh"]}
        )
        assert refreshed.status_code == 401
    # Logging in with the new password starts a working session.
    fresh = api_client.post(
        TOKEN, {"email": customer.email, "password": NEW_PASSWORD}
    ).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    assert api_client.get(ME).status_code == 200
