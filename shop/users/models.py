from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


def normalize_email_address(email: str) -> str:
    """The stored form of an email: trimmed and lower-cased entirely.

    Lower-casing the local part too makes `Ann@x.io` and `ann@x.io` one
    account, which is what customers expect from a shop login.
    """
    return (email or "").strip().lower()


class ShopUserManager(UserManager):
    def get_by_natural_key(self, email):
        return self.get(email=normalize_email_address(email))

    def _create_user(self, username, email, password, **extra_fields):
        email = normalize_email_address(email)
        return super()._create_user(username or email, email, password, **extra_fields)

    def create_user(self, email, password=None, username=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(username, email, password, **extra_fields)

    def create_superuser(self, email, password=None, username=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        # An operator typed this address at the console: nobody to verify.
        extra_fields.setdefault("email_verified_at", timezone.now())
        return self._create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    """A shop account: customers, staff and admins alike; email is the login."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        ADMIN = "admin", "Admin"

    email = models.EmailField("email address", unique=True)
    # Null until the owner opens the verification link (or resets the
    # password, which proves the same). Accounts older than the field were
    # marked verified by migration 0003.
    email_verified_at = models.DateTimeField("email verified at", null=True, blank=True)
    # A new login address waiting for its confirmation link; `email` changes
    # only when that link is opened (shop.users.services.user_email_change_*).
    pending_email = models.EmailField("pending email address", blank=True, default="")

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects: ClassVar[ShopUserManager] = ShopUserManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
            models.UniqueConstraint(
                Lower("username"), name="users_user_username_ci_unique"
            ),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email_address(self.email)

    def save(self, *args, **kwargs):
        self.email = normalize_email_address(self.email)
        if not self.username:
            self.username = self.email
        super().save(*args, **kwargs)

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def role(self) -> str:
        if self.is_superuser:
            return self.Role.ADMIN
        if self.is_staff:
            return self.Role.STAFF
        return self.Role.CUSTOMER
