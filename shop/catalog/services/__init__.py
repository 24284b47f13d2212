"""Catalogue services: every write that keeps an invariant."""

from shop.catalog.services.images import product_image_set
from shop.catalog.services.products import (
    CategoryInUse,
    ProductInUse,
    category_delete,
    product_create,
    product_delete,
    product_slug_generate,
    product_update,
    products_set_active,
)
from shop.catalog.services.stock import (
    MAX_STOCK,
    InsufficientStock,
    StockChanged,
    StockOutOfRange,
    products_lock,
    stock_adjust,
    stock_return_many,
    stock_set,
    stock_set_many,
    stock_take_many,
)

__all__ = [
    "MAX_STOCK",
    "CategoryInUse",
    "InsufficientStock",
    "ProductInUse",
    "StockChanged",
    "StockOutOfRange",
    "category_delete",
    "product_create",
    "product_delete",
    "product_image_set",
    "product_slug_generate",
    "product_update",
    "products_lock",
    "products_set_active",
    "stock_adjust",
    "stock_return_many",
    "stock_set",
    "stock_set_many",
    "stock_take_many",
]
