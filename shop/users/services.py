from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from shop.users.models import User, normalize_email_address

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


def _password_check(password: str, *, user: User, field: str) -> None:
    """Run Django's password validators, reporting failures under `field`."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
