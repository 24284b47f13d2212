"""Every error the API gives has the one body {code, message, extra}."""

import asyncio
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from shop.core.parsers import LimitedJSONParser
from shop.core.testing import assert_error, database_unreachable
from shop.exceptions import PayloadTooLarge

REGISTER = "/api/v1/auth/register/"
ME = "/api/v1/users/me/"
USERS = "/api/v1/users/"
TEST_URLS = "shop.core.tests.platform_urls"

pytestmark = pytest.mark.django_db


def test_validation_error_lists_fields(api_client):
    body = assert_error(
        api_client.post(REGISTER, {"email": "nope"}), 400, "validation_error"
    )
    fields = body["extra"]["fields"]
    assert set(fields) == {"email", "password"}
    assert all(isinstance(messages, list) and messages for messages in fields.values())


def test_malformed_json_is_a_parse_error(api_client):
    response = api_client.generic(
        "POST", REGISTER, '{"email": "a@b.io",', content_type="application/json"
    )
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize(
    "document",
    [
        pytest.param("[" * 100_000, id="unclosed-100k"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="closed-100k"),
        pytest.param('{"a":' * 50_000 + "1" + "}" * 50_000, id="objects-50k"),
        pytest.param("[" * 40 + "]" * 40, id="just-past-the-limit"),
    ],
)
def test_deeply_nested_json_is_a_parse_error(api_client, document):
    response = api_client.generic(
        "POST", REGISTER, document, content_type="application/json"
    )
    assert_error(response, 400, "parse_error")


def test_moderately_nested_json_is_parsed(api_client):
    document = json.dumps({"email": "a@b.io", "password": [[[["x"]]]]})
    response = api_client.generic(
        "POST", REGISTER, document, content_type="application/json"
    )
    body = assert_error(response, 400, "validation_error")
    assert "password" in body["extra"]["fields"]


def test_non_finite_numbers_are_not_json(api_client):
    response = api_client.generic(
        "POST", REGISTER, '{"email": NaN}', content_type="application/json"
    )
    assert_error(response, 400, "parse_error")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/x-www-form-urlencoded"]
)
def test_oversize_body_with_content_length_is_413(api_client, content_type):
    body = json.dumps({"email": "a@b.io", "password": "x" * 4096})

    response = api_client.generic("POST", REGISTER, body, content_type=content_type)

    error = assert_error(response, 413, "payload_too_large")
    assert error["extra"]["max_bytes"] == 2048
    assert not get_user_model().objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024, API_MULTIPART_MAX_BYTES=2048)
def test_oversize_multipart_body_is_413(api_client):
    response = api_client.post(
        REGISTER, {"email": "a@b.io", "password": "x" * 4096}, format="multipart"
    )
    assert_error(response, 413, "payload_too_large")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_json_parser_stops_reading_a_stream_past_the_limit():
    # A chunked body has no Content-Length for the middleware to check.
    stream = io.BytesIO(b'{"a": "' + b"x" * 10_000 + b'"}')

    with pytest.raises(PayloadTooLarge):
        LimitedJSONParser().parse(stream)
    assert stream.tell() == 2049


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_chunked_body_over_asgi_is_refused_before_parsing():
    from shop.asgi import application

    chunk = b" " * 1024
    body = [b'{"email": "a@b.io", "password": "'] + [chunk] * 8 + [b'"}']
    messages = [
        {"type": "http.request", "body": part, "more_body": True} for part in body
    ] + [{"type": "http.request", "body": b"", "more_body": False}]
    sent = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": REGISTER,
        "raw_path": REGISTER.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    asyncio.run(application(scope, receive, send))

    start = next(m for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"].endswith("body"))
    # DRF would read a body without Content-Length as empty; say so instead.
    assert start["status"] == 411, payload
    assert json.loads(payload)["code"] == "length_required"
    assert not get_user_model().objects.exists()


def test_chunked_body_over_wsgi_is_refused(api_client):
    response = api_client.generic(
        "POST",
        REGISTER,
        b'{"email": "a@b.io"}',
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert_error(response, 411, "length_required")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "email=a@b.io"),
        ("application/xml", "<user><email>a@b.io</email></user>"),
    ],
)
def test_unsupported_media_type_is_415(api_client, content_type, body):
    response = api_client.generic("POST", REGISTER, body, content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")


def test_unacceptable_accept_header_is_406(customer_client):
    response = customer_client.get(ME, HTTP_ACCEPT="application/xml")
    assert_error(response, 406, "not_acceptable")


def test_401_403_and_drf_404(api_client, customer_client, staff_client):
    response = api_client.get(USERS)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_error(customer_client.get(USERS), 403, "permission_denied")
    assert_error(staff_client.get(f"{USERS}987654/"), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nope/", "/api/nope", "/api/v2/users/", "/api/v1/users/me/extra/"],
)
def test_unknown_api_path_is_a_json_404(api_client, path):
    assert_error(api_client.get(path), 404, "not_found")
    assert_error(api_client.post(path, {}), 404, "not_found")


def test_unknown_path_outside_the_api_stays_html(api_client):
    response = api_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_drf_405_has_the_shape_and_allow_header(customer_client):
    response = customer_client.delete(ME)
    assert_error(response, 405, "method_not_allowed")
    assert "PATCH" in response["Allow"]


@override_settings(ROOT_URLCONF=TEST_URLS)
def test_djangos_own_405_under_the_api_is_json():
    response = Client().get("/api/test/post-only/")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"
    assert int(response["Content-Length"]) == len(response.content)


@override_settings(ROOT_URLCONF=TEST_URLS)
@pytest.mark.parametrize("path", ["/api/test/drf-error/", "/api/test/django-error/"])
def test_uncaught_exception_under_the_api_is_a_json_500(path):
    response = Client(raise_request_exception=False).get(path)

    body = assert_error(response, 500, "server_error")
    assert "boom" not in json.dumps(body)
    assert response["X-Request-ID"]


@override_settings(ROOT_URLCONF=TEST_URLS, DEBUG=True)
def test_uncaught_exception_under_the_api_is_json_even_with_debug():
    response = Client(raise_request_exception=False).get("/api/test/drf-error/")
    assert_error(response, 500, "server_error")


@override_settings(ROOT_URLCONF=TEST_URLS)
def test_uncaught_exception_outside_the_api_stays_html():
    response = Client(raise_request_exception=False).get("/site/django-error/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


@override_settings(ROOT_URLCONF=TEST_URLS)
def test_integrity_error_is_a_400_not_a_500():
    response = Client(raise_request_exception=False).post("/api/test/integrity/")
    assert_error(response, 400, "integrity_error")


@override_settings(ALLOWED_HOSTS=["shop.example.com"])
def test_disallowed_host_under_the_api_is_a_json_400():
    response = Client(raise_request_exception=False).get(
        ME, HTTP_HOST="evil.example.com"
    )
    assert_error(response, 400, "bad_request")


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_is_a_503_with_retry_after(tmp_path):
    with database_unreachable(tmp_path):
        response = Client().get("/api/v1/products/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "service_unavailable"
    assert set(response.json()) == {"code", "message", "extra"}
    # Once the database answers again, so does the API.
    assert Client().get("/api/v1/products/").status_code == 200
