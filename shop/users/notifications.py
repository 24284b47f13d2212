"""Account mails: outbox handlers run by the workers.

Each mail is a delivery of the user event that asked for it (shop/outbox),
recorded in the request's transaction and sent after the commit, retried
while the mail server fails. The events name the account only; links are
made here, at send time, from the account's current state, so no token is
ever stored and a link never outlives the state it was made for.
"""

import logging
import math
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from shop.outbox.handlers import handler_register
from shop.outbox.mail import delivery_mail_send
from shop.outbox.models import Delivery
from shop.users.models import User
from shop.users.tokens import (
    email_change_token,
    email_verification_token,
    password_reset_token,
    uid_encode,
)

logger = logging.getLogger(__name__)


@handler_register(
    "users.mail_password_reset", event_types={"user.password_reset_requested"}
)
def password_reset_notify(delivery: Delivery) -> None:
    """Mail a password reset link, if the address belongs to an active account."""
    user = _recipient(delivery)
    # Django's rule: no reset for inactive accounts or unusable passwords.
    if user is None or not user.has_usable_password() or _stale(delivery):
        return
    uid, token = uid_encode(user), password_reset_token.make_token(user)
    site_url = delivery.event.payload.get("site_url")
    if site_url:
        # The admin's reset page (Django's view) on the site that was asked.
        path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
        link = site_url.rstrip("/") + path
    else:
        link = _frontend_link("reset-password", uid=uid, token=token)
    _send(
        delivery,
        to=user.email,
        template="emails/password_reset",
        subject="Reset your shop password",
        context={"user": user, "link": link},
    )


@handler_register(
    "users.mail_email_verification",
    event_types={"user.registered", "user.email_verification_requested"},
)
def email_verification_notify(delivery: Delivery) -> None:
    """Mail the link that verifies the account's address, while unverified."""
    user = _recipient(delivery)
    if user is None or user.email_verified_at is not None or _stale(delivery):
        return
    link = _frontend_link(
        "verify-email",
        uid=uid_encode(user),
        token=email_verification_token.make_token(user),
    )
    _send(
        delivery,
        to=user.email,
        template="emails/email_verification",
        subject="Confirm your email address",
        context={
            "user": user,
            "link": link,
            "welcome": delivery.event.type == "user.registered",
        },
    )


@handler_register(
    "users.mail_email_change", event_types={"user.email_change_requested"}
)
def email_change_notify(delivery: Delivery) -> None:
    """Mail the confirmation link to the pending address, while it is pending."""
    user = _recipient(delivery)
    if user is None or not user.pending_email or _stale(delivery):
        return
    link = _frontend_link(
        "confirm-email",
        uid=uid_encode(user),
        token=email_change_token.make_token(user),
    )
    _send(
        delivery,
        to=user.pending_email,
        template="emails/email_change",
        subject="Confirm your new email address",
        context={"user": user, "link": link, "new_email": user.pending_email},
    )


@handler_register("users.mail_email_changed_notice", event_types={"user.email_changed"})
def email_changed_notify(delivery: Delivery) -> None:
    """Tell the old address that the login address has changed."""
    payload = delivery.event.payload
    user = User.objects.filter(pk=payload["user_id"]).first()
    _send(
        delivery,
        to=payload["old_email"],
        template="emails/email_changed",
        subject="Your shop login address was changed",
        context={
            "user": user,
            "old_email": payload["old_email"],
            "new_email": _masked(payload["new_email"]),
        },
    )


def _recipient(delivery: Delivery) -> User | None:
    user_id = delivery.event.payload.get("user_id")
    if user_id is None:
        # A reset asked for an unknown address: recorded alike, nobody to mail.
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        logger.info("account of event %s is gone or inactive", delivery.event_id)
    return user


def _stale(delivery: Delivery) -> bool:
    # A mail retried past the link lifetime would arrive as a surprise: the
    # customer has long asked again or given up.
    age = timezone.now() - delivery.event.created_at
    if age > timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT):
        logger.info("event %s is older than its link lifetime", delivery.event_id)
        return True
    return False


def _frontend_link(page: str, **query: str) -> str:
    return f"{settings.FRONTEND_URL}/{page}?{urlencode(query)}"


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _valid_for() -> str:
    hours = max(1, math.ceil(settings.PASSWORD_RESET_TIMEOUT / 3600))
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _send(
    delivery: Delivery, *, to: str, template: str, subject: str, context: dict
) -> None:
    delivery_mail_send(
        delivery,
        to=to,
        template=template,
        subject=subject,
        context={**context, "valid_for": _valid_for()},
    )
