"""Demo data, generated: plain Python, no database, same seed → same rows.

Everything is drawn from one ``random.Random(seed)`` and dated relative to
``until`` in the given time zone. Rows refer to each other by position
(customer 3, product 17); the loader maps positions to primary keys. Order
amounts come from ``shop.orders.totals``, as checkout's do.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from django.utils.text import slugify

from shop.catalog.models import StockMovement
from shop.orders.models import Order
from shop.orders.totals import OrderTotals, order_totals

S = Order.Status
R = StockMovement.Reason

DEMO_STAFF_EMAIL = "staff@example.com"
DEMO_CUSTOMER_EMAIL = "customer@example.com"
DEMO_PASSWORD = "shop-demo-password"
CUSTOMER_DOMAIN = "customers.example.com"

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

# Hours after the previous step that each move happens.
STEP_GAPS = {
    S.PROCESSING: (1, 20),
    S.SHIPPED: (6, 40),
    S.DELIVERED: (20, 90),
    S.CANCELLED: (0.2, 24),
}


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    email: str
    username: str
    first_name: str
    last_name: str
    date_joined: dt.datetime


@dataclass(frozen=True, slots=True)
class DemoCategory:
    name: str
    slug: str
    description: str


@dataclass(slots=True)
class DemoProduct:
    name: str
    slug: str
    sku: str
    description: str
    category: int | None  # position in the categories, None without any
    price: Decimal
    is_active: bool
    sold: int = 0  # units on orders that were not cancelled
    stock: int = 0  # what is left once every order is placed


@dataclass(frozen=True, slots=True)
class DemoOrder:
    customer: int  # position in the customers
    placed: float  # epoch seconds
    status: str
    steps: list[tuple[str, float]]  # (status, epoch) after pending, in order
    lines: list[tuple[int, int]]  # (product position, quantity)
    address: str
    totals: OrderTotals

    @property
    def cancelled_at(self) -> float | None:
        return self.steps[-1][1] if self.status == S.CANCELLED else None


@dataclass
class DemoGenerator:
    """One demo data set; call the methods in order (they share one stream)."""

    seed: int
    until: dt.date
    days: int
    tz: dt.tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.first_day = self.until - dt.timedelta(days=self.days - 1)
        # The catalogue and accounts exist from a day before the first order.
        self.opened = dt.datetime.combine(
            self.first_day - dt.timedelta(days=1), dt.time(8), tzinfo=self.tz
        )
        self.closing = dt.datetime.combine(
            self.until + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz
        ).timestamp()

    def customers(self, count: int, *, offset: int = 0) -> list[DemoCustomer]:
        """`count` customers numbered after the `offset` already there."""
        rng = self.rng
        out = []
        for i in range(offset + 1, offset + count + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            out.append(
                DemoCustomer(
                    email=f"{first}.{last}.{i}@{CUSTOMER_DOMAIN}".lower(),
                    username=f"demo-customer-{i}",
                    first_name=first,
                    last_name=last,
                    date_joined=self.opened - dt.timedelta(days=rng.randrange(720)),
                )
            )
        return out

    @staticmethod
    def categories(count: int, *, offset: int = 0) -> list[DemoCategory]:
        out = []
        for i in range(count):
            base = CATEGORY_NAMES[i % len(CATEGORY_NAMES)]
            name = (
                base
                if i < len(CATEGORY_NAMES)
                else f"{base} {i // len(CATEGORY_NAMES) + 1}"
            )
            out.append(
                DemoCategory(
                    name=name,
                    slug=f"{slugify(name)}-{offset + i + 1}",
                    description=f"Demo category: {name.lower()}.",
                )
            )
        return out

    def products(
        self, count: int, *, categories: int, offset: int = 0
    ) -> list[DemoProduct]:
        """`count` products (SKUs after `offset`) spread over `categories`."""
        rng = self.rng
        out = []
        for i in range(offset + 1, offset + count + 1):
            name = (
                f"{rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {rng.choice(NOUNS)}"
            )
            # Log-uniform prices from about 3 to 400, ending in .99.
            cents = int(math.exp(rng.uniform(math.log(300), math.log(40000))))
            cents = max(cents // 100, 1) * 100 - 1
            out.append(
                DemoProduct(
                    name=name,
                    slug=f"{slugify(name)}-{i}",
                    sku=f"DEMO-{i:07d}",
                    description=f"A {name.lower()} from the demo catalogue.",
                    category=rng.randrange(categories) if categories else None,
                    price=Decimal(cents).scaleb(-2),
                    is_active=rng.random() > 0.03,
                )
            )
        return out

    def orders(
        self, count: int, *, customers: int, products: list[DemoProduct]
    ) -> Iterator[DemoOrder]:
        """`count` orders over the days up to `until`, oldest first.

        Counts what each product sold (cancelled orders give theirs back) in
        `DemoProduct.sold`, for :meth:`stock`.
        """
        if not count:
            return
        if not customers or not products:
            raise ValueError("Orders need customers and products.")
        rng, days, first_day = self.rng, self.days, self.first_day
        # Orders per day: growing over the range, busier at weekends.
        day_weights = [
            (1 + 0.5 * d / days)
            * WEEKDAY_WEIGHTS[(first_day + dt.timedelta(days=d)).weekday()]
            for d in range(days)
        ]
        per_day = Counter(rng.choices(range(days), weights=day_weights, k=count))
        # A few customers and products account for much of the business.
        customer_cum = list(
            accumulate(rng.paretovariate(1.4) for _ in range(customers))
        )
        ranks = list(range(1, len(products) + 1))
        rng.shuffle(ranks)
        product_cum = list(accumulate(1 / r**0.8 for r in ranks))
        addresses = [
            f"{rng.randint(1, 200)} {rng.choice(STREETS)}\n{rng.choice(CITIES)}"
            for _ in range(customers)
        ]
        everyone = range(customers)
        hours = range(24)
        hour_cum = list(accumulate(HOUR_WEIGHTS))
        lines_cum = list(accumulate(LINES_WEIGHTS))
        qty_cum = list(accumulate(QUANTITY_WEIGHTS))
        n_products = len(products)
        product_total = product_cum[-1]

        for d in range(days):
            n = per_day.get(d, 0)
            if not n:
                continue
            day = first_day + dt.timedelta(days=d)
            midnight = dt.datetime.combine(day, dt.time.min, tzinfo=self.tz).timestamp()
            age = (self.until - day).days
            seconds = sorted(
                h * 3600 + rng.randrange(3600)
                for h in rng.choices(hours, cum_weights=hour_cum, k=n)
            )
            buyers = rng.choices(everyone, cum_weights=customer_cum, k=n)
            line_counts = rng.choices(LINES_PER_ORDER, cum_weights=lines_cum, k=n)
            for second, buyer, n_lines in zip(
                seconds, buyers, line_counts, strict=True
            ):
                placed = midnight + second
                # Distinct products per order (one line per product).
                picked: list[int] = []
                for _ in range(n_lines * 3):
                    idx = bisect_right(product_cum, rng.random() * product_total)
                    idx = min(idx, n_products - 1)
                    if idx not in picked:
                        picked.append(idx)
                        if len(picked) == n_lines:
                            break
                quantities = rng.choices(QUANTITIES, cum_weights=qty_cum, k=len(picked))
                status, steps = self._lifecycle(age, placed)
                lines = list(zip(picked, quantities, strict=True))
                if status != S.CANCELLED:
                    for idx, qty in lines:
                        products[idx].sold += qty
                yield DemoOrder(
                    customer=buyer,
                    placed=placed,
                    status=status,
                    steps=steps,
                    lines=lines,
                    address=addresses[buyer],
                    totals=order_totals((products[i].price, q) for i, q in lines),
                )

    def stock(self, products: list[DemoProduct]) -> list[int]:
        """Each product's initial stock: its sales plus what is left.

        Sets `DemoProduct.stock` to what is left; a few end low on stock, so
        the dashboard has some.
        """
        rng = self.rng
        initial = []
        for product in products:
            left = rng.randint(0, 5) if rng.random() < 0.08 else rng.randint(20, 400)
            product.stock = left
            initial.append(product.sold + left)
        return initial

    def _lifecycle(
        self, age: int, placed: float
    ) -> tuple[str, list[tuple[str, float]]]:
        """Final status of an order `age` days old and the moves that led there."""
        rng = self.rng
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
            low, high = STEP_GAPS[status]
            # Never in the future: squeeze late steps before the range closes.
            at = max(at, min(at + rng.uniform(low, high) * 3600, self.closing - 1))
            steps.append((status.value, at))
        return target.value, steps
