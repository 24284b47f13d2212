"""Request throttles as fixed-window counters in the cache.

DRF's `SimpleRateThrottle` keeps, per scope and client, the list of every
request time in the window, and reads and rewrites it (pickled) on each
request: two cache round trips per scope, and at `user=1200/min` a list of up
to 1,200 floats. Here a scope and client has one integer per window (the
current minute for `N/min`), incremented with `INCR` and expiring with its
window, and every scope a view counts is incremented in one round trip (one
Lua script on Redis, see shop.core.cache.counters_incr_and_get). The price of a
fixed window: a client may spend a window's budget at its very end and the
next one at the start of the next window.

A view may name cache keys it is about to read (`cache_reads(request)`, a
list of keys): they are read in the same round trip as the counters and left
on the request as `request.cache_reads` ({key: value, None when missing}),
so the product list's cached total costs no trip of its own.

Rates are read at request time from `DEFAULT_THROTTLE_RATES` (the
`THROTTLE_RATES` setting), so overrides in tests or at runtime apply at once.
Refusals are DRF's `Throttled` (429 with `Retry-After`, the shop's error body).
"""

import time
from typing import NamedTuple

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from shop.core.cache import counters_incr, counters_incr_and_get

DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The throttles' clock, apart so that tests can hold it still.
clock = time.time


def parse_rate(rate: str) -> tuple[int, int]:
    """`"120/min"` -> (120, 60): requests allowed and window seconds."""
    number, period = rate.split("/")
    return int(number), DURATIONS[period[0]]


class Window(NamedTuple):
    key: str
    limit: int
    ends_at: float


KEY_FORMAT = "throttle:%(scope)s:%(ident)s:%(window)d"


def window_at(
    scope: str, ident: str | int, limit: int, seconds: int, now: float
) -> Window:
    """The fixed window of `seconds` that `now` falls in, for `ident` in `scope`."""
    number = int(now // seconds)
    key = KEY_FORMAT % {"scope": scope, "ident": ident, "window": number}
    return Window(key, limit, (number + 1) * seconds)


def _window_wait(window: Window, now: float) -> float | None:
    """Count one hit in `window`: None while within its limit, else the
    seconds until it ends."""
    ttl = int(window.ends_at - now) + 1
    if counters_incr(cache, {window.key: ttl})[window.key] <= window.limit:
        return None
    return window.ends_at - now


class CounterThrottle(BaseThrottle):
    """Counts requests per `scope` and client in fixed windows.

    Subclasses say who is counted (`get_ident_key`, None for nobody). All
    counter throttles of a view are counted together, in one cache round
    trip, by the first of them that DRF asks; the others read the result.
    """

    scope: str = ""
    remaining = 0.0  # seconds left in the window, once a request is counted

    def get_ident_key(self, request, view) -> str | int | None:
        raise NotImplementedError

    def window(self, request, view, now: float) -> Window | None:
        """The counter this request goes to; None if it is not counted."""
        rates: dict[str, str | None]
        # The stubs type the rates as numbers; they are "N/period" strings.
        rates = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        rate = rates.get(self.scope)
        if not rate:
            return None
        ident = self.get_ident_key(request, view)
        if ident is None:
            return None
        return window_at(self.scope, ident, *parse_rate(rate), now)

    def allow_request(self, request, view) -> bool:
        hits = getattr(request, "throttle_hits", None)
        if hits is None or type(self) not in hits:
            hits = _hits_count(request, view, self)
        hit = hits[type(self)]
        if hit is None:
            return True
        count, window = hit
        self.remaining = window.ends_at - clock()
        return count <= window.limit

    def wait(self) -> float:
        return max(self.remaining, 0.0)


def _hits_count(request, view, asking: CounterThrottle) -> dict:
    """Count this request for every counter throttle of `view`, in one trip.

    Returns (and keeps on the request) {throttle class: (count, window) or
    None}.
    """
    throttles = {type(asking): asking}
    for throttle in view.get_throttles():
        if isinstance(throttle, CounterThrottle):
            throttles.setdefault(type(throttle), throttle)
    now = clock()
    windows = {cls: t.window(request, view, now) for cls, t in throttles.items()}
    ttls = {
        # A second beyond the window's end, so that a counter never expires
        # while its window is still open.
        w.key: int(w.ends_at - now) + 1
        for w in windows.values()
        if w is not None
    }
    if ttls:
        reads_of = getattr(view, "cache_reads", None)
        reads = reads_of(request) if reads_of is not None else []
        counts, found = counters_incr_and_get(cache, ttls, reads)
        if reads:
            request.cache_reads = {key: found.get(key) for key in reads}
    else:
        counts = {}
    hits = {
        cls: None if w is None else (counts[w.key], w) for cls, w in windows.items()
    }
    request.throttle_hits = {**getattr(request, "throttle_hits", {}), **hits}
    return request.throttle_hits


def counter_wait(
    scope: str, ident: str | int, limit: int, seconds: int
) -> float | None:
    """Count one hit for `ident` in `scope`'s current fixed window of `seconds`.

    None while the window holds at most `limit` hits, else the seconds until
    it ends. The throttles' counters, for rules that are not per request
    (the account mails' per-address cap).
    """
    now = clock()
    return _window_wait(window_at(scope, ident, limit, seconds, now), now)


def throttle_wait(request, throttle: CounterThrottle) -> float | None:
    """Count a request of a plain Django view (the admin's login and reset
    forms) against `throttle`'s scope: None while allowed, else the seconds
    until its window ends. Same counters, rates and client identity as the
    API's throttles (the request's META and NUM_PROXIES)."""
    now = clock()
    window = throttle.window(request, None, now)
    return None if window is None else _window_wait(window, now)


class AnonRateThrottle(CounterThrottle):
    """Anonymous requests, per client address."""

    scope = "anon"

    def get_ident_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.get_ident(request)


class UserRateThrottle(CounterThrottle):
    """Every request: per account, or per address when anonymous."""

    scope = "user"

    def get_ident_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return request.user.pk
        return self.get_ident(request)


class AuthRateThrottle(CounterThrottle):
    """Login, registration and token refresh: counted per client address."""

    scope = "auth"

    def get_ident_key(self, request, view):
        return self.get_ident(request)
