"""API7:2023 Server Side Request Forgery and API10:2023 Unsafe Consumption.

Neither applies today: no API input is a URL the server fetches, and the
only outbound calls (the event relay's webhook/SNS/SQS publishers) go to
targets set by the operator in settings, never by API clients. These tests
keep it that way: a new URL-shaped input must come with an SSRF review.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

URL_NAME_HINTS = ("url", "uri", "href", "link", "callback", "webhook", "endpoint")


def _request_properties(schema: dict):
    components = schema.get("components", {}).get("schemas", {})
    for name, component in components.items():
        if not name.endswith("Request"):
            continue
        for prop, spec in component.get("properties", {}).items():
            yield name, prop, spec


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_no_request_field_takes_a_url(schema):
    url_fields = [
        (name, prop)
        for name, prop, spec in _request_properties(schema)
        if spec.get("format") in ("uri", "url")
        or any(hint in prop.lower() for hint in URL_NAME_HINTS)
    ]

    assert not url_fields, f"review for SSRF before accepting: {url_fields}"


def test_no_query_parameter_takes_a_url(schema):
    params = [
        (path, param["name"])
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        for param in operation.get("parameters", [])
        if any(hint in param["name"].lower() for hint in URL_NAME_HINTS)
    ]

    assert not params, f"review for SSRF before accepting: {params}"
