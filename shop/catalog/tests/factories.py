from decimal import Decimal

import factory

from shop.catalog.models import Category, Product, StockMovement


class CategoryFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")

    class Meta:
        model = Category


class ProductFactory(factory.django.DjangoModelFactory):
    """A product whose stock is backed by an initial ledger movement."""

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    description = factory.Faker("sentence")
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("10.00")
    stock = 10
    is_active = True

    class Meta:
        model = Product
        skip_postgeneration_save = True

    @factory.post_generation
    def ledger(obj, create, extracted, **kwargs):
        if create and obj.stock:
            StockMovement.objects.create(
                product=obj, delta=obj.stock, reason=StockMovement.Reason.INITIAL
            )
