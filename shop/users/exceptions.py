"""Errors the users services raise; shop.exceptions maps them to responses."""

from rest_framework import status

from shop.exceptions import Conflict, ShopError


class PasswordResetLinkInvalid(ShopError):
    code = "password_reset_link_invalid"
    message = (
        "This password reset link is invalid, expired or already used; "
        "ask for a new one."
    )


class EmailVerificationLinkInvalid(ShopError):
    code = "email_verification_link_invalid"
    message = (
        "This verification link is invalid, expired or already used; ask for a new one."
    )


class EmailChangeLinkInvalid(ShopError):
    code = "email_change_link_invalid"
    message = (
        "This confirmation link is invalid, expired, already used or replaced "
        "by a newer request."
    )


class EmailTaken(ShopError):
    code = "email_taken"
    message = "Another account uses this email address now."


class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"
    message = "This email address is already verified."


class EmailUnverified(ShopError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "email_unverified"
    message = (
        "Verify your email address before placing orders; "
        "POST auth/verify-email/resend/ sends the link again."
    )


class AccountMailLimit(ShopError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "mail_limit"
    message = (
        "Too many account mails went to this address in the last hour; try again later."
    )

    def __init__(self, *, retry_after: int):
        super().__init__(extra={"retry_after": retry_after})
