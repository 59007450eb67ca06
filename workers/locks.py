"""A job that must run on one worker at a time holds a Redis lock with a token: only its holder releases it."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@contextlib.asynccontextmanager
async def held(redis: Any, key: str, seconds: float) -> AsyncIterator[bool]:
    """True inside when this caller got the lock (it expires after ``seconds`` if the holder dies), else False."""
    token = secrets.token_hex(8)
    mine = bool(await redis.set(key, token, nx=True, px=int(seconds * 1000)))
    try:
        yield mine
    finally:
        if mine:
            await redis.eval(RELEASE, 1, key, token)
