import logging

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from shop.orders.models import Order
from shop.orders.services import order_cancel, order_transition
from shop.orders.tests.helpers import place
from shop.outbox.models import Delivery
from shop.outbox.services import Outcome, delivery_run

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


def test_cancelled_email_is_sent_after_commit(
    customer, placed_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=placed_order.pk, by_user=customer)

    (message,) = mail.outbox
    assert "cancelled" in message.subject
    assert f"#{placed_order.pk}" in message.subject
    assert message.to == [customer.email]


def test_other_moves_send_no_email(
    placed_order, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=placed_order.pk, to_status="processing")
    assert mail.outbox == []
    assert not Delivery.objects.filter(
        handler__startswith="orders.mail", event__type="order.status_changed"
    ).exists()


def test_each_mail_is_one_delivery_of_its_event(
    customer, product, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place(customer, {product: 1})
        order_transition(order_id=order.pk, to_status="processing", by_user=staff)
        order_transition(order_id=order.pk, to_status="shipped", by_user=staff)

    mails = Delivery.objects.filter(handler__startswith="orders.mail")
    assert sorted(mails.values_list("handler", "event__type", "state")) == [
        ("orders.mail_placed", "order.placed", "done"),
        ("orders.mail_shipped", "order.status_changed", "done"),
    ]
    # The Message-ID names the delivery, so a re-sent copy is recognisable.
    placed = mails.get(handler="orders.mail_placed")
    assert (
        mail.outbox[0]
        .extra_headers["Message-ID"]
        .startswith(f"<{placed.event_id}.orders.mail_placed@")
    )


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
    assert not Delivery.objects.exists()


def test_failing_mail_server_leaves_the_mail_pending_for_a_retry(
    customer, product, django_capture_on_commit_callbacks, caplog, settings
):
    working_backend = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = "shop.orders.tests.test_notifications.BrokenBackend"
    with caplog.at_level(logging.WARNING, logger="shop.outbox.services"):
        with django_capture_on_commit_callbacks(execute=True):
            order = place(customer, {product: 1})

    assert Order.objects.filter(pk=order.pk).exists()
    delivery = Delivery.objects.get(handler="orders.mail_placed")
    assert delivery.state == Delivery.State.PENDING
    assert delivery.attempts == 1
    assert "SMTP server down" in delivery.last_error
    assert delivery.next_attempt_at > delivery.created_at
    assert "retry at" in caplog.text

    # The server is back: the next run (worker retry, sweep, relay_events)
    # sends it.
    settings.EMAIL_BACKEND = working_backend
    Delivery.objects.update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_run(delivery_id=delivery.pk) == Outcome.DONE
    assert len(mail.outbox) == 1


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
