import hashlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from shop.core.throttling import counter_wait
from shop.outbox.events import event_record
from shop.users.exceptions import (
    AccountMailLimit,
    EmailAlreadyVerified,
    EmailChangeLinkInvalid,
    EmailTaken,
    EmailVerificationLinkInvalid,
    PasswordResetLinkInvalid,
)
from shop.users.models import User, normalize_email_address
from shop.users.tokens import (
    email_change_token,
    email_verification_token,
    password_reset_token,
    uid_decode,
)

SHOP_STAFF_GROUP = "Shop staff"
# Every permission of the app, in an AppConfig's `staff_permissions`.
ALL_PERMISSIONS = "*"


def shop_staff_permissions() -> Q:
    """The permissions staff hold, as each installed app declares them.

    An app lists codenames in its AppConfig's `staff_permissions` (or "*" for
    all of its permissions), so users never needs to know the apps above it.
    """
    wanted = Q(pk__in=[])
    for config in apps.get_app_configs():
        codenames = getattr(config, "staff_permissions", ())
        if not codenames:
            continue
        of_app = Q(content_type__app_label=config.label)
        if ALL_PERMISSIONS in codenames:
            wanted |= of_app
        else:
            wanted |= of_app & Q(codename__in=codenames)
    return wanted


def shop_staff_group_sync() -> Group:
    """Make sure the "Shop staff" group exists and holds the staff permissions.

    Runs after every migrate, so models added later are granted too.
    """
    group, _ = Group.objects.get_or_create(name=SHOP_STAFF_GROUP)
    group.permissions.add(*Permission.objects.filter(shop_staff_permissions()))
    return group


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    username: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a customer account; privilege flags are never taken from input."""
    user = User(
        email=normalize_email_address(email),
        username=username or normalize_email_address(email),
        first_name=first_name,
        last_name=last_name,
    )
    _password_check(password, user=user, field="password")
    user.set_password(password)
    user.save()
    # Its verification mail (shop/users/notifications.py).
    _event(user_id=user.pk, type="user.registered")
    return user


@transaction.atomic
def user_make_staff(*, user: User) -> User:
    """Give an account admin-site access and the shop staff permissions."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(shop_staff_group_sync())
    return user


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> None:
    """Set a new password and sign the account out everywhere.

    Access tokens carry a hash of the password (simplejwt's
    CHECK_REVOKE_TOKEN), so they stop working at once; every refresh token
    issued so far is blacklisted, so no session can mint new ones.
    """
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is wrong."]})
    user_password_set(user=user, new_password=new_password)


@transaction.atomic
def user_password_set(*, user: User, new_password: str) -> None:
    """Set a validated new password and revoke every earlier token of the user.

    The one path of password change, API reset and admin reset.
    """
    _password_check(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_refresh_tokens_revoke(user=user)


def user_refresh_tokens_revoke(*, user: User) -> int:
    """Blacklist every refresh token of the user not blacklisted yet."""
    outstanding = OutstandingToken.objects.filter(
        user=user, blacklistedtoken__isnull=True
    )
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding],
        ignore_conflicts=True,
    )
    return len(revoked)


# --- Password reset -------------------------------------------------------


def user_password_reset_request(*, email: str, site_url: str = "") -> None:
    """Record a reset-link mail for the account of `email`, if there is one.

    Known and unknown addresses take the same path (one look-up, one event,
    one delivery, one nudge) and the mail goes out from a worker, so neither
    the answer nor its timing tells whether an account exists. Past the
    address's hourly cap (`_mail_limit_wait`) nothing is recorded, again
    for known and unknown addresses alike. The worker
    decides at send time whether there is anyone to mail. With `site_url`
    (the admin's reset form) only staff accounts qualify and the link leads
    to the admin's reset page on that site.
    """
    email = normalize_email_address(email)
    if _mail_limit_wait(email) is not None:
        # Beyond the address's hourly cap: the same answer, no mail.
        return
    accounts = User.objects.filter(email=email)
    if site_url:
        accounts = accounts.filter(is_staff=True)
    user_id = accounts.values_list("pk", flat=True).first()
    payload = {"site_url": site_url} if site_url else {}
    with transaction.atomic():
        _event(user_id=user_id, type="user.password_reset_requested", **payload)


@transaction.atomic
def user_password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set the password a reset link allows, once, and sign out everywhere.

    The account row is locked first, so two requests with one link queue:
    the second sees the new password hash and the link no longer matches.
    """
    user = _link_user(uid)
    if (
        user is None
        or not user.is_active
        or not password_reset_token.check_token(user, token)
    ):
        raise PasswordResetLinkInvalid()
    user_password_set(user=user, new_password=new_password)
    if user.email_verified_at is None:
        # The link came through that mailbox: the address is proven.
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


# --- E-mail verification ---------------------------------------------------


@transaction.atomic
def user_email_verify(*, uid: str, token: str) -> User:
    """Mark the account's address verified, once, from its verification link."""
    user = _link_user(uid)
    if (
        user is None
        or not user.is_active
        or user.email_verified_at is not None
        or not email_verification_token.check_token(user, token)
    ):
        raise EmailVerificationLinkInvalid()
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return user


@transaction.atomic
def user_email_verification_resend(*, user: User) -> None:
    """Record another verification mail for an unverified address."""
    if user.email_verified_at is not None:
        raise EmailAlreadyVerified()
    _mail_limit_take(user.email)
    _event(user_id=user.pk, type="user.email_verification_requested")


# --- E-mail change ---------------------------------------------------------


@transaction.atomic
def user_email_change_request(*, user: User, new_email: str) -> User:
    """Hold `new_email` as pending and record its confirmation mail.

    The login address stays until the link sent to the new address is
    opened. Asking for the current address withdraws a pending change.
    """
    new_email = normalize_email_address(new_email)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if new_email == locked.email:
        locked.pending_email = ""
        locked.save(update_fields=["pending_email"])
        return locked
    if User.objects.filter(email=new_email).exclude(pk=locked.pk).exists():
        raise ValidationError({"email": ["An account with this email exists."]})
    _mail_limit_take(new_email)
    locked.pending_email = new_email
    locked.save(update_fields=["pending_email"])
    _event(user_id=locked.pk, type="user.email_change_requested")
    return locked


@transaction.atomic
def user_email_change_confirm(*, uid: str, token: str) -> User:
    """Make the pending address the login address, once, from its link.

    The old address is told (`user.email_changed`). A username that was the
    old address follows it, so the old address stays free to register.
    """
    user = _link_user(uid)
    if (
        user is None
        or not user.is_active
        or not user.pending_email
        or not email_change_token.check_token(user, token)
    ):
        raise EmailChangeLinkInvalid()
    old_email, new_email = user.email, user.pending_email
    others = User.objects.exclude(pk=user.pk)
    # Checked at request time too; another account may have taken it since.
    if others.filter(email=new_email).exists():
        raise EmailTaken()
    fields = ["email", "pending_email", "email_verified_at"]
    if (
        user.username.lower() == old_email
        and not others.filter(username__iexact=new_email).exists()
    ):
        user.username = new_email
        fields.append("username")
    user.email, user.pending_email = new_email, ""
    user.email_verified_at = timezone.now()
    try:
        # A savepoint: a concurrent taker of the address fails the unique
        # constraint here, which is still this same 400.
        with transaction.atomic():
            user.save(update_fields=fields)
    except IntegrityError as exc:
        raise EmailTaken() from exc
    # The addresses travel in the payload: by send time `email` is the new one.
    _event(
        user_id=user.pk,
        type="user.email_changed",
        old_email=old_email,
        new_email=new_email,
    )
    return user


# --- Helpers ---------------------------------------------------------------


def _event(*, user_id: int | None, type: str, **payload: Any) -> None:
    # The payload names the account, never a token: the handler makes the
    # token from the account's state when it sends the mail.
    event_record(
        type=type,
        aggregate_type="user",
        aggregate_id=user_id or "",
        payload={"user_id": user_id, **payload},
    )


def _mail_limit_wait(address: str) -> int | None:
    """Count one account mail to `address` against its hourly cap.

    None while within ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR (or with no cap),
    else the seconds until the hour's window ends. Counted with the
    throttles' counters (Redis in production, shared by every process)
    under a hash of the address, never the address itself.
    """
    cap = settings.ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR
    if not cap:
        return None
    digest = hashlib.sha256(address.encode()).hexdigest()
    wait = counter_wait("account-mails", digest, cap, 3600)
    return None if wait is None else int(wait) + 1


def _mail_limit_take(address: str) -> None:
    """`_mail_limit_wait`, refusing with 429 `mail_limit` beyond the cap."""
    wait = _mail_limit_wait(address)
    if wait is not None:
        raise AccountMailLimit(retry_after=wait)


def _link_user(uid: str) -> User | None:
    """The account a link names, locked for the rest of the transaction."""
    user_id = uid_decode(uid)
    if user_id is None:
        return None
    return User.objects.select_for_update().filter(pk=user_id).first()


def _password_check(password: str, *, user: User, field: str) -> None:
    """Run Django's password validators, reporting failures under `field`."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
