"""Input is taken as the OpenAPI schema describes it, and nothing looser.

DRF coerces generously: "5", 5.0 and true pass an IntegerField, 5 passes a
CharField, "yes" a BooleanField, 1e2 a DecimalField, and a query parameter
that does not parse is often just ignored. A client written against the
schema must be able to trust that what the schema forbids is refused (400),
and what it allows is taken; the helpers here make the validation and the
schema say the same thing:

- `StrictJSONMixin` for input serializers: each field gets exactly the JSON
  type the schema gives it (no bool for an integer, no number for a string,
  a decimal as a string matching `decimal_pattern`).
- `text_pattern` / `decimal_pattern`: the `pattern` the schema publishes for
  strings and decimals (shop.core.schema adds them), which the fields enforce.
- `query_int` / `query_bool` / `repeated_params`: strict query parameters.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.validators import EmailValidator, RegexValidator, URLValidator
from rest_framework import serializers

# Largest value a bigint primary key can hold.
MAX_ID = 2**63 - 1

_INT_RE = re.compile(r"^[0-9]+\Z")
# Strings: DRF refuses NUL characters, and blank text unless allow_blank
# (after trimming surrounding whitespace).
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


def text_pattern(field: serializers.CharField) -> str | None:
    """The pattern a CharField's own validation implies, if it has no other."""
    if isinstance(field, serializers.ChoiceField):
        return None
    for validator in field.validators:
        if isinstance(validator, RegexValidator | EmailValidator | URLValidator):
            return None
    if isinstance(field, serializers.EmailField | serializers.URLField):
        return None
    if field.allow_blank:
        return NO_NUL
    if field.trim_whitespace:
        return NOT_BLANK
    return "^[^\\u0000]+$"


def decimal_pattern(field: serializers.DecimalField) -> str:
    """A regex for exactly the decimal strings the field takes.

    Supports the bounds the API uses: none (any sign), 0 (no minus) and the
    smallest positive step (no minus, not zero).
    """
    places = field.decimal_places or 0
    whole = (field.max_digits or 20) - places
    fraction = f"(?:\\.[0-9]{{1,{places}}})?" if places else ""
    minimum = field.min_value
    if minimum is None or Decimal(minimum) < 0:
        return f"^-?(?:0|[1-9][0-9]{{0,{whole - 1}}}){fraction}$"
    if Decimal(minimum) == 0 or not places:
        start = "0|" if Decimal(minimum) == 0 else ""
        return f"^(?:{start}[1-9][0-9]{{0,{whole - 1}}}){fraction}$"
    if Decimal(minimum) != Decimal(1).scaleb(-places):
        raise ValueError(f"no pattern for a minimum of {minimum}")
    # Zero in front: some fraction digit must be non-zero.
    nonzero = "|".join(
        "0" * k + f"[1-9][0-9]{{0,{places - 1 - k}}}" for k in range(places)
    )
    return f"^(?:[1-9][0-9]{{0,{whole - 1}}}{fraction}|0\\.(?:{nonzero}))$"


def _json_type_error(field, value) -> str | None:
    """Why `value` is not the JSON type the schema gives `field`, or None."""
    if value is None:
        return None  # allow_null is DRF's to check.
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, serializers.IntegerField):
        if type(value) is not int:
            return "A valid integer is required: a JSON whole number, not in quotes."
        return None
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        if type(value) is not int:
            return "An id is required: a JSON whole number, not in quotes."
        if not 1 <= value <= MAX_ID:
            return f"Invalid pk {value!r} - object does not exist."
        return None
    if isinstance(field, serializers.DecimalField):
        if not isinstance(value, str):
            return 'A decimal is required as a string, e.g. "9.99".'
        if not re.match(decimal_pattern(field), value):
            return "Not a valid amount for this field."
        return None
    if isinstance(field, serializers.CharField | serializers.ChoiceField):
        if not isinstance(value, str):
            return "A string is required."
        max_length = getattr(field, "max_length", None)
        if max_length is not None and len(value) > max_length:
            # DRF would measure after trimming surrounding whitespace.
            return f"Ensure this field has no more than {max_length} characters."
        return None
    if isinstance(field, serializers.DateField | serializers.DateTimeField):
        return None if isinstance(value, str) else "A date string is required."
    return None


# Checks every field's JSON type before DRF coerces it (see the module doc).
# A comment, not a docstring: drf-spectacular would publish a docstring as
# the description of every input component that has none of its own.
class StrictJSONMixin:
    def to_internal_value(self, data):
        errors = {}
        if isinstance(data, dict):
            for name, field in self.fields.items():
                if not field.read_only and name in data:
                    problem = _json_type_error(field, data[name])
                    if problem:
                        errors[name] = [problem]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


# --- Query parameters --------------------------------------------------------


def repeated_params(query_params, names) -> list[str]:
    """Names among `names` given more than once (each is a single value)."""
    return sorted(n for n in names if len(query_params.getlist(n)) > 1)


def query_int(value: str, *, minimum: int, maximum: int) -> int:
    """A decimal digit string within bounds, or ValueError."""
    if not _INT_RE.match(value):
        raise ValueError(value)
    number = int(value)
    if not minimum <= number <= maximum:
        raise ValueError(value)
    return number


def query_bool(value: str) -> bool:
    """`true` or `false` as the schema writes booleans, or ValueError."""
    if value == "true":
        return True
    if value == "false":
        return False
    raise ValueError(value)


class NonZeroIntegerField(serializers.IntegerField):
    """An integer other than 0; the schema says so with `not: {enum: [0]}`."""

    default_error_messages = {"zero": "May not be zero."}
    openapi_extra = {"not": {"enum": [0]}}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value == 0:
            self.fail("zero")
        return value


_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


class QueryDateField(serializers.DateField):
    """A query-string date exactly as `format: date` writes it: YYYY-MM-DD.

    DRF (via Python's fromisoformat) also takes `20240105` and `2024-1-5`.
    """

    def to_internal_value(self, value):
        if not isinstance(value, str) or not _DATE_RE.match(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class QueryIntegerField(serializers.IntegerField):
    """A query-string integer as decimal digits only (no `5.0`, ` 5`, `+5`)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _INT_RE.match(data):
            self.fail("invalid")
        return super().to_internal_value(data)
