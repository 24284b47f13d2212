"""Product images: validation, storage naming and URLs.

Files go to Django's default storage (STORAGES["default"]): MEDIA_ROOT
locally, an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set.
Storing an image on a product is a service: shop.catalog.services.images.
"""

import uuid
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_SIDE = 4096
# Pillow format name -> file extension stored.
IMAGE_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


def image_format_detect(file) -> str:
    """Pillow's format name of `file`, or ValidationError if it is not allowed."""
    file.seek(0)
    try:
        with Image.open(file) as image:
            width, height = image.size
            image_format = image.format
            image.verify()
    except Image.DecompressionBombError as exc:
        raise ValidationError(
            "The image has too many pixels.", code="image_too_many_pixels"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            "Upload a valid JPEG, PNG or WebP image.", code="invalid_image"
        ) from exc
    finally:
        file.seek(0)
    if image_format not in IMAGE_FORMATS:
        raise ValidationError(
            "Upload a valid JPEG, PNG or WebP image.", code="invalid_image"
        )
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise ValidationError(
            f"The image may be at most {MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE} pixels "
            f"(this one is {width}x{height}).",
            code="image_too_many_pixels",
        )
    return image_format


def validate_product_image(file) -> None:
    """At most 5 MB and 4096x4096 pixels, JPEG, PNG or WebP by content."""
    if getattr(file, "_committed", False):
        # Already stored and validated on upload; do not download it again.
        return
    if file.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            f"The image may be at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB.",
            code="image_too_large",
        )
    image_format_detect(file)


def product_image_path(instance, filename: str) -> str:
    """A fresh, unguessable name: the client's file name is never trusted."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".jpeg":
        suffix = ".jpg"
    if suffix not in IMAGE_FORMATS.values():
        suffix = ""
    return f"products/{uuid.uuid4().hex}{suffix}"


def product_image_url(name, request=None) -> str | None:
    """Absolute URL of a stored image (name or FieldFile), None when there is none."""
    name = getattr(name, "name", name)
    if not name:
        return None
    url = default_storage.url(name)
    if request is not None and url.startswith("/"):
        url = request.build_absolute_uri(url)
    return url
