from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


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
        return self._create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    """A shop account: customers, staff and admins alike; email is the login."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        ADMIN = "admin", "Admin"

    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects: ClassVar[ShopUserManager] = ShopUserManager()  # type: ignore[assignment]

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
    def role(self) -> str:
        if self.is_superuser:
            return self.Role.ADMIN
        if self.is_staff:
            return self.Role.STAFF
        return self.Role.CUSTOMER
