from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings

from shop.catalog.tests.factories import ProductFactory
from shop.orders.tests.helpers import place

pytestmark = pytest.mark.django_db


@override_settings(USE_THOUSAND_SEPARATOR=True, LANGUAGE_CODE="de")
def test_order_email_writes_amounts_as_the_api_does(
    customer, django_capture_on_commit_callbacks
):
    product = ProductFactory(price=Decimal("1234.50"), stock=5)

    with django_capture_on_commit_callbacks(execute=True):
        place(customer, {product: 2})

    (email,) = mail.outbox
    html = email.alternatives[0][0]
    for body in (email.body, html):
        assert "2469.00" in body and "1234.50" in body
