"""Seed a system-check database: staff, two customers, categories, products.

Run as ``python -m tests.system.seed`` with DJANGO_SETTINGS_MODULE and
DATABASE_URL set; stock goes through the ledger so check_stock holds.
"""

import argparse
from decimal import Decimal


def seed(*, products: int, stock: int, orders: int) -> None:
    from shop.catalog.models import Category, Product, StockMovement
    from shop.users.models import User
    from shop.users.services import user_make_staff
    from tests.system import harness

    staff = User.objects.create_user(
        email=harness.STAFF_EMAIL, password=harness.PASSWORD, username="fuzzstaff"
    )
    user_make_staff(user=staff)
    customers = [
        User.objects.create_user(
            email=email, password=harness.PASSWORD, username=username
        )
        for email, username in (
            (harness.CUSTOMER_EMAIL, "fuzzcustomer"),
            (harness.OTHER_EMAIL, "fuzzother"),
        )
    ]
    categories = [
        Category.objects.create(name=f"Category {i}", slug=f"category-{i}")
        for i in range(1, 4)
    ]
    for i in range(1, products + 1):
        product = Product.objects.create(
            name=f"Product {i}",
            slug=f"product-{i}",
            sku=f"SYS-{i:05d}",
            description=f"System check product number {i}",
            category=categories[i % len(categories)],
            price=Decimal("9.99") + i,
            stock=stock,
        )
        StockMovement.objects.create(
            product=product, delta=stock, reason=StockMovement.Reason.INITIAL
        )

    _place_orders(customers, orders)


def _place_orders(customers, count: int) -> None:
    """Orders at low ids, so fuzzed ids often name real ones (own and others')."""
    from shop.catalog.models import Product
    from shop.orders.services import LineRequest, order_place

    product_ids = list(Product.objects.values_list("pk", flat=True)[:5])
    for i in range(count):
        order_place(
            customer=customers[i % 2],
            lines=[LineRequest(product_id=product_ids[i % 5], quantity=1)],
        )


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--stock", type=int, default=100000)
    parser.add_argument("--orders", type=int, default=0)
    args = parser.parse_args()
    django.setup()
    seed(products=args.products, stock=args.stock, orders=args.orders)


if __name__ == "__main__":
    main()
