from django.conf import settings
from rest_framework.permissions import BasePermission

from shop.users.exceptions import EmailUnverified


class HasVerifiedEmail(BasePermission):
    """With REQUIRE_VERIFIED_EMAIL, only verified accounts pass (else 403).

    Reads the setting and the user the authentication already loaded: no
    query, so guarded hot paths (checkout) cost the same with it off or on.
    """

    def has_permission(self, request, view):
        if not settings.REQUIRE_VERIFIED_EMAIL:
            return True
        if request.user.is_authenticated and request.user.email_verified_at is None:
            # Raised rather than returned: the error carries its own code.
            raise EmailUnverified()
        return True
