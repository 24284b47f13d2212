"""A generated client drives one customer journey against the served schema.

Starts gunicorn with the production settings on a fresh PostgreSQL database
(seeded with products), downloads /api/schema/, generates a Python client
from it with openapi-python-client (any generator warning is a failure),
and then, through that client only: registers, logs in, lists products,
places an order with an Idempotency-Key (and retries it: same order), reads
the order and cancels it. Prints one line per step and a pytest-like
summary; exits non-zero on any failure. Stops everything it started.

    .venv/bin/python -m tests.system.client_journey [--db shop_client] [--port 18330]
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import uuid
from pathlib import Path

from tests.system import harness

PACKAGE = "shop_client"


def generate_client(base_url: str, workdir: Path) -> None:
    """Generate the client package into `workdir`; raise on any warning."""
    schema = workdir / "schema.yaml"
    with urllib.request.urlopen(f"{base_url}/api/schema/", timeout=30) as response:
        schema.write_bytes(response.read())
    bindir = Path(harness.PYTHON).parent
    generator = bindir / "openapi-python-client"
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(workdir / PACKAGE),
            "--overwrite",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    output = (result.stdout + result.stderr).strip()
    # The generator reports problems (unsupported schema parts, skipped
    # endpoints, failed post-hooks) as warnings and still exits 0.
    if result.returncode or "warning" in output.lower() or "error" in output.lower():
        raise AssertionError(f"openapi-python-client reported:\n{output}")


class Journey:
    """The steps, in order; each sees what the earlier ones found."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.api = importlib.import_module(f"{PACKAGE}.api")
        self.models = importlib.import_module(f"{PACKAGE}.models")
        client_module = importlib.import_module(f"{PACKAGE}.client")
        self.anonymous = client_module.Client(base_url=base_url)
        self.client_module = client_module
        self.email = f"journey-{uuid.uuid4().hex[:12]}@example.com"
        self.password = "journey-Pass-" + uuid.uuid4().hex[:8]

    def _call(self, module: str, **kwargs):
        operation = importlib.import_module(f"{PACKAGE}.api.{module}")
        return operation.sync_detailed(**kwargs)

    def _expect(self, response, status: int, model):
        body = response.parsed
        assert response.status_code == status, (
            f"expected {status}, got {response.status_code}: {response.content!r}"
        )
        assert isinstance(body, model), f"expected {model.__name__}, got {body!r}"
        return body

    def test_register(self):
        response = self._call(
            "auth.auth_register_create",
            client=self.anonymous,
            body=self.models.UserRegisterInputRequest(
                email=self.email, password=self.password, first_name="Journey"
            ),
        )
        user = self._expect(response, 201, self.models.User)
        assert user.email == self.email and user.role == "customer"

    def test_log_in(self):
        response = self._call(
            "auth.auth_token_create",
            client=self.anonymous,
            body=self.models.TokenObtainRequest(
                email=self.email, password=self.password
            ),
        )
        pair = self._expect(response, 200, self.models.TokenPair)
        self.client = self.client_module.AuthenticatedClient(
            base_url=self.base_url, token=pair.access
        )

    def test_list_products(self):
        response = self._call(
            "products.products_list",
            client=self.client,
            in_stock=True,
            ordering="price",
            limit=5,
        )
        page = self._expect(response, 200, self.models.PaginatedProductList)
        assert page.results, "no products in stock"
        assert len(page.results) <= 5
        self.product = page.results[0]
        assert self.product.stock > 0 and self.product.is_active

    def test_place_order_with_idempotency_key(self):
        key = f"journey-{uuid.uuid4()}"
        body = self.models.OrderPlaceInputRequest(
            items=[
                self.models.OrderLineInputRequest(product=self.product.id, quantity=2)
            ],
            shipping_address="1 Journey Road",
        )
        first = self._call(
            "orders.orders_create", client=self.client, body=body, idempotency_key=key
        )
        self.order = self._expect(first, 201, self.models.Order)
        assert self.order.status.value == "pending"
        assert [(i.product, i.quantity) for i in self.order.items] == [
            (self.product.id, 2)
        ]
        # A retry with the same key is answered with the same order.
        again = self._call(
            "orders.orders_create", client=self.client, body=body, idempotency_key=key
        )
        replay = self._expect(again, 201, self.models.Order)
        assert replay.id == self.order.id
        assert again.headers.get("Idempotent-Replayed") == "true"

    def test_read_order(self):
        response = self._call(
            "orders.orders_retrieve", id=str(self.order.id), client=self.client
        )
        order = self._expect(response, 200, self.models.Order)
        assert order.id == self.order.id and order.total == self.order.total

    def test_cancel_order(self):
        response = self._call(
            "orders.orders_cancel_create", id=str(self.order.id), client=self.client
        )
        order = self._expect(response, 200, self.models.Order)
        assert order.status.value == "cancelled"
        listed = self._call("orders.orders_list", client=self.client)
        page = self._expect(listed, 200, self.models.PaginatedOrderList)
        assert [o.id for o in page.results] == [self.order.id]

    def steps(self):
        return [
            self.test_register,
            self.test_log_in,
            self.test_list_products,
            self.test_place_order_with_idempotency_key,
            self.test_read_order,
            self.test_cancel_order,
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("CLIENT_DB", "shop_client"))
    parser.add_argument("--port", type=int, default=18330)
    parser.add_argument("--report-dir", default="/tmp/shop-client-journey")
    parser.add_argument("--keep", action="store_true", help="keep the generated client")
    args = parser.parse_args()
    os.makedirs(args.report_dir, exist_ok=True)
    started = time.monotonic()
    passed, failed = 0, 0

    def record(name: str, func) -> bool:
        nonlocal passed, failed
        try:
            func()
        except Exception:
            failed += 1
            print(f"{name} FAILED", flush=True)
            traceback.print_exc()
            return False
        passed += 1
        print(f"{name} PASSED", flush=True)
        return True

    env = harness.prepare_database(args.db)
    workdir = Path(tempfile.mkdtemp(prefix="shop-client-"))
    server = harness.Server(
        env, port=args.port, workers=2, log_path=f"{args.report_dir}/gunicorn.log"
    )
    try:
        with server:
            if record(
                "generate_client", lambda: generate_client(server.base_url, workdir)
            ):
                sys.path.insert(0, str(workdir))
                journey = Journey(server.base_url)
                for step in journey.steps():
                    if not record(step.__name__, step):
                        break  # later steps need what this one made
    finally:
        if args.keep:
            harness.log(f"generated client kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    summary = f"{passed} passed" + (f", {failed} failed" if failed else "")
    print(f"==== {summary} in {elapsed:.2f}s ====", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
