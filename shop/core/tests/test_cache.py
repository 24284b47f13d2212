import socket
import uuid

import pytest

from shop.core.cache import RedisCache


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _redis_up(), reason="needs Redis on 6379")


def test_redis_cache_reuses_one_client_and_still_works():
    cache = RedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": uuid.uuid4().hex})
    key = "throttle_user_1"

    assert cache.get(key) is None
    cache.set(key, [1.5, 2.5], 5)

    assert cache.get(key) == [1.5, 2.5]
    assert cache._cache.get_client() is cache._cache.get_client()
    assert cache._cache.get_client(write=True) is cache._cache.get_client(key)
    cache.delete(key)
