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


def test_incr_many_counts_every_key_in_one_round_trip_with_its_ttl():
    cache = RedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": uuid.uuid4().hex})
    client = cache._cache.get_client(write=True)
    sent = []
    real_pipeline = client.pipeline

    def pipeline(*args, **kwargs):
        pipe = real_pipeline(*args, **kwargs)
        sent.append(pipe)
        return pipe

    client.pipeline = pipeline
    try:
        assert cache.incr_many({"a": 60, "b": 5}) == {"a": 1, "b": 1}
        assert cache.incr_many({"a": 60, "b": 5}) == {"a": 2, "b": 2}
    finally:
        del client.pipeline

    assert len(sent) == 2  # one pipeline per call
    assert cache.get("a") == 2  # a plain integer, readable through the cache
    assert 0 < client.ttl(cache.make_key("a")) <= 60
    assert 0 < client.ttl(cache.make_key("b")) <= 5
    cache.delete_many(["a", "b"])
