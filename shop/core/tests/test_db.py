import datetime

import pytest
from django.db import connection

from shop.core.db import driver_timestamps

pytestmark = pytest.mark.django_db

STAMPS_SQL = (
    "SELECT TIMESTAMPTZ '2026-03-29 01:30:00+00',"
    " TIMESTAMPTZ '2026-11-29 23:20:01.000250+05:30'"
)


def _stamps(fast: bool):
    with connection.cursor() as cursor:
        if fast:
            driver_timestamps(cursor)
        cursor.execute(STAMPS_SQL)
        return cursor.fetchone(), cursor


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL loader")
def test_the_driver_loads_the_same_aware_instants_as_django():
    django_rows, _ = _stamps(fast=False)
    driver_rows, cursor = _stamps(fast=True)

    assert driver_rows == django_rows
    assert driver_rows[1] == datetime.datetime(
        2026, 11, 29, 17, 50, 1, 250, tzinfo=datetime.UTC
    )
    assert all(value.utcoffset() == datetime.timedelta(0) for value in driver_rows)
    # Only that cursor changed: the connection keeps Django's loader.
    oid = cursor.cursor.adapters.types["timestamptz"].oid
    connection_loader = connection.connection.adapters.get_loader(oid, 0)
    assert "SpecificTzLoader" in connection_loader.__name__


def test_other_databases_are_left_alone():
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL: covered by the test above")
    with connection.cursor() as cursor:
        driver_timestamps(cursor)
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
