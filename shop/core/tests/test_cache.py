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


def test_incr_many_counts_every_key_in_one_command_with_its_ttl():
    cache = RedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": uuid.uuid4().hex})
    client = cache._cache.get_client(write=True)
    assert cache.incr_many({"a": 60, "b": 5}) == {"a": 1, "b": 1}
    sent = []
    real_execute_command = client.execute_command

    def execute_command(*args, **kwargs):
        sent.append(args[0])
        return real_execute_command(*args, **kwargs)

    client.execute_command = execute_command
    try:
        assert cache.incr_many({"a": 60, "b": 5, "c": 5}) == {"a": 2, "b": 2, "c": 1}
    finally:
        del client.execute_command

    assert sent == ["EVALSHA"]  # one round trip, whatever the number of keys
    assert cache.get("a") == 2  # a plain integer, readable through the cache
    assert 0 < client.ttl(cache.make_key("a")) <= 60
    assert 0 < client.ttl(cache.make_key("b")) <= 5
    cache.delete_many(["a", "b", "c"])


def test_incr_and_get_many_reads_keys_in_the_counters_round_trip():
    cache = RedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": uuid.uuid4().hex})
    cache.set("version", 7, 60)
    cache.set("total", (7, 120), 60)

    counts, found = cache.incr_and_get_many({"a": 60}, ["version", "total", "gone"])

    assert counts == {"a": 1}
    # Values as get_many gives them (integers stored raw, others pickled);
    # missing keys left out.
    assert found == {"version": 7, "total": (7, 120)}
    assert found == cache.get_many(["version", "total", "gone"])
    assert cache.incr_many({"a": 60}) == {"a": 2}
    cache.clear()


def test_redis_replies_are_parsed_in_c():
    # redis[hiredis]: ~6 % of a cached product list request (docs/catalog.md).
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE
