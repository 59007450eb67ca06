"""The web processes' Redis commands, packed by hiredis, are the bytes redis-py writes, and they work."""

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from ideaboard import ratelimit
from ideaboard.app import open_redis
from ideaboard.redis_packing import HiredisPacking

ARGS = [("EVALSHA", "abc", 2, "rl:vote:user:1", "live", 60, 1.5, 10**20, -3, b"raw", "12↑ 0↓", memoryview(b"mv")),
        ("CLIENT SETNAME", "web"), (b"CLIENT SETNAME", "web"), ("GET", 1e-7)]


class Packed(HiredisPacking, Connection):
    pass


@pytest.mark.parametrize("args", ARGS)
def test_commands_are_packed_as_redis_py_packs_them(args):
    assert Packed().pack_command(*args) == [b"".join(Connection().pack_command(*args))]


def test_what_redis_cannot_take_is_refused_as_redis_py_refuses_it():
    with pytest.raises(DataError):
        Packed().pack_command("SET", "key", True)


async def test_the_apps_client_packs_with_hiredis_and_its_counts_work(settings):
    async with open_redis(settings) as redis:
        assert issubclass(redis.connection_pool.connection_class, HiredisPacking)
        await redis.flushdb()
        first = await ratelimit.hit_all(redis, [("vote:user:1", 2, 60), ("vote:ip:127.0.0.1", 5, 60)])
        again = await ratelimit.hit_all(redis, [("vote:user:1", 2, 60), ("vote:ip:127.0.0.1", 5, 60)])
        assert [v.count for v in first + again] == [1, 1, 2, 2]
