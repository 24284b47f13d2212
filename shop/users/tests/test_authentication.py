import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from shop.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/summary/"


def _client(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_valid_token_authenticates_its_user_with_one_query(
    django_assert_num_queries,
):
    user = UserFactory()
    client = _client(AccessToken.for_user(user))

    response = client.get(URL)

    assert response.status_code == 200
    assert response.wsgi_request.user == user
    with django_assert_num_queries(2):  # the user, then the summary itself
        client.get(URL)


def test_an_inactive_users_token_is_refused():
    user = UserFactory(is_active=False)

    response = _client(AccessToken.for_user(user)).get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_deleted_users_token_is_refused():
    user = UserFactory()
    token = AccessToken.for_user(user)
    user.delete()

    response = _client(token).get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
