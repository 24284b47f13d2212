import logging

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings

from shop.orders.models import Order
from shop.orders.services import order_transition
from shop.orders.tests.helpers import place

pytestmark = pytest.mark.django_db


def test_placed_email_is_sent_after_commit(
    customer, product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order = place(customer, {product: 2})
        assert mail.outbox == []  # nothing before the commit

    assert len(callbacks) == 2  # the mail, and the orders-placed counter
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [customer.email]
    assert f"#{order.pk}" in message.subject
    assert product.name in message.body
    assert str(order.total) in message.body
    html = message.alternatives[0]
    assert product.name in html[0] and html[1] == "text/html"


def test_shipped_email_is_sent_after_commit(
    customer, placed_order, staff, django_capture_on_commit_callbacks
):
    order_transition(order_id=placed_order.pk, to_status="processing", by_user=staff)
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=placed_order.pk, to_status="shipped", by_user=staff)

    assert len(mail.outbox) == 1
    assert "shipped" in mail.outbox[0].subject
    assert mail.outbox[0].to == [customer.email]


def test_other_moves_send_no_email(
    placed_order, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order_transition(order_id=placed_order.pk, to_status="processing")
        order_transition(order_id=placed_order.pk, to_status="cancelled")
    assert callbacks == []
    assert mail.outbox == []


def test_rolled_back_order_sends_no_email(
    customer, product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                place(customer, {product: 1})
                raise RuntimeError("payment step failed")

    assert callbacks == []
    assert mail.outbox == []
    assert not Order.objects.exists()


@override_settings(EMAIL_BACKEND="shop.orders.tests.test_notifications.BrokenBackend")
def test_failing_mail_server_is_logged_and_the_order_kept(
    customer, product, django_capture_on_commit_callbacks, caplog
):
    with caplog.at_level(logging.ERROR, logger="shop.orders.services.notifications"):
        with django_capture_on_commit_callbacks(execute=True):
            order = place(customer, {product: 1})

    assert Order.objects.filter(pk=order.pk).exists()
    assert "could not send" in caplog.text


@override_settings(EMAIL_BACKEND="shop.orders.tests.test_notifications.BrokenBackend")
def test_failing_mail_server_does_not_break_the_api(
    customer_client, product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(
            "/api/v1/orders/", {"items": [{"product": product.pk, "quantity": 1}]}
        )
    assert response.status_code == 201


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")
