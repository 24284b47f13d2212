from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from shop.catalog.models import Category, Product, StockMovement
from shop.catalog.tests.factories import CategoryFactory, ProductFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [("price", Decimal("0")), ("price", Decimal("-1.00")), ("stock", -1)],
)
def test_database_refuses_bad_price_and_stock(field, value):
    product = ProductFactory()
    setattr(product, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        # A plain UPDATE: no model or form validation runs, only the database.
        Product.objects.filter(pk=product.pk).update(**{field: value})


@pytest.mark.django_db
def test_database_refuses_a_zero_movement():
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(product=product, delta=0, reason="adjustment")


@pytest.mark.django_db
def test_sku_and_slug_are_stored_normalised():
    product = ProductFactory(sku="  ab-1 ", slug="Blue-Mug")
    category = CategoryFactory(slug="Garden")
    product.refresh_from_db()
    assert (product.sku, product.slug) == ("AB-1", "blue-mug")
    assert Category.objects.get(pk=category.pk).slug == "garden"


@pytest.mark.django_db
def test_search_indexes_exist_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL-only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_product'"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert {"product_name_trgm", "product_sku_trgm"} <= names


@pytest.mark.django_db(transaction=True)
def test_catalog_migrations_reverse_to_zero_and_back():
    # orders depends on catalog, so unapplying catalog unapplies orders too;
    # everything is migrated forward again at the end.
    call_command("migrate", "catalog", "zero", verbosity=0)
    tables = connection.introspection.table_names()
    assert "catalog_product" not in tables
    assert "orders_orderitem" not in tables
    call_command("migrate", verbosity=0)
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert "catalog_product" in connection.introspection.table_names()
    ProductFactory()
