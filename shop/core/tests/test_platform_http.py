"""Request ids, JSON logs, CORS and the OpenAPI documents."""

import json
import logging
import logging.config
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from rest_framework import pagination
from rest_framework.request import Request

from shop.core.logging import RequestIdFilter, request_id_var
from shop.core.middleware import (
    SiteAuthenticationMiddleware,
    SiteMessageMiddleware,
    SiteSessionMiddleware,
)
from shop.core.pagination import LimitOffsetPagination

ME = "/api/v1/users/me/"
REGISTER = "/api/v1/auth/register/"

pytestmark = pytest.mark.django_db


# --- Request ids ----------------------------------------------------------


def test_every_response_has_a_request_id(api_client):
    for response in (
        api_client.get("/health/live"),
        api_client.get(ME),
        api_client.get("/api/v1/nope/"),
    ):
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_request_ids_differ_between_requests(api_client):
    first = api_client.get("/health/live")["X-Request-ID"]
    assert api_client.get("/health/live")["X-Request-ID"] != first


def test_a_sane_incoming_request_id_is_echoed(api_client):
    response = api_client.get("/health/live", HTTP_X_REQUEST_ID="lb-7f3a.9_x-1")
    assert response["X-Request-ID"] == "lb-7f3a.9_x-1"


@pytest.mark.parametrize(
    "incoming",
    [
        "abc\n",  # would split the response header
        "abc\r\nSet-Cookie: a=b",
        "<script>alert(1)</script>",
        "x" * 129,
        "id with spaces",
        "ünïcode",
        "",
    ],
)
def test_a_malicious_incoming_request_id_is_replaced(api_client, incoming):
    response = api_client.get("/health/live", HTTP_X_REQUEST_ID=incoming)

    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_log_lines_of_a_request_carry_its_id(api_client):
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.request_id)

    handler = Collect(level=logging.WARNING)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        # An unknown API path logs a "Not Found" warning inside the request.
        response = api_client.get("/api/v1/nope/", HTTP_X_REQUEST_ID="req-42")
    finally:
        logger.removeHandler(handler)

    assert response["X-Request-ID"] == "req-42"
    assert seen and set(seen) == {"req-42"}
    assert request_id_var.get() == "-"  # reset once the request is done


def test_prod_log_format_is_one_json_object_per_line_with_the_request_id(capsys):
    from django.conf import settings

    config = json.loads(json.dumps(settings.LOGGING))  # a private copy
    config["handlers"]["stdout"]["formatter"] = "json"
    config["handlers"]["stdout"]["stream"] = "ext://sys.stdout"
    token = request_id_var.set("req-json-1")
    try:
        logging.config.dictConfig(config)
        logging.getLogger("shop.test").warning("order %s placed", 7)
    finally:
        request_id_var.reset(token)
        logging.config.dictConfig(settings.LOGGING)

    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["message"] == "order 7 placed"
    assert record["request_id"] == "req-json-1"
    assert record["level"] == "WARNING"
    assert record["name"] == "shop.test"
    assert "time" in record


# --- CORS -----------------------------------------------------------------


@override_settings(CORS_ALLOWED_ORIGINS=["https://shop.example.com"])
def test_cors_allows_only_configured_origins_on_the_api():
    client = Client()

    allowed = client.get(ME, HTTP_ORIGIN="https://shop.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "X-Request-ID" in allowed["Access-Control-Expose-Headers"]

    other = client.get(ME, HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other

    preflight = client.options(
        REGISTER,
        HTTP_ORIGIN="https://shop.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "authorization" in preflight["Access-Control-Allow-Headers"]


@override_settings(CORS_ALLOWED_ORIGINS=["https://shop.example.com"])
def test_cors_headers_are_not_sent_outside_the_api():
    response = Client().get("/health/live", HTTP_ORIGIN="https://shop.example.com")
    assert "Access-Control-Allow-Origin" not in response


# --- OpenAPI --------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_openapi_3_with_the_auth_and_user_paths(schema):
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/token/verify/",
        "/api/v1/auth/logout/",
        "/api/v1/users/",
        "/api/v1/users/{id}/",
        "/api/v1/users/me/",
        "/api/v1/users/me/password/",
    ):
        assert path in paths, path
    assert "put" not in paths["/api/v1/users/me/"]
    assert "jwtAuth" in schema["components"]["securitySchemes"]


def _error_ref(response):
    return response["content"]["application/json"]["schema"]["$ref"]


def test_schema_declares_the_error_responses(schema):
    paths = schema["paths"]
    users = paths["/api/v1/users/"]["get"]["responses"]
    assert {"400", "401", "403", "429"} <= set(users)
    detail = paths["/api/v1/users/{id}/"]["get"]["responses"]
    assert {"400", "401", "403", "404", "429"} <= set(detail)
    register = paths["/api/v1/auth/register/"]["post"]["responses"]
    assert {"201", "400", "413", "415", "429"} <= set(register)
    assert "password" not in json.dumps(
        register["201"]["content"]["application/json"]["schema"]
    )
    for response in (users["401"], detail["404"], register["400"], register["429"]):
        assert _error_ref(response) == "#/components/schemas/Error"
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "extra"}


def test_schema_documents_the_register_request(schema):
    body = schema["paths"]["/api/v1/auth/register/"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = schema["components"]["schemas"][ref]["properties"]
    assert {"email", "password"} <= set(fields)
    assert not {"is_staff", "is_superuser", "role", "groups"} & set(fields)


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_use_local_assets_only(path):
    response = Client().get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "fonts.googleapis"):
        assert cdn not in html


@override_settings(WHITENOISE_USE_FINDERS=True)
def test_docs_assets_are_served_by_the_app():
    html = Client().get("/api/docs/").content.decode()
    asset = re.search(r'src="(/static/drf_spectacular_sidecar/[^"]+\.js)"', html)
    assert asset, html

    response = Client().get(asset.group(1))
    assert response.status_code == 200


def test_spectacular_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3")


@override_settings(
    REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1},
)
def test_log_lines_carry_the_client_address_the_proxy_saw(api_client):
    from shop.core.middleware import client_address

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5"
    )
    # The spoofed first entry loses; the proxy's own entry is the client.
    assert client_address(request) == "203.0.113.5"
    seen = []

    class Capture(logging.Handler):
        def emit(self, record):
            seen.append(record.client_ip)

    handler = Capture()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        api_client.get(
            "/api/v1/no-such-endpoint/",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5",
        )
    finally:
        logger.removeHandler(handler)
    assert seen == ["203.0.113.5"]


@pytest.mark.parametrize(
    ("path", "site"), [("/api/v1/products/", False), ("/admin/", True)]
)
def test_session_auth_and_messages_middleware_run_only_outside_the_api(path, site):
    seen = {}

    def view(request):
        seen.update(
            session=hasattr(request, "session"),
            user=hasattr(request, "user"),
            messages=hasattr(request, "_messages"),
        )
        return HttpResponse()

    handler = SiteSessionMiddleware(
        SiteAuthenticationMiddleware(SiteMessageMiddleware(view))
    )
    assert handler(RequestFactory().get(path)).status_code == 200
    assert seen == {"session": site, "user": site, "messages": site}


@pytest.mark.parametrize(
    "query", ["", "?limit=10", "?offset=40", "?search=a%20b&limit=5&offset=5", "?x="]
)
@pytest.mark.parametrize("total", [0, 20, 21, 200])
def test_page_links_are_drfs(query, total):
    links = []
    for paginator in (LimitOffsetPagination(), pagination.LimitOffsetPagination()):
        paginator.default_limit, paginator.max_limit = 20, 100
        request = Request(RequestFactory().get(f"/api/v1/products/{query}"))
        paginator.paginate_queryset(list(range(total)), request)
        links.append((paginator.get_next_link(), paginator.get_previous_link()))
    assert links[0] == links[1]


# --- The site root --------------------------------------------------------


def test_the_root_sends_staff_to_the_admin(client, staff):
    client.force_login(staff)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_the_root_sends_everyone_else_to_the_api_docs(client, customer, who):
    if who == "customer":
        client.force_login(customer)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/api/docs/"
    assert client.get(response["Location"]).status_code == 200


def test_the_root_answers_get_and_head_only(client):
    assert client.head("/").status_code == 302
    assert client.post("/").status_code == 405
