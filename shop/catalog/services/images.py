"""Storing and removing a product's image."""

from django.core.files import File
from django.db import transaction

from shop.catalog.images import IMAGE_FORMATS, image_format_detect
from shop.catalog.models import Product


def product_image_set(*, product: Product, image: File | None) -> None:
    """Store `image` as the product's picture (None removes it).

    The previous file is deleted only after the database change commits, so
    a failed save never leaves a product pointing at a missing file.
    """
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        old_name = locked.image.name
        if image is None:
            locked.image = None
        else:
            image_format = image_format_detect(image)
            image.name = f"upload{IMAGE_FORMATS[image_format]}"
            locked.image.save(image.name, image, save=False)
        locked.save(update_fields=["image", "updated_at"])
        if old_name and old_name != locked.image.name:
            storage = locked.image.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    product.image = locked.image
    product.updated_at = locked.updated_at
