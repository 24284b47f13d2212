"""Load deterministic demo data: a staff login, customers, catalogue, orders.

Small by default so `make run` starts in seconds; `--orders 1000000` loads a
million orders (about three million items) in a few minutes on PostgreSQL,
where rows go in through COPY. The rows come from shop.demo.generator (one
`random.Random(--seed)`, dated relative to `--until`), so the same options
on the same (empty) database give the same data; shop.demo.loader writes
them.

The stock ledger stays consistent: each product's initial stock is an
INITIAL movement (enough to cover every sale plus a remainder), each order
line an ORDER movement, and each cancelled order's lines a CANCELLATION
movement, so stock equals the sum of movements for every product.
"""

from __future__ import annotations

import datetime as dt
import time

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from shop.catalog.models import Category, Product, StockMovement
from shop.demo.generator import (
    CUSTOMER_DOMAIN,
    DEMO_CUSTOMER_EMAIL,
    DEMO_PASSWORD,
    DEMO_STAFF_EMAIL,
    DemoGenerator,
    DemoProduct,
)
from shop.demo.loader import BulkLoader
from shop.orders.models import Order, OrderItem, OrderStatusChange
from shop.orders.totals import line_total
from shop.users.models import User
from shop.users.services import user_make_staff

S = Order.Status
R = StockMovement.Reason

BULK_MODELS = (Order, OrderItem, OrderStatusChange, StockMovement)
BULK_TABLES = tuple(m._meta.db_table for m in BULK_MODELS)
# From this many orders on, loading into empty tables on PostgreSQL drops
# their secondary indexes and builds them again at the end: one sorted build
# is several times cheaper than millions of single-row index inserts.
BUILD_INDEXES_AFTER = 50_000


class Command(BaseCommand):
    help = (
        "Load deterministic demo data (staff and customer logins, customers, "
        "categories, products with a stock ledger, orders over a date range). "
        "Refuses a non-empty database unless --if-empty (then does nothing), "
        "--append or --flush is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the demo logins) if the database holds data.",
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add the demo data to a database that already holds data.",
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Delete ALL data of the database first (manage.py flush).",
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed (42).")
        parser.add_argument(
            "--customers", type=int, default=20, help="Demo customers (20)."
        )
        parser.add_argument("--categories", type=int, default=8, help="Categories (8).")
        parser.add_argument("--products", type=int, default=60, help="Products (60).")
        parser.add_argument("--orders", type=int, default=300, help="Orders (300).")
        parser.add_argument(
            "--days",
            type=int,
            default=90,
            help="Spread the orders over this many days up to --until (90).",
        )
        parser.add_argument(
            "--until",
            type=dt.date.fromisoformat,
            default=None,
            help="Last day of orders, YYYY-MM-DD (default: today). Pass it for "
            "data that is the same on every day you run the command.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=20000,
            help="Orders written per batch (20000).",
        )

    # --- Entry point --------------------------------------------------------

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        if options["append"] and options["flush"]:
            raise CommandError("--append and --flush exclude each other.")
        for name in ("customers", "categories", "products", "orders"):
            if options[name] < 0:
                raise CommandError(f"--{name} must not be negative.")
        if options["days"] < 1 or options["batch_size"] < 1:
            raise CommandError("--days and --batch-size must be at least 1.")
        if options["orders"] and not options["products"]:
            raise CommandError("Orders need products: give --products.")

        if options["flush"]:
            self.say("Flushing the database ...")
            call_command("flush", interactive=False, verbosity=0)
        elif self.has_data():
            if options["if_empty"]:
                self.stdout.write("Database already holds data; nothing loaded.")
                self.print_logins()
                return
            if not options["append"]:
                raise CommandError(
                    "The database is not empty; use --append to add to it, "
                    "--flush to replace it, or --if-empty to skip."
                )

        started = time.monotonic()
        self.loader = BulkLoader()
        with transaction.atomic():
            self.skip_reference_checks()
            counts = self.load(options)
        # Only for big loads, and only when not inside a caller's transaction.
        bulky = options["orders"] >= BUILD_INDEXES_AFTER
        if bulky and self.loader.postgres and not connection.in_atomic_block:
            self.say("Vacuuming the order tables ...")
            vacuum_started = time.monotonic()
            self.loader.vacuum(BULK_MODELS)
            self.say(f"  vacuumed in {time.monotonic() - vacuum_started:.1f} s")
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data loaded: "
                + ", ".join(f"{n:,} {what}" for what, n in counts.items())
                + f" in {time.monotonic() - started:.1f} s."
            )
        )
        self.print_logins()

    def skip_reference_checks(self) -> None:
        """On PostgreSQL as superuser, skip foreign-key triggers for this load.

        Every reference written here points at a row written here or already
        present, so checking millions of them one by one at commit (Django's
        foreign keys are deferred) only costs time: most of the load's time.
        Lasts until the transaction ends.
        """
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            if row and row[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")

    def has_data(self) -> bool:
        return (
            User.objects.exists()
            or Product.objects.exists()
            or Category.objects.exists()
            or Order.objects.exists()
        )

    def say(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)

    def print_logins(self) -> None:
        self.stdout.write(
            f"Staff login (admin at /admin/): {DEMO_STAFF_EMAIL} / {DEMO_PASSWORD}\n"
            f"Customer login: {DEMO_CUSTOMER_EMAIL} / {DEMO_PASSWORD}"
        )

    # --- Loading ------------------------------------------------------------

    def load(self, options) -> dict[str, int]:
        tz = timezone.get_default_timezone()
        until = options["until"] or timezone.localdate(timezone=tz)
        demo = DemoGenerator(
            seed=options["seed"], until=until, days=options["days"], tz=tz
        )
        self.opened = demo.opened

        staff, demo_customer = self.demo_accounts()
        customers = self.create_customers(demo, options["customers"])
        if demo_customer is not None:
            customers.insert(0, demo_customer.pk)
        categories = self.create_categories(demo, options["categories"])
        products, product_pks = self.create_products(
            demo, options["products"], categories
        )
        if options["orders"] and not customers:
            raise CommandError("Orders need customers: give --customers.")
        bulky = self.loader.postgres and options["orders"] >= BUILD_INDEXES_AFTER
        with self.loader.indexes_built_after(BULK_MODELS, enabled=bulky, say=self.say):
            n_orders, n_items = self.create_orders(
                demo,
                options["orders"],
                customers=customers,
                products=products,
                product_pks=product_pks,
                staff_id=staff.pk,
                batch_size=options["batch_size"],
            )
            self.stock_products(demo, products, product_pks)
        self.loader.analyze((*BULK_MODELS, Product, User))
        return {
            "customers": len(customers),
            "categories": len(categories),
            "products": len(products),
            "orders": n_orders,
            "order items": n_items,
        }

    def demo_accounts(self) -> tuple[User, User | None]:
        staff = User.objects.filter(email=DEMO_STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_user(
                email=DEMO_STAFF_EMAIL,
                password=DEMO_PASSWORD,
                username="staff",
                first_name="Sam",
                last_name="Staff",
                date_joined=self.opened,
            )
            user_make_staff(user=staff)
        customer = User.objects.filter(email=DEMO_CUSTOMER_EMAIL).first()
        if customer is None:
            customer = User.objects.create_user(
                email=DEMO_CUSTOMER_EMAIL,
                password=DEMO_PASSWORD,
                username="customer",
                first_name="Casey",
                last_name="Customer",
                date_joined=self.opened,
            )
        return staff, customer

    def create_customers(self, demo: DemoGenerator, count: int) -> list[int]:
        if not count:
            return []
        self.say(f"Creating {count:,} customers ...")
        # Hashing is slow by design: hash the demo password once and share it.
        password = make_password(DEMO_PASSWORD)
        offset = User.objects.filter(email__endswith="@" + CUSTOMER_DOMAIN).count()
        users = [
            User(
                email=c.email,
                username=c.username,
                first_name=c.first_name,
                last_name=c.last_name,
                password=password,
                date_joined=c.date_joined,
            )
            for c in demo.customers(count, offset=offset)
        ]
        created = User.objects.bulk_create(users, batch_size=2000)
        return [u.pk for u in created]

    def create_categories(self, demo: DemoGenerator, count: int) -> list[int]:
        rows = [
            Category(name=c.name, slug=c.slug, description=c.description)
            for c in demo.categories(count, offset=Category.objects.count())
        ]
        return [c.pk for c in Category.objects.bulk_create(rows, batch_size=1000)]

    def create_products(
        self, demo: DemoGenerator, count: int, categories: list[int]
    ) -> tuple[list[DemoProduct], list[int]]:
        if not count:
            return [], []
        self.say(f"Creating {count:,} products ...")
        offset = Product.objects.filter(sku__startswith="DEMO-").count()
        products = demo.products(count, categories=len(categories), offset=offset)
        rows = [
            Product(
                name=p.name,
                slug=p.slug,
                sku=p.sku,
                description=p.description,
                category_id=None if p.category is None else categories[p.category],
                price=p.price,
                stock=0,
                is_active=p.is_active,
            )
            for p in products
        ]
        created = Product.objects.bulk_create(rows, batch_size=1000)
        pks = [p.pk for p in created]
        # auto_now_add stamped "now"; the catalogue predates the first order.
        Product.objects.filter(pk__in=pks).update(
            created_at=self.opened, updated_at=self.opened
        )
        return products, pks

    def stock_products(
        self, demo: DemoGenerator, products: list[DemoProduct], pks: list[int]
    ) -> None:
        """Give every product initial stock covering its sales, as movements."""
        opened = self.loader.when(self.opened.timestamp())
        movements = [
            {
                "product_id": pk,
                "delta": initial,
                "reason": R.INITIAL.value,
                "note": "Demo initial stock",
                "created_at": opened,
            }
            for pk, initial in zip(pks, demo.stock(products), strict=True)
            if initial
        ]
        self.loader.write(StockMovement, movements)
        by_pk = {pk: p.stock for pk, p in zip(pks, products, strict=True)}
        objs = list(Product.objects.filter(pk__in=by_pk).only("pk", "stock"))
        for obj in objs:
            obj.stock = by_pk[obj.pk]
        Product.objects.bulk_update(objs, ["stock"], batch_size=1000)

    # --- Orders -------------------------------------------------------------

    def create_orders(
        self,
        demo: DemoGenerator,
        count: int,
        *,
        customers: list[int],
        products: list[DemoProduct],
        product_pks: list[int],
        staff_id: int,
        batch_size: int,
    ) -> tuple[int, int]:
        if not count:
            return 0, 0
        self.say(f"Creating {count:,} orders over {demo.days} days ...")
        next_id = self.loader.reserve_ids(Order, count)
        when = self.loader.when
        orders, items, history, movements = [], [], [], []
        written = n_items = 0
        started = time.monotonic()
        pending = S.PENDING.value
        for order in demo.orders(count, customers=len(customers), products=products):
            order_id = next_id
            next_id += 1
            buyer = customers[order.customer]
            placed_at = when(order.placed)
            cancelled_at = order.cancelled_at
            cancelled_at = None if cancelled_at is None else when(cancelled_at)
            for idx, qty in order.lines:
                product, pk = products[idx], product_pks[idx]
                items.append(
                    {
                        "order_id": order_id,
                        "product_id": pk,
                        "product_name": product.name,
                        "product_sku": product.sku,
                        "unit_price": product.price,
                        "quantity": qty,
                        "line_total": line_total(
                            unit_price=product.price, quantity=qty
                        ),
                        "created_at": placed_at,
                    }
                )
                movements.append(
                    {
                        "product_id": pk,
                        "delta": -qty,
                        "reason": R.ORDER.value,
                        "order_id": order_id,
                        "user_id": buyer,
                        "created_at": placed_at,
                    }
                )
                if cancelled_at is not None:
                    movements.append(
                        {
                            "product_id": pk,
                            "delta": qty,
                            "reason": R.CANCELLATION.value,
                            "order_id": order_id,
                            "user_id": staff_id,
                            "created_at": cancelled_at,
                        }
                    )
            history.append(
                {
                    "order_id": order_id,
                    "from_status": "",
                    "to_status": pending,
                    "changed_by_id": buyer,
                    "created_at": placed_at,
                }
            )
            previous, last_at = pending, placed_at
            for to_status, at in order.steps:
                last_at = when(at)
                history.append(
                    {
                        "order_id": order_id,
                        "from_status": previous,
                        "to_status": to_status,
                        "changed_by_id": staff_id,
                        "created_at": last_at,
                    }
                )
                previous = to_status
            orders.append(
                {
                    "id": order_id,
                    "customer_id": buyer,
                    "status": order.status,
                    "total": order.totals.total,
                    "units": order.totals.units,
                    "item_count": order.totals.item_count,
                    "shipping_address": order.address,
                    "created_at": placed_at,
                    "updated_at": last_at,
                }
            )
            n_items += len(order.lines)
            if len(orders) >= batch_size:
                written += self.flush_orders(orders, items, history, movements)
                self.progress(written, count, n_items, started)
        written += self.flush_orders(orders, items, history, movements)
        self.progress(written, count, n_items, started)
        return written, n_items

    def flush_orders(self, orders, items, history, movements) -> int:
        written = len(orders)
        for model, rows, with_pk in (
            (Order, orders, True),
            (OrderItem, items, False),
            (OrderStatusChange, history, False),
            (StockMovement, movements, False),
        ):
            started = time.monotonic()
            self.loader.write(model, rows, with_pk=with_pk)
            if self.verbosity >= 2:
                self.stdout.write(
                    f"    {model._meta.db_table}: {len(rows):,} rows in "
                    f"{time.monotonic() - started:.2f} s"
                )
        for rows in (orders, items, history, movements):
            rows.clear()
        return written

    def progress(self, written: int, total: int, items: int, started: float) -> None:
        elapsed = time.monotonic() - started
        rate = written / elapsed if elapsed else 0
        self.say(
            f"  orders {written:,}/{total:,} ({written / total:.0%}), "
            f"{items:,} items, {elapsed:.1f} s, {rate:,.0f} orders/s"
        )
