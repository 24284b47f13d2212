"""The users admin: list with roles, filters and search; add with a normalised email."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from shop.users.models import User
from shop.users.tests.factories import (
    DEFAULT_PASSWORD,
    AdminFactory,
    StaffFactory,
    UserFactory,
)

CHANGELIST = "/admin/users/user/"
ADD = "/admin/users/user/add/"

pytestmark = pytest.mark.django_db


def _logged_in(user):
    client = Client()
    assert client.login(email=user.email, password=DEFAULT_PASSWORD)
    return client


@pytest.fixture
def admin_client_():
    return _logged_in(AdminFactory())


def test_superuser_lists_users_with_their_role(admin_client_):
    customer = UserFactory(email="ann@example.com")
    staff = StaffFactory()

    response = admin_client_.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert customer.email in html and staff.email in html
    assert "Customer" in html and "Staff" in html and "Admin" in html


@pytest.mark.parametrize("role", ["customer", "staff", "admin"])
def test_changelist_filters_by_role(admin_client_, role):
    users = {
        "customer": UserFactory(email="c@example.com"),
        "staff": StaffFactory(email="s@example.com"),
        "admin": AdminFactory(email="a@example.com"),
    }

    response = admin_client_.get(CHANGELIST, {"role": role})

    assert response.status_code == 200
    shown = {user.pk for user in response.context["cl"].result_list}
    assert users[role].pk in shown
    expected_roles = {User.objects.get(pk=pk).role for pk in shown}
    assert expected_roles == {role}


def test_changelist_searches_by_email_and_name(admin_client_):
    ann = UserFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    UserFactory(email="bob@example.com", first_name="Bob", last_name="Smith")

    for term in ("ann@", "Lee"):
        response = admin_client_.get(CHANGELIST, {"q": term})
        shown = {user.pk for user in response.context["cl"].result_list}
        assert shown == {ann.pk}


def test_shop_staff_with_view_permission_can_open_the_changelist():
    staff = StaffFactory()

    response = _logged_in(staff).get(CHANGELIST)

    assert response.status_code == 200
    # Viewing only: the group grants no change or add rights on users.
    assert _logged_in(staff).get(ADD).status_code == 403


def test_add_form_creates_a_user_with_a_normalised_email(admin_client_):
    response = admin_client_.post(
        ADD,
        {
            "email": "  New.Person@Example.COM ",
            "username": "newperson",
            "password1": "a-long-enough-pass-42",
            "password2": "a-long-enough-pass-42",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="newperson")
    assert user.email == "new.person@example.com"
    assert user.check_password("a-long-enough-pass-42")
    assert user.role == "customer"


def test_add_form_refuses_an_email_taken_in_another_case(admin_client_):
    UserFactory(email="taken@example.com")

    response = admin_client_.post(
        ADD,
        {
            "email": "TAKEN@example.com",
            "username": "someone",
            "password1": "a-long-enough-pass-42",
            "password2": "a-long-enough-pass-42",
            "usable_password": "true",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not User.objects.filter(username="someone").exists()


def test_admin_makes_a_user_staff_with_the_shop_staff_group(admin_client_):
    user = UserFactory()
    group = Group.objects.get(name="Shop staff")
    change_url = f"/admin/users/user/{user.pk}/change/"
    form = admin_client_.get(change_url).context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in {"groups", "user_permissions", "password"}
    }
    data.update(
        email=user.email,
        username=user.username,
        is_active="on",
        is_staff="on",
        groups=[group.pk],
    )
    data.pop("is_superuser", None)

    response = admin_client_.post(change_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.role == "staff"
    assert list(user.groups.all()) == [group]
    assert user.has_perm("users.view_user")


def test_customers_are_sent_to_the_admin_login():
    client = _logged_in(UserFactory())

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_migrate_gives_the_shop_staff_group_its_permissions():
    # The test database was built by migrate; nothing here calls the sync.
    group = Group.objects.get(name="Shop staff")
    codenames = set(
        group.permissions.values_list("content_type__app_label", "codename")
    )

    assert ("users", "view_user") in codenames
    assert ("users", "change_user") not in codenames
    assert ("catalog", "change_product") in codenames
    assert ("orders", "view_order") in codenames


def test_changelist_shows_and_filters_email_verification(admin_client_):
    verified = UserFactory(email="verified@example.com")
    unverified = UserFactory(email="new@example.com", email_verified_at=None)

    response = admin_client_.get(CHANGELIST)
    assert "verified" in response.context["cl"].list_display

    for value, expected in (("yes", verified), ("no", unverified)):
        response = admin_client_.get(CHANGELIST, {"verified": value})
        assert response.status_code == 200
        shown = {user.pk for user in response.context["cl"].result_list}
        assert expected.pk in shown
        assert (unverified if value == "yes" else verified).pk not in shown


def test_change_form_shows_verification_and_pending_email_read_only(admin_client_):
    user = UserFactory(email_verified_at=None, pending_email="next@example.com")
    url = f"{CHANGELIST}{user.pk}/change/"

    response = admin_client_.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "next@example.com" in html
    form = response.context["adminform"].form
    assert "pending_email" not in form.fields
    assert "email_verified_at" not in form.fields
    # A save leaves both alone, whatever the request says.
    data = {
        "email": user.email,
        "username": user.username,
        "is_active": "on",
        "pending_email": "",
        "email_verified_at_0": "2020-01-01",
        "email_verified_at_1": "00:00:00",
        "date_joined_0": "2020-01-01",
        "date_joined_1": "00:00:00",
    }
    assert admin_client_.post(url, data).status_code == 302
    user.refresh_from_db()
    assert (user.pending_email, user.email_verified_at) == ("next@example.com", None)
