"""Fixed-window rate limits kept in Redis, so every web process shares one count."""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


async def hit(redis: Redis, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once `limit` attempts happened in the window. Fails open if Redis is down."""
    name = f"ideaboard:rate:{key}"
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=window_seconds, nx=True)  # starts the window (works on Redis 6 and 7)
            pipe.incr(name)
            _, count = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("rate limit not enforced, Redis unavailable: %s", exc)
        return True
    return int(count) <= limit
