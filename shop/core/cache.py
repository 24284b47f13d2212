"""Django's Redis cache backend, without a new client object per call, timed,
and counters that take one round trip for several keys."""

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from django.core.cache.backends import redis as django_redis
from django.core.cache.backends.base import BaseCache

from shop.core.metrics import CACHE_LATENCY

# One command for any number of counters, and optionally reads: the first
# ARGV[1] keys are counters (INCR creates a missing key at 0; only a new key
# gets its EXPIRE, ARGV[i + 1] seconds, so a counter dies with its window);
# the keys after them are read with GET (nil for a missing key).
INCR_MANY_LUA = """
local counters = tonumber(ARGV[1])
local replies = {}
for i, key in ipairs(KEYS) do
    if i <= counters then
        replies[i] = redis.call('INCR', key)
        if replies[i] == 1 then
            redis.call('EXPIRE', key, ARGV[i + 1])
        end
    else
        replies[i] = redis.call('GET', key)
    end
end
return replies
"""

# Every call RedisCache makes on its client; get_or_set and friends are built
# from these, so each round trip is timed once.
_TIMED_OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


Method = TypeVar("Method", bound=Callable[..., Any])


def _timed(operation: str) -> Callable[[Method], Method]:
    histogram = CACHE_LATENCY.labels(operation)

    def decorate(method: Method) -> Method:
        @functools.wraps(method)
        def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                histogram.observe(time.perf_counter() - started)

        return cast(Method, timed)

    return decorate


class RedisCacheClient(django_redis.RedisCacheClient):
    """Keeps one `redis.Redis` per connection pool instead of one per call.

    Django builds a fresh `redis.Redis` for every cache operation, and
    redis-py's constructor (response callbacks, options) costs more CPU than
    the round trip it wraps. `redis.Redis` is thread-safe and its pool already
    handles forks, so sharing it changes nothing but the cost.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._incr_many_scripts = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client

    @_timed("incr_many")
    def incr_many(
        self, ttls: Mapping[str, int], reads: Sequence[str] = ()
    ) -> tuple[list[int], list[Any]]:
        client = self.get_client(write=True)
        script = self._incr_many_scripts.get(client)
        if script is None:
            script = self._incr_many_scripts[client] = client.register_script(
                INCR_MANY_LUA
            )
        replies = script(keys=[*ttls, *reads], args=[len(ttls), *ttls.values()])
        # Django's client sets _serializer (RedisSerializer); the stubs omit it.
        loads = self._serializer.loads  # type: ignore[attr-defined]
        values = [None if raw is None else loads(raw) for raw in replies[len(ttls) :]]
        return replies[: len(ttls)], values


for _operation in _TIMED_OPERATIONS:
    setattr(
        RedisCacheClient,
        _operation,
        _timed(_operation)(getattr(django_redis.RedisCacheClient, _operation)),
    )


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with the client above."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def incr_many(self, ttls: Mapping[str, int], version=None) -> dict[str, int]:
        """Add 1 to each counter, creating it to expire in `ttl` seconds."""
        return self.incr_and_get_many(ttls, (), version=version)[0]

    def incr_and_get_many(
        self, ttls: Mapping[str, int], reads: Sequence[str], version=None
    ) -> tuple[dict[str, int], dict[str, Any]]:
        """`incr_many(ttls)` and `get_many(reads)` in one round trip."""
        keys = {self.make_and_validate_key(k, version=version): k for k in ttls}
        client = cast(RedisCacheClient, self._cache)
        counts, values = client.incr_many(
            dict(zip(keys, ttls.values(), strict=True)),
            [self.make_and_validate_key(k, version=version) for k in reads],
        )
        found = {
            key: value
            for key, value in zip(reads, values, strict=True)
            if value is not None
        }
        return dict(zip(keys.values(), counts, strict=True)), found


def counters_incr(cache: BaseCache, ttls: Mapping[str, int]) -> dict[str, int]:
    """Add 1 to each counter in `ttls`, creating missing ones to live `ttl` s.

    One round trip for all of them on the shop's Redis cache; on any other
    Django cache (local memory in tests and the embedded default) `add` then
    `incr` per key, which only a key expiring in between can race.
    """
    return counters_incr_and_get(cache, ttls, ())[0]


def counters_incr_and_get(
    cache: BaseCache, ttls: Mapping[str, int], reads: Sequence[str]
) -> tuple[dict[str, int], dict[str, Any]]:
    """`counters_incr(cache, ttls)` and `cache.get_many(reads)`: on the shop's
    Redis cache in the same round trip (the request throttles read what the
    view will need, see shop.core.throttling)."""
    # Duck-typed: `django.core.cache.cache` is a proxy, not the backend.
    incr_and_get_many = getattr(cache, "incr_and_get_many", None)
    if incr_and_get_many is not None:
        return incr_and_get_many(ttls, reads)
    counts = {}
    for key, ttl in ttls.items():
        if cache.add(key, 1, ttl):
            counts[key] = 1
            continue
        try:
            counts[key] = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, ttl)
            counts[key] = 1
    return counts, cache.get_many(reads) if reads else {}
