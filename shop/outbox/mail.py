"""Sending a delivery's mail: the one place mail handlers hand a message over."""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from shop.outbox.models import Delivery


def delivery_mail_send(
    delivery: Delivery,
    *,
    to: str,
    template: str,
    subject: str,
    context: dict[str, Any],
) -> None:
    """Render `template`.txt/.html with `context` and send it to `to`.

    Raises when the server refuses or times out (EMAIL_TIMEOUT): the delivery
    records the error and is retried. The Message-ID is one per (event,
    handler), so should the crash window send a mail twice, mail clients can
    tell the copies are the same message.
    """
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "shop.invalid"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": f"<{delivery.event_id}.{delivery.handler}@{domain}>"},
    )
    message.attach_alternative(
        render_to_string(f"{template}.html", context), "text/html"
    )
    message.send(fail_silently=False)
