#!/usr/bin/env python
"""Time `import_products` on a large CSV (SPEC §10: 100k products under 60 s).

Writes a deterministic CSV of N products over 50 categories, recreates the
PostgreSQL database `shop_bench_import` (or uses SQLite with --sqlite),
migrates it, then times three runs of the command: the first import (all
creates), the same file again (all unchanged) and the file with every price
and stock changed (all updates). Finishes with `check_stock`.

    .venv/bin/python bench/import_products.py [--rows 100000] [--sqlite]
"""

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def write_csv(path: Path, rows: int, *, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["sku", "name", "price", "stock", "category_slug", "description"])
        for i in range(rows):
            out.writerow(
                [
                    f"IMP-{i:07d}",
                    f"Imported product {i}",
                    f"{rng.randint(100, 99999) / 100:.2f}",
                    rng.randint(0, 500),
                    f"cat-{i % 50}",
                    f"Description of imported product {i}",
                ]
            )


def run(env: dict, *args: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings.dev"}
    workdir = Path(tempfile.mkdtemp(prefix="shop-import-"))
    if args.sqlite:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        for statement in (
            "DROP DATABASE IF EXISTS shop_bench_import",
            "CREATE DATABASE shop_bench_import",
        ):
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement],
                check=True,
            )
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/shop_bench_import"
    run(env, "migrate", "--noinput")

    first, second = workdir / "products.csv", workdir / "products-changed.csv"
    write_csv(first, args.rows, seed=1)
    write_csv(second, args.rows, seed=2)
    figures = [
        ("first import (creates)", run(env, "import_products", str(first))),
        ("same file again (unchanged)", run(env, "import_products", str(first))),
        ("prices and stock changed", run(env, "import_products", str(second))),
    ]
    run(env, "check_stock")
    engine = "SQLite" if args.sqlite else "PostgreSQL"
    print(
        f"import_products, {args.rows:,} rows, {engine}, load {os.getloadavg()[0]:.1f}"
    )
    for label, seconds in figures:
        print(f"  {label:<30} {seconds:6.1f} s  ({args.rows / seconds:,.0f} rows/s)")
    print("  check_stock: stock matches the ledger")


if __name__ == "__main__":
    main()
