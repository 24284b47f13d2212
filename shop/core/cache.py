"""Django's Redis cache backend, without a new client object per call, timed."""

import functools
import time

from django.core.cache.backends import redis as django_redis

from shop.core.metrics import CACHE_LATENCY

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


def _timed(operation: str, method):
    histogram = CACHE_LATENCY.labels(operation)

    @functools.wraps(method)
    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            histogram.observe(time.perf_counter() - started)

    return timed


class RedisCacheClient(django_redis.RedisCacheClient):
    """Keeps one `redis.Redis` per connection pool instead of one per call.

    Django builds a fresh `redis.Redis` for every cache operation, and
    redis-py's constructor (response callbacks, options) costs more CPU than
    the round trip it wraps; the throttles make two of them on every API
    request. `redis.Redis` is thread-safe and its pool already handles forks,
    so sharing it changes nothing but the cost.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


for _operation in _TIMED_OPERATIONS:
    setattr(
        RedisCacheClient,
        _operation,
        _timed(_operation, getattr(django_redis.RedisCacheClient, _operation)),
    )


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with the client above."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
