"""Throttles that read their rates at request time.

DRF's classes copy `DEFAULT_THROTTLE_RATES` when the module is imported, so
`THROTTLE_RATES` overrides in tests or at runtime would be missed.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _LiveRatesMixin:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(_LiveRatesMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_LiveRatesMixin, throttling.UserRateThrottle):
    pass


class AuthRateThrottle(_LiveRatesMixin, throttling.SimpleRateThrottle):
    """Login, registration and token refresh: counted per client address."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }
