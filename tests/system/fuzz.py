"""Schema fuzzing: schemathesis against the served /api/schema/.

Starts gunicorn with the production settings on a fresh PostgreSQL database
(`shop_fuzz`: migrated, seeded with staff, customers and products), then runs
every operation of the schema with positive and negative data, then the
stateful phase along the schema's OpenAPI links (place an order -> read it
-> cancel it, create a product -> change it -> delete it, ...), once as a
customer and once as staff, each with a JWT obtained at start. Every check
schemathesis has runs (`--checks all`): no 5xx, every status and body
declared, schema-valid requests accepted and schema-violating ones refused,
public operations marked as public, ... Exits non-zero on any failure;
stops everything it started.

    .venv/bin/python -m tests.system.fuzz [--max-examples 8] [--port 18310]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.system import harness

CHECKS = "all"
PHASES = "examples,coverage,fuzzing,stateful"

SEEDED_ORDERS = 40

# A schema-valid request may still be refused because of what is already in
# the database, never because of its shape. The spec (SPEC.md sections 3-5)
# answers 400 for a duplicate email, username, SKU or slug, a reference to a
# row that does not exist, a wrong current password and the password rules
# no schema can state (common passwords, similarity to the user's details);
# and an Idempotency-Key reused with another body is 422, as the IETF
# Idempotency-Key draft says. Only these operations may answer a valid
# request with these statuses; everywhere else positive_data_acceptance
# keeps its defaults.
STATE_DEPENDENT = {
    "auth_register_create": ("400", "duplicate email/username, common password"),
    "users_me_partial_update": ("400", "duplicate username"),
    "users_me_password_create": ("400", "wrong current password, common password"),
    "categories_create": ("400", "duplicate slug, unknown parent"),
    "categories_update": ("400", "duplicate slug, unknown parent, own subtree"),
    "categories_partial_update": ("400", "duplicate slug, unknown parent"),
    "products_create": ("400", "duplicate SKU or slug, unknown category"),
    "products_update": ("400", "duplicate SKU or slug, unknown category"),
    "products_partial_update": ("400", "duplicate SKU or slug, unknown category"),
    "orders_create": ("400,422", "unknown/inactive product; key reused"),
    # Not state, but rules no OpenAPI 3.0 schema can state either: across two
    # parameters (date_from after date_to, a span over 3660 days) ...
    "reports_sales_retrieve": ("400", "date range rules"),
    "reports_top_products_retrieve": ("400", "date range rules"),
    "reports_customers_retrieve": ("400", "date range rules"),
    "reports_status_retrieve": ("400", "date range rules"),
    # ... and about a file's content (a JPEG, PNG or WebP image that decodes,
    # at most 5 MB and 4096x4096 pixels; the schema says `format: binary`).
    "products_image_create": ("400", "not a usable image"),
}
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429"]


def _state_dependent_config() -> str:
    return "".join(
        f"""
# {operation_id}: {why}
[[operations]]
include-operation-id = "{operation_id}"
checks.positive_data_acceptance.expected-statuses = {
            POSITIVE_STATUSES + statuses.split(",")
        }
"""
        for operation_id, (statuses, why) in STATE_DEPENDENT.items()
    )


# Half the time, path ids come from the seeded rows (orders 1-40, alternately
# the customer's and the other customer's; products 1-20), so operations reach
# real objects -- and other people's -- instead of only ever answering 404.
# Order ids are declared as digit strings, product ids as integers.
CONFIG = f"""
[dictionaries.order_ids]
values = {[str(i) for i in range(1, SEEDED_ORDERS + 1)]}

[dictionaries.product_ids]
values = {list(range(1, 21))}

[[operations]]
include-path-regex = '^/api/v1/orders/\\{{id\\}}/'
parameters = {{ "path.id" = {{ dictionary = "order_ids", probability = 0.5 }} }}

[[operations]]
include-path-regex = '^/api/v1/products/\\{{id\\}}/'
parameters = {{ "path.id" = {{ dictionary = "product_ids", probability = 0.5 }} }}
"""


def run_schemathesis(base_url: str, token: str, role: str, args) -> int:
    config = f"{args.report_dir}/schemathesis.toml"
    with open(config, "w") as fh:
        fh.write(CONFIG + _state_dependent_config())
    command = [
        # Beside the interpreter the harness runs the shop with.
        str(Path(harness.PYTHON).parent / "schemathesis"),
        "--config-file",
        config,
        "run",
        f"{base_url}/api/schema/",
        "--url",
        base_url,
        "--checks",
        args.checks,
        "--mode",
        "all",
        "--phases",
        args.phases,
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--header",
        f"Authorization: Bearer {token}",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--continue-on-failure",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        f"{args.report_dir}/fuzz-{role}.xml",
    ]
    harness.log(f"schemathesis as {role}: max {args.max_examples} examples/operation")
    started = time.monotonic()
    # Run from the report directory: schemathesis keeps a crash cache in its cwd.
    result = subprocess.run(command, cwd=args.report_dir)
    harness.log(
        f"schemathesis as {role}: exit {result.returncode} "
        f"in {time.monotonic() - started:.0f} s"
    )
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("FUZZ_DB", "shop_fuzz"))
    parser.add_argument("--port", type=int, default=18310)
    parser.add_argument("--max-examples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20260101)
    # One worker: hypothesis parses lambda sources with ast, which CPython 3.11
    # can corrupt when several threads do it at once (SystemError).
    parser.add_argument("--workers", default="1")
    parser.add_argument("--phases", default=PHASES)
    parser.add_argument("--roles", default="customer,staff")
    parser.add_argument("--checks", default=CHECKS)
    parser.add_argument("--report-dir", default="/tmp/shop-fuzz")
    args = parser.parse_args()
    os.makedirs(args.report_dir, exist_ok=True)

    env = harness.prepare_database(args.db, orders=SEEDED_ORDERS)
    accounts = {"customer": harness.CUSTOMER_EMAIL, "staff": harness.STAFF_EMAIL}
    failures = {}
    server = harness.Server(
        env, port=args.port, workers=2, log_path=f"{args.report_dir}/gunicorn.log"
    )
    with server:
        for role in args.roles.split(","):
            token = harness.obtain_token(server.base_url, accounts[role])
            code = run_schemathesis(server.base_url, token, role, args)
            if code:
                failures[role] = code
    if failures:
        harness.log(f"FUZZ FAILED for {sorted(failures)}; reports in {args.report_dir}")
        return 1
    harness.log("fuzz: no failures as " + " and ".join(args.roles.split(",")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
