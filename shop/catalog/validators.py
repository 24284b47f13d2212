"""SKU and slug rules, in one place for the model, the admin, the API and import.

SKUs and slugs are unique case-insensitively, so they are stored normalised:
SKUs upper-case, slugs lower-case, both without surrounding blanks. The
model fields carry the validators (the admin's ModelForm runs them through
`full_clean`), the API serializers and `import_products` reuse them, and
the model's `save()` and the CHECK constraints keep the stored form.
"""

import re

from django.core.validators import RegexValidator

SKU_MAX_LENGTH = 64
SLUG_MAX_LENGTH = 200
SKU_MESSAGE = "Use letters, digits and . _ / - only, starting with a letter or digit."
SLUG_MESSAGE = "Use lower-case letters, digits, hyphens and underscores only."

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*\Z")
SLUG_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+\Z")

sku_validator = RegexValidator(SKU_PATTERN, SKU_MESSAGE, code="invalid_sku")
slug_validator = RegexValidator(SLUG_PATTERN, SLUG_MESSAGE, code="invalid_slug")


def sku_normalize(value: str) -> str:
    """The stored form of a SKU: no surrounding blanks, upper-case."""
    return value.strip().upper()


def slug_normalize(value: str) -> str:
    """The stored form of a slug: no surrounding blanks, lower-case."""
    return value.strip().lower()


def sku_problem(value: str) -> str | None:
    """Why a normalised SKU is refused, or None when it is fine."""
    if not value:
        return "sku is required"
    if len(value) > SKU_MAX_LENGTH or not SKU_PATTERN.match(value):
        return f"sku {value!r} is invalid (letters, digits, . _ / -; max 64)"
    return None


def slug_problem(value: str) -> str | None:
    """Why a normalised slug is refused, or None when it is fine."""
    if len(value) > SLUG_MAX_LENGTH or not SLUG_PATTERN.match(value):
        return f"{value!r} is not a valid slug"
    return None
