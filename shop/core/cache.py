"""Django's Redis cache backend, without a new client object per call."""

from django.core.cache.backends import redis as django_redis


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


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with the client above."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
