"""Single-use links in account mails: a uid and a stateless token.

Each token is an HMAC (SECRET_KEY, a salt per purpose) over the account
state the link is about plus a timestamp; the state changes once the link
has done its work, so a second use fails, and PASSWORD_RESET_TIMEOUT ends it
otherwise. Nothing is stored: handlers make the token when the mail is sent.
"""

from django.contrib.auth.tokens import (
    PasswordResetTokenGenerator,
    default_token_generator,
)
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from shop.users.models import User

# Django's own generator, shared with the admin's reset views: a new password
# (or login, or address) invalidates it.
password_reset_token = default_token_generator

MAX_USER_ID = 2**63 - 1

# What a link's uid and token look like, published in the schema and checked
# before any account is looked up (anything else is `validation_error`).
# A uid is the unpadded urlsafe base64 of an id's 1-19 decimal digits: each
# 3 digits (bytes 0x30-0x39) make 4 characters from these classes, a last
# 1 or 2 digits make 2 or 3.
_DIGITS_3 = "[MNO][DTjz][AEIMQUYcgk][w-z0-5]"
UID_PATTERN = (
    f"^(?:(?:{_DIGITS_3}){{1,6}}"
    f"|(?:{_DIGITS_3}){{0,6}}[MNO][AQgw]"
    f"|(?:{_DIGITS_3}){{0,5}}[MNO][DTjz][AEIMQUYcgk])$"
)
# Django's token: the timestamp in base 36 (at most 13 digits, which
# base36_to_int takes), "-", every other hex digit of an HMAC-SHA256.
TOKEN_PATTERN = "^[0-9a-z]{1,13}-[0-9a-f]{32}$"


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Valid while the address it was sent to is the account's, unverified."""

    # A salt of its own: a verification token is never a reset token.
    key_salt = "shop.users.tokens.EmailVerificationTokenGenerator"

    # `_make_hash_value` is the hook Django's generator is meant to be
    # subclassed through (the admin's reset token is built the same way).
    def _make_hash_value(self, user: User, timestamp: int) -> str:
        verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
        return f"{user.pk}|{user.email}|{verified}|{timestamp}"


class EmailChangeTokenGenerator(PasswordResetTokenGenerator):
    """Valid while that pending address is still the one asked for and the
    password unchanged (a recovered account drops a hijacker's change)."""

    key_salt = "shop.users.tokens.EmailChangeTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return (
            f"{user.pk}|{user.email}|{user.pending_email}|{user.password}|{timestamp}"
        )


email_verification_token = EmailVerificationTokenGenerator()
email_change_token = EmailChangeTokenGenerator()


def uid_encode(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def uid_decode(uid: str) -> int | None:
    """The user id a link's uid names, or None for anything malformed."""
    try:
        user_id = int(urlsafe_base64_decode(uid).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return user_id if 0 < user_id <= MAX_USER_ID else None
