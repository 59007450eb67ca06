"""Lua scripts kept per Redis client: redis-py's register_script hashes the text and builds an object on each call."""

from __future__ import annotations

import weakref

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

_scripts: weakref.WeakKeyDictionary[Redis, dict[str, AsyncScript]] = weakref.WeakKeyDictionary()


def script(redis: Redis, text: str) -> AsyncScript:
    """The client's script for this text (EVALSHA, loaded once), made on first use (two per vote, README)."""
    known = _scripts.get(redis)
    if known is None:
        known = _scripts[redis] = {}
    found = known.get(text)
    if found is None:
        found = known[text] = redis.register_script(text)
    return found
