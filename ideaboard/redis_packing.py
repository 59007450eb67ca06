"""Redis commands packed by hiredis's C packer, byte for byte what redis-py's asyncio client writes.

redis-py packs in Python and joins its whole buffer anew for every argument; one batch of votes' rate-limit counts
with their live events is a few hundred arguments (ratelimit.Batch): 200 us of the web process's CPU for six votes,
56 us packed by hiredis (README, "Profiler notes").
"""

from __future__ import annotations

from typing import Any

import hiredis
from redis.asyncio import Redis


class HiredisPacking:
    """Mixed into the pool's connection class: the command's bytes from hiredis.pack_command."""

    def pack_command(self, *args: Any) -> list[bytes]:
        if isinstance(args[0], str):  # "CLIENT SETNAME": a command of two words is two arguments, as redis-py says
            args = (*args[0].encode().split(), *args[1:])
        elif b" " in args[0]:
            args = (*args[0].split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:  # neither str, bytes, int nor float: redis-py's packer says what is wrong (DataError)
            return super().pack_command(*args)  # type: ignore[misc]


async def install(redis: Redis) -> None:
    """This client's connections pack with hiredis from now on (the ones opened already are closed first)."""
    pool = redis.connection_pool
    if issubclass(pool.connection_class, HiredisPacking):
        return
    pool.connection_class = type(pool.connection_class.__name__, (HiredisPacking, pool.connection_class), {})
    await pool.disconnect()
    pool.reset()
