"""Assertions shared by the API tests of every app."""

ERROR_KEYS = {"code", "message", "extra"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Check an error response has `status`, a JSON body of the one shape, `code`."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json"), response[
        "Content-Type"
    ]
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["extra"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body
