"""Cases schema fuzzing found, kept as fast tests on both databases.

Each answers with a status the schema must declare, so clients generated from
/api/schema/ (and `status_code_conformance`) know about it.
"""

import pytest
import yaml
from django.test import Client

from tests.security.conftest import API, require_route

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/")
    return yaml.safe_load(response.content)


def _declared(schema, method, path):
    return set(schema["paths"][path][method.lower()]["responses"])


@pytest.mark.parametrize("report", ["sales", "top-products", "customers", "status"])
def test_unknown_report_format_is_a_declared_404(staff_client, schema, report):
    path = require_route(f"{API}/reports/{report}/")

    response = staff_client.get(path, {"format": "AAA"})

    assert response.status_code == 404
    assert "404" in _declared(schema, "GET", path)


def test_chunked_body_without_length_is_a_declared_411(customer_client, schema):
    path = f"{API}/users/me/"

    response = customer_client.generic(
        "PATCH", path, "", "application/json", HTTP_TRANSFER_ENCODING="chunked"
    )

    assert response.status_code == 411
    assert response.json()["code"] == "length_required"
    for operations in schema["paths"].values():
        for method in ("post", "put", "patch"):
            if method in operations:
                assert "411" in operations[method]["responses"]
