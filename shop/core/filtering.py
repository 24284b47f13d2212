"""Query-string filters that take exactly what the schema says they take.

django-filter's own fields are lenient: a NumberFilter takes `1e3` and
` 5`, a BooleanFilter drops what it cannot read, an empty value switches a
filter off. Here each filter's form field checks the one text form its
schema gives (`openapi_schema()`, published by `StrictFilterExtension`), and
`StrictFilterSet` refuses a parameter given twice or given empty (except
free text).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import django_filters
from django import forms
from django.utils import dateparse, timezone
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import build_parameter_type
from drf_spectacular.utils import OpenApiParameter

from shop.core.strict import MAX_ID, NO_NUL, query_bool, query_int, repeated_params


class _StrictField(forms.Field):
    """A form field whose value is None when absent, and checked when given."""

    default_error_messages = {"invalid": "Enter a valid value."}

    def to_python(self, value):
        if value is None:
            return None
        try:
            return self.parse(value)
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from None

    def parse(self, value: str):
        raise NotImplementedError

    def openapi_schema(self) -> dict:
        raise NotImplementedError


class IdField(_StrictField):
    default_error_messages = {"invalid": "Give an id: a whole number from 1."}

    def parse(self, value):
        return query_int(value, minimum=1, maximum=MAX_ID)

    def openapi_schema(self):
        return {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}


class BoolField(_StrictField):
    default_error_messages = {"invalid": "Give true or false."}

    def parse(self, value):
        return query_bool(value)

    def openapi_schema(self):
        return {"type": "boolean"}


class PatternField(_StrictField):
    """A string matching `pattern`, at most `max_length` long, as given."""

    def __init__(self, *, pattern: str, max_length: int, convert=None, **kwargs):
        super().__init__(**kwargs)
        self.pattern = pattern
        self.regex = re.compile(pattern)
        self.max_length = max_length
        self.convert = convert

    def parse(self, value):
        if len(value) > self.max_length or not self.regex.search(value):
            raise ValueError(value)
        return self.convert(value) if self.convert else value

    def openapi_schema(self):
        return {"type": "string", "maxLength": self.max_length, "pattern": self.pattern}


class DateTimeField(_StrictField):
    """An ISO 8601 date-time (or a date: its midnight), in UTC for the query.

    RFC 3339 allows offsets up to 23:59, PostgreSQL only up to 15:59, so
    the value is converted before it reaches SQL.
    """

    default_error_messages = {"invalid": "Give an ISO 8601 date-time or date."}

    def parse(self, value):
        moment = dateparse.parse_datetime(value)
        if moment is None:
            day = dateparse.parse_date(value)
            if day is None:
                raise ValueError(value)
            moment = dt.datetime.combine(day, dt.time())
        try:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            return moment.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise ValueError(value) from None

    def openapi_schema(self):
        return {"type": "string", "format": "date-time"}


def money_pattern(*, whole_digits: int, places: int = 2) -> str:
    return f"^(?:0|[1-9][0-9]{{0,{whole_digits - 1}}})(?:\\.[0-9]{{1,{places}}})?$"


class DateTimeFilter(django_filters.Filter):
    field_class = DateTimeField


class IdFilter(django_filters.Filter):
    field_class = IdField


class BoolFilter(django_filters.Filter):
    field_class = BoolField


class PatternFilter(django_filters.Filter):
    field_class = PatternField


class TextFilter(PatternFilter):
    """Free text: anything but NUL characters."""

    def __init__(self, *args, max_length: int = 100, **kwargs):
        super().__init__(*args, pattern=NO_NUL, max_length=max_length, **kwargs)


class MoneyFilter(PatternFilter):
    """A non-negative amount with at most two decimal places, as text."""

    def __init__(self, *args, whole_digits: int = 10, **kwargs):
        super().__init__(
            *args,
            pattern=money_pattern(whole_digits=whole_digits),
            max_length=whole_digits + 3,
            convert=Decimal,
            **kwargs,
        )


class StrictFilterSet(django_filters.FilterSet):
    """Refuses a filter given twice, or given empty unless it is free text."""

    def is_valid(self):
        valid = super().is_valid()
        params = self.data
        for name in repeated_params(params, self.filters):
            self.form.add_error(name, "Give this parameter once.")
            valid = False
        for name, filter_ in self.filters.items():
            free_text = isinstance(filter_, TextFilter | django_filters.CharFilter)
            if params.get(name) == "" and not free_text:
                if name not in self.form.errors:
                    self.form.add_error(name, "May not be empty.")
                valid = False
        return valid


class StrictFilterExtension(DjangoFilterExtension):
    """django-filter parameters, with the exact schema of the strict fields."""

    priority = 1

    def resolve_filter_field(
        self, auto_schema, model, filterset_class, field_name, filter_field
    ):
        form_field = filter_field.field
        if isinstance(form_field, _StrictField):
            return [
                build_parameter_type(
                    name=field_name,
                    required=filter_field.extra["required"],
                    location=OpenApiParameter.QUERY,
                    description=self._get_field_description(filter_field, None),
                    schema=form_field.openapi_schema(),
                )
            ]
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        return parameters
