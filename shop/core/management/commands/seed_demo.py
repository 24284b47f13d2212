"""Load deterministic demo data: a staff login, customers, catalogue, orders.

Small by default so `make run` starts in seconds; `--orders 1000000` loads a
million orders (about three million items) in a few minutes on PostgreSQL,
where rows go in through COPY. Everything is drawn from one
`random.Random(--seed)` and dated relative to `--until`, so the same options
on the same (empty) database give the same data.

The stock ledger stays consistent: each product's initial stock is an
INITIAL movement (enough to cover every sale plus a remainder), each order
line an ORDER movement, and each cancelled order's lines a CANCELLATION
movement, so stock equals the sum of movements for every product.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from bisect import bisect_right
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from shop.catalog.models import Category, Product, StockMovement
from shop.orders.models import Order
from shop.users.models import User
from shop.users.services import user_make_staff

DEMO_STAFF_EMAIL = "staff@example.com"
DEMO_CUSTOMER_EMAIL = "customer@example.com"
DEMO_PASSWORD = "shop-demo-password"
CUSTOMER_DOMAIN = "customers.example.com"

S = Order.Status
R = StockMovement.Reason

CATEGORY_NAMES = (
    "Books",
    "Kitchen",
    "Garden",
    "Toys",
    "Sports",
    "Electronics",
    "Clothing",
    "Office",
    "Music",
    "Pets",
    "Beauty",
    "Tools",
)
ADJECTIVES = (
    "Rustic",
    "Compact",
    "Classic",
    "Sturdy",
    "Elegant",
    "Handmade",
    "Modern",
    "Vintage",
    "Everyday",
    "Deluxe",
    "Light",
    "Smart",
)
MATERIALS = (
    "Oak",
    "Steel",
    "Linen",
    "Cotton",
    "Ceramic",
    "Bamboo",
    "Leather",
    "Glass",
    "Wool",
    "Copper",
)
NOUNS = (
    "Lamp",
    "Mug",
    "Notebook",
    "Backpack",
    "Chair",
    "Kettle",
    "Scarf",
    "Speaker",
    "Planter",
    "Frame",
    "Blanket",
    "Bottle",
    "Clock",
    "Bowl",
    "Jacket",
    "Pen",
)
FIRST_NAMES = (
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
)
LAST_NAMES = (
    "Abbott",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Meyer",
    "Nakamura",
    "Okafor",
    "Peters",
)
STREETS = ("Elm Street", "Harbour Road", "Mill Lane", "Station Square", "Park Avenue")
CITIES = ("10115 Berlin", "75001 Paris", "1011 Amsterdam", "28001 Madrid", "00100 Rome")

LINES_PER_ORDER = (1, 2, 3, 4, 5)
LINES_WEIGHTS = (15, 20, 30, 20, 15)  # three lines on average
QUANTITIES = (1, 2, 3, 4, 5)
QUANTITY_WEIGHTS = (72, 18, 6, 3, 1)
# Local hour of day -> relative weight (quiet nights, busy evenings).
HOUR_WEIGHTS = (
    1,
    1,
    1,
    1,
    1,
    2,
    3,
    5,
    6,
    7,
    8,
    8,
    9,
    8,
    8,
    8,
    9,
    10,
    12,
    13,
    12,
    9,
    5,
    2,
)
WEEKDAY_WEIGHTS = (1.0, 0.95, 0.95, 1.0, 1.1, 1.25, 1.2)  # Monday first
CANCEL_RATE = 0.05

ORDER_COLUMNS = (
    "id",
    "customer_id",
    "status",
    "total",
    "units",
    "item_count",
    "shipping_address",
    "note",
    "created_at",
    "updated_at",
)
ITEM_COLUMNS = (
    "order_id",
    "product_id",
    "product_name",
    "product_sku",
    "unit_price",
    "quantity",
    "line_total",
    "created_at",
)
HISTORY_COLUMNS = (
    "order_id",
    "from_status",
    "to_status",
    "changed_by_id",
    "note",
    "created_at",
)
MOVEMENT_COLUMNS = (
    "product_id",
    "delta",
    "reason",
    "note",
    "order_id",
    "user_id",
    "created_at",
)


BULK_TABLES = (
    "orders_order",
    "orders_orderitem",
    "orders_orderstatuschange",
    "catalog_stockmovement",
)
# From this many orders on, loading into empty tables on PostgreSQL drops
# their secondary indexes and builds them again at the end: one sorted build
# is several times cheaper than millions of single-row index inserts.
BUILD_INDEXES_AFTER = 50_000


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    # Only these module constants are formatted in; values are parameters.
    cols = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608


class RowWriter:
    """Bulk inserts of plain tuples: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def when(self, epoch: float):
        """A stored timestamp: aware for psycopg, naive UTC text for SQLite."""
        value = dt.datetime.fromtimestamp(epoch, dt.UTC)
        if self.postgres:
            return value
        return value.replace(tzinfo=None).isoformat(" ")

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            if self.postgres:
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(_insert_sql(table, columns), rows)

    @contextmanager
    def indexes_built_after(self, tables, *, enabled: bool, say):
        """Drop the tables' secondary indexes now and rebuild them on exit.

        Only on PostgreSQL, only for tables that are empty to begin with (an
        append to a big table would pay for a full rebuild), and inside the
        caller's transaction, so a failure leaves every index as it was.
        """
        if not (enabled and self.postgres):
            yield
            return
        restore: list[str] = []
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
                if cursor.fetchone()[0]:
                    continue
                restore += self._drop_secondary_indexes(cursor, table)
        yield
        say(f"Building {len(restore)} indexes ...")
        started = time.monotonic()
        with connection.cursor() as cursor:
            for statement in restore:
                cursor.execute(statement)
        say(f"  indexes built in {time.monotonic() - started:.1f} s")

    @staticmethod
    def _drop_secondary_indexes(cursor, table: str) -> list[str]:
        """Drop every index but the primary key; return the SQL that rebuilds them."""
        quote = connection.ops.quote_name
        restore = []
        # Unique constraints own their index: drop and re-add the constraint.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        owned = set()
        for name, definition in cursor.fetchall():
            owned.add(name)
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
            restore.append(
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
            )
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary",
            [table],
        )
        for name, definition in cursor.fetchall():
            if name in owned:
                continue
            cursor.execute(f"DROP INDEX {quote(name)}")
            restore.append(definition)
        return restore

    def analyze(self, tables) -> None:
        """Fresh planner statistics: a big load leaves them empty or stale."""
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")

    def vacuum(self, tables) -> None:
        """Set the visibility map so the reports' index-only scans stay so.

        Freshly loaded pages are not yet all-visible, and an index-only scan
        visits the heap for every row on such a page until (auto)vacuum has
        run. VACUUM cannot run inside a transaction: call after the commit.
        """
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM (ANALYZE) {table}")

    def reserve_ids(self, table: str, count: int) -> int:
        """First of `count` consecutive primary keys nobody else will use."""
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%(t)s, 'id'), "
                    "nextval(pg_get_serial_sequence(%(t)s, 'id')) + %(n)s - 1)",
                    {"t": table, "n": count},
                )
                (last,) = cursor.fetchone()
                return last - count + 1
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            (highest,) = cursor.fetchone()
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            seq = cursor.fetchone()
            return max(highest, seq[0] if seq else 0) + 1


@dataclass
class DemoProduct:
    pk: int
    name: str
    sku: str
    price_cents: int
    sold: int = 0
    stock_left: int = 0


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
        with transaction.atomic():
            self.skip_reference_checks()
            counts = self.load(options)
        # Only for big loads, and only when not inside a caller's transaction.
        bulky = options["orders"] >= BUILD_INDEXES_AFTER
        if bulky and self.writer.postgres and not connection.in_atomic_block:
            self.say("Vacuuming the order tables ...")
            vacuum_started = time.monotonic()
            self.writer.vacuum(BULK_TABLES)
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
        rng = random.Random(options["seed"])
        tz = timezone.get_default_timezone()
        until = options["until"] or timezone.localdate(timezone=tz)
        first_day = until - dt.timedelta(days=options["days"] - 1)
        self.tz = tz
        self.writer = RowWriter()
        # The catalogue and accounts exist from a day before the first order.
        self.opened = timezone.make_aware(
            dt.datetime.combine(first_day - dt.timedelta(days=1), dt.time(8)), tz
        )
        self.closing = timezone.make_aware(
            dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min), tz
        ).timestamp()

        staff, demo_customer = self.demo_accounts()
        customers = self.create_customers(rng, options["customers"])
        if demo_customer is not None:
            customers.insert(0, demo_customer.pk)
        categories = self.create_categories(options["categories"])
        products = self.create_products(rng, options["products"], categories)
        if options["orders"] and not customers:
            raise CommandError("Orders need customers: give --customers.")
        bulky = self.writer.postgres and options["orders"] >= BUILD_INDEXES_AFTER
        with self.writer.indexes_built_after(BULK_TABLES, enabled=bulky, say=self.say):
            n_orders, n_items = self.create_orders(
                rng,
                options["orders"],
                customers=customers,
                products=products,
                staff_id=staff.pk,
                first_day=first_day,
                until=until,
                batch_size=options["batch_size"],
            )
            self.stock_products(rng, products)
        self.writer.analyze((*BULK_TABLES, "catalog_product", "users_user"))
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

    def create_customers(self, rng: random.Random, count: int) -> list[int]:
        if not count:
            return []
        self.say(f"Creating {count:,} customers ...")
        # Hashing is slow by design: hash the demo password once and share it.
        password = make_password(DEMO_PASSWORD)
        offset = User.objects.filter(email__endswith="@" + CUSTOMER_DOMAIN).count()
        users = []
        for i in range(offset + 1, offset + count + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            joined = self.opened - dt.timedelta(days=rng.randrange(0, 720))
            users.append(
                User(
                    email=f"{first}.{last}.{i}@{CUSTOMER_DOMAIN}".lower(),
                    username=f"demo-customer-{i}",
                    first_name=first,
                    last_name=last,
                    password=password,
                    date_joined=joined,
                )
            )
        created = User.objects.bulk_create(users, batch_size=2000)
        return [u.pk for u in created]

    def create_categories(self, count: int) -> list[int]:
        offset = Category.objects.count()
        rows = []
        for i in range(count):
            base = CATEGORY_NAMES[i % len(CATEGORY_NAMES)]
            name = (
                base
                if i < len(CATEGORY_NAMES)
                else f"{base} {i // len(CATEGORY_NAMES) + 1}"
            )
            rows.append(
                Category(
                    name=name,
                    slug=f"{slugify(name)}-{offset + i + 1}",
                    description=f"Demo category: {name.lower()}.",
                )
            )
        return [c.pk for c in Category.objects.bulk_create(rows, batch_size=1000)]

    def create_products(
        self, rng: random.Random, count: int, categories: list[int]
    ) -> list[DemoProduct]:
        if not count:
            return []
        self.say(f"Creating {count:,} products ...")
        offset = Product.objects.filter(sku__startswith="DEMO-").count()
        rows, prices = [], []
        for i in range(offset + 1, offset + count + 1):
            name = (
                f"{rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {rng.choice(NOUNS)}"
            )
            # Log-uniform prices from about 3 to 400, ending in .99.
            cents = int(math.exp(rng.uniform(math.log(300), math.log(40000))))
            cents = max(cents // 100, 1) * 100 - 1
            prices.append(cents)
            rows.append(
                Product(
                    name=name,
                    slug=f"{slugify(name)}-{i}",
                    sku=f"DEMO-{i:07d}",
                    description=f"A {name.lower()} from the demo catalogue.",
                    category_id=rng.choice(categories) if categories else None,
                    price=money(cents),
                    stock=0,
                    is_active=rng.random() > 0.03,
                )
            )
        created = Product.objects.bulk_create(rows, batch_size=1000)
        # auto_now_add stamped "now"; the catalogue predates the first order.
        Product.objects.filter(pk__in=[p.pk for p in created]).update(
            created_at=self.opened, updated_at=self.opened
        )
        return [
            DemoProduct(pk=p.pk, name=p.name, sku=p.sku, price_cents=cents)
            for p, cents in zip(created, prices, strict=True)
        ]

    def stock_products(self, rng: random.Random, products: list[DemoProduct]) -> None:
        """Give every product initial stock covering its sales, as movements."""
        movements = []
        opened = self.writer.when(self.opened.timestamp())
        for product in products:
            # A few products end low on stock, so the dashboard has some.
            left = rng.randint(0, 5) if rng.random() < 0.08 else rng.randint(20, 400)
            initial = product.sold + left
            product.stock_left = left
            if initial:
                movements.append(
                    (
                        product.pk,
                        initial,
                        R.INITIAL.value,
                        "Demo initial stock",
                        None,
                        None,
                        opened,
                    )
                )
        self.writer.write("catalog_stockmovement", MOVEMENT_COLUMNS, movements)
        by_pk = {p.pk: p.stock_left for p in products}
        objs = list(Product.objects.filter(pk__in=by_pk).only("pk", "stock"))
        for obj in objs:
            obj.stock = by_pk[obj.pk]
        Product.objects.bulk_update(objs, ["stock"], batch_size=1000)

    # --- Orders -------------------------------------------------------------

    def create_orders(
        self,
        rng: random.Random,
        count: int,
        *,
        customers: list[int],
        products: list[DemoProduct],
        staff_id: int,
        first_day: dt.date,
        until: dt.date,
        batch_size: int,
    ) -> tuple[int, int]:
        if not count:
            return 0, 0
        days = (until - first_day).days + 1
        self.say(f"Creating {count:,} orders over {days} days ...")
        # Orders per day: growing over the range, busier at weekends.
        day_weights = [
            (1 + 0.5 * d / days)
            * WEEKDAY_WEIGHTS[(first_day + dt.timedelta(days=d)).weekday()]
            for d in range(days)
        ]
        per_day = Counter(rng.choices(range(days), weights=day_weights, k=count))
        # A few customers and products account for much of the business.
        customer_cum = list(
            accumulate(rng.paretovariate(1.4) for _ in range(len(customers)))
        )
        ranks = list(range(1, len(products) + 1))
        rng.shuffle(ranks)
        product_cum = list(accumulate(1 / r**0.8 for r in ranks))
        addresses = {
            c: f"{rng.randint(1, 200)} {rng.choice(STREETS)}\n{rng.choice(CITIES)}"
            for c in customers
        }
        hours = range(24)
        hour_cum = list(accumulate(HOUR_WEIGHTS))
        lines_cum = list(accumulate(LINES_WEIGHTS))
        qty_cum = list(accumulate(QUANTITY_WEIGHTS))
        n_products = len(products)
        product_total = product_cum[-1]

        next_id = self.writer.reserve_ids("orders_order", count)
        when = self.writer.when
        closing = self.closing
        orders, items, history, movements = [], [], [], []
        written = n_items = 0
        started = time.monotonic()

        for d in range(days):
            n = per_day.get(d, 0)
            if not n:
                continue
            day = first_day + dt.timedelta(days=d)
            midnight = timezone.make_aware(
                dt.datetime.combine(day, dt.time.min), self.tz
            ).timestamp()
            age = (until - day).days
            seconds = sorted(
                h * 3600 + rng.randrange(3600)
                for h in rng.choices(hours, cum_weights=hour_cum, k=n)
            )
            buyers = rng.choices(customers, cum_weights=customer_cum, k=n)
            line_counts = rng.choices(LINES_PER_ORDER, cum_weights=lines_cum, k=n)
            for second, buyer, n_lines in zip(
                seconds, buyers, line_counts, strict=True
            ):
                order_id = next_id
                next_id += 1
                placed = midnight + second
                # Distinct products per order (one line per product).
                picked: list[DemoProduct] = []
                seen = set()
                for _ in range(n_lines * 3):
                    idx = bisect_right(product_cum, rng.random() * product_total)
                    idx = min(idx, n_products - 1)
                    if idx not in seen:
                        seen.add(idx)
                        picked.append(products[idx])
                        if len(picked) == n_lines:
                            break
                quantities = rng.choices(QUANTITIES, cum_weights=qty_cum, k=len(picked))
                status, steps = self.lifecycle(rng, age, placed, closing)
                placed_at = when(placed)
                total = units = 0
                cancelled_at = when(steps[-1][1]) if status == S.CANCELLED else None
                for product, qty in zip(picked, quantities, strict=True):
                    line = product.price_cents * qty
                    total += line
                    units += qty
                    items.append(
                        (
                            order_id,
                            product.pk,
                            product.name,
                            product.sku,
                            money(product.price_cents),
                            qty,
                            money(line),
                            placed_at,
                        )
                    )
                    movements.append(
                        (
                            product.pk,
                            -qty,
                            R.ORDER.value,
                            "",
                            order_id,
                            buyer,
                            placed_at,
                        )
                    )
                    if cancelled_at is not None:
                        movements.append(
                            (
                                product.pk,
                                qty,
                                R.CANCELLATION.value,
                                "",
                                order_id,
                                staff_id,
                                cancelled_at,
                            )
                        )
                    else:
                        product.sold += qty
                history.append((order_id, "", S.PENDING.value, buyer, "", placed_at))
                previous = S.PENDING.value
                last_at = placed_at
                for to_status, at in steps:
                    last_at = when(at)
                    history.append(
                        (order_id, previous, to_status, staff_id, "", last_at)
                    )
                    previous = to_status
                orders.append(
                    (
                        order_id,
                        buyer,
                        status,
                        money(total),
                        units,
                        len(picked),
                        addresses[buyer],
                        "",
                        placed_at,
                        last_at,
                    )
                )
                n_items += len(picked)
                if len(orders) >= batch_size:
                    written += self.flush_orders(orders, items, history, movements)
                    self.progress(written, count, n_items, started)
        written += self.flush_orders(orders, items, history, movements)
        self.progress(written, count, n_items, started)
        return written, n_items

    @staticmethod
    def lifecycle(
        rng: random.Random, age: int, placed: float, closing: float
    ) -> tuple[str, list[tuple[str, float]]]:
        """Final status of an order `age` days old and the moves that led there."""
        roll = rng.random()
        if roll < CANCEL_RATE:
            target = S.CANCELLED
        elif age == 0:
            target = S.PENDING if roll < 0.6 else S.PROCESSING
        elif age <= 2:
            target = (
                S.PENDING if roll < 0.12 else S.PROCESSING if roll < 0.45 else S.SHIPPED
            )
        elif age <= 6:
            target = (
                S.PROCESSING if roll < 0.1 else S.SHIPPED if roll < 0.5 else S.DELIVERED
            )
        else:
            target = S.SHIPPED if roll < 0.06 else S.DELIVERED
        # Hours after the previous step that each move happens.
        gaps = {
            S.PROCESSING: (1, 20),
            S.SHIPPED: (6, 40),
            S.DELIVERED: (20, 90),
            S.CANCELLED: (0.2, 24),
        }
        path = {
            S.PENDING: [],
            S.PROCESSING: [S.PROCESSING],
            S.SHIPPED: [S.PROCESSING, S.SHIPPED],
            S.DELIVERED: [S.PROCESSING, S.SHIPPED, S.DELIVERED],
            S.CANCELLED: [S.PROCESSING, S.CANCELLED]
            if rng.random() < 0.3
            else [S.CANCELLED],
        }[target]
        steps = []
        at = placed
        for status in path:
            low, high = gaps[status]
            # Never in the future: squeeze late steps before the range closes.
            at = max(at, min(at + rng.uniform(low, high) * 3600, closing - 1))
            steps.append((status.value, at))
        return target.value, steps

    def flush_orders(self, orders, items, history, movements) -> int:
        written = len(orders)
        for table, columns, rows in (
            ("orders_order", ORDER_COLUMNS, orders),
            ("orders_orderitem", ITEM_COLUMNS, items),
            ("orders_orderstatuschange", HISTORY_COLUMNS, history),
            ("catalog_stockmovement", MOVEMENT_COLUMNS, movements),
        ):
            started = time.monotonic()
            self.writer.write(table, columns, rows)
            if self.verbosity >= 2:
                self.stdout.write(
                    f"    {table}: {len(rows):,} rows in "
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
