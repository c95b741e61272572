"""config.cache: Django's Redis cache with one client kept per pool behaves as Django's own."""

import os

import pytest
import redis

from config.cache import KeptClientRedisCache

URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not URL.startswith("redis"), reason="needs REDIS_URL (CI sets it)")


def _cache(location=None):
    return KeptClientRedisCache(location or URL, {"KEY_PREFIX": "cache-backend-test", "OPTIONS": {}})


def test_one_client_per_pool_and_the_values_round_trip():
    cache = _cache()
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client  # one server: reads and writes share its pool
    cache.set("answer", {"verdict": "可以拒绝", "n": 1}, 30)
    cache.set_many({"a": 1, "b": [2, 3]}, 30)
    assert cache.get("answer") == {"verdict": "可以拒绝", "n": 1}
    assert cache.get_many(["a", "b", "missing"]) == {"a": 1, "b": [2, 3]}
    assert cache.incr("a") == 2
    cache.delete_many(["answer", "a", "b"])
    assert cache.get("answer", "gone") == "gone"


def test_a_dropped_connection_is_opened_again_by_the_kept_client():
    cache = _cache()
    cache.set("kept", "before", 30)
    client = cache._cache.get_client()
    own = client.client_id()  # the pool's one idle connection: this one, and no one else's, is dropped
    assert redis.Redis.from_url(URL).execute_command("CLIENT", "KILL", "ID", own) == 1
    assert cache.get("kept") == "before"  # redis-py's pool reconnects; the kept client is only its handle
    assert cache._cache.get_client() is client
    cache.delete("kept")


def test_with_a_replica_reads_and_writes_keep_their_own_clients():
    cache = _cache(f"{URL};{URL}")
    write = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is write
    reads = {id(cache._cache.get_client()) for _ in range(20)}
    assert id(write) not in reads and len(reads) == 1
