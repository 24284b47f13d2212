import pytest


@pytest.mark.django_db
def test_register_then_login_returns_a_token_pair(api_client):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"email": "Ann@Example.com", "password": "a-long-enough-pass-42"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["email"] == "ann@example.com"
    response = api_client.post(
        "/api/v1/auth/token/",
        {"email": "ANN@example.com", "password": "a-long-enough-pass-42"},
    )
    assert response.status_code == 200, response.json()
    assert set(response.json()) == {"access", "refresh"}
