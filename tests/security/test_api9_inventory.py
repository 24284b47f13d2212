"""API9:2023 Improper Inventory Management.

The published OpenAPI document is the inventory: every route the URL
resolver serves under /api/v1/ is in it, every path in it is served, and no
other API version or debug route is reachable.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db


def _pattern_text(pattern) -> str:
    text = str(pattern.pattern)
    text = text.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>", _param, text)


def _param(match) -> str:
    name = match.group(1) or match.group(2)
    return "{id}" if name == "pk" else "{" + name + "}"


def served_api_routes(patterns=None, prefix="/") -> set[str]:
    routes = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        text = prefix + _pattern_text(entry)
        if isinstance(entry, URLResolver):
            routes |= served_api_routes(entry.url_patterns, text)
        elif isinstance(entry, URLPattern) and text.startswith("/api/v"):
            routes.add(text)
    return routes


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json() if response["Content-Type"].endswith("json") else None


@pytest.fixture(scope="module")
def documented(schema):
    if schema is None:
        from drf_spectacular.generators import SchemaGenerator

        schema = SchemaGenerator().get_schema(request=None, public=True)
    return {path: set(ops) for path, ops in schema["paths"].items()}


def test_every_served_api_route_is_documented(documented):
    served = served_api_routes()
    undocumented = sorted(served - set(documented))

    assert {"/api/v1/users/me/", "/api/v1/auth/token/"} <= served

    assert not undocumented, f"served but not in /api/schema/: {undocumented}"


def test_every_documented_path_is_served(documented):
    phantom = sorted(set(documented) - served_api_routes())

    assert not phantom, f"in /api/schema/ but not served: {phantom}"


def test_only_one_api_version_is_served():
    versions = {route.split("/")[2] for route in served_api_routes()}

    assert versions == {"v1"}


def test_every_documented_operation_declares_its_errors(documented, schema):
    assert schema is not None, "/api/schema/ must answer JSON when asked for it"
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = set(operation["responses"])
            if not {"400", "401", "429"} <= codes:
                missing.append((method, path, sorted(codes)))

    assert not missing


def test_no_debug_or_browsable_routes_are_served():
    client = Client()

    for path in ("/__debug__/", "/api/v1/?format=api", "/api/", "/api/v1/"):
        response = client.get(path)
        assert response.status_code == 404, path
